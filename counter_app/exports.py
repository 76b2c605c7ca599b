"""Compatibility names for the command line's `export transactions` (moved elsewhere).

The transaction export lives in counter_app.application.exports (through the one CSV writer,
counter_core.tables.write_csv). Local days come from counter_core.periods in the hall's zone:
`periods.day_bounds_utc(start, end, config.time_zone)`. The two functions below keep the old
signatures for counter_app/cli.py until it switches; nothing else should use them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

from counter_app.application.exports import TRANSACTION_COLUMNS, transaction_record
from counter_core import periods, tables

__all__ = ["TRANSACTION_COLUMNS", "local_day_bounds_utc", "transaction_record", "write_csv"]


def local_day_bounds_utc(
    start: dt.date | None, end: dt.date | None, tz: str | None = None
) -> tuple[str | None, str | None]:
    """[start 00:00, end+1 00:00) as UTC strings, in the zone `tz`.

    Deprecated: pass the hall's zone to `periods.day_bounds_utc`. Without `tz` this still
    counts in the machine's zone (the old behaviour the command line relies on for now).
    """
    if tz is not None:
        return periods.day_bounds_utc(start, end, tz)

    def utc(day: dt.date) -> str:
        # deliberately the machine's zone: the old behaviour, until the caller passes `tz`
        return periods.format_utc(dt.datetime.combine(day, dt.time()).astimezone())

    return (utc(start) if start else None, utc(end + dt.timedelta(days=1)) if end else None)


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str],
              columns: tuple[str, ...] = TRANSACTION_COLUMNS) -> int:
    """The old argument order of counter_core.tables.write_csv (records, columns, out)."""
    return tables.write_csv(rows, columns, out)
