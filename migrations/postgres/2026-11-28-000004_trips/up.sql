-- Trips: a filled container received at a shop, until the next return of that container
-- (src/domain/trips.rs). Kept with every event, like the figures' counters.
CREATE TABLE trips (
    container_id TEXT NOT NULL REFERENCES containers(id),
    shop_id TEXT NOT NULL REFERENCES sites(id),
    type_id TEXT NOT NULL REFERENCES container_types(id),
    received_at TIMESTAMP NOT NULL,
    returned_at TIMESTAMP,
    PRIMARY KEY (container_id, received_at)
);
CREATE INDEX trips_received ON trips (received_at);
CREATE INDEX trips_shop_received ON trips (shop_id, received_at);
