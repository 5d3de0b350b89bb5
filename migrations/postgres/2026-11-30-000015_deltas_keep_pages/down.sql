ALTER TABLE daily_figure_deltas RESET (vacuum_truncate);
ALTER TABLE holding_deltas RESET (vacuum_truncate);
