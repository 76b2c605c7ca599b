"""The head office documentation names every `counter-hq` subcommand, option and report."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from head_office.cli import REPORTS, build_parser

ROOT = Path(__file__).resolve().parents[2]


def documentation() -> str:
    """README.md, plus docs/head_office.md until it is merged into README."""
    parts = [ROOT / "README.md", ROOT / "docs" / "head_office.md"]
    return "\n".join(p.read_text(encoding="utf-8") for p in parts if p.exists())


def subcommands() -> dict[str, argparse.ArgumentParser]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("counter-hq has no subcommands")


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_subcommand_and_option_is_documented(name: str) -> None:
    text = documentation()
    assert re.search(rf"counter-hq {name}\b", text), f"`counter-hq {name}` is not documented"
    options = {o for a in subcommands()[name]._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"}
    missing = sorted(o for o in options if not re.search(re.escape(o) + r"\b", text))
    assert not missing, f"`counter-hq {name}`: {missing} not documented"


@pytest.mark.parametrize("kind", REPORTS)
def test_every_report_is_documented(kind: str) -> None:
    assert re.search(rf"counter-hq report {kind}\b", documentation())


def documented_codes() -> dict[str, int]:
    """code → status, from the protocol's refusal table (`| 400 | `a`, `b` | when |`)."""
    found: dict[str, int] = {}
    for status, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", documentation(), re.M):
        for code in re.findall(r"`([a-z_]+)`", codes):
            found[code] = int(status)
    return found


def test_every_refusal_code_is_documented_with_its_status() -> None:
    from head_office.app import status_of
    from head_office.errors import Refusal, all_refusals

    served = {cls.code: status_of(cls) for cls in all_refusals() if cls is not Refusal}
    assert len(served) > 15
    documented = documented_codes()
    missing = sorted(code for code in served if code not in documented)
    assert not missing, f"refusal codes not in the protocol table: {missing}"
    wrong = sorted(f"{code}: served {served[code]}, documented {documented[code]}"
                   for code in served if documented[code] != served[code])
    assert not wrong, f"refusal codes documented with another status: {wrong}"
