"""Appeals (申诉) in the UI (pytest-qt, offscreen): the clerk's “My ratings” lists only their own
poor ratings of earlier days, by date only, and appeals one; a manager other than the
appellant decides it in the review tab; the appellant manager cannot."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.application.counter import AppealRefused
from counter_app.application.errors import InvalidDecision
from counter_app.ui.app import CounterApp
from counter_app.ui.manager import ManagerView
from counter_app.ui.my_ratings import SIZE, MyRatingsDialog
from counter_core import appeals, events, periods
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService
from tests.ui.test_staff_window import press


def _served(
    txn: str, staff: str, day: dt.date, rating: int, tz: str, hour: int = 10
) -> list[tuple[str, Draft]]:
    start = dt.datetime.combine(day, dt.time(hour, 17, 42), tzinfo=periods.zone(tz))
    if day == periods.today(tz):  # today's: as early as the day allows (never in the future)
        start = dt.datetime.combine(day, dt.time(0, 0, 1), tzinfo=periods.zone(tz))

    def at(seconds: float) -> str:
        return periods.format_utc(start + dt.timedelta(seconds=seconds))

    return [
        (
            at(0),
            Draft(
                events.STARTED, {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0}
            ),
        ),
        (
            at(60),
            Draft(
                events.COMPLETED,
                {"txn": txn, "duration_s": 60.0, "target_s": 180.0, "overtime_s": 0.0},
            ),
        ),
        (at(61), Draft(events.RATED, {"txn": txn, "rating": rating})),
    ]


@pytest.fixture
def history(service: CounterService) -> dict[str, dt.date]:
    """Poor and good ratings of 1001, another clerk and the serving manager 9001; a second
    manager 9002 who decides."""
    tz = service.config.time_zone
    today = periods.today(tz)
    yesterday, before = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    service.staff.add("9002", "周经理", "manager", "888888", by="9001")
    items = (
        _served("older", "1001", before, 2, tz)
        + _served("mine", "1001", yesterday, 1, tz)
        + _served("good", "1001", yesterday, 5, tz, 11)
        + _served("theirs", "1002", yesterday, 1, tz, 12)
        + _served("boss", "9001", yesterday, 2, tz, 13)
        + _served("today", "1001", today, 1, tz)
    )
    service.store.append_timed(items)
    return {"today": today, "yesterday": yesterday, "before": before}


def _kinds(service: CounterService, kind: str) -> list[dict[str, Any]]:
    return [
        json.loads(r[0])
        for r in service.db.execute(
            "SELECT payload FROM events WHERE kind = ? ORDER BY seq", [kind]
        )
    ]


def _dialog(qtbot: QtBot, service: CounterService) -> MyRatingsDialog:
    dialog = MyRatingsDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _cells(dialog: MyRatingsDialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(i, j).text() for j in range(table.columnCount())]
        for i in range(table.rowCount())
    ]


def test_the_clerk_sees_only_own_poor_ratings_of_earlier_days_by_date_only(
    qtbot: QtBot, service: CounterService, history: dict[str, dt.date]
) -> None:
    service.sign_in("1001", "1234")
    dialog = _dialog(qtbot, service)
    cells = _cells(dialog)
    assert [c[0] for c in cells] == [
        history["yesterday"].isoformat(),
        history["before"].isoformat(),
    ]
    assert [r.txn for r in dialog.ratings] == ["mine", "older"]  # not today's, not others'
    assert all(":" not in text for row in cells for text in row)  # never the minute
    assert cells[0][2].startswith("1 ") and cells[1][2].startswith("2 ")
    assert {c[3] for c in cells} == {dialog.tr("Not appealed")}
    width, height = SIZE
    assert width <= 800 and height <= 600 and dialog.width() <= 800


def test_the_clerk_appeals_by_keyboard_once(
    qtbot: QtBot, service: CounterService, history: dict[str, dt.date]
) -> None:
    service.sign_in("1001", "1234")
    dialog = _dialog(qtbot, service)
    assert dialog.selected() is not None and dialog.selected().txn == "mine"  # type: ignore[union-attr]
    assert not dialog.appeal_button.isEnabled()  # no reason preselected
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)  # the older one
    assert dialog.selected().txn == "older"  # type: ignore[union-attr]
    qtbot.keyClick(dialog.table, Qt.Key.Key_Up)
    dialog.reason.setFocus()
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Down)  # system fault
    assert dialog.reason.currentData() == "system_fault"
    qtbot.keyClicks(dialog.note, "queue system froze")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    assert _kinds(service, events.RATING_APPEALED) == [
        {"txn": "mine", "staff": "1001", "reason": "system_fault", "note": "queue system froze"}
    ]
    assert _cells(dialog)[0][3] == dialog.tr("Appealed, waiting for a manager")
    dialog.table.selectRow(0)
    assert not dialog.appeal_button.isEnabled()  # once
    with pytest.raises(AppealRefused):
        service.appeal("mine", "other", "again")
    with pytest.raises(AppealRefused):  # nor someone else's, nor today's
        service.appeal("theirs", "system_fault")
    with pytest.raises(AppealRefused):
        service.appeal("today", "system_fault")
    assert len(_kinds(service, events.RATING_APPEALED)) == 1


def test_other_with_no_note_is_refused_with_a_message(
    qtbot: QtBot, service: CounterService, history: dict[str, dt.date]
) -> None:
    service.sign_in("1001", "1234")
    dialog = _dialog(qtbot, service)
    dialog.reason.setCurrentIndex(dialog.reason.findData("other"))
    assert not dialog.appeal()
    assert "other" in dialog.message.text() or "其他" in dialog.message.text()
    assert _kinds(service, events.RATING_APPEALED) == []


def test_f12_opens_my_ratings_only_while_idle(
    qtbot: QtBot,
    service: CounterService,
    history: dict[str, dt.date],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(
        "counter_app.ui.staff_window.show_my_ratings",
        lambda counter, parent: opened.append(counter.state.staff.number),
    )
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    page = app.staff_window.counter_page
    app.staff_window.sign_in_page.number.setText("1001")
    app.staff_window.sign_in_page.pin.setText("1234")
    app.staff_window.sign_in_page.sign_in()
    assert page.my_ratings_button.isVisible() and page.my_ratings_button.isEnabled()
    press(qtbot, app.staff_window, Qt.Key.Key_F12)
    assert opened == ["1001"]
    app.controller.start_transaction()
    assert not page.my_ratings_button.isEnabled()  # a customer is at the counter
    press(qtbot, app.staff_window, Qt.Key.Key_F12)
    assert opened == ["1001"]


def _appeal_view(qtbot: QtBot, service: CounterService, manager: str) -> ManagerView:
    view = ManagerView(service.manager(manager), today=periods.today(service.config.time_zone))
    qtbot.addWidget(view)
    view.show()
    tab = view.review_tab
    tab.kind.setCurrentIndex(tab.kind.findData("appeals"))
    return view


def test_a_manager_other_than_the_appellant_decides(
    qtbot: QtBot, service: CounterService, history: dict[str, dt.date]
) -> None:
    service.sign_in("1001", "1234")
    service.appeal("mine", "customer_misunderstood", "客户按错")
    service.sign_out()
    view = _appeal_view(qtbot, service, "9002")
    tab = view.review_tab
    assert [row.txn for row in tab.model.rows] == ["mine"]
    assert tab.select_txn("mine")
    assert tab.appeal_box.isVisible() and tab.appeal_box.isEnabled()
    assert "客户按错" in tab.appeal_text.text()
    assert not tab.appeal_button.isEnabled()  # nothing preselected
    tab.appeal_decision.setCurrentIndex(tab.appeal_decision.findData(False))
    assert not tab.record_appeal_decision()  # a rejection says why
    tab.appeal_decision.setCurrentIndex(tab.appeal_decision.findData(True))
    tab.appeal_note.setText("查监控属实")
    qtbot.mouseClick(tab.appeal_button, Qt.MouseButton.LeftButton)
    assert _kinds(service, events.APPEAL_DECIDED) == [
        {"txn": "mine", "upheld": True, "by": "9002", "note": "查监控属实"}
    ]
    assert not tab.appeal_box.isEnabled()  # decided once
    row = tab.current_row()
    assert row is not None and not row.appeal_open
    # the rating stays in the log and the table; the figures leave it out, counted apart
    assert service.store.transaction("mine")["rating"] == 1  # type: ignore[index]
    month = history["yesterday"].strftime("%Y-%m")
    report = service.manager().data.month_report(month)
    mine = next(s for s in report.staff if s.staff == "1001")
    assert mine.upheld_appeals == 1
    assert mine.rated == (2 if history["before"].strftime("%Y-%m") == month else 1) + (
        1 if history["today"].strftime("%Y-%m") == month else 0
    )
    kpis = service.manager().data.kpi_report(history["yesterday"], history["yesterday"]).kpis
    assert (kpis.upheld_appeals, kpis.rated) == (1, 3)  # good, theirs, boss
    # shown apart in the KPI tab and the monthly summary
    view.set_filters(start=history["yesterday"], end=history["yesterday"])
    view.kpi_tab.load(view.filters())
    assert view.kpi_tab.note.text().endswith(": 1.") or "：1。" in view.kpi_tab.note.text()
    view.summary_tab.set_months([month], month)
    view.summary_tab.load()
    table = view.summary_tab.table
    column = next(
        j
        for j in range(table.columnCount())
        if table.horizontalHeaderItem(j).text().replace("\n", " ")
        == view.summary_tab.tr("Upheld appeals")
    )
    clerk = next(i for i in range(table.rowCount()) if "1001" in table.item(i, 0).text())
    assert table.item(clerk, column).text() == "1"


def test_the_appellant_manager_cannot_decide_their_own_appeal(
    qtbot: QtBot, service: CounterService, history: dict[str, dt.date]
) -> None:
    service.sign_in("9001", "999999")
    service.appeal("boss", "wrong_counter")
    service.sign_out()
    view = _appeal_view(qtbot, service, "9001")
    tab = view.review_tab
    assert tab.select_txn("boss")
    assert tab.appeal_box.isVisible() and not tab.appeal_box.isEnabled()
    tab.appeal_decision.setCurrentIndex(tab.appeal_decision.findData(True))
    assert not tab.record_appeal_decision()
    with pytest.raises(InvalidDecision):
        view.ctx.desk.decide_appeal("boss", upheld=True, note="")
    with pytest.raises(events.InvalidEvent, match="another decides"):  # nor past the desk
        service.store.append(
            [
                Draft(
                    events.APPEAL_DECIDED, {"txn": "boss", "upheld": True, "by": "9001", "note": ""}
                )
            ]
        )
    assert _kinds(service, events.APPEAL_DECIDED) == []
    # another manager can
    service.manager("9002").desk.decide_appeal("boss", upheld=False, note="评价属实")
    assert appeals.state_of(service.store.appeal("boss")) == appeals.REJECTED
