"""Every customer page fits every window size it can be given, and the window never grows.

Each label's and button's text is measured with its own font metrics against its contents
rectangle, and each label must lie inside every widget around it. Sizes: 800×600 up to
3840×2160 and the default 820×720; Windows display scaling of 125 % and 150 % runs the same
walk in a child process with QT_SCALE_FACTOR set before Qt starts (a physical W×H screen is
then W/scale × H/scale device-independent pixels).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from counter_app import config as config_module
from counter_app.ui.controller import CounterController
from counter_app.ui.customer_screen import DEFAULT_SIZE, MINIMUM_SIZE, CustomerScreen
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

REPO = Path(__file__).resolve().parents[2]
SIZES = [(800, 600), (820, 720), (1024, 768), (1366, 768), (1920, 1080), (3840, 2160)]
PAGES = ("closed_page", "sign_page", "service_page", "rating_page", "reason_page",
         "thanks_page")


def _text_fits(widget: QWidget, text: str, room: QRect) -> bool:
    size = widget.fontMetrics().boundingRect(
        QRect(0, 0, 1 << 20, 1 << 20), int(Qt.AlignmentFlag.AlignLeft), text).size()
    return size.width() <= room.width() and size.height() <= room.height()


def _inside_ancestors(widget: QWidget, window: QWidget) -> bool:
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None:
        outer = QRect(parent.mapTo(window, QPoint(0, 0)), parent.size())
        if not outer.contains(rect):
            return False
        if parent is window:
            break
        parent = parent.parentWidget()
    return True


def page_problems(screen: CustomerScreen, label: str) -> list[str]:
    """What does not fit on the page now shown."""
    problems = []
    for widget in screen.stack.currentWidget().findChildren(QWidget):
        if not widget.isVisible():
            continue
        text = widget.text() if isinstance(widget, QLabel | QPushButton) else ""
        if isinstance(widget, QLabel) and widget.wordWrap():
            problems.append(f"{label}: {text!r} may wrap (a Chinese word could break)")
        if text and not _text_fits(widget, text, widget.contentsRect()):
            problems.append(f"{label}: {text!r} does not fit {widget.contentsRect().size()}")
        if text and not _inside_ancestors(widget, screen):
            problems.append(f"{label}: {text!r} reaches outside what holds it")
    return problems


def walk(sizes: list[tuple[int, int]], scale: float = 1.0) -> list[str]:
    """Every page at every size (physical sizes, divided by the display scale)."""
    app = QApplication.instance() or QApplication([])
    clock = FakeClock()
    folder = Path(tempfile.mkdtemp())
    # the longest lines: a hotline on the sign, the overtime banner while serving
    config = dataclasses.replace(config_module.load(), supervision_hotline="+86 21 6123 4567")
    service = CounterService(config, folder / "data", clock=clock)
    try:
        controller = CounterController(service)
        screen = CustomerScreen(controller)
        screen.show()
        controller.sign_in("1001", "1234")
        controller.select_type("plan")  # the longest caption and promise of the demo's types
        controller.start_transaction()
        clock.advance(620)  # past the plan change's 600 s: the overtime banner shows
        screen.refresh()
        problems = []
        for width, height in sizes:
            wanted = (round(width / scale), round(height / scale))
            screen.resize(*wanted)
            for page in PAGES:
                screen.stack.setCurrentWidget(getattr(screen, page))
                for _ in range(3):
                    app.processEvents()
                label = f"{width}x{height}@{scale:g} {page}"
                if (screen.width(), screen.height()) != wanted:
                    problems.append(f"{label}: the window became {screen.size().toTuple()}")
                problems += page_problems(screen, label)
        screen.deleteLater()
        app.processEvents()
        return problems
    finally:
        service.close()


def test_every_page_fits_every_size(qapp) -> None:  # type: ignore[no-untyped-def]
    assert walk(SIZES) == []


def test_the_window_keeps_its_default_size_when_shown(qapp, service) -> None:  # type: ignore[no-untyped-def]
    screen = CustomerScreen(CounterController(service))
    screen.show()
    for page in PAGES:
        screen.stack.setCurrentWidget(getattr(screen, page))
        qapp.processEvents()
        assert screen.size() == DEFAULT_SIZE
    assert screen.minimumSize() == MINIMUM_SIZE
    screen.deleteLater()


@pytest.mark.parametrize("scale", ["1.25", "1.5"])
def test_every_page_fits_under_windows_display_scaling(scale: str) -> None:
    env = dict(os.environ, QT_SCALE_FACTOR=scale, QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(REPO))
    code = ("import json, sys; from tests.ui.test_customer_screen_fit import walk, SIZES; "
            f"print(json.dumps(walk(SIZES, {scale})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
