"""Which presses count: a repeat within a moment is ignored, a new page arms after a delay.

A rating keypad, a touchscreen and a nervous finger all bounce: "1" pressed twice 80 ms apart
must record a rating of 1, not a rating of 1 and the first reason on the page that follows.
The customer screen asks a `PressGate` before it passes any press on; the staff window's
one-press prompts (the overtime reason) use the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter_core.timer import Clock, monotonic

#: A press within this long after the last accepted one is a repeat, whatever key it was.
REPEAT_S = 1.0
#: A page that follows a press (the reasons after a poor rating) accepts presses only after
#: this long, shown to the customer as the buttons filling in.
ARMING_S = 1.5


@dataclass
class PressGate:
    clock: Clock = monotonic
    repeat_s: float = REPEAT_S
    _last: float | None = None
    _armed_at: float = float("-inf")

    def arm(self, delay_s: float = 0.0) -> None:
        """A new page: presses count from `delay_s` from now (and never within a repeat)."""
        self._armed_at = self.clock() + delay_s

    def armed(self) -> bool:
        return self.clock() >= self._armed_at

    def arming_left_s(self) -> float:
        return max(0.0, self._armed_at - self.clock())

    def accept(self) -> bool:
        """True when a press now counts; a refused press does not extend the quiet time."""
        now = self.clock()
        if now < self._armed_at:
            return False
        if self._last is not None and now - self._last < self.repeat_s:
            return False
        self._last = now
        return True
