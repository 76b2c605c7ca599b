"""The guard that keeps wall-clock tests within one local day (tests/helpers/clock.py)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from tests.helpers import clock


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(("zone", "now", "left"), [
    ("Asia/Shanghai", "2026-12-07T15:59:30+00:00", 30.0),  # Shanghai's midnight is 16:00 UTC
    ("Asia/Shanghai", "2026-12-07T16:00:00+00:00", 86_400.0),
    ("Europe/Berlin", "2026-03-28T22:59:00+00:00", 60.0),  # the night before summer time
    ("Europe/Berlin", "2026-07-01T21:00:00+00:00", 3_600.0),  # summer: UTC+2
    ("Europe/Berlin", "2026-03-29T00:30:00+00:00", 77_400.0),  # a 23-hour day: 01:30 CET
    ("UTC", "2026-12-31T23:59:59+00:00", 1.0),
])
def test_seconds_to_midnight_counts_to_the_next_local_midnight(zone: str, now: str,
                                                               left: float) -> None:
    assert clock.seconds_to_midnight(zone, at(now)) == left


def test_the_guard_waits_only_when_a_midnight_is_near(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    left = {"Asia/Shanghai": 12.0, "UTC": 30_000.0}
    monkeypatch.setattr(clock, "seconds_to_midnight", lambda zone, now=None: left[zone])
    assert clock.clear_of_midnight(["UTC"]) == 0.0
    assert clock.clear_of_midnight(["Asia/Shanghai", "UTC"], margin_s=45.0) == 12.5
    assert slept == [12.5]
