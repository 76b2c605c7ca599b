"""`counter-app export overtime …` and `counter-app export summary …`: the manager's exports.

The exports themselves are application use cases (counter_app.application.exports, on a
`LocalManagerData` read model); the summary's PDF is drawn by the UI's Qt writer, loaded only
when a PDF is asked for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from counter_app.application.errors import CannotOpen
from counter_app.application.exports import (
    FORMATS_OVERTIME,
    overtime_log_records,
    write_overtime,
    write_summary_table,
)
from counter_app.application.manager import LocalManagerData, Period
from counter_app.config import Config
from counter_app.manager_data import parse_month
from counter_app.storage.folder import open_data_folder

FORMATS_SUMMARY = ("csv", "xlsx", "pdf")


# ---- command line ---------------------------------------------------------------------------

def register_cli(sub: Any, export_sub: Any, add_common: Callable[..., None]) -> None:
    """`counter-app export overtime …` and `counter-app export summary …`."""
    overtime = export_sub.add_parser(
        "overtime", help="the overtime log with the manager's causes",
        description="Every overtime transaction with staff reason, rating and review.")
    add_common(overtime, top=False)
    overtime.add_argument("--from", dest="date_from", type=_date, metavar="DATE")
    overtime.add_argument("--to", dest="date_to", type=_date, metavar="DATE")
    overtime.add_argument("--format", choices=FORMATS_OVERTIME, default="csv")
    overtime.add_argument("--output", default="-", metavar="FILE|-")
    overtime.set_defaults(handler=_export_overtime)

    summary = export_sub.add_parser(
        "summary", help="a month's per-staff summary and service star",
        description="Per staff for a month: served, ratings, overtime, time signed in; the star.")
    add_common(summary, top=False)
    summary.add_argument("--month", required=True, type=_month, metavar="YYYY-MM")
    summary.add_argument("--format", choices=FORMATS_SUMMARY, default="csv")
    summary.add_argument("--output", required=True, metavar="FILE|-")
    summary.set_defaults(handler=_export_summary)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _month(text: str) -> str:
    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


@contextmanager
def _manager_data(config: Config, data_dir: Path) -> Iterator[LocalManagerData]:
    """The counter's records, read-only (the counter may run meanwhile)."""
    with open_data_folder(data_dir, readonly=True) as folder:
        if "reviews" not in folder.db.table_names():
            raise CannotOpen("this database predates the manager view: start counter-app once "
                             "(or run demo-data) to upgrade it")
        yield LocalManagerData(folder.db, config.time_zone)


def _fail(message: str) -> int:
    print(f"counter-app: {message}", file=sys.stderr)
    return 2


def _export_overtime(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with _manager_data(config, data_dir) as data:
        records = overtime_log_records(data, Period(args.date_from, args.date_to))
    count = write_overtime(records, args.format, args.output)
    if args.output != "-":
        print(f"{count} overtime transactions written to {args.output}", file=sys.stderr)
    return 0


def _export_summary(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    with _manager_data(config, data_dir) as data:
        report = data.month_report(args.month)
    if args.format == "pdf":
        if args.output == "-":
            return _fail("a PDF needs a file name for --output")
        # lazy: only a PDF pays for Qt's printing and fonts
        from counter_app.ui.manager.summary_pdf import write_summary_pdf

        write_summary_pdf(report, Path(args.output), hall=f"{config.hall_name} "
                          f"({config.hall_id})", counter=config.counter_id,
                          language=config.language)
        count = len(report.staff)
    else:
        count = write_summary_table(report, args.format, args.output)
    if args.output != "-":
        print(f"summary of {args.month} ({count} staff) written to {args.output}",
              file=sys.stderr)
    return 0
