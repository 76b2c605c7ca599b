"""`counter-app export transactions|overtime|summary`: records as CSV (and XLSX, PDF)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlite_utils

from counter_app.cli.common import (
    CliError,
    add_common,
    date_arg,
    month_arg,
    open_readonly,
    text_output,
)
from counter_app.config import Config
from counter_app.exports import TRANSACTION_COLUMNS, local_day_bounds_utc, transaction_record
from counter_app.manager_data import month_report, overtime_records
from counter_app.manager_exports import (
    FORMATS_OVERTIME,
    FORMATS_SUMMARY,
    write_overtime,
    write_summary,
)
from counter_app.storage import queries, reports
from counter_core.tables import write_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="export_command", metavar="WHAT")

    transactions = actions.add_parser("transactions", help="every transaction, one row each")
    add_common(transactions, top=False)
    transactions.add_argument("--from", dest="date_from", type=date_arg, metavar="DATE")
    transactions.add_argument("--to", dest="date_to", type=date_arg, metavar="DATE")
    transactions.add_argument("--format", choices=("csv",), default="csv")
    transactions.add_argument("--output", default="-", metavar="FILE|-")

    overtime = actions.add_parser(
        "overtime", help="the overtime log with the manager's causes",
        description="Every overtime transaction with staff reason, rating and review.")
    add_common(overtime, top=False)
    overtime.add_argument("--from", dest="date_from", type=date_arg, metavar="DATE")
    overtime.add_argument("--to", dest="date_to", type=date_arg, metavar="DATE")
    overtime.add_argument("--format", choices=FORMATS_OVERTIME, default="csv")
    overtime.add_argument("--output", default="-", metavar="FILE|-")

    summary = actions.add_parser(
        "summary", help="a month's per-staff summary and service star",
        description="Per staff for a month: served, ratings, overtime, time signed in; the star.")
    add_common(summary, top=False)
    summary.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM")
    summary.add_argument("--format", choices=FORMATS_SUMMARY, default="csv")
    summary.add_argument("--output", required=True, metavar="FILE|-")


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if args.export_command == "transactions":
        return _transactions(args, data_dir)
    if args.export_command == "overtime":
        return _overtime(args, data_dir)
    if args.export_command == "summary":
        return _summary(args, config, data_dir)
    raise CliError(f"{args.command}: say what to do; see `counter-app {args.command} --help`")


def _transactions(args: argparse.Namespace, data_dir: Path) -> int:
    start, end = local_day_bounds_utc(args.date_from, args.date_to)
    db = open_readonly(data_dir)
    try:
        rows = (transaction_record(r) for r in queries.transactions(db, start, end))
        with text_output(args.output) as out:
            count = write_csv(rows, TRANSACTION_COLUMNS, out)
    finally:
        db.conn.close()
    if args.output != "-":
        print(f"{count} transactions written to {args.output}", file=sys.stderr)
    return 0


def _open_with_reviews(data_dir: Path) -> sqlite_utils.Database:
    db = open_readonly(data_dir)
    if "reviews" not in db.table_names():
        db.conn.close()
        raise CliError("this database predates the manager view: start counter-app once "
                       "(or run demo-data) to upgrade it")
    return db


def _overtime(args: argparse.Namespace, data_dir: Path) -> int:
    start, end = local_day_bounds_utc(args.date_from, args.date_to)
    db = _open_with_reviews(data_dir)
    try:
        records = overtime_records(reports.overtime_log(db, start, end))
    finally:
        db.conn.close()
    try:
        count = write_overtime(records, args.format, args.output)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    if args.output != "-":
        print(f"{count} overtime transactions written to {args.output}", file=sys.stderr)
    return 0


def _summary(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    db = _open_with_reviews(data_dir)
    try:
        report = month_report(db, args.month)
    finally:
        db.conn.close()
    try:
        count = write_summary(report, args.format, args.output,
                              hall=f"{config.hall_name} ({config.hall_id})",
                              counter=config.counter_id, language=config.language)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.output != "-":
        print(f"summary of {args.month} ({count} staff) written to {args.output}",
              file=sys.stderr)
    return 0
