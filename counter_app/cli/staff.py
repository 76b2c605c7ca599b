"""`counter-app staff add|pin|disable|enable|list`: the staff accounts, under the data
folder's writer lock.

Every change is an event in the counter's chain (storage.staff). `add` needs a manager's
number (`--manager`) and PIN, except for the first manager of a data folder that has none;
`disable` and `enable` always need them; `pin` changes one's own PIN with the old one. All
four are refused when the configuration says a hall server or head office keeps the roster
(`[roster] managed_by`).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from counter_app.cli.common import CliError, add_common, staff_directory
from counter_app.config import Config
from counter_app.storage.staff import PinChangeRequired, SignInError, StaffDirectory
from counter_core import pins


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="staff_command", metavar="ACTION")
    add = actions.add_parser(
        "add", help="add or update a staff account (a manager's number and PIN needed)")
    add_common(add, top=False)
    add.add_argument("--number", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=("staff", "manager"), default="staff")
    add.add_argument("--photo", help="path of a photo for the supervision sign")
    add.add_argument("--pin-stdin", action="store_true",
                     help="read the account's PIN from stdin (after the manager's PIN when "
                          "--manager-pin-stdin is given too)")
    add.add_argument("--manager", metavar="NUMBER",
                     help="the manager making the change (not needed for the first manager "
                          "of a data folder that has none)")
    add.add_argument("--manager-pin-stdin", action="store_true",
                     help="read the manager's PIN from stdin (first line) instead of asking")
    pin = actions.add_parser("pin", help="change your own PIN (the old one is asked first)")
    add_common(pin, top=False)
    pin.add_argument("--number", required=True)
    pin.add_argument("--pin-stdin", action="store_true",
                     help="read the old and the new PIN from stdin, one a line")
    for action, what in (("disable", "disable a staff account: it can no longer sign in"),
                         ("enable", "enable a disabled staff account again")):
        change = actions.add_parser(action, help=f"{what} (a manager's number and PIN needed)")
        add_common(change, top=False)
        change.add_argument("--number", required=True)
        change.add_argument("--manager", metavar="NUMBER",
                            help="the manager making the change (needed)")
        change.add_argument("--manager-pin-stdin", action="store_true",
                            help="read the manager's PIN from stdin instead of asking")
    listing = actions.add_parser("list", help="list staff accounts (with enabled/disabled)")
    add_common(listing, top=False)


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if args.staff_command in ("add", "pin", "disable", "enable"):
        refuse_when_managed_elsewhere(config)
    if args.staff_command == "add":
        return _add(args, config, data_dir)
    if args.staff_command == "pin":
        return _pin(args, config, data_dir)
    if args.staff_command in ("disable", "enable"):
        return _set_disabled(args, config, data_dir)
    return _list(config, data_dir)  # `staff` alone lists


def refuse_when_managed_elsewhere(config: Config) -> None:
    where = {"hall_server": "the hall server", "head_office": "head office"}
    if config.roster_managed_by in where:
        raise CliError(
            f"staff accounts of this counter are managed by {where[config.roster_managed_by]} "
            f"([roster] managed_by = \"{config.roster_managed_by}\" in {config.source}): "
            "change them there, not at the counter")


def _read_stdin_pin() -> str:
    return sys.stdin.readline().strip()


def _new_pin(from_stdin: bool, prompt: str = "PIN") -> str:
    if from_stdin:
        return _read_stdin_pin()
    pin = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"{prompt} again: ") != pin:
        raise CliError("the two PINs differ")
    return pin


def _authorize(args: argparse.Namespace, directory: StaffDirectory) -> str | None:
    """The manager number the change is recorded under (None: the first manager)."""
    if not directory.has_manager():
        if args.role != "manager":
            raise CliError("this data folder has no manager yet: add the first manager "
                           "first (--role manager); it needs no --manager")
        return None
    return _manager(args, directory)


def _manager(args: argparse.Namespace, directory: StaffDirectory) -> str:
    """The number of the manager (`--manager`) whose PIN is given, or CliError."""
    if not args.manager:
        raise CliError("a manager's number and PIN are needed: give --manager NUMBER (the "
                       "PIN is asked for, or read from stdin with --manager-pin-stdin)")
    pin = (_read_stdin_pin() if args.manager_pin_stdin
           else getpass.getpass(f"PIN of manager {args.manager}: "))
    try:
        return directory.authorize_manager(args.manager, pin).number
    except PinChangeRequired:
        raise CliError(
            f"manager {args.manager}'s PIN is shorter than {pins.MANAGER_MIN_DIGITS} digits: "
            f"change it first (counter-app staff pin --number {args.manager})") from None
    except SignInError as exc:
        raise CliError(f"manager sign-in refused: {exc}") from None


def _add(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with staff_directory(config, data_dir) as directory:
        by = _authorize(args, directory)
        pin = _new_pin(args.pin_stdin)
        try:
            directory.add(args.number, args.name, args.role, pin, args.photo, by=by)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    print(f"staff {args.number} ({args.name}, {args.role}) saved")
    return 0


def _set_disabled(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    disable = args.staff_command == "disable"
    with staff_directory(config, data_dir) as directory:
        by = _manager(args, directory)
        try:
            if disable:
                directory.disable(args.number, by=by)
            else:
                directory.enable(args.number, by=by)
        except ValueError as exc:
            raise CliError(f"staff {args.number} not {args.staff_command}d: {exc}") from None
    print(f"staff {args.number.strip()} {args.staff_command}d")
    return 0


def _pin(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    old = _read_stdin_pin() if args.pin_stdin else getpass.getpass("Current PIN: ")
    new = _new_pin(args.pin_stdin, "New PIN")
    with staff_directory(config, data_dir) as directory:
        try:
            directory.change_pin(args.number, old, new)
        except SignInError as exc:
            raise CliError(f"PIN not changed: {exc}") from None
        except ValueError as exc:
            raise CliError(f"PIN not changed: {exc}") from None
    print(f"the PIN of staff {args.number} was changed")
    return 0


def _list(config: Config, data_dir: Path) -> int:
    with staff_directory(config, data_dir) as directory:
        print(f"{'number':<10}{'role':<10}{'state':<10}name")
        for record in directory.list():
            state = "disabled" if record.disabled else "enabled"
            print(f"{record.number:<10}{record.role:<10}{state:<10}{record.name}")
    return 0
