DROP TABLE digests;
DROP TABLE outbox;
DROP TABLE alerts;
DROP TABLE collection_thresholds;
DROP TABLE low_stock_thresholds;
DROP TABLE mail_opt_outs;
DROP INDEX users_unsubscribe_token;
ALTER TABLE users DROP COLUMN unsubscribe_token;
ALTER TABLE users DROP COLUMN language;
