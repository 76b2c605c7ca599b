"""Exports of the transaction record: CSV for spreadsheets and scripts."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import IO, Any

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "id", "hall", "counter", "staff", "staff_name", "type", "started_at", "ended_at",
    "duration_s", "target_s", "overtime_s", "status", "rating", "rating_status",
    "rating_reason", "overtime_reason",
)


def local_day_bounds_utc(
    start: dt.date | None, end: dt.date | None
) -> tuple[str | None, str | None]:
    """[start 00:00, end+1 00:00) in this machine's local time, as UTC ISO strings."""

    def utc(day: dt.date) -> str:
        local = dt.datetime.combine(day, dt.time()).astimezone()
        return local.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return (utc(start) if start else None, utc(end + dt.timedelta(days=1)) if end else None)


def transaction_record(row: dict[str, Any]) -> dict[str, Any]:
    record = {column: row.get(column) for column in TRANSACTION_COLUMNS}
    record["id"] = row["txn"]
    for column in ("duration_s", "target_s", "overtime_s"):
        if record[column] is not None:
            record[column] = round(float(record[column]), 1)
    return record


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str],
              columns: tuple[str, ...] = TRANSACTION_COLUMNS) -> int:
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
        count += 1
    return count
