ALTER TABLE containers DROP COLUMN open_trips;
ALTER TABLE containers DROP COLUMN last_fill_at;
DROP TABLE shipment_loads;
DROP TABLE daily_figures;
