"""The head office documentation names every `counter-hq` subcommand, option and report."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from head_office.cli import REPORTS, build_parser

ROOT = Path(__file__).resolve().parents[1]


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


def test_every_refusal_code_is_documented() -> None:
    sources = "\n".join((ROOT / "head_office" / f).read_text(encoding="utf-8")
                        for f in ("api.py", "store.py"))
    codes = set(re.findall(r'Refusal\(\s*\d{3},\s*"([a-z_]+)"', sources))
    assert len(codes) > 10
    missing = sorted(c for c in codes if f"`{c}`" not in documentation())
    assert not missing, f"refusal codes not in the protocol table: {missing}"
