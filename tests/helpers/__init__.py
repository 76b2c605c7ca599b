"""Shared fakes and support for the tests: a fake clock, head office and PostgreSQL helpers."""
