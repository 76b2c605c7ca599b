"""A data folder is a counter's or a manager desk's, and each program refuses the other's:
`counter-app` (the counter) on a desk's folder and `counter-app manager` on a counter's folder
stop with a sentence and exit 2, through the real command line, and change nothing in it."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from counter_app.config import load as load_config
from tests.hall.support import Hall
from tests.helpers.counter import CounterService
from tests.helpers.xdisplay import REPO
from tests.ui.test_desk_real_window import add_manager, desk_config, hall  # noqa: F401


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "counter_app", *args], cwd=REPO, capture_output=True, text=True,
        env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
             "COUNTER_APP_NO_DIALOG": "1", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )


def digest(folder: Path) -> dict[str, str]:
    """Every file of the folder and its bytes' hash (SQLite's own -wal/-shm files aside)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm", ".lock"))}


def test_the_counter_refuses_a_desks_folder_and_changes_nothing(
    hall: Hall, tmp_path: Path  # noqa: F811
) -> None:
    config = desk_config(tmp_path, hall)
    folder = tmp_path / "desk-data"
    add_manager(config, folder)  # a desk's folder, with a manager in it
    before = digest(folder)
    done = run("--config", str(config), "--data-dir", str(folder), "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "manager desk's data folder" in done.stderr
    assert "counter-app manager" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert digest(folder) == before


def test_the_desk_refuses_a_counters_folder_even_before_its_first_transaction(
    hall: Hall, tmp_path: Path  # noqa: F811
) -> None:
    config = desk_config(tmp_path, hall)
    folder = tmp_path / "counter-data"
    CounterService(load_config(config), folder).close()  # opened once as a counter, nothing served
    before = digest(folder)
    done = run("--config", str(config), "--data-dir", str(folder), "manager")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "counter's data folder" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert digest(folder) == before
