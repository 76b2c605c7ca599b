"""Records that are not a counter's real, intact history say so on the windows the people at
the counter look at: demo data on both windows, a break in the chain on the staff window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QLabel

from counter_app.application.demo import write_demo_history
from counter_app.config import Config
from counter_app.ui.app import CounterApp
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.storage.test_chain_break import counter_with_history, damage


def build(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    app = CounterApp(service)
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app


def demo_labels(app: CounterApp) -> list[QLabel]:
    return [w for window in (app.staff_window, app.customer_screen)
            for w in window.findChildren(QLabel, "demoData") if w.isVisible()]


def test_a_demo_data_folder_says_so_on_both_windows(qtbot, demo_config: Config, data_dir: Path,  # type: ignore[no-untyped-def]
                                                    clock: FakeClock) -> None:
    write_demo_history(demo_config, data_dir, 1, seed=1, end=dt.date(2026, 2, 1))
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        app = build(qtbot, service)
        shown = demo_labels(app)
        assert {label.window() for label in shown} == {app.staff_window, app.customer_screen}
        assert "demo" in shown[0].text().lower() or "演示" in shown[0].text()
    finally:
        service.close()


def test_a_counters_own_records_show_no_demo_label(qtbot, service: CounterService) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    assert demo_labels(app) == []
    assert not app.staff_window.counter_page.banner.isVisible()


def test_a_broken_chain_is_said_loudly_on_the_staff_window(qtbot, demo_config: Config,  # type: ignore[no-untyped-def]
                                                           data_dir: Path,
                                                           clock: FakeClock) -> None:
    head = counter_with_history(demo_config, data_dir, clock)
    damage(data_dir, 10)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        app = build(qtbot, service)
        app.controller.sign_in("1001", "1234")  # the counter page, where the clerk works
        banner = app.staff_window.counter_page.banner
        assert banner.isVisible()
        assert app.chain_break_message is not None
        assert app.chain_break_message in banner.text()
        assert f"10–{head}" in banner.text() and "9" in banner.text()
    finally:
        service.close()
