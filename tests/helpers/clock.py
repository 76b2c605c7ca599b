"""A monotonic clock the test moves by hand, and a guard for tests on the wall clock."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from zoneinfo import ZoneInfo


class FakeClock:
    """A monotonic clock the test moves by hand: no sleeping in tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


#: The time zones the tests' halls are in (the demo hall's first), and UTC: the days a test's
#: real wall-clock records fall on are counted in one of these.
TEST_TIME_ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Kolkata", "Europe/Berlin",
                   "Europe/Paris", "UTC")


def seconds_to_midnight(time_zone: str, now: dt.datetime | None = None) -> float:
    """Seconds from `now` (default: the wall clock) to the next local midnight in `time_zone`."""
    zone = ZoneInfo(time_zone)
    local = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    # in UTC: between two times of one zone Python subtracts wall clocks (an hour off on a
    # day that changes to or from summer time)
    return (midnight.astimezone(dt.UTC) - local.astimezone(dt.UTC)).total_seconds()


def clear_of_midnight(time_zones: Iterable[str] = TEST_TIME_ZONES,
                      margin_s: float = 45.0) -> float:
    """Wait past a local midnight that is under `margin_s` away in any of `time_zones`; the
    seconds waited. A test that records transactions on the real wall clock and then asks for
    "today" or "this month" assumes it runs within one local day: CI runs at any hour, and
    16:00 UTC is Shanghai's midnight (a run at 16:02 once counted 4 served, not 5)."""
    waited = 0.0
    for time_zone in time_zones:
        left = seconds_to_midnight(time_zone)
        if left < margin_s:
            time.sleep(left + 0.5)
            waited += left + 0.5
    return waited
