"""`counter-app run` (and `counter-app` alone): start the counter."""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_app.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke-test", action="store_true", default=argparse.SUPPRESS)


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    # Qt is imported only to run: the full parser (documentation test, help) stays Qt-free.
    from counter_app.ui.app import run_app

    return run_app(config, data_dir, smoke_test=getattr(args, "smoke_test", False))
