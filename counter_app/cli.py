"""The `counter-app` command line: run the counter (default) and the admin subcommands."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from counter_app import config as config_module
from counter_app import paths
from counter_app.config import Config, ConfigError
from counter_app.storage.db import DatabaseError

if TYPE_CHECKING:
    from counter_app.storage.staff import StaffDirectory

Handler = Callable[[argparse.Namespace, Config, Path], int]


class CliError(Exception):
    """A problem to print as one line on stderr, with exit status 2."""


def _add_common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Subparsers default to SUPPRESS so `counter-app --config X verify` and
    # `counter-app verify --config X` both work.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", type=Path, default=default, metavar="FILE",
                        help="TOML configuration (default: the embedded demo configuration)")
    parser.add_argument("--data-dir", type=Path, default=default, metavar="DIR",
                        help=f"data folder (default: {paths.default_data_dir()})")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="counter-app",
        description="Counter App: the three-minute hourglass, customer rating and record.",
    )
    _add_common(parser, top=True)
    parser.add_argument("--smoke-test", action="store_true",
                        help="show both windows, then exit 0 (for builds and CI)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _add_common(p, top=False)
        p.set_defaults(handler=handler)
        return p

    run = command("run", _run, "start the counter (the default command)")
    run.add_argument("--smoke-test", action="store_true", default=argparse.SUPPRESS)

    staff = command("staff", _staff_list, "manage staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    add = staff_sub.add_parser("add", help="add or update a staff account")
    _add_common(add, top=False)
    add.set_defaults(handler=_staff_add)
    add.add_argument("--number", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=("staff", "manager"), default="staff")
    add.add_argument("--photo", help="path of a photo for the supervision sign")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    listing = staff_sub.add_parser("list", help="list staff accounts")
    _add_common(listing, top=False)
    listing.set_defaults(handler=_staff_list)

    command("verify", _verify, "check the event hash chain and the projections")

    export = command("export", _no_action(parser), "export records")
    export_sub = export.add_subparsers(dest="export_command", metavar="WHAT")
    txns = export_sub.add_parser("transactions", help="every transaction, one row each")
    _add_common(txns, top=False)
    txns.set_defaults(handler=_export_transactions)
    txns.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    txns.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    txns.add_argument("--format", choices=("csv",), default="csv")
    txns.add_argument("--output", default="-", metavar="FILE|-")

    register = [_register_optional(name) for name in ("demo_data", "sync", "manager_exports")]
    for hook in register:
        if hook is not None:
            hook(sub, export_sub, _add_common)
    return parser


def _register_optional(module: str) -> Callable[..., None] | None:
    """Subcommands contributed by feature modules (each has `register_cli`)."""
    import importlib

    try:
        mod = importlib.import_module(f"counter_app.{module}")
    except ModuleNotFoundError as exc:
        if exc.name == f"counter_app.{module}":
            return None
        raise
    return getattr(mod, "register_cli", None)


def _no_action(parser: argparse.ArgumentParser) -> Handler:
    def handler(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
        raise CliError(f"{args.command}: say what to do; see `counter-app {args.command} --help`")

    return handler


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_module.load(args.config)
        data_dir = (args.data_dir or paths.default_data_dir()).expanduser()
        handler: Handler = getattr(args, "handler", _run)
        return handler(args, config, data_dir)
    except (ConfigError, CliError, DatabaseError) as exc:
        print(f"counter-app: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# ---- handlers -------------------------------------------------------------------------------

def _run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app.ui.app import run_app

    return run_app(config, data_dir, smoke_test=getattr(args, "smoke_test", False))


@contextlib.contextmanager
def staff_directory(config: Config, data_dir: Path) -> Iterator[StaffDirectory]:
    """The staff accounts, under the data folder's writer lock (no recovery, no backup)."""
    from counter_app.service import ensure_demo_accounts, lock_data_dir
    from counter_app.storage.db import open_counter_db
    from counter_app.storage.staff import StaffDirectory

    lock = lock_data_dir(data_dir)
    try:
        opened = open_counter_db(paths.database_path(data_dir))
        if opened.set_aside:
            print(f"counter-app: THE DATABASE WAS DAMAGED ({opened.problem}); it was moved to "
                  f"{opened.set_aside} and a new one started", file=sys.stderr)
        try:
            directory = StaffDirectory(opened.db)
            if config.is_demo:
                ensure_demo_accounts(directory)
            yield directory
        finally:
            opened.db.conn.close()
    finally:
        lock.release()


def open_readonly(data_dir: Path):  # type: ignore[no-untyped-def]
    from counter_app.storage.db import connect, quick_check

    path = paths.database_path(data_dir)
    if not path.exists():
        raise CliError(f"no counter database at {path}")
    problem = quick_check(path)
    if problem is not None:
        raise CliError(f"{path} is damaged: {problem}")
    return connect(path, readonly=True)


def _staff_add(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("PIN: ")
        if getpass.getpass("PIN again: ") != pin:
            raise CliError("the two PINs differ")
    with staff_directory(config, data_dir) as directory:
        try:
            directory.add(args.number, args.name, args.role, pin, args.photo)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    print(f"staff {args.number} ({args.name}, {args.role}) saved")
    return 0


def _staff_list(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with staff_directory(config, data_dir) as directory:
        print(f"{'number':<10}{'role':<10}name")
        for record in directory.list():
            print(f"{record.number:<10}{record.role:<10}{record.name}")
    return 0


def _verify(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app.storage.events import verify

    db = open_readonly(data_dir)
    report = verify(db)
    if report.chain_problem:
        print(f"BROKEN chain at sequence {report.chain_problem.seq}: "
              f"{report.chain_problem.reason}")
        return 1
    if report.projection_problem:
        print(f"BROKEN projection: {report.projection_problem}")
        return 1
    print(f"OK: {report.events} events, chain intact, transactions match the events")
    return 0


def _export_transactions(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app import exports
    from counter_app.storage import queries

    start, end = exports.local_day_bounds_utc(args.date_from, args.date_to)
    db = open_readonly(data_dir)
    rows = (exports.transaction_record(r) for r in queries.transactions(db, start, end))
    if args.output == "-":
        exports.write_csv(rows, sys.stdout)
    else:
        try:
            out = open(args.output, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        with out:
            count = exports.write_csv(rows, out)
        print(f"{count} transactions written to {args.output}", file=sys.stderr)
    return 0
