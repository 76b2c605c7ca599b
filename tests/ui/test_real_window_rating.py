"""Only the customer rates: the app in real windows under Xvfb with a window manager, keys
sent to whichever window has the keyboard focus, as a keyboard sends them."""

from __future__ import annotations

import time

from tests.helpers.xdisplay import CounterProcess, XDisplay, wait_until


def sign_in(app: CounterProcess, x: XDisplay, number: str = "1001", pin: str = "1234") -> None:
    wait_until(lambda: app.focused() == "staff", 15, "the staff window to have the focus")
    x.type(number)
    x.key("Return")
    x.type(pin)
    x.key("Return")
    wait_until(lambda: app.events("signed_in"), 10, "the sign-in to be recorded")


def test_a_digit_typed_on_the_staff_keyboard_after_done_never_rates(
    counter_process: CounterProcess, x_display: XDisplay
) -> None:
    app = counter_process.start()
    app.wait_for_windows()
    sign_in(app, x_display)
    x_display.key("F1")
    wait_until(lambda: app.events("started"), 10, "Start (F1) to be recorded")
    time.sleep(0.5)
    x_display.key("F2")
    wait_until(lambda: app.events("completed"), 10, "Done (F2) to be recorded")
    time.sleep(1.0)  # the rating page is up; whatever window would take the focus has it
    assert app.focused() == "staff"
    x_display.key("3")
    time.sleep(1.0)
    assert app.events("rated") == []
    # and the clerk's next F1 still reaches the staff window
    assert app.focused() == "staff"
