"""The subcommands of `counter-app`: name, module and one-line help; nothing here imports them.

Each module has `add_arguments(parser)` (the subcommand's own options; `--config` and
`--data-dir` are already there) and `run(args, config, data_dir) -> exit status`. A module is
imported only when its subcommand is named (or `build_full_parser` walks them all), so running
the counter loads none of the admin commands and `verify` loads neither sync nor Qt.
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from counter_app.config import Config


class CommandModule(Protocol):
    """What a subcommand's module provides."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, config: Config, data_dir: Path) -> int: ...


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    help: str

    def load(self) -> CommandModule:
        return cast(CommandModule, importlib.import_module(self.module))


COMMANDS: tuple[Command, ...] = (
    Command("run", "counter_app.cli.run", "start the counter (the default command)"),
    Command("staff", "counter_app.cli.staff", "manage staff accounts"),
    Command("verify", "counter_app.cli.verify",
            "check the event hash chain and the projections"),
    Command("export", "counter_app.cli.export", "export records"),
    Command("demo-data", "counter_app.cli.demo_data",
            "append seeded, realistic demo history (for demos, tests and benchmarks)"),
    Command("sync", "counter_app.cli.sync",
            "upload the events head office has not acknowledged"),
    Command("self-check", "counter_app.cli.self_check",
            "check this installation: Chinese text without missing glyphs, a chart, speech"),
    Command("manager", "counter_app.cli.manager",
            "the manager desk: the whole hall from the hall server, on a PC that is no counter"),
)

BY_NAME: dict[str, Command] = {command.name: command for command in COMMANDS}

#: what `counter-app` without a subcommand does
DEFAULT = "run"
