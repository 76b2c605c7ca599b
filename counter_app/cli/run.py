"""`counter-app run` (and `counter-app` alone): start the counter."""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_app import paths
from counter_app.cli.common import CliError
from counter_app.config import Config
from counter_app.storage.db import begin_check
from counter_app.storage.folder import DatabaseMissing, open_data_folder
from counter_app.storage.staff import StaffDirectory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke-test", action="store_true", default=argparse.SUPPRESS)


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    # the database's integrity check (0.2 s for a year's data) runs while Qt loads
    early = begin_check(paths.database_path(data_dir))
    if not config.is_demo:
        refuse_without_manager(data_dir, config.source)
    # Qt is imported only to run: the full parser (documentation test, help) stays Qt-free.
    from counter_app.ui.app import run_app

    return run_app(config, data_dir, smoke_test=getattr(args, "smoke_test", False),
                   early_check=early)


def refuse_without_manager(data_dir: Path, config_source: str | None = None) -> None:
    """CliError when the data folder has no manager account (nobody could run the counter's
    manager side, nor add staff from it): says so, and how to add the first one."""
    try:
        # no check and no lock: the writer's own open checks (and says what it found)
        with open_data_folder(data_dir, readonly=True, check=False) as folder:
            if StaffDirectory(folder.db).has_manager():
                return
    except DatabaseMissing:
        pass
    except Exception:  # a database the writer will judge (damaged, too old, …)
        return
    with_config = f' --config "{config_source}"' if config_source else ""
    raise CliError(
        f"the data folder {data_dir} has no manager account "
        f"(database {paths.database_path(data_dir)}). Add the first one with\n"
        f"  counter-app{with_config} "
        f"--data-dir \"{data_dir}\" staff add --role manager "
        "--number NUMBER --name NAME\n"
        "then start the counter again."
    )
