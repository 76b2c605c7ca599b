"""Back soon (暂离) on the staff window and the customer screen: F10 and the button, the
return-time dialog by keyboard, Start refused while away, the events and the presence."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from counter_app.ui.app import CounterApp
from counter_app.ui.staff_window import BackSoonDialog, back_at_clock, back_at_in
from counter_core import events
from counter_core.periods import local_hhmm, zone
from tests.helpers.counter import CounterService

BACK_AT = "2026-12-03T02:45:00.000Z"


class PickedDialog:
    """Stands in for the dialog: the clerk picked BACK_AT."""

    back_at = BACK_AT

    def exec(self) -> QDialog.DialogCode:
        return QDialog.DialogCode.Accepted


@pytest.fixture
def counter(qtbot: QtBot, service: CounterService) -> CounterApp:
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    page = app.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("1234")
    page.sign_in()
    assert app.controller.state.staff is not None
    return app


def press_f10(qtbot: QtBot, counter: CounterApp) -> None:
    window = counter.staff_window
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F10)


def test_f10_steps_away_and_back_with_the_events_and_the_presence(
    qtbot: QtBot, counter: CounterApp, service: CounterService
) -> None:
    page = counter.staff_window.counter_page
    page.back_soon_dialog = PickedDialog  # type: ignore[assignment,method-assign]
    assert page.away_button.text() == "Back soon  (F10)" and page.away_button.isEnabled()
    press_f10(qtbot, counter)
    at = local_hhmm(BACK_AT, zone(service.config.time_zone))
    assert counter.controller.state.away is not None
    assert page.status.text() == f"Back soon · back at {at}"
    assert not page.start_button.isEnabled()
    assert page.away_button.text() == "I'm back  (F10)"
    # the customer sees when the clerk will be back, in both languages
    promise = counter.customer_screen.sign_promise
    assert promise.source_text() == f"暂离 · {at} 回来\nBack soon · back at {at}"
    presence = service.presence()
    assert presence.phase == "away" and presence.back_at == BACK_AT
    # F1 does nothing while away
    qtbot.keyClick(QApplication.focusWidget() or counter.staff_window, Qt.Key.Key_F1)
    assert counter.controller.state.running is None
    press_f10(qtbot, counter)  # I'm back
    assert counter.controller.state.away is None and page.start_button.isEnabled()
    assert service.presence().phase == "idle"
    kinds = [e.kind for e in service.store.events()]
    assert kinds[-2:] == [events.AWAY_STARTED, events.AWAY_ENDED]


def test_the_button_is_off_while_serving_and_cancel_changes_nothing(
    qtbot: QtBot, counter: CounterApp, service: CounterService
) -> None:
    page = counter.staff_window.counter_page
    counter.controller.start_transaction()
    assert not page.away_button.isEnabled()
    counter.controller.void_transaction()
    assert page.away_button.isEnabled()

    class Cancelled(PickedDialog):
        def exec(self) -> QDialog.DialogCode:
            return QDialog.DialogCode.Rejected

    page.back_soon_dialog = Cancelled  # type: ignore[assignment,method-assign]
    page.away_button.click()
    assert counter.controller.state.away is None
    assert events.AWAY_STARTED not in [e.kind for e in service.store.events()]


def test_the_dialog_is_keyboard_operable(qtbot: QtBot) -> None:
    dialog = BackSoonDialog("Asia/Shanghai")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dt.datetime.now(dt.UTC)
    qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_2)  # in 10 min
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.back_at is not None
    picked = dt.datetime.fromisoformat(dialog.back_at.replace("Z", "+00:00"))
    assert (
        dt.timedelta(minutes=9, seconds=59) < picked - before < dt.timedelta(minutes=10, seconds=5)
    )
    assert [b.text() for b in dialog.minute_buttons] == [
        "In 5 min  (1)",
        "In 10 min  (2)",
        "In 15 min  (3)",
        "In 30 min  (4)",
    ]


def test_a_time_in_the_past_is_refused_with_a_message(qtbot: QtBot) -> None:
    dialog = BackSoonDialog("Asia/Shanghai")
    qtbot.addWidget(dialog)
    dialog.show()
    now = dt.datetime.now(zone("Asia/Shanghai")) - dt.timedelta(minutes=2)
    dialog.time_edit.setTime(QTime(now.hour, now.minute))
    qtbot.keyClick(dialog.time_edit, Qt.Key.Key_Return)
    assert dialog.back_at is None and "later than now" in dialog.error.text()
    assert dialog.isVisible()


def test_return_times_are_utc_record_times() -> None:
    now = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)  # 10:30 in Shanghai
    assert back_at_in(15, now) == "2026-12-03T02:45:00.000Z"
    assert back_at_clock(dt.time(10, 45), "Asia/Shanghai", now) == "2026-12-03T02:45:00.000Z"
    assert back_at_clock(dt.time(10, 0), "Asia/Shanghai", now) is None
    assert (
        events.validate_payload(events.AWAY_STARTED, {"staff": "1", "back_at": back_at_in(5, now)})
        is None
    )
