"""The manager view's export button writes formula-safe XLSX and CSV."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from counter_app.ui.manager import ManagerView
from tests.application.test_export_formula_safety import (
    DAY,
    HOSTILE_NAME,
    HOSTILE_NOTE,
    assert_no_formula,
    csv_rows,
    hostile,  # noqa: F401  (the fixture)
    xlsx_rows,
)
from tests.helpers.counter import CounterService


def test_export_buttons_write_defused_text(qtbot: QtBot, hostile: CounterService,  # noqa: F811
                                           tmp_path: Path) -> None:
    widget = ManagerView(hostile.manager("9001"), today=DAY)
    qtbot.addWidget(widget)
    widget.date_from.setDate(QDate(2026, 3, 1))
    widget.date_to.setDate(QDate(2026, 3, 31))
    assert widget.export_overtime(tmp_path / "o.xlsx") == 1
    assert_no_formula(tmp_path / "o.xlsx")
    (cells,) = xlsx_rows(tmp_path / "o.xlsx")
    assert cells["staff_name"] == "'" + HOSTILE_NAME and cells["note"] == "'" + HOSTILE_NOTE
    assert cells["duration_s"] == 250
    assert widget.export_overtime(tmp_path / "o.csv") == 1
    (row,) = csv_rows((tmp_path / "o.csv").read_text(encoding="utf-8-sig"))
    assert row["note"] == "'" + HOSTILE_NOTE
    widget.export_summary(tmp_path / "s.xlsx", "2026-03")
    assert_no_formula(tmp_path / "s.xlsx")
    assert any(r.get("staff_name") == "'" + HOSTILE_NAME for r in xlsx_rows(tmp_path / "s.xlsx"))
