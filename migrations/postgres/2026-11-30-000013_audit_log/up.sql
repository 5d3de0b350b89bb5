-- The audit log: sign-ins (and failed or refused ones), sign-outs, tokens made and revoked,
-- users added. Kept as written, like the events: the database refuses to change, remove or
-- empty it.
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY NOT NULL,
  at TIMESTAMP NOT NULL,
  action TEXT NOT NULL,
  -- The user who acted, when one was signed in.
  actor_id TEXT,
  -- Their e-mail, 'command line' for the administrative commands, NULL before a sign-in.
  actor TEXT,
  -- The e-mail of the account concerned (as typed, for a failed sign-in).
  subject TEXT,
  -- The client's address, through TRUSTED_PROXIES; NULL from the command line.
  client TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: an entry cannot be %',
    CASE TG_OP WHEN 'UPDATE' THEN 'changed' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END
    USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
