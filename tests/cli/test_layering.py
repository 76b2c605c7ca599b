"""Who may import the command line, and what the command line's modules may import."""

from __future__ import annotations

import ast
import importlib
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.cli import main, registry

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "counter_app" / "cli"
SYNC = REPO / "counter_app" / "sync"
#: function-level imports that are deliberate lazy loading (not a dodged circle)
LAZY_IMPORTS = {("counter_app/cli/run.py", "counter_app.ui.app"),  # the window, only to run
                ("counter_app/cli/self_check.py", "counter_app.ui.app"),  # Qt, only to check
                ("counter_app/cli/self_check.py", "counter_app.ui.self_check"),
                ("counter_app/cli/__init__.py", "counter_app.ui.start_refusal"),  # refusal window
                ("counter_app/cli/export.py", "counter_app.ui.manager.summary_pdf"),  # Qt PDF
                ("counter_app/cli/manager.py", "counter_app.ui.desk"),  # the desk's window
                # the cryptography, only on a counter that holds head office's signing key
                ("counter_app/sync/roster_pull.py", "counter_core.signed"),
                # off the path to the first window (tests/test_start_imports.py): HTTP, TLS
                # and an HTTP date load with the first client, after the windows show
                ("counter_app/sync/protocol.py", "httpx"),
                ("counter_app/sync/protocol.py", "counter_app.sync.tls"),
                ("counter_app/sync/protocol.py", "email.utils"),
                ("counter_app/sync/roster_pull.py", "httpx"),
                ("counter_app/sync/roster_pull.py", "counter_app.sync.tls"),
                ("counter_app/cli/common.py", "subprocess")}  # the Windows ACL only


def imports(path: Path) -> Iterator[tuple[ast.AST, str]]:
    """Every imported module name, with its node (`from a import b` also yields `a.b`)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module
            for alias in node.names:
                yield node, f"{node.module}.{alias.name}"


def project_files() -> list[Path]:
    return sorted(p for top in ("counter_app", "counter_core", "head_office")
                  for p in (REPO / top).rglob("*.py"))


def is_cli(name: str) -> bool:
    return name == "counter_app.cli" or name.startswith("counter_app.cli.")


def test_only_main_imports_the_command_line() -> None:
    allowed = {REPO / "counter_app" / "__main__.py"}
    offenders = sorted(
        f"{path.relative_to(REPO)}: {name}" for path in project_files()
        if path not in allowed and CLI not in path.parents
        for _, name in imports(path) if is_cli(name)
    )
    assert not offenders


def test_sync_is_a_library_without_argparse_or_the_command_line() -> None:
    offenders = sorted(
        f"{path.relative_to(REPO)}: {name}" for path in SYNC.rglob("*.py")
        for _, name in imports(path) if name == "argparse" or is_cli(name)
    )
    assert not offenders


def test_sync_runs_no_sql_on_the_event_log() -> None:
    """The events are read through counter_app.storage.events, never by sync's own SQL."""
    for path in SYNC.rglob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        assert "FROM EVENTS" not in text and "INTO EVENTS" not in text, path


def test_a_subcommand_imports_no_other_subcommand() -> None:
    modules = {f"counter_app.cli.{p.stem}" for p in CLI.glob("*.py")}
    shared = {"counter_app.cli.__init__", "counter_app.cli.common", "counter_app.cli.registry"}
    for path in CLI.glob("*.py"):
        others = modules - shared - {f"counter_app.cli.{path.stem}"}
        for _, name in imports(path):
            assert ".".join(name.split(".")[:3]) not in others, f"{path.name} imports {name}"


def test_function_level_imports_are_only_deliberate_lazy_loading() -> None:
    found = set()
    for path in [*CLI.rglob("*.py"), *SYNC.rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        module = node.module if isinstance(node, ast.ImportFrom) else (
                            node.names[0].name)
                        found.add((str(path.relative_to(REPO)), module))
    assert found <= LAZY_IMPORTS


@pytest.mark.parametrize("command", registry.COMMANDS, ids=lambda c: c.name)
def test_every_registered_module_has_the_interface(command: registry.Command) -> None:
    module = command.load()
    assert callable(module.add_arguments) and callable(module.run)
    assert command.module == f"counter_app.cli.{command.name.replace('-', '_')}"


def test_every_subcommand_module_is_registered() -> None:
    modules = {f"counter_app.cli.{p.stem}" for p in CLI.glob("*.py")
               if p.stem not in {"__init__", "__main__", "common", "registry"}}
    assert modules == {c.module for c in registry.COMMANDS}


def test_the_console_script_is_the_package_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"]["scripts"]
    module, _, function = scripts["counter-app"].partition(":")
    assert getattr(importlib.import_module(module), function) is main
