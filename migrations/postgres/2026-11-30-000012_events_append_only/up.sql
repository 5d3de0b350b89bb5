-- Events are the loop's record, kept as they were written: a correction is a new event (an
-- undo names the event it undoes), never a change to an old one. The database itself refuses
-- to change, remove or empty them, whatever program or role asks (row triggers do not see a
-- TRUNCATE, so it has its own). Roles other than the owner get no right to do so either; the
-- owner's rights cannot be taken from it, hence the triggers (docs/RELIABILITY.md shows how to
-- run the service as a role that may only read and add events).
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: an event cannot be %; record a new event (an undo) to correct one',
    CASE TG_OP WHEN 'UPDATE' THEN 'changed' WHEN 'DELETE' THEN 'deleted' ELSE 'truncated' END
    USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC;
