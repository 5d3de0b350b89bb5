-- Events are the loop's record, kept as they were written: a correction is a new event (an
-- undo names the event it undoes), never a change to an old one. The database itself refuses
-- to change or remove one, whatever program asks.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: an event cannot be changed; record a new event (an undo) to correct one');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only: an event cannot be deleted; record a new event (an undo) to correct one');
END;
