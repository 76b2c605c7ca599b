"""README.md shows every CLI subcommand and configuration key; every option is documented."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.cli import build_full_parser, build_parser
from counter_app.config import _SCHEMA

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COMMON_OPTIONS = {"--help", "--config", "--data-dir"}  # README states these once, for all


def readme() -> str:
    return README.read_text(encoding="utf-8")


def all_docs() -> str:
    """README.md and the detailed guides it points to (docs/*.md)."""
    guides = [README, *sorted(ROOT.glob("docs/*.md"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in guides)


def subcommands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                path = (*prefix, name)
                yield path, child
                yield from subcommands(child, path)


def long_options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and action.help != argparse.SUPPRESS}


def documented_keys(text: str) -> set[str]:
    """`section.key` mentions, plus keys set under a `[section]` header in a TOML example."""
    keys = set(re.findall(r"\b([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)\b", text))
    section = None
    for line in text.splitlines():
        header = re.match(r"^\s*\[\[?([a-z_]+)\]\]?", line)
        if header:
            section = header.group(1)
            continue
        assignment = re.match(r"^\s*#?\s*([a-z_][a-z0-9_]*)\s*=", line)
        if assignment and section:
            keys.add(f"{section}.{assignment.group(1)}")
        elif line.startswith("```"):
            section = None
    return keys


COMMANDS = sorted(path for path, _ in subcommands(build_full_parser()))


def test_the_parser_has_the_documented_interface() -> None:
    assert {("staff", "add"), ("staff", "list"), ("verify",),
            ("export", "transactions")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_subcommand_is_in_readme(path: tuple[str, ...]) -> None:
    words = r"\b" + r"\b.*\b".join(re.escape(word) for word in path) + r"\b"
    usage = re.compile(r"counter-app\b.*" + words)
    assert any(usage.search(line) for line in readme().splitlines()), (
        f"README.md does not show `counter-app {' '.join(path)}`"
    )


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_option_is_documented(path: tuple[str, ...]) -> None:
    parser = dict(subcommands(build_full_parser()))[path]
    docs = all_docs()
    missing = sorted(
        option for option in long_options(parser) - COMMON_OPTIONS
        if not re.search(re.escape(option) + r"(?![\w-])", docs)
    )
    assert not missing, f"neither README.md nor docs/ mention {missing} of `{' '.join(path)}`"


def test_the_full_parser_has_every_subcommand_of_the_lazy_one() -> None:
    """The lazy parser lists the same subcommands; only their own arguments come later."""
    lazy = [path for path, _ in subcommands(build_parser())]
    full = [path for path, _ in subcommands(build_full_parser())]
    assert lazy == [path for path in full if len(path) == 1]
    assert ("staff", "add") in COMMANDS and ("export", "summary") in COMMANDS


def test_top_level_options_are_in_readme() -> None:
    for option in long_options(build_parser()):
        assert option in readme() or option == "--help", option


CONFIG_KEYS = sorted(f"{section}.{key}" for section, keys in _SCHEMA.items() for key in keys)


@pytest.mark.parametrize("key", CONFIG_KEYS)
def test_every_config_key_is_in_readme(key: str) -> None:
    assert key in documented_keys(readme()), f"README.md does not document `{key}`"


def test_documented_keys_parser_is_not_too_lenient() -> None:
    text = "```toml\n[hall]\nid = 1\n# name = 2\n```\n[counter]\nid = 3\n"
    assert documented_keys(text) == {"hall.id", "hall.name", "counter.id"}
    assert "sync.window" not in documented_keys("window = 1\n")
