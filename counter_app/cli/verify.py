"""`counter-app verify`: check the event hash chain and the projections (read only).

The projections are the transactions, the manager's reviews and stars, and the staff table
(roles and PIN hashes against the staff events). A folder of another hall or counter than the
configuration names is refused; a head office token others can read is warned about (by the
command line's start, for every command).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_app.cli.common import open_readonly
from counter_app.config import Config
from counter_app.storage.events import verify


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options beyond `--config` and `--data-dir`."""


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    db = open_readonly(data_dir, config)
    try:
        report = verify(db)
    finally:
        db.conn.close()
    if report.chain_problem:
        print(f"BROKEN chain at sequence {report.chain_problem.seq}: "
              f"{report.chain_problem.reason}")
        return 1
    if report.projection_problem:
        print(f"BROKEN projection: {report.projection_problem}")
        return 1
    print(f"OK: {report.events} events, chain intact, transactions and staff accounts "
          "match the events")
    return 0
