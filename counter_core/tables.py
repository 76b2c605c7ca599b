"""The one CSV writer and the one XLSX writer for every table the counter and head office export.

Both are formula-safe: a text cell that a spreadsheet would read as a formula (starting with
=, +, -, @, a tab or a carriage return) is written with a leading apostrophe, so a staff note
such as "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

import csv
import io
import re
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


def _xlsx_cell(value: Any) -> Any:
    """`safe_cell`, and control characters an XLSX file cannot hold (openpyxl refuses them,
    which would end the export with an error) shown as U+FFFD."""
    value = safe_cell(value)
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("\ufffd", value)
    return value


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\ (a file name such
    as "incidents:2026" would otherwise end the export with an error)."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", _XML_ILLEGAL.sub("", title)).strip("'")[:31]
    return cleaned or "Sheet"


def write_csv(records: Iterable[Record], columns: Sequence[str], out: IO[str]) -> int:
    """Write a header and one row per record (keys outside `columns` ignored); the row count.

    The csv module quotes a field only for the characters of its line terminator (LF here),
    so a row with a carriage return in a text is written with every text quoted (numbers stay
    bare): a bare CR would split the row for the reader."""
    writer = csv.writer(out, lineterminator="\n")
    quoting = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(columns)
    count = 0
    for record in records:
        row = [safe_cell(record.get(c)) for c in columns]
        if any(isinstance(v, str) and "\r" in v for v in row):
            quoting.writerow(row)
        else:
            writer.writerow(row)
        count += 1
    return count


def xlsx_bytes(records: Sequence[Record], columns: Sequence[str], title: str, *,
               notes: Sequence[str] = (), percent_columns: Iterable[str] = (),
               headers: Sequence[str] | None = None) -> bytes:
    """A one-sheet workbook: bold frozen header, sized columns, fractions shown as percentages.
    `headers`: what the header row says for each column (default: the column's key)."""
    from openpyxl import Workbook  # only exports pay for openpyxl's import
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    percent = set(percent_columns)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(title)
    shown = list(headers) if headers is not None else list(columns)
    if len(shown) != len(columns):
        raise ValueError("one header per column")
    sheet.append([_xlsx_cell(c) for c in shown])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for record in records:
        sheet.append([_xlsx_cell(record.get(c)) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sample = [len(str(record.get(column) or "")) for record in records[:200]]
        header = shown[index - 1]
        wide = len(header) + sum(1 for ch in header if ord(ch) > 0x2E7F)  # CJK: two columns
        sheet.column_dimensions[letter].width = min(40, max(wide, *sample, 6) + 2)
        if column in percent:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.0%"
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([_xlsx_cell(note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
