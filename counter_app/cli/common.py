"""What the subcommands share: the common options, argument types, errors and the data folder.

`staff_directory`, `open_readonly` and `writer_if_free` are the command line's only ways into
the data folder, all through the shared opener (counter_app.storage.folder).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.db import Database
from counter_app.storage.events import EventStore
from counter_app.storage.folder import (
    DatabaseDamaged,
    DatabaseMissing,
    DataFolderLocked,
    FolderOfAnotherCounter,
    folder_identity,
    open_data_folder,
)
from counter_app.storage.staff import StaffDirectory, ensure_demo_accounts
from counter_core.periods import PeriodError, parse_date, parse_month

log = logging.getLogger(__name__)


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
                        help=f"data folder (default: {paths.demo_data_dir()} for the demo, "
                             f"{paths.machine_data_root() / 'HALL-COUNTER'} with --config; "
                             "see docs/data_folder.md)")


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

def data_dir_for(given: Path | None, config: Config) -> Path:
    """`--data-dir`, else the configuration's default folder (docs/data_folder.md): the demo's
    own per-user folder, or a real counter's machine-wide one, made when missing (CliError
    saying how to make it when this user may not)."""
    if given is not None:
        return given.expanduser()
    if config.is_demo:
        return paths.demo_data_dir()
    data_dir = paths.machine_data_dir(config.hall_id, config.counter_id)
    if not data_dir.exists():
        refuse_old_user_folder(config, data_dir)
        try:
            data_dir.mkdir(parents=True, mode=0o700)
        except OSError as exc:
            raise CliError(
                f"cannot create the counter's data folder {data_dir}: "
                f"{exc.strerror or exc}. It is machine-wide, for every login of this counter. "
                f"Create it once as an administrator: {creation_hint(data_dir)}; or give "
                "another folder with --data-dir (docs/data_folder.md).") from None
        restrict_windows_acl(data_dir)
    return data_dir


def creation_hint(data_dir: Path) -> str:
    if sys.platform == "win32":
        return (f'in an administrator prompt, mkdir "{data_dir}" and give the counter\'s '
                "users modify rights on it (icacls)")
    user = os.environ.get("USER") or "COUNTER-USER"
    return f"sudo install -d -m 0700 -o {user} {data_dir}"


def restrict_windows_acl(data_dir: Path) -> None:
    """Windows, best effort: the new folder for Administrators, SYSTEM and the machine's
    Users (the counter's clerks), no inherited entries (docs/data_folder.md)."""
    if sys.platform != "win32":
        return
    import subprocess

    try:
        subprocess.run(
            ["icacls", str(data_dir), "/inheritance:r",
             "/grant:r", "*S-1-5-32-544:(OI)(CI)F", "*S-1-5-18:(OI)(CI)F",
             "*S-1-5-32-545:(OI)(CI)M"],
            check=False, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not restrict the access list of %s: %s", data_dir, exc)


def refuse_old_user_folder(config: Config, data_dir: Path) -> None:
    """CliError when this counter's records are still in the per-user folder earlier versions
    used: starting a new chain in the machine-wide folder would leave them behind."""
    old = paths.user_data_root()
    if not paths.database_path(old).exists():
        return
    try:
        with open_data_folder(old, readonly=True, check=False) as folder:
            found = folder_identity(folder.db)
    except Exception:  # unreadable: not this counter's to judge here
        return
    if found == (config.hall_id, config.counter_id):
        raise CliError(
            f"this counter's records are in {old}, the per-user folder of earlier versions; "
            f"the data folder is now {data_dir}. Close Counter App and move the folder's "
            f"contents there (docs/data_folder.md, \"Moving a counter\"), or start with "
            f'--data-dir "{old}".')


def secret_warnings(config: Config) -> list[str]:
    """Warnings for a head office token other users of this computer may read."""
    office = config.head_office
    found: list[str] = []
    if office.token and not config.is_demo and paths.readable_by_others(Path(config.source)):
        found.append(f"the configuration {config.source} holds the head office token and "
                     "other users of this computer can read it: chmod 600 it (or move the "
                     "token to a token_file only the counter may read)")
    if office.token_file:
        token = Path(office.token_file).expanduser()
        if not token.is_absolute() and not config.is_demo:
            token = Path(config.source).parent / token
        if paths.readable_by_others(token):
            found.append(f"the head office token file {token} can be read by other users of "
                         "this computer: chmod 600 it")
    return found


def warn_about_secrets(config: Config) -> list[str]:
    """Print (stderr) and log each of `secret_warnings`; returns them."""
    found = secret_warnings(config)
    for warning in found:
        print(f"counter-app: WARNING: {warning}", file=sys.stderr)
        log.warning("%s", warning)
    return found


def identity(config: Config) -> tuple[str, str]:
    return config.hall_id, config.counter_id


@contextlib.contextmanager
def staff_directory(config: Config, data_dir: Path) -> Iterator[StaffDirectory]:
    """The staff accounts, under the data folder's writer lock (no recovery, no backup);
    their changes are events of this counter's chain."""
    with open_data_folder(data_dir, identity=identity(config)) as folder:
        if folder.damaged:
            print(f"counter-app: THE DATABASE WAS DAMAGED ({folder.damaged.problem}); it was "
                  f"moved to {folder.damaged.set_aside} and a new one started", file=sys.stderr)
        store = EventStore(folder.db, config.hall_id, config.counter_id, record_opening=True)
        directory = StaffDirectory(folder.db, store)
        directory.record_existing()
        if config.is_demo:
            ensure_demo_accounts(directory)
        yield directory


def open_readonly(data_dir: Path, config: Config | None = None) -> Database:
    """A read-only connection to the counter database; refuses a missing or damaged one, and
    (given the configuration) one of another hall or counter."""
    try:
        return open_data_folder(data_dir, readonly=True,
                                identity=identity(config) if config else None).db
    except (DatabaseMissing, DatabaseDamaged, FolderOfAnotherCounter) as exc:
        raise CliError(str(exc)) from None


@contextlib.contextmanager
def writer_if_free(data_dir: Path) -> Iterator[Database | None]:
    """The writer connection when no running app holds the data folder, else None."""
    try:
        folder = open_data_folder(data_dir)
    except DataFolderLocked:
        yield None
        return
    with folder:
        yield folder.db
