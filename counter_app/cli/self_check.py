"""`counter-app self-check`: Chinese text drawn without missing-glyph boxes, a chart drawn, the
speech engines listed (counter_app.ui.self_check); exit 1 when text or chart fail. The bundle's
build runs it (scripts/build_bundle.sh)."""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_app.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond `--config` and `--data-dir` (neither is read)."""


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from counter_app.ui.app import application
    from counter_app.ui.self_check import run_checks

    application()  # the app's own fonts (resources/fonts) and style, as the counter starts
    results = run_checks()
    for result in results:
        print(result.line)
    return 0 if all(r.ok for r in results) else 1
