"""Reporting: what the pipeline's results look like to a reviewer — the pull-request report (and, later,
the plots and the planner's workbook)."""
