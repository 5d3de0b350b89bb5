-- Folds what is pending, then keeps the counters in place again.
INSERT INTO daily_figures
SELECT day, site_id, type_id, sum(fills), sum(first_fills), sum(cycles), sum(cycle_ms),
       sum(returns), sum(trips), sum(trips_returned), sum(retired), sum(broken), sum(lost),
       sum(washes), sum(commissioned), sum(commissioned_us), sum(retired_us)
  FROM daily_figure_deltas GROUP BY day, site_id, type_id
    ON CONFLICT (day, site_id, type_id) DO UPDATE SET
       fills = daily_figures.fills + excluded.fills,
       first_fills = daily_figures.first_fills + excluded.first_fills,
       cycles = daily_figures.cycles + excluded.cycles,
       cycle_ms = daily_figures.cycle_ms + excluded.cycle_ms,
       returns = daily_figures.returns + excluded.returns,
       trips = daily_figures.trips + excluded.trips,
       trips_returned = daily_figures.trips_returned + excluded.trips_returned,
       retired = daily_figures.retired + excluded.retired,
       broken = daily_figures.broken + excluded.broken,
       lost = daily_figures.lost + excluded.lost,
       washes = daily_figures.washes + excluded.washes,
       commissioned = daily_figures.commissioned + excluded.commissioned,
       commissioned_us = daily_figures.commissioned_us + excluded.commissioned_us,
       retired_us = daily_figures.retired_us + excluded.retired_us;
INSERT INTO holdings
SELECT site_id, type_id, state, condition, sum(n) FROM holding_deltas
 GROUP BY site_id, type_id, state, condition
    ON CONFLICT (site_id, type_id, state, condition) DO UPDATE SET n = holdings.n + excluded.n;
DROP VIEW holdings_now;
DROP VIEW daily_figures_now;
DROP TABLE holding_deltas;
DROP TABLE daily_figure_deltas;

CREATE OR REPLACE FUNCTION holdings_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.state <> 'retired' THEN
      UPDATE holdings SET n = n - 1
       WHERE site_id = (CASE WHEN OLD.state = 'in_transit' THEN OLD.dest_site_id ELSE OLD.site_id END)
         AND type_id = OLD.type_id AND state = OLD.state AND condition = OLD.condition;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.state <> 'retired' AND (NEW.state <> 'in_transit' OR NEW.dest_site_id IS NOT NULL) THEN
      INSERT INTO holdings (site_id, type_id, state, condition, n)
      VALUES (CASE WHEN NEW.state = 'in_transit' THEN NEW.dest_site_id ELSE NEW.site_id END,
              NEW.type_id, NEW.state, NEW.condition, 1)
      ON CONFLICT (site_id, type_id, state, condition) DO UPDATE SET n = holdings.n + 1;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
