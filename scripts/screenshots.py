"""Drive both windows through every state on a real display and save a PNG of each.

Usage: DISPLAY=:99 QT_QPA_PLATFORM=xcb python scripts/screenshots.py [--language en] [OUT_DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from counter_app import config as config_module
from counter_app.application.counter import Counter
from counter_app.ui.app import CounterApp, application, dispose_windows, install_translator


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", nargs="?", default="screenshots", type=Path)
    parser.add_argument("--language", default="zh_CN")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    config = dataclasses.replace(config_module.load(), language=args.language)
    app = application()
    install_translator(app, config.language)
    clock = Clock()
    service = Counter(config, Path(tempfile.mkdtemp()), clock=clock, demo_accounts=True)
    counter = CounterApp(service)
    counter.show()
    counter.staff_window.resize(1100, 700)
    counter.customer_screen.resize(1280, 800)
    c = counter.controller

    def shot(name: str) -> None:
        for _ in range(5):
            QCoreApplication.processEvents()
        counter.staff_window.grab().save(str(args.out / f"{args.language}-staff-{name}.png"))
        counter.customer_screen.grab().save(str(args.out / f"{args.language}-customer-{name}.png"))

    shot("signed-out")
    page = counter.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("0000")
    page.sign_in()
    shot("wrong-pin")
    page.pin.setText("1234")
    page.sign_in()
    shot("idle")
    c.start_transaction()
    clock.now += 61
    c.ticked.emit()
    shot("running")
    clock.now += 150
    c.ticked.emit()
    shot("overtime")
    c.complete_transaction()
    shot("rating")
    c.rate(2)
    shot("reason")
    c.give_rating_reason("slow")
    shot("thanks")
    c.give_overtime_reason("complex")
    clock.now += 5
    c.poll()
    shot("after")
    print(f"saved to {args.out}")
    service.close()
    dispose_windows(counter)  # PySide's exit teardown otherwise crashes now and then


if __name__ == "__main__":
    main()
