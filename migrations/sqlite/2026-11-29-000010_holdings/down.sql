DROP INDEX containers_dirty_since;
DROP TRIGGER holdings_delete;
DROP TRIGGER holdings_update;
DROP TRIGGER holdings_insert;
DROP TABLE holdings;
