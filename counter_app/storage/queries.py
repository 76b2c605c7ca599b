"""Read-only queries over the projections, for exports and reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlite_utils


def transactions(
    db: sqlite_utils.Database, start_utc: str | None = None, end_utc: str | None = None
) -> Iterator[dict[str, Any]]:
    """Transactions started in [start_utc, end_utc), oldest first, with the staff name."""
    where, params = [], []
    if start_utc:
        where.append("t.started_at >= ?")
        params.append(start_utc)
    if end_utc:
        where.append("t.started_at < ?")
        params.append(end_utc)
    sql = (
        "SELECT t.*, s.name AS staff_name FROM transactions t"
        " LEFT JOIN staff s ON s.number = t.staff"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY t.started_at, t.started_seq"
    )
    yield from db.query(sql, params)


def served_today(db: sqlite_utils.Database) -> int:
    """Transactions completed since local midnight."""
    import datetime as dt

    midnight = dt.datetime.combine(dt.date.today(), dt.time()).astimezone().astimezone(dt.UTC)
    since = midnight.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    row = db.execute(
        "SELECT COUNT(*) FROM transactions WHERE status = 'completed' AND started_at >= ?",
        [since],
    ).fetchone()
    return int(row[0])
