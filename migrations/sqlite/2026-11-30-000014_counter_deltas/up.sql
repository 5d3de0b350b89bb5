-- The views the figures and the stock are read through. On PostgreSQL they add the counter
-- deltas not folded yet (its migration 14); SQLite has a single writer, which updates the
-- counters in place, so they are the tables themselves.
CREATE VIEW daily_figures_now AS
SELECT day, site_id, type_id, fills, first_fills, cycles, cycle_ms, returns, trips,
       trips_returned, retired, broken, lost, washes, commissioned, commissioned_us, retired_us
  FROM daily_figures;

CREATE VIEW holdings_now AS
SELECT site_id, type_id, state, condition, n FROM holdings;
