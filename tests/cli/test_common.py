"""The argument types wrap the core's period parsers; the output helper refuses clearly."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from counter_app.cli.common import CliError, date_arg, month_arg, text_output


def test_date_arg_is_the_core_parser() -> None:
    assert date_arg("2026-03-11") == dt.date(2026, 3, 11)
    with pytest.raises(argparse.ArgumentTypeError, match="expected a date YYYY-MM-DD"):
        date_arg("11/03/2026")


def test_month_arg_keeps_the_text() -> None:
    assert month_arg("2026-03") == "2026-03"
    for bad in ("2026-13", "2026-3", "March"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected a month YYYY-MM"):
            month_arg(bad)


def test_text_output_to_a_file_and_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with text_output(str(target)) as out:
        out.write("a\n")
    assert target.read_text(encoding="utf-8") == "a\n"
    missing = tmp_path / "no-such-folder" / "out.csv"
    with pytest.raises(CliError, match="cannot write"), text_output(str(missing)):
        pass
