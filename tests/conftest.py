"""Shared fixtures: an offscreen Qt, a controllable monotonic clock, a fresh counter."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from counter_app import config as config_module
from counter_app.config import Config
from tests.helpers.clock import FakeClock, clear_of_midnight
from tests.helpers.counter import CounterService

# head office and PostgreSQL fixtures (real servers in subprocesses)
pytest_plugins = ["tests.helpers.hq", "tests.helpers.xdisplay"]


@pytest.fixture(autouse=True)
def _one_local_day() -> None:
    """Every test starts clear of a local midnight in the tests' time zones (see
    `clear_of_midnight`): tests that record on the wall clock and then count "today" assume
    one day, and a midnight between the two is the product's business, tested on fake clocks."""
    clear_of_midnight()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def demo_config() -> Config:
    return config_module.load()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def service(demo_config: Config, data_dir: Path, clock: FakeClock) -> Iterator[CounterService]:
    svc = CounterService(demo_config, data_dir, clock=clock)
    yield svc
    svc.close()
