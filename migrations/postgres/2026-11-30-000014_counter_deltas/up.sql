-- Counters appended, not updated. Every scan at a shop used to update the same rows (the
-- shop's figures of the day, its holdings of dirty containers) and hold their locks until it
-- committed, so the scans of one site ran one at a time. Writers now append what they add
-- to these two tables, which have no key to wait on; `boucle serve` folds them into
-- `daily_figures` and `holdings` in the background (src/db/deltas.rs), and readers read the
-- views below, which add what is not folded yet: every figure stays exact at every moment.
CREATE TABLE daily_figure_deltas (
    day TEXT NOT NULL,
    site_id TEXT NOT NULL,
    type_id TEXT NOT NULL,
    fills BIGINT NOT NULL,
    first_fills BIGINT NOT NULL,
    cycles BIGINT NOT NULL,
    cycle_ms BIGINT NOT NULL,
    returns BIGINT NOT NULL,
    trips BIGINT NOT NULL,
    trips_returned BIGINT NOT NULL,
    retired BIGINT NOT NULL,
    broken BIGINT NOT NULL,
    lost BIGINT NOT NULL,
    washes BIGINT NOT NULL,
    commissioned BIGINT NOT NULL,
    commissioned_us BIGINT NOT NULL,
    retired_us BIGINT NOT NULL
);

CREATE TABLE holding_deltas (
    site_id TEXT NOT NULL,
    type_id TEXT NOT NULL,
    state TEXT NOT NULL,
    condition TEXT NOT NULL,
    n BIGINT NOT NULL
);
-- Each scan's alert check reads its site's holdings.
CREATE INDEX holding_deltas_site ON holding_deltas (site_id);

-- One row a key, as in the tables: the folded counts plus what is pending.
CREATE VIEW daily_figures_now AS
SELECT day, site_id, type_id,
       sum(fills)::bigint AS fills, sum(first_fills)::bigint AS first_fills, sum(cycles)::bigint AS cycles,
       sum(cycle_ms)::bigint AS cycle_ms, sum(returns)::bigint AS returns, sum(trips)::bigint AS trips,
       sum(trips_returned)::bigint AS trips_returned, sum(retired)::bigint AS retired, sum(broken)::bigint AS broken,
       sum(lost)::bigint AS lost, sum(washes)::bigint AS washes, sum(commissioned)::bigint AS commissioned,
       sum(commissioned_us)::bigint AS commissioned_us, sum(retired_us)::bigint AS retired_us
  FROM (SELECT * FROM daily_figures UNION ALL SELECT * FROM daily_figure_deltas) AS counted
 GROUP BY day, site_id, type_id;

CREATE VIEW holdings_now AS
SELECT site_id, type_id, state, condition, sum(n)::bigint AS n
  FROM (SELECT * FROM holdings UNION ALL SELECT * FROM holding_deltas) AS counted
 GROUP BY site_id, type_id, state, condition;

CREATE OR REPLACE FUNCTION holdings_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF OLD.state <> 'retired' THEN
      INSERT INTO holding_deltas (site_id, type_id, state, condition, n)
      VALUES (CASE WHEN OLD.state = 'in_transit' THEN OLD.dest_site_id ELSE OLD.site_id END,
              OLD.type_id, OLD.state, OLD.condition, -1);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.state <> 'retired' AND (NEW.state <> 'in_transit' OR NEW.dest_site_id IS NOT NULL) THEN
      INSERT INTO holding_deltas (site_id, type_id, state, condition, n)
      VALUES (CASE WHEN NEW.state = 'in_transit' THEN NEW.dest_site_id ELSE NEW.site_id END,
              NEW.type_id, NEW.state, NEW.condition, 1);
    END IF;
  END IF;
  RETURN NULL;
END
$$;
