-- Counters of the loop's figures per day (UTC), site and container type, kept in the same
-- transaction as the events that change them (see src/domain/figures.rs).
CREATE TABLE daily_figures (
    day TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites(id),
    type_id TEXT NOT NULL REFERENCES container_types(id),
    fills BIGINT NOT NULL DEFAULT 0,
    first_fills BIGINT NOT NULL DEFAULT 0,
    cycles BIGINT NOT NULL DEFAULT 0,
    cycle_ms BIGINT NOT NULL DEFAULT 0,
    returns BIGINT NOT NULL DEFAULT 0,
    trips BIGINT NOT NULL DEFAULT 0,
    trips_returned BIGINT NOT NULL DEFAULT 0,
    retired BIGINT NOT NULL DEFAULT 0,
    broken BIGINT NOT NULL DEFAULT 0,
    lost BIGINT NOT NULL DEFAULT 0,
    washes BIGINT NOT NULL DEFAULT 0,
    commissioned BIGINT NOT NULL DEFAULT 0,
    commissioned_us BIGINT NOT NULL DEFAULT 0,
    retired_us BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, site_id, type_id)
);
CREATE INDEX daily_figures_site_day ON daily_figures (site_id, day);
CREATE INDEX daily_figures_type_day ON daily_figures (type_id, day);

-- Containers on board of each shipment, by type.
CREATE TABLE shipment_loads (
    shipment_id TEXT NOT NULL REFERENCES shipments(id),
    type_id TEXT NOT NULL REFERENCES container_types(id),
    containers BIGINT NOT NULL,
    PRIMARY KEY (shipment_id, type_id)
);

-- What the figures need of a container's past beyond its state.
ALTER TABLE containers ADD COLUMN last_fill_at TIMESTAMP;
ALTER TABLE containers ADD COLUMN open_trips TEXT NOT NULL DEFAULT '';
