"""`counter-app staff add|list`: the staff accounts, under the data folder's writer lock."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from counter_app.cli.common import CliError, add_common, staff_directory
from counter_app.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="staff_command", metavar="ACTION")
    add = actions.add_parser("add", help="add or update a staff account")
    add_common(add, top=False)
    add.add_argument("--number", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=("staff", "manager"), default="staff")
    add.add_argument("--photo", help="path of a photo for the supervision sign")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    listing = actions.add_parser("list", help="list staff accounts")
    add_common(listing, top=False)


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if args.staff_command == "add":
        return _add(args, config, data_dir)
    return _list(config, data_dir)  # `staff` alone lists


def _add(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
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


def _list(config: Config, data_dir: Path) -> int:
    with staff_directory(config, data_dir) as directory:
        print(f"{'number':<10}{'role':<10}name")
        for record in directory.list():
            print(f"{record.number:<10}{record.role:<10}{record.name}")
    return 0
