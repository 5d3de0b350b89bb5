-- How many containers each site holds, by type, state and condition; containers in transit
-- are counted at their destination (what the site awaits), retired ones not at all. Kept by
-- triggers on `containers`, so stock and alerts read a few rows whatever the fleet's size.
-- Rows fall to 0 and stay; readers skip them.
CREATE TABLE holdings (
    site_id TEXT NOT NULL,
    type_id TEXT NOT NULL,
    state TEXT NOT NULL,
    condition TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (site_id, type_id, state, condition)
);

INSERT INTO holdings (site_id, type_id, state, condition, n)
SELECT CASE WHEN state = 'in_transit' THEN dest_site_id ELSE site_id END, type_id, state, condition, count(*)
  FROM containers
 WHERE state <> 'retired' AND (state <> 'in_transit' OR dest_site_id IS NOT NULL)
 GROUP BY 1, 2, 3, 4;

CREATE FUNCTION holdings_keep() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER holdings_insert AFTER INSERT ON containers
  FOR EACH ROW EXECUTE FUNCTION holdings_keep();
CREATE TRIGGER holdings_update AFTER UPDATE OF site_id, dest_site_id, type_id, state, condition ON containers
  FOR EACH ROW
  WHEN (OLD.site_id IS DISTINCT FROM NEW.site_id OR OLD.dest_site_id IS DISTINCT FROM NEW.dest_site_id
     OR OLD.type_id IS DISTINCT FROM NEW.type_id OR OLD.state IS DISTINCT FROM NEW.state
     OR OLD.condition IS DISTINCT FROM NEW.condition)
  EXECUTE FUNCTION holdings_keep();
CREATE TRIGGER holdings_delete AFTER DELETE ON containers
  FOR EACH ROW EXECUTE FUNCTION holdings_keep();

-- The oldest dirty container at a shop (the collection alert) without reading the others.
CREATE INDEX containers_dirty_since ON containers (site_id, last_event_at)
 WHERE state = 'at_site' AND condition = 'dirty';
