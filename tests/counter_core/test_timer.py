"""ServiceTimer and TimerReading: arithmetic, display digits, retargeting, clock independence."""

from __future__ import annotations

import time

import pytest

from counter_core import timer as timer_module
from counter_core.timer import ServiceTimer, TimerReading, format_mmss
from tests.helpers.clock import FakeClock


@pytest.mark.parametrize(
    ("elapsed", "target", "remaining", "overtime", "fraction", "is_overtime"),
    [
        (0.0, 180.0, 180.0, 0.0, 0.0, False),
        (45.0, 180.0, 135.0, 0.0, 0.25, False),
        (179.9, 180.0, pytest.approx(0.1), 0.0, pytest.approx(179.9 / 180), False),
        (180.0, 180.0, 0.0, 0.0, 1.0, False),
        (180.5, 180.0, 0.0, 0.5, 1.0, True),
        (300.0, 180.0, 0.0, 120.0, 1.0, True),
    ],
)
def test_reading_arithmetic(
    elapsed: float, target: float, remaining: object, overtime: float, fraction: object,
    is_overtime: bool,
) -> None:
    reading = TimerReading(elapsed, target)
    assert reading.timed
    assert reading.remaining_s == remaining
    assert reading.overtime_s == overtime
    assert reading.fraction_elapsed == fraction
    assert reading.is_overtime is is_overtime


def test_untimed_reading_has_no_remaining_no_overtime_and_shows_elapsed() -> None:
    reading = TimerReading(754.2, None)
    assert not reading.timed
    assert reading.remaining_s is None
    assert reading.overtime_s == 0.0
    assert not reading.is_overtime
    assert reading.fraction_elapsed == 0.0
    assert reading.display_text() == "12:34"


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (0.0, "03:00"),
        (0.2, "03:00"),  # 179.8 s left still reads 03:00: counting down rounds up
        (1.0, "02:59"),
        (59.5, "02:01"),
        (179.01, "00:01"),
        (180.0, "00:00"),  # "00:00" only at the target itself
        (180.4, "+00:00"),
        (181.0, "+00:01"),
        (245.9, "+01:05"),
    ],
)
def test_display_text_rounding(elapsed: float, text: str) -> None:
    assert TimerReading(elapsed, 180.0).display_text() == text


@pytest.mark.parametrize(
    ("seconds", "round_up", "text"),
    [(0, False, "00:00"), (59.99, False, "00:59"), (59.01, True, "01:00"), (60, True, "01:00"),
     (3599.5, False, "59:59"), (3600, False, "60:00"), (-3, False, "00:00"), (-0.5, True, "00:00")],
)
def test_format_mmss(seconds: float, round_up: bool, text: str) -> None:
    assert format_mmss(seconds, round_up=round_up) == text


def test_timer_measures_on_its_clock(clock: FakeClock) -> None:
    service_timer = ServiceTimer(clock, 180.0)
    assert service_timer.elapsed_s() == 0.0
    clock.advance(12.25)
    assert service_timer.elapsed_s() == 12.25
    clock.advance(200.0)
    reading = service_timer.read()
    assert reading.elapsed_s == pytest.approx(212.25)
    assert reading.overtime_s == pytest.approx(32.25)
    assert reading.display_text() == "+00:32"


def test_clock_going_backwards_never_gives_negative_elapsed(clock: FakeClock) -> None:
    service_timer = ServiceTimer(clock, 180.0)
    clock.advance(-5.0)
    assert service_timer.elapsed_s() == 0.0


def test_retarget_keeps_elapsed_and_changes_goal(clock: FakeClock) -> None:
    service_timer = ServiceTimer(clock, 180.0)
    clock.advance(200.0)
    assert service_timer.read().is_overtime
    service_timer.retarget(300.0)  # type changed to a longer one: back within target
    reading = service_timer.read()
    assert reading.elapsed_s == 200.0
    assert not reading.is_overtime
    assert reading.remaining_s == 100.0
    service_timer.retarget(None)  # to an untimed type
    reading = service_timer.read()
    assert reading.elapsed_s == 200.0
    assert reading.display_text() == "03:20"
    assert not reading.is_overtime


def test_production_clock_is_monotonic_not_wall() -> None:
    assert timer_module.monotonic is time.monotonic


def test_wall_clock_jump_does_not_change_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    """An NTP step or DST change moves time.time(); the default timer must not notice."""
    service_timer = ServiceTimer(target_s=180.0)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600.0)
    assert service_timer.elapsed_s() < 5.0
    monkeypatch.setattr(time, "time", lambda: real_time() - 86400.0)
    before = service_timer.elapsed_s()
    time.sleep(0.01)
    after = service_timer.elapsed_s()
    assert 0.0 < after - before < 5.0
