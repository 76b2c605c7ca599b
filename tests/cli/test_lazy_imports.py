"""A subcommand's module is imported only when argv names it: `verify` loads no sync, httpx,
demo data or Qt, and running the counter loads none of the admin commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from counter_app import paths
from counter_app.cli import registry
from counter_app.storage.db import open_counter_db
from counter_app.storage.events import EventStore
from counter_core.transaction import Draft

REPO = Path(__file__).resolve().parents[2]
ADMIN_MODULES = {c.module for c in registry.COMMANDS if c.name != "run"}
WATCHED = ("counter_app.", "httpx", "PySide6", "sqlalchemy", "openpyxl")


def python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
                **(env or {})}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                          env=full_env, timeout=120)


def modules_after(argv: list[str]) -> tuple[int, str, set[str]]:
    """Run `counter-app argv` in a fresh interpreter; its exit status, stdout and modules."""
    code = (
        "import json, sys\n"
        "from counter_app.cli import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    status = exit.code\n"
        f"watched = sorted(m for m in sys.modules if m.startswith({WATCHED!r}))\n"
        "print(json.dumps([status, watched]))\n"
    )
    result = python("-c", code)
    assert result.returncode == 0, result.stderr
    *printed, last = result.stdout.splitlines()
    status, modules = json.loads(last)
    return status, "\n".join(printed), set(modules)


def forbidden_for_verify(modules: set[str]) -> set[str]:
    return {m for m in modules
            if m.split(".")[0] in {"httpx", "PySide6"}
            or m == "counter_app.application.demo" or m.startswith("counter_app.sync")
            or m.startswith("counter_app.ui")
            or m in ADMIN_MODULES - {"counter_app.cli.verify"}}


def test_verify_help_imports_no_sync_httpx_demo_data_or_qt() -> None:
    result = python("-X", "importtime", "-m", "counter_app.cli", "verify", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: counter-app verify")
    # importtime logs `import` statements (not importlib.import_module, which loads the
    # subcommand's own module): what verify's module pulls in is all here
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "counter_app.storage.events" in imported
    assert not forbidden_for_verify(imported)
    # and sys.modules after parsing `verify --help` has verify's module and no other
    status, out, modules = modules_after(["verify", "--help"])
    assert status == 0 and out.startswith("usage: counter-app verify")
    assert "counter_app.cli.verify" in modules
    assert not forbidden_for_verify(modules)


def test_verify_run_imports_no_sync_httpx_demo_data_or_qt(data_dir: Path) -> None:
    opened = open_counter_db(paths.database_path(data_dir))
    EventStore(opened.db, "SH-0001", "03").append([Draft("signed_in", {"staff": "1001"})])
    opened.db.conn.close()
    status, out, modules = modules_after(["verify", "--data-dir", str(data_dir)])
    assert status == 0 and out.startswith("OK: 1 events")
    assert "counter_app.cli.verify" in modules
    assert not forbidden_for_verify(modules)


def test_top_level_help_imports_no_subcommand_module() -> None:
    status, out, modules = modules_after(["--help"])
    assert status == 0
    for command in registry.COMMANDS:  # listed, with their one-line help
        assert command.name in out and command.help[:30] in out
    assert not modules & {c.module for c in registry.COMMANDS}


def test_running_the_counter_imports_no_admin_command(data_dir: Path) -> None:
    status, _, modules = modules_after(["--data-dir", str(data_dir), "run", "--smoke-test"])
    assert status == 0
    assert "counter_app.cli.run" in modules and "counter_app.ui.app" in modules
    assert not modules & ADMIN_MODULES


def test_counter_app_alone_runs_the_counter_without_admin_commands(data_dir: Path) -> None:
    status, _, modules = modules_after(["--data-dir", str(data_dir), "--smoke-test"])
    assert status == 0
    assert "counter_app.ui.app" in modules
    assert not modules & ADMIN_MODULES


def test_staff_list_imports_only_its_own_command(data_dir: Path) -> None:
    status, out, modules = modules_after(["staff", "list", "--data-dir", str(data_dir)])
    assert status == 0 and out.startswith("number")
    assert modules & ADMIN_MODULES == {"counter_app.cli.staff"}
    assert not any(m.startswith(("httpx", "PySide6", "counter_app.sync")) for m in modules)
