"""Exports as files: the overtime log and the monthly summary as CSV or XLSX, transactions as CSV.

Every table goes through counter_core.tables (the one CSV and the one XLSX writer). The
monthly summary's PDF is drawn with Qt, so it lives in counter_app/ui/manager/summary_pdf.py;
this module never imports Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from counter_app.application.manager import ManagerReadModel, MonthReport, Period
from counter_app.application.manager_figures import (
    OVERTIME_COLUMNS,
    SUMMARY_COLUMNS,
    overtime_records,
    summary_records,
)
from counter_core.figures import is_timed, overtime_tenths
from counter_core.tables import write_csv, xlsx_bytes

FORMATS_OVERTIME = ("csv", "xlsx")
#: the table formats of the summary; "pdf" is the UI's (summary_pdf) and the command line's
FORMATS_SUMMARY_TABLES = ("csv", "xlsx")
PERCENT_COLUMNS = ("satisfaction_rate", "overtime_rate", "participation_rate", "serving_share")

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "id", "hall", "counter", "staff", "staff_name", "type", "started_at", "ended_at",
    "duration_s", "target_s", "overtime_s", "status", "rating", "rating_status",
    "rating_reason", "overtime_reason", "order_no",
)


def format_of(path: Path) -> str:
    """The export format a file name asks for (its suffix; CSV without one)."""
    return path.suffix.lower().lstrip(".") or "csv"


# ---- the overtime log -----------------------------------------------------------------------

def overtime_log_records(data: ManagerReadModel, period: Period) -> list[dict[str, Any]]:
    """The overtime log of the period as export rows (UTC time and the hall's wall time)."""
    return overtime_records(data.overtime_log(period), data.time_zone)


def write_overtime(records: Sequence[dict[str, Any]], fmt: str, target: str | Path) -> int:
    """The overtime log to a file (or "-" for stdout) as CSV or XLSX; returns the row count."""
    if fmt == "csv":
        return _write_text(records, OVERTIME_COLUMNS, target)
    if fmt == "xlsx":
        _write_bytes(xlsx_bytes(records, OVERTIME_COLUMNS, "Overtime log"), target)
        return len(records)
    raise ValueError(f"unknown format {fmt!r}")


def export_overtime(data: ManagerReadModel, period: Period, target: Path) -> int:
    """The use case: the period's overtime log to `target`, format by its suffix."""
    return write_overtime(overtime_log_records(data, period), format_of(target), target)


# ---- the monthly summary --------------------------------------------------------------------

def write_summary_table(report: MonthReport, fmt: str, target: str | Path) -> int:
    """The monthly summary as CSV or XLSX; returns the staff row count."""
    records = summary_records(report)
    if fmt == "csv":
        return _write_text(records, SUMMARY_COLUMNS, target)
    if fmt == "xlsx":
        notes = [f"Star rule: {report.suggestion.rule.describe()}"]
        _write_bytes(xlsx_bytes(records, SUMMARY_COLUMNS, f"Summary {report.month}",
                                notes=notes, percent_columns=PERCENT_COLUMNS), target)
        return len(records)
    raise ValueError(f"unknown format {fmt!r}")


# ---- transactions ---------------------------------------------------------------------------

def transaction_record(row: dict[str, Any]) -> dict[str, Any]:
    """One transactions-export row. `overtime_s` of a timed transaction (completed, or
    interrupted with its known time: figures.is_timed) comes from the one overtime predicate
    (counter_core.figures), rounded up to 0.1 s: it is above 0 exactly for the transactions
    the overtime log, the KPIs and head office count as overtime."""
    record = {column: row.get(column) for column in TRANSACTION_COLUMNS}
    record["id"] = row["txn"]
    for column in ("duration_s", "target_s"):
        value = record[column]
        if value is not None:
            record[column] = round(float(value), 1)
    if row.get("status") == "completed" or is_timed(row):
        record["overtime_s"] = overtime_tenths(row)
    elif record["overtime_s"] is not None:
        record["overtime_s"] = round(float(record["overtime_s"]), 1)
    return record


def write_transactions_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Transaction records (see `transaction_record`) as CSV; returns the row count."""
    return write_csv(records, TRANSACTION_COLUMNS, out)


# ---- files ----------------------------------------------------------------------------------

def _write_text(records: Sequence[dict[str, Any]], columns: Sequence[str],
                target: str | Path) -> int:
    if str(target) == "-":
        return write_csv(records, columns, sys.stdout)
    with open(target, "w", encoding="utf-8-sig", newline="") as out:
        return write_csv(records, columns, out)


def _write_bytes(data: bytes, target: str | Path) -> None:
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(target).write_bytes(data)
