"""The database check begun ahead of the open (storage.db.EarlyCheck): the counter's start
checks while Qt loads, and the open must decide exactly as if it had checked itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.storage import db as db_module
from counter_app.storage.db import CheckNotRun, begin_check, open_counter_db, quick_check
from tests.storage.test_db import populated

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every quick_check made, early or at the open."""
    made: list[Path] = []
    real = db_module.quick_check

    def counted(path: Path) -> str | None:
        made.append(path)
        return real(path)

    monkeypatch.setattr(db_module, "quick_check", counted)
    return made


def damage(path: Path) -> bytes:
    """Overwrite every third page after the first two in place (same size): quick_check fails."""
    data = bytearray(path.read_bytes())
    for start in range(2 * 4096, len(data) - 4096, 3 * 4096):
        data[start:start + 4096] = b"\x5a" * 4096
    path.write_bytes(bytes(data))
    return bytes(data)


def test_the_open_uses_the_early_answer_and_checks_once(tmp_path: Path,
                                                         checks: list[Path]) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path, transactions=50)
    early = begin_check(path)
    assert early is not None
    opened = open_counter_db(path, early)
    assert opened.set_aside is None and opened.problem is None
    assert checks == [path]  # the thread's, none at the open
    assert opened.db.execute("SELECT COUNT(*) FROM transactions").fetchone()[0] == 50
    opened.db.conn.close()


def test_a_database_damaged_after_the_early_check_is_checked_again_and_set_aside(
        tmp_path: Path, checks: list[Path]) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path, transactions=200)
    early = begin_check(path)
    assert early is not None
    assert early.answer(path) is None  # healthy when it was checked
    damaged = damage(path)  # then changed in place, before the open
    opened = open_counter_db(path, early)
    assert len(checks) == 2  # the early check's answer was not used for the changed file
    assert opened.set_aside is not None and opened.problem
    assert (opened.set_aside / "counter.sqlite").read_bytes() == damaged
    opened.db.conn.close()


def test_damage_found_early_sets_the_database_aside_without_a_second_check(
        tmp_path: Path, checks: list[Path]) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path, transactions=200)
    damaged = damage(path)
    problem = quick_check(path)
    checks.clear()
    opened = open_counter_db(path, begin_check(path))
    assert opened.problem == problem and opened.set_aside is not None
    assert (opened.set_aside / "counter.sqlite").read_bytes() == damaged
    assert checks == [path]
    opened.db.conn.close()


def test_a_check_that_could_not_run_early_refuses_the_open_and_moves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    before = path.read_bytes()

    def full_disk(_: Path) -> str | None:
        raise CheckNotRun(f"cannot check the counter database {path}: the disk is full.")

    monkeypatch.setattr(db_module, "quick_check", full_disk)
    early = begin_check(path)
    with pytest.raises(CheckNotRun, match="the disk is full"):
        open_counter_db(path, early)
    assert path.read_bytes() == before and not list(tmp_path.glob("damaged-*"))


@pytest.mark.parametrize("failure", [MemoryError, RuntimeError])
def test_a_thread_that_failed_otherwise_leaves_the_check_to_the_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        failure: Callable[[str], BaseException]) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    real = db_module.quick_check
    calls: list[Path] = []

    def first_fails(p: Path) -> str | None:
        calls.append(p)
        if len(calls) == 1:
            raise failure("the thread's check broke")
        return real(p)

    monkeypatch.setattr(db_module, "quick_check", first_fails)
    opened = open_counter_db(path, begin_check(path))
    assert opened.set_aside is None and len(calls) == 2
    opened.db.conn.close()


def test_there_is_nothing_to_check_early_in_a_new_folder(tmp_path: Path) -> None:
    assert begin_check(tmp_path / "counter.sqlite") is None
    (tmp_path / "counter.sqlite").write_bytes(b"")
    assert begin_check(tmp_path / "counter.sqlite") is None


def test_the_counters_start_checks_early_and_says_when_the_database_was_damaged(
        tmp_path: Path) -> None:
    """`counter-app --smoke-test` on a damaged database: the start's early check finds it,
    the database is moved aside (not deleted) and the start says where."""
    data_dir = tmp_path / "data"
    path = paths.database_path(data_dir)
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    first = subprocess.run([sys.executable, "-m", "counter_app", "--data-dir", str(data_dir),
                            "--smoke-test"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    damaged = damage(path)
    probe = ("import runpy, sys\n"
             "import counter_app.cli.run as run\n"
             "begun = []\n"
             "real = run.begin_check\n"
             "run.begin_check = lambda p: begun.append(p) or real(p)\n"
             "sys.argv[0] = 'counter-app'\n"
             "try:\n"
             "    runpy.run_module('counter_app', run_name='__main__', alter_sys=True)\n"
             "finally:\n"
             "    print('BEGUN', len(begun), flush=True)\n")
    second = subprocess.run([sys.executable, "-c", probe, "--data-dir", str(data_dir),
                             "--smoke-test"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert "BEGUN 1" in second.stdout
    moved = list(data_dir.glob("damaged-*/counter.sqlite"))
    assert len(moved) == 1 and moved[0].read_bytes() == damaged
    assert str(moved[0].parent) in second.stderr  # the start's message says where it went
    assert "Traceback" not in second.stderr
