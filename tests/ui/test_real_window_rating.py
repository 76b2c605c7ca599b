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


def test_the_staff_window_keeps_the_focus_through_a_whole_transaction(
    counter_process: CounterProcess, x_display: XDisplay
) -> None:
    app = counter_process.start()
    app.wait_for_windows()
    sign_in(app, x_display)
    for key, kind in (("F1", "started"), ("F3", "type_changed"), ("F2", "completed")):
        before = len(app.events(kind))
        x_display.key(key)
        wait_until(lambda k=kind, n=before: len(app.events(k)) > n, 10, f"{key} to be recorded")
        time.sleep(0.5)
        assert app.focused() == "staff", f"after {key}"
    # the rating page, then (after the fixed rating window) the sign again
    wait_until(lambda: app.events("rating_timed_out"), 40, "the rating window (30 s) to close")
    assert app.focused() == "staff"
    x_display.key("F1")  # the next customer: the clerk's key still reaches the staff window
    wait_until(lambda: len(app.events("started")) == 2, 10, "the second Start")
    assert app.events("rated") == []


def test_the_customer_window_is_not_over_the_staff_window(
    counter_process: CounterProcess, x_display: XDisplay
) -> None:
    app = counter_process.start()
    staff_id, customer_id = app.wait_for_windows()
    time.sleep(0.5)
    staff = x_display.geometry(x_display.run("xdotool", "getwindowname", staff_id))
    customer = x_display.geometry(x_display.run("xdotool", "getwindowname", customer_id))
    assert staff is not None and customer is not None
    sx, sy, sw, sh = staff
    cx, cy, cw, ch = customer
    apart = cx >= sx + sw or cx + cw <= sx or cy >= sy + sh or cy + ch <= sy
    assert apart, f"staff {staff}, customer {customer}"


def test_a_click_on_a_rating_button_records_it_where_the_mouse_may_rate(
    counter_process: CounterProcess, x_display: XDisplay
) -> None:
    """The demo configuration allows `mouse`: one PC, a mouse, a customer window."""
    app = counter_process.start()
    _staff_id, customer_id = app.wait_for_windows()
    sign_in(app, x_display)
    x_display.key("F1")
    wait_until(lambda: app.events("started"), 10, "Start (F1) to be recorded")
    time.sleep(0.3)
    x_display.key("F2")
    wait_until(lambda: app.events("completed"), 10, "Done (F2) to be recorded")
    time.sleep(1.2)  # past the repeat time of the press rule
    title = x_display.run("xdotool", "getwindowname", customer_id)
    geometry = x_display.geometry(title)
    assert geometry is not None
    _x, _y, width, height = geometry
    # five equal buttons across the middle, 5 on the left: the second one is 4
    x_display.click(customer_id, int(width * 0.3), int(height * 0.5))
    rated = wait_until(lambda: app.events("rated"), 10, "the click to be recorded as a rating")
    assert [e["rating"] for e in rated] == [4]
    assert app.focused() == "staff"  # clicking it did not take the keyboard either
