"""`counter-app export transactions|overtime|summary`: records as CSV (and XLSX, PDF)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from counter_app.application.exports import (
    FORMATS_OVERTIME,
    FORMATS_SUMMARY_TABLES,
    overtime_log_records,
    transaction_record,
    write_overtime,
    write_summary_table,
    write_transactions_csv,
)
from counter_app.application.manager import Period, read_records
from counter_app.cli.common import CliError, add_common, date_arg, month_arg, text_output
from counter_app.config import Config

FORMATS_SUMMARY = (*FORMATS_SUMMARY_TABLES, "pdf")  # the PDF is drawn by the UI's Qt writer


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
        return _transactions(args, config, data_dir)
    if args.export_command == "overtime":
        return _overtime(args, config, data_dir)
    if args.export_command == "summary":
        return _summary(args, config, data_dir)
    raise CliError(f"{args.command}: say what to do; see `counter-app {args.command} --help`")


def _transactions(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with read_records(config, data_dir) as data:
        records = (transaction_record(r)
                   for r in data.transactions(Period(args.date_from, args.date_to)))
        with text_output(args.output) as out:
            count = write_transactions_csv(records, out)
    if args.output != "-":
        print(f"{count} transactions written to {args.output}", file=sys.stderr)
    return 0


def _overtime(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with read_records(config, data_dir) as data:
        records = overtime_log_records(data, Period(args.date_from, args.date_to))
    try:
        count = write_overtime(records, args.format, args.output,
                               language=config.language, types=config.types)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    if args.output != "-":
        print(f"{count} overtime transactions written to {args.output}", file=sys.stderr)
    return 0


def _summary(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if args.format == "pdf" and args.output == "-":
        raise CliError("a PDF needs a file name for --output")
    with read_records(config, data_dir) as data:
        report = data.month_report(args.month)
    try:
        if args.format == "pdf":
            # lazy: only a PDF pays for Qt's printing and fonts
            from counter_app.ui.manager.summary_pdf import write_summary_pdf

            write_summary_pdf(report, Path(args.output),
                              hall=f"{config.hall_name_in(config.language)} ({config.hall_id})",
                              counter=config.counter_id, language=config.language)
            count = len(report.staff)
        else:
            count = write_summary_table(report, args.format, args.output,
                                        language=config.language)
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
    if args.output != "-":
        print(f"summary of {args.month} ({count} staff) written to {args.output}",
              file=sys.stderr)
    return 0
