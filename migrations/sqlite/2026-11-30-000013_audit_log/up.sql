-- The audit log: sign-ins (and failed or refused ones), sign-outs, tokens made and revoked,
-- users added. Kept as written, like the events: the database refuses to change or remove
-- an entry.
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
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: an entry cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: an entry cannot be deleted');
END;
