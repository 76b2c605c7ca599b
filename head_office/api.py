"""The counter-hq HTTP API, version 1, as its callers have always imported it: the application
itself is head_office.app, its routes head_office.routes."""

from __future__ import annotations

from head_office.app import STATUS, create_app, error_response
from head_office.deps import BUSY_RETRY_AFTER_S, MAX_CONCURRENT_UPLOADS
from head_office.routes.ingest import parse_batch, read_body
from head_office.routes.models import API_VERSION, MAX_BODY_BYTES, MAX_EVENTS, MAX_SEQ

__all__ = [
    "API_VERSION", "BUSY_RETRY_AFTER_S", "MAX_BODY_BYTES", "MAX_CONCURRENT_UPLOADS",
    "MAX_EVENTS", "MAX_SEQ", "STATUS", "create_app", "error_response", "parse_batch",
    "read_body",
]
