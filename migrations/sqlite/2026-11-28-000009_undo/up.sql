-- A scan made by mistake is undone by a later event (action `undo`) that names it; the
-- mistaken event stays, as every event does. One undo per event. Keep in step with the
-- other backend's tree.
ALTER TABLE events ADD COLUMN undoes TEXT;
CREATE UNIQUE INDEX events_undoes ON events (undoes);
