"""The overtime review form (pytest-qt, offscreen): no cause preselected, own cases shown but
not decidable, a type change after target shown and acceptable."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.application.demo import write_demo_history
from counter_app.config import Config
from counter_app.ui.manager import ManagerView
from counter_core.periods import format_utc, zone
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService

DAY = dt.date(2026, 3, 2)


def _at(seconds: float) -> str:
    start = dt.datetime.combine(DAY, dt.time(10, 0), tzinfo=zone("Asia/Shanghai"))
    return format_utc(start + dt.timedelta(seconds=seconds))


def _case(txn: str, staff: str, offset: float, *, change: bool = False) -> list[tuple[str, Draft]]:
    items = [(_at(offset), Draft("started", {"txn": txn, "staff": staff, "type": "payment",
                                             "target_s": 180.0}))]
    target = 180.0
    if change:  # switched to the untimed enquiry after 200 s
        items.append((_at(offset + 200), Draft("type_changed", {
            "txn": txn, "type": "enquiry", "target_s": None, "elapsed_s": 200.0,
            "after_target": True, "passed_target_s": 180.0})))
        target = None
    items += [
        (_at(offset + 240), Draft("completed", {"txn": txn, "duration_s": 240.0,
                                                "target_s": target,
                                                "overtime_s": 0.0 if change else 60.0})),
        (_at(offset + 245), Draft("rating_timed_out", {"txn": txn})),
    ]
    return items


@pytest.fixture
def view(qtbot: QtBot, service: CounterService) -> ManagerView:
    service.store.append_timed(
        _case("clerk", "1001", 0) + _case("mine", "9001", 600)
        + _case("changed", "1001", 1200, change=True))
    widget = ManagerView(service.manager("9001"), today=dt.date(2026, 3, 5))
    qtbot.addWidget(widget)
    widget.show()
    widget.set_filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    return widget


def _reviews(service: CounterService) -> list[dict[str, object]]:
    return [json.loads(r[0]) for r in service.db.execute(
        "SELECT payload FROM events WHERE kind = 'overtime_reviewed' ORDER BY seq")]


def test_no_cause_is_preselected_and_saving_needs_one(view: ManagerView,
                                                      service: CounterService,
                                                      qtbot: QtBot) -> None:
    tab = view.review_tab
    assert tab.select_txn("clerk")
    assert tab.overtime_box.isEnabled()
    assert tab.cause.currentData() is None  # "Choose a cause…", no blame nobody chose
    assert not tab.record_button.isEnabled()
    qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert not tab.record_cause() and _reviews(service) == []
    tab.cause.setCurrentIndex(tab.cause.findData("system"))
    assert tab.record_button.isEnabled()
    with qtbot.waitSignal(view.recorded):
        qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert [r["cause"] for r in _reviews(service)] == ["system"]
    assert tab.cause.currentData() == "system"  # a recorded decision is shown as recorded


def test_own_case_is_shown_but_not_decidable(view: ManagerView,
                                             service: CounterService) -> None:
    tab = view.review_tab
    assert tab.select_txn("mine")  # shown in the queue
    assert not tab.overtime_box.isEnabled()
    assert "own case" in tab.message.text() or "自己" in tab.message.text()
    tab.cause.setCurrentIndex(tab.cause.findData("system"))
    assert not tab.record_cause()
    assert _reviews(service) == []


def test_type_changed_after_target_is_shown_and_can_be_accepted(
        view: ManagerView, service: CounterService) -> None:
    tab = view.review_tab
    assert tab.select_txn("changed")
    row = tab.current_row()
    assert row is not None and row.is_overtime and row.type_changed_after_target
    issue = tab.model.index(tab.model.row_of("changed") or 0,
                            tab.model.COLUMNS.index("issue"))
    assert "type changed after target" in tab.model.data(issue) \
        or "超时后更改" in tab.model.data(issue)
    assert tab.accept_change.isVisibleTo(tab)
    tab.cause.setCurrentIndex(tab.cause.findData("complex_request"))
    tab.accept_change.setChecked(True)
    assert tab.record_cause()
    assert _reviews(service)[-1]["accept_type_change"] is True
    fresh = service.store.transaction("changed")
    assert fresh is not None and fresh["target_s"] is None and fresh["overtime_s"] == 0.0


def test_the_manager_view_says_demo_data_for_a_demo_folder(
        qtbot: QtBot, demo_config: Config, data_dir: Path) -> None:
    write_demo_history(demo_config, data_dir, 1, seed=1, end=dt.date(2026, 2, 1))
    counter = CounterService(demo_config, data_dir)
    try:
        widget = ManagerView(counter.manager("9001"), today=dt.date(2026, 2, 2))
        qtbot.addWidget(widget)
        widget.show()
        assert widget.demo_label.isVisible()
    finally:
        counter.close()


def test_a_real_folder_shows_no_demo_mark(view: ManagerView) -> None:
    assert not view.demo_label.isVisible()
