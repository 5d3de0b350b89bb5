DROP INDEX events_undoes;
ALTER TABLE events DROP COLUMN undoes;
