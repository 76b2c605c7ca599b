"""`counter-app manager`: the manager desk, a PC that is not a counter, showing the whole hall.

Its own data folder (from `--data-dir`, else the configuration's `[counter] id` as a counter's
would be: docs/data_folder.md) and its own chain, whose events are the decisions made at the
desk; `[hall_server]` is required (the desk's token from `counter-hq enroll --kind desk`). A
manager signs in with number and PIN (the desk's staff table: `counter-app --config FILE
staff add --role manager ...`), then the manager view shows every counter of the hall.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_app.cli.common import CliError
from counter_app.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke-test", action="store_true", default=argparse.SUPPRESS,
                        help="open the desk's sign-in window, then exit 0 (for builds and CI)")


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    if config.hall_server is None or not config.hall_server.url:
        raise CliError(
            f"the manager desk needs the hall server: add a [hall_server] table with its url "
            f"and the desk's token (token_file; from `counter-hq enroll --hall {config.hall_id} "
            f"--counter {config.counter_id} --kind desk`) to {config.source}; see docs/hall.md")
    # Qt is imported only to run: the full parser (documentation test, help) stays Qt-free.
    from counter_app.ui.desk import run_desk

    return run_desk(config, data_dir, smoke_test=getattr(args, "smoke_test", False))
