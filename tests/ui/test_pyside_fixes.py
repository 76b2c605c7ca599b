"""The PySide work-arounds: the refcount guard (a running hourglass must not abort Python 3.11
with PySide6 6.12.0) and the uncached feature check (no module's lines kept after its import)."""

from __future__ import annotations

import linecache
import sys
import uuid
from pathlib import Path

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


def test_modules_imported_after_pyside_are_checked_without_keeping_their_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from shibokensupport import feature  # type: ignore[import-not-found]

    tag = uuid.uuid4().hex
    uses_qt, plain = f"probe_qt_{tag}", f"probe_plain_{tag}"
    (tmp_path / f"{uses_qt}.py").write_text("import PySide6.QtCore\n", encoding="utf-8")
    (tmp_path / f"{plain}.py").write_text("ANSWER = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in (uses_qt, plain):
        exec(f"import {name}", {})  # an import statement, as the app's own: through the hook
    check = feature._mod_uses_pyside
    assert getattr(check, "reads_bytes", False)  # counter_app.ui put it in PySide's place
    # the answers PySide's own check gives: this one uses PySide, that one does not
    assert check(sys.modules[uses_qt]) is True
    assert check(sys.modules[plain]) is False
    # and what PySide's hook made of them, where it saw the imports (it does not under every
    # earlier test's imports in one process: the record is PySide's, the answers are ours)
    for name, flag in ((uses_qt, 0), (plain, -1)):
        assert feature.pyside_feature_dict.get(name, flag) == flag
    assert not {str(tmp_path / f"{n}.py") for n in (uses_qt, plain)} & set(linecache.cache)
    assert pyside_fixes.uncached_feature_check() is False  # applied once, by counter_app.ui
    for name in (uses_qt, plain):
        sys.modules.pop(name, None)
