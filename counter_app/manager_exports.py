"""Manager exports: the overtime log (CSV, XLSX) and the monthly summary (CSV, XLSX, PDF)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from counter_app.manager_data import (
    OVERTIME_COLUMNS,
    SUMMARY_COLUMNS,
    MonthReport,
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
