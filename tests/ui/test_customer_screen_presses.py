"""Only the customer rates, once, with what the counter allows: presses on the customer screen.

A keypad is a `FakeKeypad` (the app's `KeypadSource` for tests); the staff keyboard is a key
sent to whatever widget has the focus; touch is a QTest touch device; bounces are presses
80 ms apart on the test clock.
"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPointingDevice
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from counter_app.rating_input import RatingInputs
from counter_app.ui.app import CounterApp
from counter_app.ui.rating_sources import FakeKeypad
from counter_core.presses import ARMING_S, REPEAT_S
from counter_core.ratings import POOR_RATING_REASONS
from counter_core.transaction import CustomerView
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

BOUNCE_S = 0.08


def build(qtbot, service: CounterService, **inputs: object) -> tuple[CounterApp, FakeKeypad]:  # type: ignore[no-untyped-def]
    if inputs:
        service.config = dataclasses.replace(
            service.config, rating_inputs=dataclasses.replace(service.config.rating_inputs,
                                                              **inputs))
    keypad = FakeKeypad()
    app = CounterApp(service, keypad=keypad)
    app.staff_window.confirm_quit_while_running = lambda: True
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app, keypad


def served(app: CounterApp, clock: FakeClock) -> None:
    app.controller.sign_in("1001", "1234")
    app.controller.start_transaction()
    clock.advance(30)
    app.controller.complete_transaction()
    assert app.controller.customer_view is CustomerView.RATING


def last_row(service: CounterService) -> dict:  # type: ignore[type-arg]
    return list(service.db.query("SELECT * FROM transactions ORDER BY started_seq"))[-1]


@pytest.mark.parametrize("value", [1, 2])  # the second press would be "slow", "attitude"
def test_a_bouncing_key_records_the_rating_and_no_reason(qtbot, service, clock, value) -> None:  # type: ignore[no-untyped-def]
    assert POOR_RATING_REASONS[value - 1].code == ("slow", "attitude")[value - 1]
    app, keypad = build(qtbot, service)
    served(app, clock)
    keypad.press(value)
    clock.advance(BOUNCE_S)
    keypad.press(value)
    row = last_row(service)
    assert (row["rating"], row["rating_reason"]) == (value, None)
    assert app.controller.customer_view is CustomerView.REASON
    # the same through the buttons: the reason button is not even enabled yet
    app.customer_screen.reason_buttons[value - 1].click()
    assert last_row(service)["rating_reason"] is None


def test_the_reasons_page_arms_visibly_then_takes_one_press(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, keypad = build(qtbot, service)
    screen = app.customer_screen
    served(app, clock)
    keypad.press(2)
    assert screen.stack.currentWidget() is screen.reason_page
    assert not any(b.isEnabled() for b in screen.reason_buttons)
    assert all("qlineargradient" in b.styleSheet() for b in screen.reason_buttons)
    assert "One moment" in screen.reason_hint.text()
    clock.advance(ARMING_S / 2)
    screen.update_arming()
    assert not any(b.isEnabled() for b in screen.reason_buttons)
    clock.advance(ARMING_S / 2)
    screen.update_arming()
    assert all(b.isEnabled() for b in screen.reason_buttons)
    assert "Choose one reason" in screen.reason_hint.text()
    screen.reason_buttons[1].click()
    assert last_row(service)["rating_reason"] == "attitude"


def test_a_repeat_within_a_second_is_ignored_on_the_rating_page(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, keypad = build(qtbot, service)
    app.controller.sign_in("1001", "1234")
    app.controller.start_transaction()
    clock.advance(30)
    keypad.press(5)  # a press on the hourglass page a moment before the rating page...
    clock.advance(0.3)
    app.controller.complete_transaction()
    assert app.controller.customer_view is CustomerView.RATING
    assert last_row(service)["rating"] is None  # ...rated nothing (nothing to rate yet)
    keypad.press(4)  # within REPEAT_S of that press: the same finger, not a choice
    assert last_row(service)["rating"] is None
    clock.advance(REPEAT_S)
    keypad.press(4)
    assert last_row(service)["rating"] == 4


def test_a_keypad_digit_rates_while_the_staff_window_has_the_focus(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, keypad = build(qtbot, service)
    served(app, clock)
    app.staff_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.staff_window, timeout=2000)
    keypad.press(4)
    assert last_row(service)["rating"] == 4


def test_a_digit_typed_on_the_staff_keyboard_never_rates(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service)
    app.staff_window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.staff_window, timeout=2000)
    served(app, clock)
    qtbot.wait(50)
    assert QApplication.activeWindow() is app.staff_window  # the rating page took nothing
    for key in (Qt.Key.Key_3, Qt.Key.Key_5):
        qtbot.keyClick(QApplication.focusWidget() or app.staff_window, key)
    assert last_row(service)["rating"] is None


def test_the_customer_window_never_takes_the_focus(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service)
    screen = app.customer_screen
    assert screen.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    assert screen.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert all(w.focusPolicy() == Qt.FocusPolicy.NoFocus for w in screen.findChildren(QWidget))


def test_number_keys_rate_only_when_keys_are_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("touch", "keypad"))
    served(app, clock)
    qtbot.keyClick(app.customer_screen, Qt.Key.Key_3)  # as if a window manager forced focus
    assert last_row(service)["rating"] is None


def test_number_keys_on_the_customer_window_rate_when_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("keys",))
    served(app, clock)
    qtbot.keyClick(app.customer_screen, Qt.Key.Key_3)
    assert last_row(service)["rating"] == 3


def test_mouse_clicks_rate_only_when_the_mouse_is_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("touch", "keypad"))
    served(app, clock)
    button = app.customer_screen.rating_buttons[5]
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert last_row(service)["rating"] is None


def test_mouse_clicks_rate_when_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("mouse",))
    served(app, clock)
    QTest.mouseClick(app.customer_screen.rating_buttons[5], Qt.MouseButton.LeftButton)
    assert last_row(service)["rating"] == 5


def test_a_touch_rates_where_only_touch_is_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("touch",))
    screen = app.customer_screen
    served(app, clock)
    qtbot.waitExposed(screen)
    screen.move(0, 0)  # QTest's touch points are clipped to the (800×800 offscreen) screen
    qtbot.wait(20)
    device: QPointingDevice = QTest.createTouchDevice()
    button = screen.rating_buttons[4]
    centre = button.mapTo(screen, button.rect().center())
    QTest.touchEvent(screen, device).press(0, centre).commit()
    QTest.touchEvent(screen, device).release(0, centre).commit()
    qtbot.waitUntil(lambda: last_row(service)["rating"] == 4, timeout=2000)


def test_a_keypad_that_cannot_be_opened_is_shown_and_the_app_still_starts(
    qtbot, service, clock  # type: ignore[no-untyped-def]
) -> None:
    service.config = dataclasses.replace(
        service.config, rating_inputs=RatingInputs(("touch", "keypad"), "No Such Keypad"))
    app = CounterApp(service)
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    assert app.keypad is None
    served(app, clock)  # the counter works without it; the clerk's page says what is wrong
    banner = app.staff_window.counter_page.banner
    assert banner.isVisibleTo(app.staff_window)
    assert "rating keypad" in banner.text() and "cannot be used" in banner.text()
    assert "evdev" in banner.text() or "No Such Keypad" in banner.text()


def test_keypad_digits_choose_reasons_in_order(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, keypad = build(qtbot, service)
    served(app, clock)
    keypad.press(1)
    clock.advance(ARMING_S)
    keypad.press(3)
    assert last_row(service)["rating_reason"] == POOR_RATING_REASONS[2].code


def test_a_touch_does_not_rate_where_only_the_mouse_is_allowed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app, _keypad = build(qtbot, service, sources=("mouse",))
    screen = app.customer_screen
    served(app, clock)
    qtbot.waitExposed(screen)
    screen.move(0, 0)
    qtbot.wait(20)
    device: QPointingDevice = QTest.createTouchDevice()
    button = screen.rating_buttons[4]
    centre = button.mapTo(screen, button.rect().center())
    QTest.touchEvent(screen, device).press(0, centre).commit()
    QTest.touchEvent(screen, device).release(0, centre).commit()
    qtbot.wait(50)
    assert last_row(service)["rating"] is None
