"""The press rule: repeats within a moment are ignored, a new page arms after a delay."""

from __future__ import annotations

from counter_core.presses import ARMING_S, REPEAT_S, PressGate
from tests.helpers.clock import FakeClock


def test_a_second_press_80_ms_later_is_a_repeat() -> None:
    clock = FakeClock()
    gate = PressGate(clock)
    assert gate.accept()
    clock.advance(0.08)
    assert not gate.accept()
    clock.advance(REPEAT_S)
    assert gate.accept()


def test_refused_presses_do_not_extend_the_quiet_time() -> None:
    clock = FakeClock()
    gate = PressGate(clock)
    assert gate.accept()
    for _ in range(9):
        clock.advance(0.1)
        gate.accept()
    clock.advance(0.1 + 1e-9)
    assert gate.accept()


def test_an_armed_page_accepts_nothing_until_its_delay_has_passed() -> None:
    clock = FakeClock()
    gate = PressGate(clock)
    gate.arm(ARMING_S)
    assert not gate.armed() and gate.arming_left_s() == ARMING_S
    assert not gate.accept()
    clock.advance(ARMING_S)
    assert gate.armed() and gate.accept()
