"""The layers' import rules: the UI calls only the application; the application knows no Qt.

Checked on the source (every import, also those inside functions), so a rule broken in a
branch no test runs is still caught.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "counter_app"

#: imports inside functions that load a heavy optional module on first use (deliberately)
LAZY_ALLOWED = {
    ("ui/staff_window.py", "counter_app.ui.manager"),  # QtCharts, only for a manager
    ("ui/desk.py", "counter_app.ui.manager"),  # QtCharts, once a manager signed in
    ("ui/manager/__init__.py", "counter_app.ui.manager.view"),  # the PDF needs no widgets
    ("ui/manager/summary_pdf.py", "PySide6.QtWidgets"),  # the command line's PDF only
    ("ui/start_refusal.py", "PySide6.QtWidgets"),  # Qt only once a refusal must be shown
    ("ui/start_refusal.py", "PySide6.QtCore"),
    ("ui/start_refusal.py", "counter_app.ui.i18n"),  # its translator, for the same refusal
    ("ui/start_refusal.py", "counter_app.ui.messages"),
    ("ui/rating_sources.py", "evdev"),  # optional (the keypad extra), Linux only
    # the hall mirror, once a manager opens the hall view: not on the path to the windows
    ("application/counter.py", "counter_app.application.hall_view"),
    # the alert sound: QtMultimedia needs libraries (libpulse) a PC may lack; the beep then
    ("ui/manager/alerts_tab.py", "PySide6.QtMultimedia"),
    # `counter-app self-check` draws a chart: QtCharts only for that command
    ("ui/self_check.py", "PySide6.QtCharts"),
    ("ui/self_check.py", "PySide6.QtTextToSpeech"),
    # not on the path to the first window: QtTextToSpeech only with [voice] on, the sync
    # stack only for a roster kept elsewhere, the hall mirror only for a confirmed star
    ("ui/app.py", "counter_app.ui.speech"),
    ("application/roster.py", "counter_app.sync.roster_pull"),
    ("application/counter.py", "counter_app.storage.mirror"),
    ("application/counter.py", "counter_app.sync.settings_pull"),
    ("application/counter.py", "counter_app.sync"),  # `from counter_app.sync import settings_pull`
    ("application/counter.py", "counter_app.sync.hall_stream"),
    ("application/sync.py", "counter_app.sync.anchors"),
    ("application/sync.py", "counter_app.sync.uploader"),
    ("application/sync.py", "counter_app.sync.hall_stream"),
    ("ui/sync_runner.py", "counter_app.sync.uploader"),
    ("ui/i18n.py", "subprocess"),  # lrelease, only where a .qm is missing
    # PySide's own import-hook module: importable only once shiboken6 is loaded, and a
    # PySide without it is no error
    ("ui/pyside_fixes.py", "shibokensupport"),
    # the read models and the figures (a dozen dataclasses), and the manager's reads: loaded
    # when a clerk opens their figures or ratings, or a manager signs in; not at start
    ("application/counter.py", "counter_app.storage"),  # `from counter_app.storage import queries`
    ("application/counter.py", "counter_core"),  # `from counter_core import figures`
    ("application/counter.py", "counter_app.application.manager"),
}


def imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(module, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def walk(node: ast.AST, nested: bool) -> Iterator[tuple[str, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, nested
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                yield child.module, nested
            yield from walk(child, inner)

    yield from walk(tree, False)


def sources(folder: str) -> list[Path]:
    return sorted((APP / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources("ui"), ids=lambda p: str(p.relative_to(APP)))
def test_the_ui_reaches_no_storage_nor_sqlite_nor_cli(path: Path) -> None:
    for module, _ in imports(path):
        assert not module.startswith(("counter_app.storage", "sqlite3", "sqlite_utils")), module
        assert module != "counter_app.cli" and module != "counter_app.service", module
        assert module != "counter_app.application.manager_figures", module


@pytest.mark.parametrize("path", sources("application"), ids=lambda p: p.name)
def test_the_application_imports_no_qt_ui_or_cli(path: Path) -> None:
    for module, _ in imports(path):
        assert not module.startswith(("PySide6", "shiboken6", "counter_app.ui")), module
        assert module != "counter_app.cli", module


@pytest.mark.parametrize("path", [*sources("application"), *sources("ui")],
                         ids=lambda p: str(p.relative_to(APP)))
def test_imports_inside_functions_only_load_heavy_modules_lazily(path: Path) -> None:
    where = str(path.relative_to(APP))
    for module, nested in imports(path):
        if nested:
            assert (where, module) in LAZY_ALLOWED, f"{where} imports {module} in a function"


def test_the_controller_catches_no_sqlite_error() -> None:
    text = (APP / "ui" / "controller.py").read_text(encoding="utf-8")
    assert "sqlite3" not in text


def test_no_manager_tab_appends_to_the_event_store() -> None:
    for path in sources("ui/manager"):
        text = path.read_text(encoding="utf-8")
        assert "store" not in text and "Draft" not in text, path


def test_the_application_runs_without_qt() -> None:
    """Importing every use case loads neither Qt nor the UI (a server can use them)."""
    code = ("import sys\n"
            "import counter_app.application.counter, counter_app.application.manager\n"
            "import counter_app.application.exports, counter_app.application.demo\n"
            "import counter_app.application.sync, counter_app.application.errors\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'counter_app.ui',"
            " 'counter_app.cli'))]\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
