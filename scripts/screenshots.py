"""Drive both windows through every state on a real X display and save a PNG of each.

Usage: python scripts/screenshots.py [--language zh_CN|en] [OUT_DIR]
       SHOTS_AT_LEAST_SIZE=1 python scripts/screenshots.py …   (both windows at their least
       sizes, the PNGs named …-least-…)

Without --language it takes both (each in its own process: Qt's translator is per process).
Without a DISPLAY it starts its own Xvfb and openbox (scripts/setup.sh test installs them), so
the windows are real xcb windows at their default sizes, laid out by a window manager, with
the bundled fonts: the zh pictures show the Chinese a clerk sees. The monotonic clock is a
fake one moved by hand, so the states are exact and the run takes seconds.

States: signed out, sign-in lockout, ready, serving, overtime, Done with the overtime prompt,
the rating window (customer rating and reasons pages, the staff window waiting), not rated,
voided, the close question, the interrupted banner after a restart, a start-up refusal
dialog (a malformed configuration).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_CN", "en")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def start_display() -> list[subprocess.Popen[bytes]]:
    """An Xvfb and a window manager of our own, when there is no display to use."""
    for program in ("Xvfb", "openbox"):
        if shutil.which(program) is None:
            sys.exit(f"screenshots need {program} (scripts/setup.sh test) or a DISPLAY")
    number = next(n for n in range(140, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    display = f":{number}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline:
            sys.exit("Xvfb did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = display
    wm = subprocess.Popen(["openbox", "--sm-disable"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return [wm, xvfb]


def run_per_language(script: str, shoot: Callable[[str, Path], None],
                     default_out: str) -> None:
    """A screenshot script's command line: real xcb windows on this display (or a private
    Xvfb and openbox), `shoot(language, out)` for --language, else the script again for each
    language, each in its own process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default=default_out, type=Path)
    parser.add_argument("--language", choices=LANGUAGES)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    helpers = start_display() if not os.environ.get("DISPLAY") else []
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.pop("QT_SCALE_FACTOR", None)
    try:
        if args.language is None:
            for language in LANGUAGES:
                subprocess.run([sys.executable, script, "--language", language, str(args.out)],
                               check=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
        else:
            shoot(args.language, args.out)
    finally:
        for process in helpers:
            process.terminate()
            process.wait(5)


def main() -> None:
    run_per_language(__file__, shoot, "screenshots")


def shoot(language: str, out: Path) -> None:
    import dataclasses

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox, QWidget

    from counter_app import config as config_module
    from counter_app.application.counter import Counter
    from counter_app.ui.app import CounterApp, application, dispose_windows, install_translator
    from counter_app.ui.start_refusal import TITLE, refusal_text

    config = dataclasses.replace(config_module.load(), language=language)
    app = application()
    install_translator(app, config.language)
    clock = Clock()
    data_dir = Path(tempfile.mkdtemp())
    service = Counter(config, data_dir, clock=clock, demo_accounts=True)
    counter = CounterApp(service)
    counter.show()  # the default sizes, unless SHOTS_AT_LEAST_SIZE asks for the least ones
    least = bool(os.environ.get("SHOTS_AT_LEAST_SIZE"))
    if least:
        from counter_app.ui import customer_screen, staff_window

        counter.staff_window.resize(*staff_window.MINIMUM_SIZE)
        counter.customer_screen.resize(customer_screen.MINIMUM_SIZE)
    c = counter.controller
    saved: list[str] = []

    def settle() -> None:
        for _ in range(10):
            QCoreApplication.processEvents()
            time.sleep(0.01)

    def save(widget: QWidget, name: str) -> None:
        path = out / f"{language}-{'least-' if least else ''}{name}.png"
        widget.grab().save(str(path))
        saved.append(path.name)

    def shot(name: str, customer: bool = True) -> None:
        c.ticked.emit()
        settle()
        save(counter.staff_window, f"staff-{name}")
        if customer:
            save(counter.customer_screen, f"customer-{name}")

    def later(seconds: float) -> None:
        clock.now += seconds
        c.poll()

    def dialog_shot(box: QMessageBox, name: str) -> None:
        box.show()
        settle()
        save(box, name)
        box.done(0)

    settle()
    shot("signed-out")
    page = counter.staff_window.sign_in_page
    for _ in range(5):
        page.number.setText("1001")
        page.pin.setText("0000")
        page.sign_in()
    shot("lockout", customer=False)
    for _ in range(20):  # the counter's own throttle after wrong sign-ins runs on real time
        page.number.setText("1002")
        page.pin.setText("1234")
        page.sign_in()
        if service.state.staff is not None:
            break
        time.sleep(0.5)
    shot("ready")
    c.start_transaction()
    later(61)
    shot("serving")
    later(150)
    shot("overtime")
    dialog_shot(counter.staff_window.close_question(), "staff-close-question")
    c.complete_transaction()
    shot("done-overtime-prompt")
    later(1.5)
    counter.staff_window.counter_page.press_reason("complex")
    c.rate(2)
    shot("rating-window-reasons")
    c.give_rating_reason("slow")
    later(30)
    shot("after-rating")
    c.start_transaction()
    later(40)
    c.complete_transaction()
    shot("rating-window")
    later(30.1)
    shot("not-rated")
    later(6)
    c.start_transaction()
    later(4)
    c.void_transaction()
    shot("voided", customer=False)

    # a crash during a transaction, then the next start
    c.start_transaction()
    later(95)
    service.heartbeat()
    counter.staff_window.hide()
    counter.customer_screen.hide()
    counter.sync_runner.shutdown()
    service.close()
    dispose_windows(counter)
    service = Counter(config, data_dir, clock=clock, demo_accounts=True)
    counter = CounterApp(service)
    counter.show()
    c = counter.controller
    settle()
    page = counter.staff_window.sign_in_page
    page.number.setText("1002")
    page.pin.setText("1234")
    page.sign_in()
    shot("interrupted-after-restart", customer=False)
    counter.sync_runner.shutdown()

    # a start-up refusal: a malformed configuration names the file and the key
    bad = data_dir / "counter.toml"
    bad.write_text('[counter]\nid = "07"\nrating_window_s = "thirty"\n', encoding="utf-8")
    try:
        config_module.load(bad)
        message = "the malformed configuration was accepted"
    except config_module.ConfigError as exc:
        message = str(exc)
    refusal = QMessageBox(QMessageBox.Icon.Critical, TITLE, refusal_text(message, None))
    refusal.setStandardButtons(QMessageBox.StandardButton.Ok)
    dialog_shot(refusal, "start-refusal")

    counter.staff_window.hide()
    counter.customer_screen.hide()
    service.close()
    dispose_windows(counter)  # PySide's exit teardown otherwise crashes now and then
    print(f"saved {len(saved)} pictures to {out}: {', '.join(saved)}")


if __name__ == "__main__":
    main()
