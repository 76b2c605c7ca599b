"""The review queue's follow-up tools (pytest-qt, offscreen): the 好差评 due date and the
overdue flag and filter, one cause for every overtime case of a time window, and handing
open cases over to the next shift's manager."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from pytestqt.qtbot import QtBot

from counter_app.application.manager import LocalManager, LocalManagerData, ManagerSession
from counter_app.ui.manager import ManagerView
from counter_app.ui.manager.review_tab import ReviewTab
from counter_core.periods import format_utc, zone
from counter_core.transaction import Draft
from counter_core.workdays import WorkCalendar
from tests.helpers.counter import CounterService

TZ = "Asia/Shanghai"
#: Tuesday 10 March 2026, 12:00 in Shanghai
NOW = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)


def _at(day: dt.date, hh: int, mm: int, ss: float = 0) -> str:
    start = dt.datetime.combine(day, dt.time(hh, mm), tzinfo=zone(TZ))
    return format_utc(start + dt.timedelta(seconds=ss))


def _poor(txn: str, staff: str, day: dt.date, hh: int, mm: int) -> list[tuple[str, Draft]]:
    return [
        (
            _at(day, hh, mm),
            Draft("started", {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0}),
        ),
        (
            _at(day, hh, mm, 60),
            Draft(
                "completed", {"txn": txn, "duration_s": 60.0, "target_s": 180.0, "overtime_s": 0.0}
            ),
        ),
        (_at(day, hh, mm, 65), Draft("rated", {"txn": txn, "rating": 1})),
    ]


def _overtime(txn: str, staff: str, day: dt.date, hh: int, mm: int) -> list[tuple[str, Draft]]:
    return [
        (
            _at(day, hh, mm),
            Draft("started", {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0}),
        ),
        (
            _at(day, hh, mm, 240),
            Draft(
                "completed",
                {"txn": txn, "duration_s": 240.0, "target_s": 180.0, "overtime_s": 60.0},
            ),
        ),
        (_at(day, hh, mm, 245), Draft("rating_timed_out", {"txn": txn})),
    ]


MON, TUE, THU = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 5)


def _history(service: CounterService) -> None:
    service.staff.add("9002", "李主管", "manager", "246802")
    service.store.append_timed(
        _poor("late", "1001", MON, 10, 0)  # due Monday 9 March: overdue on the 10th
        + _poor("done", "1001", MON, 10, 10)  # followed up below
        + _poor("fresh", "1001", THU, 23, 30)  # due Thursday 12 March
        + [
            (
                _at(MON, 10, 20),
                Draft("order_number_set", {"txn": "late", "order_no": "GZ-2026/0042"}),
            ),
            (
                _at(MON, 11, 0),
                Draft(
                    "rating_followed_up",
                    {
                        "txn": "done",
                        "called_back": True,
                        "cause": "slow",
                        "resolved": True,
                        "note": "",
                        "manager": "9002",
                    },
                ),
            ),
        ]
        + _overtime("o1", "1001", TUE, 10, 0)
        + _overtime("o2", "1002", TUE, 10, 20)
        + _overtime("own", "9001", TUE, 10, 40)
        + _overtime("later", "1001", TUE, 12, 0)
    )


def _view(qtbot: QtBot, service: CounterService, manager: str) -> ManagerView:
    data = LocalManagerData(
        service.db, TZ, calendar=WorkCalendar(), follow_up_days=5, now=lambda: NOW
    )
    session = ManagerSession(service.config, data, LocalManager(service.store, manager))
    widget = ManagerView(session, today=dt.date(2026, 3, 10))
    qtbot.addWidget(widget)
    widget.show()
    widget.set_filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 10))
    return widget


@pytest.fixture
def view(qtbot: QtBot, service: CounterService) -> ManagerView:
    _history(service)
    return _view(qtbot, service, "9001")


def _cell(tab: ReviewTab, txn: str, column: str, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    row = tab.model.row_of(txn)
    assert row is not None
    return tab.model.data(tab.model.index(row, tab.model.COLUMNS.index(column)), role)


def _events(service: CounterService, kind: str) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (r[0], r[1], json.loads(r[2]))
        for r in service.db.execute(
            "SELECT seq, at, payload FROM events WHERE kind = ? ORDER BY seq", [kind]
        )
    ]


def test_due_dates_overdue_flag_filter_and_header(view: ManagerView) -> None:
    tab = view.review_tab
    assert _cell(tab, "late", "due").startswith("2026-03-09")
    assert "overdue" in _cell(tab, "late", "due").lower() or "逾期" in _cell(tab, "late", "due")
    assert _cell(tab, "late", "due", Qt.ItemDataRole.BackgroundRole) is not None
    assert _cell(tab, "fresh", "due") == "2026-03-12"  # 23:30 local counts as Thursday
    assert _cell(tab, "fresh", "due", Qt.ItemDataRole.BackgroundRole) is None
    assert _cell(tab, "done", "due") == "2026-03-09"  # followed up: not flagged
    assert _cell(tab, "done", "due", Qt.ItemDataRole.BackgroundRole) is None
    assert _cell(tab, "o1", "due") == ""  # an overtime case has no follow-up deadline
    assert _cell(tab, "late", "order_no") == "GZ-2026/0042"

    tab.overdue_only.setChecked(True)
    shown = [row.txn for row in tab.model.rows]
    assert shown == ["late"]
    tab.overdue_only.setChecked(False)
    assert tab.model.rowCount() == 7

    assert view.overdue.isVisible() and view.overdue.text().startswith("1")


def test_one_cause_for_every_overtime_case_of_a_window(
    view: ManagerView, service: CounterService
) -> None:
    tab = view.review_tab
    asked: list[str] = []
    tab.confirm = lambda text: asked.append(text) or True  # type: ignore[method-assign]
    tab.window_day.setDate(QDate(2026, 3, 3))
    tab.window_from.setTime(QTime(10, 0))
    tab.window_to.setTime(QTime(11, 0))
    assert not tab.give_cause_to_window()  # no cause chosen
    assert asked == [] and _events(service, "overtime_reviewed") == []
    tab.window_cause.setCurrentIndex(tab.window_cause.findData("system"))
    tab.window_note.setText("业务系统宕机")
    assert tab.give_cause_to_window()
    assert len(asked) == 1 and "2" in asked[0]  # one confirmation naming the 2 cases
    reviews = _events(service, "overtime_reviewed")
    assert sorted(p["txn"] for _, _, p in reviews) == ["o1", "o2"]  # own and later not
    assert {p["cause"] for _, _, p in reviews} == {"system"}
    assert {p["note"] for _, _, p in reviews} == {"业务系统宕机"}
    assert len({at for _, at, _ in reviews}) == 1  # one commit
    assert reviews[1][0] == reviews[0][0] + 1
    assert "own" in tab.message.text()  # the skipped own case is listed
    assert _cell(tab, "o1", "status") == _cell(tab, "o2", "status") != _cell(tab, "own", "status")

    tab.window_to.setTime(QTime(9, 0))  # ends before it starts
    assert not tab.give_cause_to_window() and len(asked) == 1


def test_handing_open_cases_over(view: ManagerView, service: CounterService, qtbot: QtBot) -> None:
    tab = view.review_tab
    tab.confirm = lambda text: True  # type: ignore[method-assign]
    assert tab.handover_to.findData("9002") >= 0 and tab.handover_to.findData("9001") < 0
    tab.handover_to.setCurrentIndex(tab.handover_to.findData("9002"))
    tab.handover_note.setText("两单待回访")
    open_cases = set(tab.open_cases())
    assert "done" not in open_cases and {"late", "fresh", "o1"} <= open_cases
    assert tab.hand_over_open_cases()
    ((_, _, payload),) = _events(service, "cases_handed_over")
    assert payload["from"] == "9001" and payload["to"] == "9002"
    assert set(payload["txns"]) == open_cases and payload["note"] == "两单待回访"

    receiving = _view(qtbot, service, "9002")
    text = _cell(receiving.review_tab, "late", "handover")
    assert "9001" in text
    assert _cell(receiving.review_tab, "done", "handover") == ""
