"""`counter-app demo-data`: the command line of the demo history (counter_app.application.demo).

`DemoHistory` and `write_demo_history` keep their old import path here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counter_app.application.demo import DemoHistory, DemoResult, write_demo_history
from counter_app.config import Config

__all__ = ["DemoHistory", "DemoResult", "register_cli", "write_demo_history"]


# ---- command line ---------------------------------------------------------------------------

def register_cli(sub: Any, export_sub: Any, add_common: Callable[..., None]) -> None:
    """`counter-app demo-data --days N [--seed S] [--end DATE]`."""
    help_text = "append seeded, realistic demo history (for demos, tests and benchmarks)"
    parser: argparse.ArgumentParser = sub.add_parser("demo-data", help=help_text,
                                                     description=help_text)
    add_common(parser, top=False)
    parser.add_argument("--days", type=int, required=True, metavar="N",
                        help="how many days of history, ending on --end")
    parser.add_argument("--seed", type=int, default=1, metavar="S",
                        help="random seed: the same seed gives the same history (default 1)")
    parser.add_argument("--end", type=_date, default=None, metavar="DATE",
                        help="last day of the history, YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--no-reviews", action="store_true",
                        help="leave out the duty manager's reviews, follow-ups and stars")
    parser.set_defaults(handler=_demo_data)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _demo_data(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
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
