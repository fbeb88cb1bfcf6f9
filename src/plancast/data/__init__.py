"""From a planner's files to the canonical tables: reading, validation, the calendar, ingest."""
