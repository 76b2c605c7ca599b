"""Both windows driven through a whole transaction lifecycle, with the clock moved by hand."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from counter_app import paths
from counter_app.cli import main
from counter_app.storage import db as db_module
from counter_app.ui.app import CounterApp
from counter_core.presses import ARMING_S
from counter_core.transaction import CustomerView, Phase
from tests.conftest import FakeClock
from tests.helpers.counter import CounterService


@pytest.fixture
def counter(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # no modal dialog at teardown
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app


def sign_in(qtbot, counter: CounterApp, number: str = "1001", pin: str = "1234") -> None:  # type: ignore[no-untyped-def]
    page = counter.staff_window.sign_in_page
    page.number.clear()
    qtbot.keyClicks(page.number, number)
    qtbot.keyClick(page.number, Qt.Key.Key_Return)
    qtbot.keyClicks(page.pin, pin)
    qtbot.keyClick(page.pin, Qt.Key.Key_Return)


def press(qtbot, widget, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    """A key press as the user makes it: into the active window, so shortcuts apply.

    The customer screen never takes the focus; a key for it is one that reaches it while some
    window manager has given it the focus anyway (`keys`, allowed by the demo configuration).
    """
    window = widget.window()
    if window.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus:
        qtbot.keyClick(window, key)
        return
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, key)


def rows(service: CounterService) -> list[dict]:
    return list(service.db.query("SELECT * FROM transactions ORDER BY started_seq"))


def kinds(service: CounterService) -> list[str]:
    return [r["kind"] for r in service.db.query("SELECT kind FROM events ORDER BY seq")]


def test_keyboard_only_transaction_is_recorded_with_rating(qtbot, counter, service, clock):
    staff, customer = counter.staff_window, counter.customer_screen
    assert "Counter App" in staff.windowTitle()
    assert "Customer Screen" in customer.windowTitle()
    assert customer.stack.currentWidget() is customer.closed_page

    sign_in(qtbot, counter)
    assert staff.stack.currentWidget() is staff.counter_page
    assert customer.stack.currentWidget() is customer.sign_page
    assert customer.sign_name.text() == "王芳"
    assert "1001" in customer.sign_number.text()

    press(qtbot, staff, Qt.Key.Key_F1)
    assert service.state.phase is Phase.SERVING
    assert customer.stack.currentWidget() is customer.service_page
    clock.advance(95.4)
    counter.controller.ticked.emit()
    assert customer.hourglass.digits == "01:25"  # 180 - 95.4 = 84.6 s, counted up to 85
    assert customer.hourglass.fraction == pytest.approx(95.4 / 180)

    press(qtbot, staff, Qt.Key.Key_F2)
    assert customer.stack.currentWidget() is customer.rating_page
    assert staff.counter_page.status.text() == "Waiting for the customer (30 s)"
    press(qtbot, customer, Qt.Key.Key_4)
    row = rows(service)[0]
    assert (row["status"], row["rating"], row["duration_s"]) == ("completed", 4, 95.4)
    assert customer.stack.currentWidget() is customer.thanks_page
    # the clerk sees neither the rating nor that it came in: only the fixed window's countdown
    assert staff.counter_page.status.text() == "Waiting for the customer (30 s)"
    clock.advance(5)
    counter.controller.poll()
    assert customer.stack.currentWidget() is customer.sign_page
    assert not staff.counter_page.start_button.isEnabled()
    clock.advance(25.1)
    counter.controller.poll()
    assert staff.counter_page.start_button.isEnabled()
    assert not staff.counter_page.outcome.isVisible()  # rated: no "not rated" note


def test_only_the_first_press_counts_and_none_after_the_window(qtbot, counter, service, clock):
    sign_in(qtbot, counter)
    counter.controller.start_transaction()
    clock.advance(30)
    counter.controller.complete_transaction()
    customer = counter.customer_screen
    press(qtbot, customer, Qt.Key.Key_5)
    press(qtbot, customer, Qt.Key.Key_1)
    customer.rating_buttons[3].click()
    assert rows(service)[0]["rating"] == 5
    assert kinds(service).count("rated") == 1

    clock.advance(service.config.rating_window_s + 0.1)
    counter.controller.poll()
    counter.controller.start_transaction()
    counter.controller.complete_transaction()
    clock.advance(service.config.rating_window_s + 0.1)
    press(qtbot, customer, Qt.Key.Key_5)  # the customer has gone: too late
    counter.controller.poll()
    second = rows(service)[1]
    assert (second["rating"], second["rating_status"]) == (None, "not_rated")
    assert customer.stack.currentWidget() is customer.sign_page


def test_rating_timeout_records_not_rated(qtbot, counter, service, clock):
    sign_in(qtbot, counter)
    counter.controller.start_transaction()
    counter.controller.complete_transaction()
    clock.advance(29.9)
    counter.controller.poll()
    assert counter.controller.customer_view is CustomerView.RATING
    clock.advance(0.2)
    counter.controller.poll()
    assert rows(service)[0]["rating_status"] == "not_rated"
    assert kinds(service)[-1] == "rating_timed_out"


def test_low_rating_offers_reasons(qtbot, counter, service, clock):
    sign_in(qtbot, counter)
    counter.controller.start_transaction()
    counter.controller.complete_transaction()
    customer = counter.customer_screen
    customer.rating_buttons[2].click()
    assert customer.stack.currentWidget() is customer.reason_page
    clock.advance(ARMING_S)  # the reasons page accepts presses once armed
    press(qtbot, customer, Qt.Key.Key_2)  # second reason: attitude
    row = rows(service)[0]
    assert (row["rating"], row["rating_reason"]) == (2, "attitude")
    assert customer.stack.currentWidget() is customer.thanks_page


def test_type_change_and_overtime_reason(qtbot, counter, service, clock):
    staff = counter.staff_window
    sign_in(qtbot, counter)
    press(qtbot, staff, Qt.Key.Key_F1)
    press(qtbot, staff, Qt.Key.Key_F3)  # payment → SIM card (300 s)
    assert service.state.running.type.code == "sim"
    clock.advance(301)
    counter.controller.ticked.emit()
    assert counter.customer_screen.hourglass.overtime
    assert counter.customer_screen.hourglass.digits == "+00:01"
    press(qtbot, staff, Qt.Key.Key_F2)
    assert staff.counter_page.reasons.isVisible()
    press(qtbot, staff, Qt.Key.Key_F1)  # refused until the reason is given
    assert service.state.phase is Phase.IDLE
    assert not staff.counter_page.start_button.isEnabled()
    clock.advance(1)  # the prompt accepts a press a second after the Done press
    staff.counter_page.reasons.findChildren(type(staff.counter_page.start_button))[0].click()
    row = rows(service)[0]
    assert (row["type"], row["target_s"], row["overtime_s"], row["overtime_reason"]) == (
        "sim", 300.0, 1.0, "complex")
    assert not staff.counter_page.reasons.isVisible()
    assert "type_changed" in kinds(service)


def test_void_only_within_grace(qtbot, counter, service, clock: FakeClock):
    staff = counter.staff_window
    sign_in(qtbot, counter)
    press(qtbot, staff, Qt.Key.Key_F1)
    clock.advance(10)
    assert staff.counter_page.void_button.isEnabled()
    press(qtbot, staff, Qt.Key.Key_F4)
    assert rows(service)[0]["status"] == "voided"
    press(qtbot, staff, Qt.Key.Key_F1)
    clock.advance(16)
    counter.controller.ticked.emit()
    assert not staff.counter_page.void_button.isEnabled()
    press(qtbot, staff, Qt.Key.Key_F4)
    assert service.state.phase is Phase.SERVING
    assert "Void" in staff.counter_page.message.text() or staff.counter_page.message.text()


def test_sign_out_returns_to_sign_in_and_closes_customer_screen(qtbot, counter, service):
    staff = counter.staff_window
    sign_in(qtbot, counter)
    staff.counter_page.sign_out_button.click()
    assert staff.stack.currentWidget() is staff.sign_in_page
    assert counter.customer_screen.stack.currentWidget() is counter.customer_screen.closed_page
    assert kinds(service)[-2:] == ["signed_in", "signed_out"]
    press(qtbot, staff, Qt.Key.Key_F1)  # hotkeys do nothing while signed out
    assert rows(service) == []


def test_wrong_pin_five_times_locks_the_account(qtbot, counter, service):
    page = counter.staff_window.sign_in_page
    for attempt in range(5):
        sign_in(qtbot, counter, pin="0000")
        assert service.state.staff is None, attempt
    assert "locked" in page.error.text().lower()
    sign_in(qtbot, counter, pin="1234")  # the right PIN is refused while locked
    assert service.state.staff is None
    assert "locked" in page.error.text().lower()


def test_quitting_signs_out(qtbot, counter, service):
    sign_in(qtbot, counter)
    counter.staff_window.close()
    assert kinds(service)[-1] == "signed_out"
    assert not counter.customer_screen.close()  # a customer cannot close their screen


def test_customer_screen_ignores_other_keys(qtbot, counter, service):
    sign_in(qtbot, counter)
    press(qtbot, counter.customer_screen, Qt.Key.Key_F1)
    assert service.state.phase is Phase.IDLE


def test_export_after_a_served_customer_shows_one_rated_transaction(
    qtbot, counter, service, clock, data_dir, capsys
):
    staff = counter.staff_window
    sign_in(qtbot, counter)
    press(qtbot, staff, Qt.Key.Key_F1)
    clock.advance(42.25)
    press(qtbot, staff, Qt.Key.Key_F2)
    press(qtbot, counter.customer_screen, Qt.Key.Key_5)
    capsys.readouterr()
    assert main(["export", "transactions", "--data-dir", str(data_dir)]) == 0

    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(exported) == 1
    row = exported[0]
    assert (row["status"], row["rating"], row["staff"], row["type"]) == (
        "completed", "5", "1001", "payment")
    assert abs(float(row["duration_s"]) - 42.25) <= 0.5
    assert row["started_at"].endswith("Z")


def test_a_refused_save_is_shown_and_the_screens_stay(
    qtbot, counter, service, data_dir, monkeypatch
):
    """The database refuses (another program holds its write lock): the application layer
    says NOT SAVED, the staff window shows it, nothing moves; afterwards it works again."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 100)
    sign_in(qtbot, counter)
    intruder = sqlite3.connect(paths.database_path(data_dir), isolation_level=None)
    intruder.execute("BEGIN IMMEDIATE")
    try:
        counter.controller.start_transaction()
        page = counter.staff_window.counter_page
        assert page.message.text().startswith("NOT SAVED: the database refused the record")
        assert service.state.phase is Phase.IDLE and page.start_button.isEnabled()
    finally:
        intruder.execute("ROLLBACK")
        intruder.close()
    counter.controller.start_transaction()
    assert service.state.phase is Phase.SERVING
