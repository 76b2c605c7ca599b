"""Manager exports: the overtime log (CSV, XLSX) and the monthly summary (CSV, XLSX, PDF)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from counter_app.config import Config
from counter_app.manager_data import (
    OVERTIME_COLUMNS,
    SUMMARY_COLUMNS,
    MonthReport,
    month_report,
    overtime_records,
    parse_month,
    summary_records,
)

FORMATS_OVERTIME = ("csv", "xlsx")
FORMATS_SUMMARY = ("csv", "xlsx", "pdf")
_PERCENT_COLUMNS = {"satisfaction_rate", "overtime_rate", "participation_rate", "serving_share"}


def write_csv(records: Sequence[dict[str, Any]], columns: Sequence[str], out: IO[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return len(records)


def xlsx_bytes(records: Sequence[dict[str, Any]], columns: Sequence[str], title: str,
               notes: Sequence[str] = ()) -> bytes:
    """A one-sheet workbook: bold frozen header, sized columns, rates as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for record in records:
        sheet.append([record.get(c) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sample = [len(str(record.get(column) or "")) for record in records[:200]]
        sheet.column_dimensions[letter].width = min(40, max(len(column), *sample, 6) + 2)
        if column in _PERCENT_COLUMNS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_overtime(records: Sequence[dict[str, Any]], fmt: str, target: str | Path) -> int:
    """The overtime log to a file (or "-" for stdout) as CSV or XLSX; returns the row count."""
    if fmt == "csv":
        if str(target) == "-":
            return write_csv(records, OVERTIME_COLUMNS, sys.stdout)
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            return write_csv(records, OVERTIME_COLUMNS, out)
    if fmt == "xlsx":
        _write_bytes(xlsx_bytes(records, OVERTIME_COLUMNS, "Overtime log"), target)
        return len(records)
    raise ValueError(f"unknown format {fmt!r}")


def write_summary(report: MonthReport, fmt: str, target: str | Path,
                  hall: str = "", counter: str = "", language: str | None = None) -> int:
    """The monthly summary as CSV, XLSX or a one-page PDF; returns the staff row count."""
    records = summary_records(report)
    if fmt == "csv":
        if str(target) == "-":
            return write_csv(records, SUMMARY_COLUMNS, sys.stdout)
        with open(target, "w", encoding="utf-8-sig", newline="") as out:
            return write_csv(records, SUMMARY_COLUMNS, out)
    if fmt == "xlsx":
        notes = [f"Star rule: {report.suggestion.rule.describe()}"]
        _write_bytes(xlsx_bytes(records, SUMMARY_COLUMNS, f"Summary {report.month}", notes),
                     target)
        return len(records)
    if fmt == "pdf":
        if str(target) == "-":
            raise ValueError("a PDF needs a file name for --output")
        from counter_app.ui.manager.summary_pdf import write_summary_pdf

        write_summary_pdf(report, Path(target), hall=hall, counter=counter, language=language)
        return len(records)
    raise ValueError(f"unknown format {fmt!r}")


def _write_bytes(data: bytes, target: str | Path) -> None:
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(target).write_bytes(data)


# ---- command line ---------------------------------------------------------------------------

def register_cli(sub: Any, export_sub: Any, add_common: Callable[..., None]) -> None:
    """`counter-app export overtime …` and `counter-app export summary …`."""
    overtime = export_sub.add_parser(
        "overtime", help="the overtime log with the manager's causes",
        description="Every overtime transaction with staff reason, rating and review.")
    add_common(overtime, top=False)
    overtime.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    overtime.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    overtime.add_argument("--format", choices=FORMATS_OVERTIME, default="csv")
    overtime.add_argument("--output", default="-", metavar="FILE|-")
    overtime.set_defaults(handler=_export_overtime)

    summary = export_sub.add_parser(
        "summary", help="a month's per-staff summary and service star",
        description="Per staff for a month: served, ratings, overtime, time signed in; the star.")
    add_common(summary, top=False)
    summary.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    summary.add_argument("--format", choices=FORMATS_SUMMARY, default="csv")
    summary.add_argument("--output", required=True, metavar="FILE|-")
    summary.set_defaults(handler=_export_summary)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _month(text: str) -> str:
    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _open(data_dir: Path) -> Any:
    from counter_app.cli import CliError, open_readonly

    db = open_readonly(data_dir)
    if "reviews" not in db.table_names():
        raise CliError("this database predates the manager view: start counter-app once "
                       "(or run demo-data) to upgrade it")
    return db


def _export_overtime(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app.exports import local_day_bounds_utc
    from counter_app.storage import reports as queries

    start, end = local_day_bounds_utc(args.date_from, args.date_to)
    db = _open(data_dir)
    try:
        records = overtime_records(queries.overtime_log(db, start, end))
    finally:
        db.conn.close()
    count = write_overtime(records, args.format, args.output)
    if args.output != "-":
        print(f"{count} overtime transactions written to {args.output}", file=sys.stderr)
    return 0


def _export_summary(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app.cli import CliError

    db = _open(data_dir)
    try:
        report = month_report(db, args.month)
    finally:
        db.conn.close()
    try:
        count = write_summary(report, args.format, args.output,
                              hall=f"{config.hall_name} ({config.hall_id})",
                              counter=config.counter_id, language=config.language)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.output != "-":
        print(f"summary of {args.month} ({count} staff) written to {args.output}",
              file=sys.stderr)
    return 0
