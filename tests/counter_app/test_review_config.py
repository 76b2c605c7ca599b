"""`[review] follow_up_working_days`: the 好差评 deadline, 5 working days unless configured."""

from __future__ import annotations

import tomllib

import pytest

from counter_app import config as config_module
from counter_app.config import ConfigError
from counter_app.paths import resource_path


def parse(extra: str) -> config_module.Config:
    text = resource_path("demo_config.toml").read_text(encoding="utf-8") + "\n" + extra
    return config_module.parse(tomllib.loads(text), "counter.toml")


def test_default_and_configured_working_days() -> None:
    assert parse("").follow_up_working_days == 5
    assert parse("[review]\nfollow_up_working_days = 3\n").follow_up_working_days == 3


@pytest.mark.parametrize(
    "value, says",
    [
        ("0", "expected 1 to 60"),
        ("61", "expected 1 to 60"),
        ('"5"', "a whole number"),
        ("true", "a whole number"),
        ("5.5", "a whole number"),
    ],
)
def test_bad_values_name_the_key(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=f"review.follow_up_working_days.*{says}"):
        parse(f"[review]\nfollow_up_working_days = {value}\n")
