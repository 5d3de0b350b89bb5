DROP VIEW holdings_now;
DROP VIEW daily_figures_now;
