"""The staff window during the rating window, after overtime, void and no rating; its overtime
reasons' keys; its minimum size."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from counter_app.config import Config
from counter_app.ui.app import CounterApp, install_translator
from counter_app.ui.staff_window import MINIMUM_SIZE
from counter_core.transaction import Phase
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.ui.test_translations import translated

#: the UI in a language for a block, the default QLocale put back after
in_language = contextlib.contextmanager(translated)


def shown(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    """Both windows of `service` shown, in the language whose translator is installed now."""
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app


@pytest.fixture
def counter(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    return shown(qtbot, service)


def press(qtbot, widget, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    window = widget.window()
    if QApplication.activeWindow() is not window:
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, key)


def signed_in(counter: CounterApp) -> None:
    page = counter.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("1234")
    page.sign_in()
    assert counter.controller.state.staff is not None


def visible_state(counter: CounterApp) -> tuple[object, ...]:
    """All the staff window shows: every visible label's text, every button's text and enabled
    state, and the hourglass's digits and caption."""
    window = counter.staff_window
    labels = tuple((w.objectName(), w.text()) for w in window.findChildren(QLabel)
                   if w.isVisibleTo(window))
    buttons = tuple((w.text(), w.isEnabled(), w.isChecked())
                    for w in window.findChildren(QPushButton) if w.isVisibleTo(window))
    glass = window.counter_page.hourglass
    return labels, buttons, glass.digits, glass.caption, glass.overtime


def trace_for(qtbot, counter: CounterApp, clock: FakeClock, value: int) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    signed_in(counter)
    counter.controller.start_transaction()
    clock.advance(40)
    counter.controller.complete_transaction()
    trace = [visible_state(counter)]
    clock.advance(2)
    counter.controller.ticked.emit()
    trace.append(visible_state(counter))
    counter.customer_screen.press_rating(value)
    for _ in range(70):  # every half second until well after the window
        counter.controller.ticked.emit()
        counter.controller.poll()
        trace.append(visible_state(counter))
        clock.advance(0.5)
    return trace


def test_a_poor_and_a_good_rating_look_the_same_on_the_staff_window(
    qtbot, demo_config: Config, tmp_path: Path
) -> None:
    traces = {}
    for value in (1, 5):
        clock = FakeClock()
        service = CounterService(demo_config, tmp_path / str(value), clock=clock)
        try:
            app = CounterApp(service)
            qtbot.addWidget(app.staff_window)
            qtbot.addWidget(app.customer_screen)
            app.show()
            traces[value] = trace_for(qtbot, app, clock, value)
            rated = list(service.db.query("SELECT rating FROM transactions"))
            assert rated == [{"rating": value}]
            app.staff_window.hide()
            app.customer_screen.hide()
        finally:
            service.close()
    assert traces[1] == traces[5]
    assert any("Waiting for the customer" in str(state) for state in traces[1])


@pytest.mark.parametrize("value", [1, 5])
def test_f1_during_the_rating_window_does_nothing(
    qtbot, counter: CounterApp, service: CounterService, clock: FakeClock, value: int
) -> None:
    signed_in(counter)
    counter.controller.start_transaction()
    clock.advance(30)
    counter.controller.complete_transaction()
    counter.customer_screen.press_rating(value)
    page = counter.staff_window.counter_page
    clock.advance(10)
    counter.controller.ticked.emit()
    before = visible_state(counter)
    press(qtbot, counter.staff_window, Qt.Key.Key_F1)
    assert service.state.phase is Phase.IDLE
    assert not page.start_button.isEnabled() and not page.sign_out_button.isEnabled()
    assert page.status.text() == "Waiting for the customer (20 s)"
    assert visible_state(counter) == before  # not even a message
    clock.advance(20.1)
    counter.controller.poll()
    press(qtbot, counter.staff_window, Qt.Key.Key_F1)
    assert service.state.phase is Phase.SERVING


def test_overtime_shows_overtime_and_total_apart(
    qtbot, counter: CounterApp, clock: FakeClock
) -> None:
    signed_in(counter)
    counter.controller.start_transaction()
    clock.advance(193)
    counter.controller.complete_transaction()
    page = counter.staff_window.counter_page
    assert page.hourglass.overtime
    assert page.hourglass.digits == "+00:13"
    assert page.total.text() == "Total 03:13"


def test_not_rated_and_voided_are_shown_briefly(
    qtbot, counter: CounterApp, clock: FakeClock
) -> None:
    signed_in(counter)
    page = counter.staff_window.counter_page
    counter.controller.start_transaction()
    clock.advance(3)
    counter.controller.void_transaction()
    assert page.outcome.isVisible() and page.outcome.text() == "Voided"
    clock.advance(5.1)
    counter.controller.poll()
    assert not page.outcome.isVisible()

    counter.controller.start_transaction()
    clock.advance(30)
    counter.controller.complete_transaction()
    clock.advance(29)
    counter.controller.poll()
    assert not page.outcome.isVisible()
    clock.advance(1.1)
    counter.controller.poll()
    assert page.outcome.isVisible() and page.outcome.text() == "Not rated"
    clock.advance(5.1)
    counter.controller.poll()
    assert not page.outcome.isVisible()


def test_overtime_reasons_have_keys_a_keypad_cannot_send(
    qtbot, counter: CounterApp, service: CounterService, clock: FakeClock
) -> None:
    signed_in(counter)
    counter.controller.start_transaction()
    clock.advance(200)
    counter.controller.complete_transaction()
    page = counter.staff_window.counter_page
    assert page.reasons.isVisible()
    assert [b.text().rsplit("(", 1)[1] for b in page.reason_buttons.values()] == [
        "F5)", "F6)", "F7)", "F8)", "F9)"]
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_Return, Qt.Key.Key_Plus):
        press(qtbot, counter.staff_window, key)  # a keypad's keys: nothing happens
    assert service.state.overtime_reason_for is not None
    clock.advance(1.0)
    press(qtbot, counter.staff_window, Qt.Key.Key_F6)  # "system"
    reasons = list(service.db.query("SELECT overtime_reason FROM transactions"))
    assert reasons == [{"overtime_reason": "system"}]
    assert not page.reasons.isVisible()


def test_an_overtime_reason_within_a_second_of_the_prompt_is_ignored(
    qtbot, counter: CounterApp, service: CounterService, clock: FakeClock
) -> None:
    """The prompt follows the Done press: a key (or click) within a second of it is a repeat
    under the PressGate rule, as on the customer's one-press pages."""
    signed_in(counter)
    page = counter.staff_window.counter_page
    counter.controller.start_transaction()
    clock.advance(200)
    press(qtbot, counter.staff_window, Qt.Key.Key_F2)
    clock.advance(0.4)
    press(qtbot, counter.staff_window, Qt.Key.Key_F5)
    page.reason_buttons["other"].click()
    assert service.state.overtime_reason_for is not None and page.reasons.isVisible()
    clock.advance(0.7)
    press(qtbot, counter.staff_window, Qt.Key.Key_F7)  # "documents"
    press(qtbot, counter.staff_window, Qt.Key.Key_F9)  # a bounce: the prompt is gone
    got = [r["overtime_reason"]
           for r in service.db.query("SELECT overtime_reason FROM transactions")]
    assert got == ["documents"]


def test_the_minimum_size_keeps_the_type_list(qtbot, counter: CounterApp) -> None:
    signed_in(counter)
    window = counter.staff_window
    window.resize(500, 350)
    qtbot.wait(50)
    assert window.width() >= MINIMUM_SIZE[0] and window.height() >= MINIMUM_SIZE[1]
    for button in window.counter_page.type_buttons.values():
        assert button.isVisible()
        assert button.height() >= button.minimumSizeHint().height()
        assert button.width() >= button.fontMetrics().horizontalAdvance(button.text())


def test_a_disabled_clerk_is_told_so_in_the_ui_language_and_a_wrong_pin_is_not(
    qapp, counter: CounterApp, service: CounterService  # type: ignore[no-untyped-def]
) -> None:
    service.staff.disable("1001", by="9001")
    previous = QLocale()
    translators = install_translator(qapp, "zh_CN")
    assert translators
    try:
        page = counter.staff_window.sign_in_page
        page.number.setText("1001")
        page.pin.setText("0000")
        page.sign_in()
        assert page.error.text() == "工号不存在或密码错误"  # as for any wrong PIN
        page.pin.setText("1234")
        page.sign_in()
        assert page.error.text() == "此账号已停用"
        assert counter.controller.state.staff is None
    finally:
        for translator in translators:
            qapp.removeTranslator(translator)
        QLocale.setDefault(previous)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("who", [("1001", "1234"), ("9001", "999999")])
def test_at_its_least_size_every_header_button_is_whole(
    qtbot, qapp: QApplication, service: CounterService, language: str, who: tuple[str, str]
) -> None:
    """In English the buttons were cut to "igures (Shift+F" and "y ratings (F12" at 900×600:
    the counter's name beside them gives way (elided, whole in its tooltip)."""
    with in_language(qapp, language):  # before the windows, as at a start
        counter = shown(qtbot, service)
        window = counter.staff_window
        page = window.sign_in_page
        page.number.setText(who[0])
        page.pin.setText(who[1])
        page.sign_in()
        window.resize(*MINIMUM_SIZE)
        qtbot.wait(20)
        assert window.minimumSizeHint().width() <= MINIMUM_SIZE[0], window.minimumSizeHint()
        counter_page = window.counter_page
        for button in (counter_page.my_figures_button, counter_page.my_ratings_button,
                       counter_page.sign_out_button, counter_page.close_button):
            assert button.isVisible() and button.width() >= button.sizeHint().width(), \
                button.text()
        where = counter_page.where
        assert where.toolTip() == (where.text() if where.elided() else "")
        assert (language == "en") == ("My figures" in counter_page.my_figures_button.text())


def _overtime_prompt(counter: CounterApp, clock: FakeClock) -> None:
    counter.controller.start_transaction()
    clock.advance(200)
    counter.controller.complete_transaction()


def _voided(counter: CounterApp, clock: FakeClock) -> None:
    counter.controller.start_transaction()
    clock.advance(3)
    counter.controller.void_transaction()


def _not_rated(counter: CounterApp, clock: FakeClock) -> None:
    counter.controller.start_transaction()
    clock.advance(30)
    counter.controller.complete_transaction()
    clock.advance(30.1)
    counter.controller.poll()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("state", [_overtime_prompt, _voided, _not_rated])
def test_at_the_least_size_no_state_squashes_a_button(
    qtbot, qapp: QApplication, service: CounterService, clock: FakeClock, language: str,
    state: Callable[[CounterApp, FakeClock], None],
) -> None:
    """The overtime prompt across the whole window under both columns, and "Voided" / "Not
    rated" in the right column, took the height the type list and the buttons need: at
    900×600 the type buttons were squashed, in the prompt into empty slivers."""
    with in_language(qapp, language):  # before the windows, as at a start
        counter = shown(qtbot, service)
        signed_in(counter)
        window = counter.staff_window
        window.resize(*MINIMUM_SIZE)
        state(counter, clock)
        qtbot.wait(20)
        page = window.counter_page
        assert page.reasons.isVisible() or page.outcome.isVisible()
        assert window.minimumSizeHint().height() <= MINIMUM_SIZE[1], window.minimumSizeHint()
        buttons = [*page.type_buttons.values(), page.start_button, page.done_button,
                   page.next_button, page.void_button, page.away_button]
        if page.reasons.isVisible():
            buttons += page.reason_buttons.values()
        for button in buttons:
            assert button.isVisible(), button.text()
            assert button.height() >= button.minimumSizeHint().height(), button.text()
            assert button.width() >= button.fontMetrics().horizontalAdvance(button.text())


@pytest.mark.parametrize("size", [(1100, 700), MINIMUM_SIZE])
def test_the_sign_in_title_shows_the_whole_hall_name(
    qtbot, service: CounterService, size: tuple[int, int]
) -> None:
    """On one line, "Counter 03 · Huaihai Road Flagship" was cut to "…Road F" at every size:
    the first screen a clerk sees."""
    service.config = dataclasses.replace(service.config, language="en")  # the English name
    counter = shown(qtbot, service)
    window = counter.staff_window
    window.resize(*size)
    qtbot.wait(20)
    title = window.sign_in_page.title
    assert "Huaihai Road Flagship" in title.text()
    assert title.isVisible()
    words = title.text().split()
    widest = max(title.fontMetrics().horizontalAdvance(word) for word in words)
    assert title.wordWrap() and widest <= title.contentsRect().width()
    assert title.height() >= title.heightForWidth(title.width())
