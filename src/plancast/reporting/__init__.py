"""What people read: figures (PNG), the pull-request report and, later, the planner's workbook."""
