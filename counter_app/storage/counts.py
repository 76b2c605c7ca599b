"""Small read-only counts for the counter's own screens (the manager's reads are in reports)."""

from __future__ import annotations

import json

from counter_app.storage.db import Database
from counter_core.events import is_demo_marker


def completed_since(db: Database, since_utc: str) -> int:
    """Transactions completed that started at or after `since_utc` (a UTC record string)."""
    row = db.execute(
        "SELECT COUNT(*) FROM transactions WHERE status = 'completed' AND started_at >= ?",
        [since_utc],
    ).fetchone()
    return int(row[0])


def last_seq(db: Database) -> int:
    """The newest event's sequence number (0 for an empty log)."""
    row = db.execute("SELECT MAX(seq) FROM events").fetchone()
    return int(row[0] or 0)


def is_demo_log(db: Database) -> bool:
    """Whether the log's first event is the demo marker (`counter-app demo-data` wrote it)."""
    row = db.execute("SELECT kind, payload FROM events WHERE seq = 1").fetchone()
    if row is None:
        return False
    try:
        payload = json.loads(row[1])
    except ValueError:
        return False
    return is_demo_marker(row[0], payload)
