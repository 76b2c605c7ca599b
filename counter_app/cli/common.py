"""What the subcommands share: the common options, argument types, errors and the data folder.

`staff_directory`, `open_readonly` and `writer_if_free` are the command line's only ways into
the data folder, all through the shared opener (counter_app.storage.folder).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import sqlite_utils

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.folder import (
    DatabaseDamaged,
    DatabaseMissing,
    DataFolderLocked,
    open_data_folder,
)
from counter_app.storage.staff import StaffDirectory, ensure_demo_accounts
from counter_core.periods import PeriodError, parse_date, parse_month


class CliError(Exception):
    """A problem to print as one line on stderr, with exit status 2."""


def add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """`--config` and `--data-dir`, on the top-level parser and on every subcommand."""
    # Subparsers default to SUPPRESS so `counter-app --config X verify` and
    # `counter-app verify --config X` both work.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", type=Path, default=default, metavar="FILE",
                        help="TOML configuration (default: the embedded demo configuration)")
    parser.add_argument("--data-dir", type=Path, default=default, metavar="DIR",
                        help=f"data folder (default: {paths.default_data_dir()})")


# ---- argument types: the core's parsers, their errors as usage errors -------------------------

def date_arg(text: str) -> dt.date:
    """A `--from`/`--to`/`--end` value, YYYY-MM-DD."""
    try:
        return parse_date(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def month_arg(text: str) -> str:
    """A `--month` value, YYYY-MM (kept as the text the reports take)."""
    try:
        parse_month(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


# ---- output ----------------------------------------------------------------------------------

@contextlib.contextmanager
def text_output(target: str, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """stdout for "-", else the file `target` opened for writing (a clear error if it cannot)."""
    if target == "-":
        yield sys.stdout
        return
    try:
        out = open(target, "w", encoding=encoding, newline="")  # noqa: SIM115
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    with out:
        yield out


# ---- the data folder ---------------------------------------------------------------------------

@contextlib.contextmanager
def staff_directory(config: Config, data_dir: Path) -> Iterator[StaffDirectory]:
    """The staff accounts, under the data folder's writer lock (no recovery, no backup)."""
    with open_data_folder(data_dir) as folder:
        if folder.damaged:
            print(f"counter-app: THE DATABASE WAS DAMAGED ({folder.damaged.problem}); it was "
                  f"moved to {folder.damaged.set_aside} and a new one started", file=sys.stderr)
        directory = StaffDirectory(folder.db)
        if config.is_demo:
            ensure_demo_accounts(directory)
        yield directory


def open_readonly(data_dir: Path) -> sqlite_utils.Database:
    """A read-only connection to the counter database; refuses a missing or damaged one."""
    try:
        return open_data_folder(data_dir, readonly=True).db
    except (DatabaseMissing, DatabaseDamaged) as exc:
        raise CliError(str(exc)) from None


@contextlib.contextmanager
def writer_if_free(data_dir: Path) -> Iterator[sqlite_utils.Database | None]:
    """The writer connection when no running app holds the data folder, else None."""
    try:
        folder = open_data_folder(data_dir)
    except DataFolderLocked:
        yield None
        return
    with folder:
        yield folder.db
