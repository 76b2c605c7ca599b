"""The rating window: one fixed period from Done, the same for every rating, and no staff
action ends it; closing the counter records what is open."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from counter_core.transaction import (
    CounterError,
    CounterMachine,
    CustomerView,
    Draft,
    Phase,
    Staff,
    TransactionType,
)
from tests.helpers.clock import FakeClock

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),
         TransactionType("enquiry", "咨询", "Enquiry", None))
CLERK = Staff("1001", "王芳")
WINDOW = 30.0


class Recorder:
    def __init__(self) -> None:
        self.drafts: list[Draft] = []

    def __call__(self, drafts: Sequence[Draft]) -> None:
        self.drafts.extend(drafts)

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.drafts]


def machine_after_done(clock: FakeClock, recorder: Recorder,
                       seconds: float = 60.0) -> CounterMachine:
    ids = (f"t{n}" for n in itertools.count(1))
    machine = CounterMachine(types=TYPES, record=recorder, default_type="payment",
                             rating_window_s=WINDOW, clock=clock, new_id=lambda: next(ids))
    machine.sign_in(CLERK)
    machine.start()
    clock.advance(seconds)
    machine.complete()
    return machine


def staff_side(machine: CounterMachine) -> tuple[object, ...]:
    """Everything the staff window may read (CounterState's rating-related reads)."""
    return (machine.phase, machine.rating_time_left(), machine.current_outcome(),
            machine.next_deadline() is not None, machine.overtime_reason_for)


def press(machine: CounterMachine, value: int | None) -> None:
    if value is not None:
        assert machine.rate(value)
        if value <= 2:
            assert machine.customer_view() is CustomerView.REASON


@pytest.mark.parametrize("value", [1, 2, 3, 5, None])
def test_start_is_refused_for_the_whole_window_whatever_was_pressed(
    clock: FakeClock, value: int | None
) -> None:
    recorder = Recorder()
    machine = machine_after_done(clock, recorder)
    clock.advance(2)
    press(machine, value)
    for _ in range(28):
        with pytest.raises(CounterError, match="Waiting for the customer"):
            machine.start()
        with pytest.raises(CounterError, match="Waiting for the customer"):
            machine.sign_out()
        machine.next_type()  # choosing the next type is allowed and ends nothing
        assert machine.rating is not None
        clock.advance(1)
    assert "started" not in recorder.kinds[2:] and "signed_out" not in recorder.kinds
    clock.advance(1.01)  # Done + 30 s has passed
    machine.expire()
    machine.start()
    assert machine.phase is Phase.SERVING


def test_a_poor_rating_gets_no_fresh_window(clock: FakeClock) -> None:
    recorder = Recorder()
    machine = machine_after_done(clock, recorder)
    clock.advance(25)
    assert machine.rate(1)
    clock.advance(5.01)  # 30 s after Done: the reasons page closes with the window
    assert machine.give_rating_reason("slow") is False
    assert machine.customer_view() is not CustomerView.REASON
    assert "rating_reason" not in recorder.kinds


def test_the_staff_side_is_the_same_for_a_1_and_a_5(clock: FakeClock) -> None:
    seen: dict[int, list[tuple[object, ...]]] = {}
    for value in (1, 5):
        clock = FakeClock()
        recorder = Recorder()
        machine = machine_after_done(clock, recorder)
        trace = [staff_side(machine)]
        clock.advance(3)
        machine.rate(value)
        for _ in range(40):
            trace.append(staff_side(machine))
            clock.advance(0.5)
            machine.expire()
        seen[value] = trace
    assert seen[1] == seen[5]


def test_not_rated_shows_briefly_at_the_end_of_the_window(clock: FakeClock) -> None:
    recorder = Recorder()
    machine = machine_after_done(clock, recorder)
    clock.advance(WINDOW - 1)
    assert machine.expire() is False and machine.current_outcome() is None
    clock.advance(1.01)
    assert machine.expire() is True
    assert machine.current_outcome() == "not_rated"
    assert recorder.kinds[-1] == "rating_timed_out"
    clock.advance(6)
    assert machine.current_outcome() is None


def test_void_shows_briefly(clock: FakeClock) -> None:
    recorder = Recorder()
    machine = CounterMachine(types=TYPES, record=recorder, clock=clock)
    machine.sign_in(CLERK)
    machine.start()
    clock.advance(3)
    machine.void()
    assert machine.current_outcome() == "voided"
    assert machine.next_deadline() is not None
    clock.advance(6)
    assert machine.current_outcome() is None


def test_closing_the_counter_records_a_running_transaction_as_interrupted(
    clock: FakeClock,
) -> None:
    recorder = Recorder()
    machine = machine_after_done(clock, recorder)
    clock.advance(WINDOW + 1)
    machine.expire()
    machine.start()
    clock.advance(179.5)
    machine.close_counter("closed")
    interrupted = [d for d in recorder.drafts if d.kind == "interrupted"]
    assert interrupted == [Draft("interrupted", {"txn": "t2", "elapsed_s": 179.5, "overtime_s": 0.0,
                                                 "reason": "closed"})]
    # the session's monotonic length: 60 s served, the window and a second, 179.5 s interrupted
    assert recorder.drafts[-1] == Draft("signed_out", {"staff": "1001", "reason": "closed",
                                                       "session_s": 60.0 + WINDOW + 1 + 179.5})
    assert machine.phase is Phase.SIGNED_OUT and machine.running is None


def test_closing_during_the_rating_window_ends_it_unrated(clock: FakeClock) -> None:
    recorder = Recorder()
    machine = machine_after_done(clock, recorder)
    machine.close_counter("shutdown")
    assert recorder.kinds[-2:] == ["rating_timed_out", "signed_out"]
    assert machine.customer_view() is CustomerView.CLOSED
