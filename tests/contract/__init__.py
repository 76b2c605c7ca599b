"""Contract tests: one behaviour, several implementations."""
