"""ServiceTimer: elapsed, remaining and overtime of one transaction, from a monotonic clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

#: The production clock. Never a wall clock: NTP steps and DST changes must not move durations.
monotonic: Clock = time.monotonic


@dataclass(frozen=True)
class TimerReading:
    """What the screens show at one instant."""

    elapsed_s: float
    target_s: float | None

    @property
    def timed(self) -> bool:
        return self.target_s is not None

    @property
    def remaining_s(self) -> float | None:
        if self.target_s is None:
            return None
        return max(0.0, self.target_s - self.elapsed_s)

    @property
    def overtime_s(self) -> float:
        if self.target_s is None:
            return 0.0
        return max(0.0, self.elapsed_s - self.target_s)

    @property
    def is_overtime(self) -> bool:
        return self.target_s is not None and self.elapsed_s > self.target_s

    @property
    def fraction_elapsed(self) -> float:
        """Share of the target used, clamped to [0, 1]; 0 for an untimed transaction."""
        if not self.target_s:
            return 0.0
        return min(1.0, max(0.0, self.elapsed_s / self.target_s))

    def display_text(self) -> str:
        """Digits for the hourglass: time left, or +overtime, or elapsed when untimed."""
        if self.target_s is None:
            return format_mmss(self.elapsed_s)
        if self.is_overtime:
            return "+" + format_mmss(self.overtime_s)
        return format_mmss(self.remaining_s or 0.0, round_up=True)


def format_mmss(seconds: float, *, round_up: bool = False) -> str:
    """`mm:ss`; counting down rounds up so "00:00" appears only at the target itself."""
    whole = int(-(-seconds // 1)) if round_up else int(seconds)
    whole = max(0, whole)
    return f"{whole // 60:02d}:{whole % 60:02d}"


class ServiceTimer:
    """Measures one transaction against its target on an injectable monotonic clock."""

    def __init__(self, clock: Clock = monotonic, target_s: float | None = None) -> None:
        self._clock = clock
        self._started = clock()
        self.target_s = target_s

    def retarget(self, target_s: float | None) -> None:
        """A type change keeps the elapsed time and changes the goal."""
        self.target_s = target_s

    def elapsed_s(self) -> float:
        return max(0.0, self._clock() - self._started)

    def read(self) -> TimerReading:
        return TimerReading(self.elapsed_s(), self.target_s)


# ---- the overtime rule ------------------------------------------------------------------------

#: Durations and targets are compared in whole milliseconds (the counter records 3 decimals).
MILLIS_PER_SECOND = 1000


def millis(seconds: float) -> int:
    """Seconds as whole milliseconds: seconds × 1000 + 0.5, truncated toward zero.

    For the non-negative durations and targets a counter records this rounds to the nearest
    millisecond, halves up. It is written as IEEE double arithmetic and a truncation so that
    SQLite (CAST … AS INTEGER) and PostgreSQL (trunc) compute exactly the same integer
    (`counter_core.figures.millis_sql`), where their round() functions break ties differently
    from Python's.
    """
    return int(seconds * MILLIS_PER_SECOND + 0.5)


def exceeds_target(duration_s: float | None, target_s: float | None) -> bool:
    """Overtime: a duration longer than the target at millisecond precision.

    180.000 s against a 180 s target is within target, 180.001 s is overtime. Untimed
    transactions (target None) are never overtime.
    """
    return (target_s is not None and duration_s is not None
            and millis(duration_s) > millis(target_s))


def overtime_millis(duration_s: float | None, target_s: float | None) -> int:
    """The overtime in whole milliseconds: duration − target when `exceeds_target`, else 0.

    Every overtime a screen or an export shows comes from this, so a transaction is shown with
    an overtime exactly when the predicate counts it as overtime.
    """
    if not exceeds_target(duration_s, target_s):
        return 0
    assert duration_s is not None and target_s is not None
    return millis(duration_s) - millis(target_s)
