-- The upkeep thread empties the deltas ten times a second, so every vacuum of them found
-- their last pages empty and tried to give them back to the file system. That takes the
-- table's exclusive lock: under steady scans the vacuum waited for it up to five seconds
-- (the upkeep thread, and so the folds, with it, while readers summed ever more pending
-- rows), and when it got it, every scan's append waited. The pages are kept for reuse.
ALTER TABLE daily_figure_deltas SET (vacuum_truncate = false);
ALTER TABLE holding_deltas SET (vacuum_truncate = false);
