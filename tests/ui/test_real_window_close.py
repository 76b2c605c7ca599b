"""Closing the counter as a user (or the OS) does: the app as its own process on a real X
display, its window closed through the window manager, keys through XTEST, SIGTERM."""

from __future__ import annotations

import time

from tests.helpers.xdisplay import CounterProcess, wait_until


def signed_in(app: CounterProcess) -> str:
    staff, _customer = app.wait_for_windows()
    display = app.display
    display.run("xdotool", "windowactivate", "--sync", staff)
    wait_until(lambda: app.focused() == "staff", what="the staff window's focus")
    display.type("1001")
    display.key("Return")
    display.type("1234")
    display.key("Return")
    wait_until(lambda: any(e["kind"] == "signed_in" for e in app.events()),
               what="the sign-in")
    return staff


def staff_title(app: CounterProcess) -> str:
    return app.display.run("xdotool", "getwindowname", app.staff_window())


def test_closing_the_staff_window_ends_the_app(counter_process: CounterProcess) -> None:
    app = counter_process.start()
    signed_in(app)
    app.display.close(staff_title(app))
    assert app.wait_exit(8) == 0
    signed_out = app.events("signed_out")
    assert signed_out and signed_out[-1]["reason"] == "closed"


def test_closing_while_serving_asks_and_records_interrupted(
    counter_process: CounterProcess,
) -> None:
    app = counter_process.start()
    signed_in(app)
    app.display.key("F1")
    wait_until(lambda: app.events("started"), what="the start")
    time.sleep(1.5)
    title = staff_title(app)
    app.display.close(title)
    # the question, in the UI language (the demo's zh_CN), on top and focused
    wait_until(lambda: app.display.focused_title() not in ("", title), what="the dialog")
    assert app.running  # nothing closed before the answer
    assert not app.events("interrupted")
    app.display.key("Return")  # the focused default answer: close the counter
    assert app.wait_exit(8) == 0
    interrupted = app.events("interrupted")
    assert len(interrupted) == 1 and interrupted[0]["reason"] == "closed"
    assert interrupted[0]["elapsed_s"] >= 1.0
    assert app.events()[-1]["kind"] == "signed_out"


def test_closing_while_serving_can_be_declined(counter_process: CounterProcess) -> None:
    app = counter_process.start()
    signed_in(app)
    app.display.key("F1")
    wait_until(lambda: app.events("started"), what="the start")
    title = staff_title(app)
    app.display.close(title)
    wait_until(lambda: app.display.focused_title() not in ("", title), what="the dialog")
    app.display.key("Escape")  # No: keep serving
    wait_until(lambda: app.display.focused_title() == title, what="the staff window again")
    time.sleep(0.5)
    assert app.running and not app.events("interrupted")
    app.display.key("F2")
    wait_until(lambda: app.events("completed"), what="Done")


def test_sigterm_records_and_exits_without_asking(counter_process: CounterProcess) -> None:
    app = counter_process.start()
    signed_in(app)
    app.display.key("F1")
    wait_until(lambda: app.events("started"), what="the start")
    assert app.process is not None
    app.process.terminate()
    assert app.wait_exit(8) == 0
    interrupted = app.events("interrupted")
    assert len(interrupted) == 1 and interrupted[0]["reason"] == "shutdown"
    last = app.events()[-1]
    assert last["kind"] == "signed_out" and last["staff"] == "1001"
    assert last["reason"] == "shutdown" and last["session_s"] > 0
