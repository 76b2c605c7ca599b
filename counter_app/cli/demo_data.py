"""`counter-app demo-data --days N [--seed S] [--end DATE] [--no-reviews]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from counter_app.application.demo import write_demo_history
from counter_app.cli.common import date_arg
from counter_app.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, required=True, metavar="N",
                        help="how many days of history, ending on --end")
    parser.add_argument("--seed", type=int, default=1, metavar="S",
                        help="random seed: the same seed gives the same history (default 1)")
    parser.add_argument("--end", type=date_arg, default=None, metavar="DATE",
                        help="last day of the history, YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--no-reviews", action="store_true",
                        help="leave out the duty manager's reviews, follow-ups and stars")


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    try:
        result = write_demo_history(config, data_dir, args.days, seed=args.seed, end=args.end,
                                    reviews_too=not args.no_reviews)
    except ValueError as exc:
        print(f"counter-app: demo-data: {exc}", file=sys.stderr)
        return 2
    if result.damaged:
        print(f"counter-app: WARNING: the database failed its check ({result.damaged.problem});"
              f" it was moved to {result.damaged.set_aside} and a new one started",
              file=sys.stderr)
    print(f"{result.transactions} transactions ({result.events} events) over {result.days} days"
          f" written to {data_dir} in {result.seconds:.1f} s")
    return 0
