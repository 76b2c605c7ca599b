"""The one CSV writer and the one XLSX writer for every table the counter and head office export.

Both are formula-safe: a text cell that a spreadsheet would read as a formula (starting with
=, +, -, @, a tab or a carriage return) is written with a leading apostrophe, so a staff note
such as "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Record = Mapping[str, Any]


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should show it: None as empty, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(records: Iterable[Record], columns: Sequence[str], out: IO[str]) -> int:
    """Write a header and one row per record (keys outside `columns` ignored); the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([safe_cell(record.get(c)) for c in columns])
        count += 1
    return count


def xlsx_bytes(records: Sequence[Record], columns: Sequence[str], title: str, *,
               notes: Sequence[str] = (), percent_columns: Iterable[str] = ()) -> bytes:
    """A one-sheet workbook: bold frozen header, sized columns, fractions shown as percentages."""
    from openpyxl import Workbook  # only exports pay for openpyxl's import
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    percent = set(percent_columns)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for record in records:
        sheet.append([safe_cell(record.get(c)) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sample = [len(str(record.get(column) or "")) for record in records[:200]]
        sheet.column_dimensions[letter].width = min(40, max(len(column), *sample, 6) + 2)
        if column in percent:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
