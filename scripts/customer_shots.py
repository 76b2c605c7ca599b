"""The customer screen in each of its states at 800×600, 1280×800 and 1920×1080, saved as PNGs.

Usage: python scripts/customer_shots.py [--language zh_CN|en] [OUT_DIR]

Real xcb windows (its own Xvfb and openbox when there is no DISPLAY, as scripts/screenshots.py
does), the demo configuration with a supervision hotline, a star of the month confirmed for
the clerk, and a fake monotonic clock moved by hand. Without --language it takes both; the
customer screen is bilingual either way, the staff UI's language is what changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.screenshots import Clock, run_per_language  # noqa: E402

SIZES = ((800, 600), (1280, 800), (1920, 1080))


def main() -> None:
    run_per_language(__file__, shoot, "screenshots/customer")


def shoot(language: str, out: Path) -> None:
    from PySide6.QtCore import QCoreApplication

    from counter_app import config as config_module
    from counter_app.application.counter import Counter
    from counter_app.ui.app import CounterApp, application, install_translator
    from counter_core import periods

    config = dataclasses.replace(config_module.load(), language=language,
                                 supervision_hotline="021-12345")
    app = application()
    install_translator(app, config.language)
    clock = Clock()
    service = Counter(config, Path(tempfile.mkdtemp()), clock=clock, demo_accounts=True)
    month = periods.today(config.time_zone).replace(day=1) - dt.timedelta(days=1)
    service.manager("9001").desk.confirm_star(month.strftime("%Y-%m"), "1001", None)
    counter = CounterApp(service)
    counter.show()
    screen, c = counter.customer_screen, counter.controller

    def settle() -> None:
        for _ in range(10):
            QCoreApplication.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        for width, height in SIZES:
            screen.resize(width, height)
            c.ticked.emit()
            settle()
            screen.grab().save(str(out / f"{language}-{width}x{height}-{name}.png"))

    c.sign_in("1001", "1234")
    shot("sign")
    c.start_transaction()
    clock.now += 40
    shot("serving")
    clock.now += 200
    shot("overtime")
    c.complete_transaction()
    clock.now += 6
    shot("rating")
    screen.press_more_time()
    clock.now += 2
    shot("rating-more-time")
    screen.press_rating(2)
    shot("reasons")
    clock.now += 3
    screen.press_reason("slow")
    shot("thanks")
    c.close_counter()
    service.close()


if __name__ == "__main__":
    main()
