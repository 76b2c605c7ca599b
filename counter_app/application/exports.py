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
from counter_core.ratings import OVERTIME_CAUSES, OVERTIME_REASONS, POOR_RATING_REASONS, Choice
from counter_core.tables import write_csv, xlsx_bytes
from counter_core.transaction import TransactionType

#: the XLSX exports' header row, (中文, English) per column: a spreadsheet is read by people,
#: so headers and codes are in the UI's language; the CSV keeps the codes, for machines
COLUMN_TEXT: dict[str, tuple[str, str]] = {
    "id": ("业务编号", "Transaction id"), "started_at": ("开始时间（UTC）", "Started (UTC)"),
    "local_time": ("开始时间（本地）", "Started (local time)"), "hall": ("营业厅", "Hall"),
    "counter": ("柜台", "Counter"), "staff": ("工号", "Staff number"),
    "staff_name": ("姓名", "Name"), "type": ("业务类型", "Transaction type"),
    "target_s": ("目标时长（秒）", "Target (s)"), "duration_s": ("办理时长（秒）", "Duration (s)"),
    "overtime_s": ("超时（秒）", "Overtime (s)"),
    "staff_reason": ("员工说明的超时原因", "Clerk's overtime reason"),
    "rating": ("评分", "Rating"), "rating_reason": ("差评原因", "Poor rating reason"),
    "reviewed": ("已复核", "Reviewed"), "cause": ("复核认定原因", "Manager's cause"),
    "note": ("复核备注", "Manager's note"), "reviewed_by": ("复核人", "Reviewed by"),
    "reviewed_at": ("复核时间（UTC）", "Reviewed at (UTC)"),
    "order_no": ("业务单号", "Order number"),
    "month": ("月份", "Month"), "served": ("办结笔数", "Served"), "rated": ("评价数", "Ratings"),
    "mean_rating": ("平均评分", "Mean rating"), "satisfaction_rate": ("满意率", "Satisfaction"),
    "overtime_rate": ("超时率", "Overtime rate"), "participation_rate": ("参评率", "Participation"),
    "hours_signed_in": ("在岗小时", "Hours signed in"), "hours_away": ("暂离小时", "Hours away"),
    "serving_share": ("办理时间占在岗时间", "Share of time serving"),
    "closed_in_service": ("办理中关闭柜台", "Closed while serving"),
    "upheld_appeals": ("申诉成立", "Upheld appeals"), "star_score": ("之星得分", "Star score"),
    "suggested_star": ("建议之星", "Suggested star"),
    "confirmed_star": ("确认之星", "Confirmed star"),
}
YES_NO = {"yes": ("是", "Yes"), "no": ("否", "No")}
#: the coded columns and the choice lists their codes come from (counter_core.ratings)
CHOICES: dict[str, tuple[Choice, ...]] = {
    "staff_reason": OVERTIME_REASONS, "rating_reason": POOR_RATING_REASONS,
    "cause": OVERTIME_CAUSES,
}

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


def headers(columns: Sequence[str], language: str) -> list[str]:
    """The XLSX header row in `language` (zh… or English)."""
    index = 0 if language.startswith("zh") else 1
    return [COLUMN_TEXT[c][index] if c in COLUMN_TEXT else c for c in columns]


def readable(records: Sequence[dict[str, Any]], language: str,
             types: Sequence[TransactionType] = ()) -> list[dict[str, Any]]:
    """The records with their codes as names in `language`: the transaction type, the
    reasons and causes, yes and no (a code with no name stays as it is)."""
    zh = language.startswith("zh")
    names = {t.code: t.name(language) for t in types}
    choices = {column: {c.code: (c.zh if zh else c.en) for c in options}
               for column, options in CHOICES.items()}
    out = []
    for record in records:
        row = dict(record)
        if row.get("type") in names:
            row["type"] = names[row["type"]]
        for column, labels in choices.items():
            if row.get(column) in labels:
                row[column] = labels[row[column]]
        for column in ("reviewed", "suggested_star", "confirmed_star"):
            if row.get(column) in YES_NO:
                row[column] = YES_NO[row[column]][0 if zh else 1]
        out.append(row)
    return out


def write_overtime(records: Sequence[dict[str, Any]], fmt: str, target: str | Path, *,
                   language: str = "en", types: Sequence[TransactionType] = ()) -> int:
    """The overtime log to a file (or "-" for stdout) as CSV (codes) or XLSX (headers and
    codes in `language`); returns the row count."""
    if fmt == "csv":
        return _write_text(records, OVERTIME_COLUMNS, target)
    if fmt == "xlsx":
        title = "超时记录" if language.startswith("zh") else "Overtime log"
        _write_bytes(xlsx_bytes(readable(records, language, types), OVERTIME_COLUMNS, title,
                                headers=headers(OVERTIME_COLUMNS, language)), target)
        return len(records)
    raise ValueError(f"unknown format {fmt!r}")


def export_overtime(data: ManagerReadModel, period: Period, target: Path, *,
                    language: str = "en", types: Sequence[TransactionType] = ()) -> int:
    """The use case: the period's overtime log to `target`, format by its suffix."""
    return write_overtime(overtime_log_records(data, period), format_of(target), target,
                          language=language, types=types)


# ---- the monthly summary --------------------------------------------------------------------

def write_summary_table(report: MonthReport, fmt: str, target: str | Path, *,
                        language: str = "en") -> int:
    """The monthly summary as CSV (codes) or XLSX (headers, yes/no and the star rule in
    `language`); returns the staff row count."""
    records = summary_records(report)
    if fmt == "csv":
        return _write_text(records, SUMMARY_COLUMNS, target)
    if fmt == "xlsx":
        zh = language.startswith("zh")
        rule = report.suggestion.rule.describe(language)
        notes = [f"之星规则：{rule}" if zh else f"Star rule: {rule}"]
        title = f"{report.month} 月度汇总" if zh else f"Summary {report.month}"
        _write_bytes(xlsx_bytes(readable(records, language), SUMMARY_COLUMNS, title,
                                notes=notes, percent_columns=PERCENT_COLUMNS,
                                headers=headers(SUMMARY_COLUMNS, language)), target)
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
