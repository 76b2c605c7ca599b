"""SQLite storage: the event log, its projections, staff accounts. Nothing else touches SQL."""
