"""A monotonic clock the test moves by hand."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock the test moves by hand: no sleeping in tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
