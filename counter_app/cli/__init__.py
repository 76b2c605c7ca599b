"""The `counter-app` command line: run the counter (default) and the admin subcommands.

Argparse only: each subcommand is a module of this package, listed in `registry`, and imported
only once argv names it (see `registry` for the module interface).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from counter_app import config as config_module
from counter_app.cli import registry
from counter_app.cli.common import (
    CliError,
    add_common,
    data_dir_for,
    open_readonly,
    warn_about_secrets,
)
from counter_app.config import ConfigError
from counter_app.storage.db import DatabaseError

# open_readonly: still here for tests/storage/test_db.py; its home is counter_app.cli.common
__all__ = ["build_full_parser", "build_parser", "main", "open_readonly", "refuse", "safe_console"]

if TYPE_CHECKING:
    _SubParsersAction = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsersAction = argparse._SubParsersAction


class _LazySubcommands(_SubParsersAction):
    """Subparsers that get their subcommand's own arguments only when it is named."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loaded: set[str] = set()

    def load(self, name: str) -> None:
        if name not in self.loaded:
            registry.BY_NAME[name].load().add_arguments(self.choices[name])
            self.loaded.add(name)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        assert values is not None and not isinstance(values, str)
        self.load(values[0])  # argparse has checked that it is one of the choices
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    """The parser; a subcommand's module adds its arguments once the subcommand is parsed."""
    parser = argparse.ArgumentParser(
        prog="counter-app",
        description="Counter App: the three-minute hourglass, customer rating and record.",
    )
    add_common(parser, top=True)
    parser.add_argument("--smoke-test", action="store_true",
                        help="show both windows, then exit 0 (for builds and CI)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_LazySubcommands)
    for command in registry.COMMANDS:
        child = sub.add_parser(command.name, help=command.help, description=command.help)
        add_common(child, top=False)
    return parser


def build_full_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand's arguments in place, importing every subcommand's
    module: for walking the whole interface (the documentation test), not for running."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, _LazySubcommands):
            for name in action.choices:
                action.load(name)
    return parser


def safe_console() -> None:
    """stdout and stderr that never fail on a character the console cannot show.

    A Chinese staff name on a GBK (or ASCII) console raised UnicodeEncodeError mid-output; it
    now prints as an escape (\\u738b) instead. pythonw (a desktop shortcut) has no streams.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # closed or not a text stream: leave it as it is
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    safe_console()
    args = build_parser().parse_args(argv)
    name = args.command or registry.DEFAULT
    config: config_module.Config | None = None
    try:
        config = config_module.load(args.config)
        data_dir = data_dir_for(args.data_dir, config)
        warn_about_secrets(config)
        command = registry.BY_NAME[name].load()
        return command.run(args, config, data_dir)
    except (ConfigError, CliError, DatabaseError) as exc:
        return refuse(args, str(exc), config)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if name != "run":
            raise
        # starting the counter: a refusal in words (and a window), never a traceback
        return refuse(args, f"unexpected error while starting: {type(exc).__name__}: {exc}",
                      config)


def refuse(args: argparse.Namespace, message: str, config: config_module.Config | None) -> int:
    """One line on stderr, exit status 2; starting the counter also shows it in a window
    (in the UI language, or in both when the configuration could not be read)."""
    print(f"counter-app: {message}", file=sys.stderr)
    if (args.command or registry.DEFAULT) == "run" and not getattr(args, "smoke_test", False):
        from counter_app.ui.start_refusal import show_start_refusal

        show_start_refusal(message, config.language if config is not None else None)
    return 2
