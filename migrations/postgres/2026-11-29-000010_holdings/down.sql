DROP INDEX containers_dirty_since;
DROP TRIGGER holdings_delete ON containers;
DROP TRIGGER holdings_update ON containers;
DROP TRIGGER holdings_insert ON containers;
DROP FUNCTION holdings_keep();
DROP TABLE holdings;
