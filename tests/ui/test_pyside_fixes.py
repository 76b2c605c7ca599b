"""The refcount guard: a running hourglass must not abort Python 3.11 with PySide6 6.12.0."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from counter_app.ui import pyside_fixes


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_none_has_references_to_spare_once_the_ui_is_imported() -> None:
    for singleton in (None, True, False):
        assert sys.getrefcount(singleton) > pyside_fixes.NONE_RESERVE
    assert pyside_fixes.keep_none_alive() is False  # applied once, not stacked


def test_many_void_qt_calls_do_not_exhaust_none(qtbot) -> None:  # type: ignore[no-untyped-def]
    label = QLabel()
    qtbot.addWidget(label)
    for index in range(50_000):  # ~2.5 minutes of a running hourglass's void calls
        label.setText(str(index % 10))
    assert label.text() == "9"


def test_many_signal_emissions_do_not_exhaust_true(qtbot) -> None:  # type: ignore[no-untyped-def]
    class Emitter(QObject):
        changed = Signal()

    emitter = Emitter()
    seen: list[int] = []
    emitter.changed.connect(lambda: seen.append(1))
    for _ in range(20_000):  # each emit() drops a reference to True in PySide6 6.12.0
        emitter.changed.emit()
    assert len(seen) == 20_000
