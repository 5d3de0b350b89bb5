DROP TRIGGER events_no_truncate ON events;
DROP TRIGGER events_no_delete ON events;
DROP TRIGGER events_no_update ON events;
DROP FUNCTION events_append_only();
