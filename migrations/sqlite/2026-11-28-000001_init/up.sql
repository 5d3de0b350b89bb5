-- The loop's core tables. Keep in step with migrations/postgres (same names, same columns).
CREATE TABLE sites (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    address TEXT,
    email TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE routes (
    from_site_id TEXT NOT NULL REFERENCES sites(id),
    to_site_id TEXT NOT NULL REFERENCES sites(id),
    distance_km DOUBLE NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (from_site_id, to_site_id)
);

CREATE TABLE container_types (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    material TEXT NOT NULL,
    capacity_ml DOUBLE,
    tare_mass_g DOUBLE NOT NULL,
    single_use_mass_g DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    site_id TEXT REFERENCES sites(id),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE shipments (
    id TEXT PRIMARY KEY NOT NULL,
    from_site_id TEXT NOT NULL REFERENCES sites(id),
    to_site_id TEXT NOT NULL REFERENCES sites(id),
    departed_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP,
    vehicle TEXT,
    distance_km DOUBLE NOT NULL,
    distance_source TEXT NOT NULL,
    user_id TEXT REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX shipments_departed_at ON shipments (departed_at);

CREATE TABLE wash_batches (
    id TEXT PRIMARY KEY NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites(id),
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    program TEXT,
    temperature_c DOUBLE,
    water_l DOUBLE,
    energy_kwh DOUBLE,
    washed BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    user_id TEXT REFERENCES users(id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX wash_batches_site_started ON wash_batches (site_id, started_at);

-- `serial` is the number behind the short code; `last_event_at` is the `at` of the latest
-- event, so that a scan in time order is checked against this row without reading the log.
CREATE TABLE containers (
    id TEXT PRIMARY KEY NOT NULL,
    serial BIGINT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    type_id TEXT NOT NULL REFERENCES container_types(id),
    state TEXT NOT NULL,
    condition TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites(id),
    shipment_id TEXT REFERENCES shipments(id),
    dest_site_id TEXT REFERENCES sites(id),
    batch_id TEXT REFERENCES wash_batches(id),
    uses BIGINT NOT NULL,
    retired_reason TEXT,
    last_event_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX containers_site_type_state ON containers (site_id, type_id, state);
CREATE INDEX containers_dest_site ON containers (dest_site_id);

-- Append-only: `seq` is the recording order that breaks ties between equal `at`. Only what
-- was reported is stored; inferred steps are derived again by every fold.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    container_id TEXT NOT NULL REFERENCES containers(id),
    action TEXT NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites(id),
    to_site_id TEXT REFERENCES sites(id),
    at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    user_id TEXT REFERENCES users(id),
    shipment_id TEXT REFERENCES shipments(id),
    batch_id TEXT REFERENCES wash_batches(id),
    reason TEXT
);
CREATE INDEX events_container_at ON events (container_id, at, seq);
CREATE INDEX events_shipment ON events (shipment_id) WHERE shipment_id IS NOT NULL;
CREATE INDEX events_batch ON events (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX events_at ON events (at);
