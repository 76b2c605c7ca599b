"""CounterMachine: every allowed and refused transition, ratings, voids, reasons, failed writes."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from typing import Any

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

TYPES = (
    TransactionType("payment", "交费", "Payment", 180.0),
    TransactionType("sim", "补换卡", "SIM card", 300.0),
    TransactionType("enquiry", "咨询", "Enquiry", None),
)
CLERK = Staff("1001", "王芳")
MANAGER = Staff("9001", "陈经理", "manager")


class Recorder:
    """Stands in for storage: keeps every committed batch, or fails when told to."""

    def __init__(self) -> None:
        self.batches: list[list[Draft]] = []
        self.fail = False

    def __call__(self, drafts: Sequence[Draft]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.batches.append(list(drafts))

    @property
    def drafts(self) -> list[Draft]:
        return [d for batch in self.batches for d in batch]

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.drafts]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def machine(recorder: Recorder, clock: FakeClock) -> CounterMachine:
    ids = (f"t{n}" for n in itertools.count(1))
    return CounterMachine(
        types=TYPES, record=recorder, default_type="payment", rating_window_s=30.0,
        clock=clock, new_id=lambda: next(ids),
    )


@pytest.fixture
def serving(machine: CounterMachine) -> CounterMachine:
    machine.sign_in(CLERK)
    machine.start()
    return machine


def snapshot(machine: CounterMachine) -> dict[str, Any]:
    """Everything observable about the machine, to show a refused action changed nothing."""
    return {
        "phase": machine.phase,
        "staff": machine.staff,
        "running": (machine.running.txn, machine.running.type) if machine.running else None,
        "rating": copy.copy(machine.rating),
        "overtime_reason_for": machine.overtime_reason_for,
        "selected": machine.selected_type,
        "view": machine.customer_view(),
        "last_reading": machine.last_reading,
        "has_rated": machine.customer_has_rated,
    }


# ---- construction and defaults ----------------------------------------------------------------

def test_needs_at_least_one_type(recorder: Recorder) -> None:
    with pytest.raises(ValueError, match="transaction type"):
        CounterMachine(types=(), record=recorder)


def test_default_type_selected_and_unknown_default_falls_back(recorder: Recorder) -> None:
    assert CounterMachine(TYPES, recorder, default_type="sim").selected_type.code == "sim"
    assert CounterMachine(TYPES, recorder, default_type="nope").selected_type.code == "payment"


def test_type_name_follows_language() -> None:
    assert TYPES[0].name("zh_CN") == "交费"
    assert TYPES[0].name("en") == "Payment"


def test_fresh_machine_is_signed_out(machine: CounterMachine, recorder: Recorder) -> None:
    assert machine.phase is Phase.SIGNED_OUT
    assert machine.customer_view() is CustomerView.CLOSED
    assert machine.customer_has_rated is None
    assert machine.reading() is None
    assert recorder.batches == []


# ---- refused transitions ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "action",
    [
        lambda m: m.start(),
        lambda m: m.complete(),
        lambda m: m.void(),
        lambda m: m.sign_out(),
        lambda m: m.give_overtime_reason("complex"),
    ],
    ids=["start", "complete", "void", "sign_out", "overtime_reason"],
)
def test_signed_out_refuses_staff_actions(
    machine: CounterMachine, recorder: Recorder, action: Any
) -> None:
    before = snapshot(machine)
    with pytest.raises(CounterError):
        action(machine)
    assert snapshot(machine) == before
    assert recorder.batches == []


def test_sign_in_twice_refused(machine: CounterMachine, recorder: Recorder) -> None:
    machine.sign_in(CLERK)
    with pytest.raises(CounterError, match="still signed in"):
        machine.sign_in(MANAGER)
    assert machine.staff == CLERK
    assert recorder.kinds == ["signed_in"]


@pytest.mark.parametrize(
    "action",
    [lambda m: m.complete(), lambda m: m.void(), lambda m: m.give_overtime_reason("complex")],
    ids=["complete", "void", "overtime_reason"],
)
def test_idle_refuses_what_needs_a_transaction(
    machine: CounterMachine, recorder: Recorder, action: Any
) -> None:
    machine.sign_in(CLERK)
    before = snapshot(machine)
    with pytest.raises(CounterError):
        action(machine)
    assert snapshot(machine) == before
    assert recorder.kinds == ["signed_in"]


@pytest.mark.parametrize(
    ("action", "message"),
    [(lambda m: m.start(), "already running"), (lambda m: m.sign_out(), "Finish or void"),
     (lambda m: m.sign_in(MANAGER), "still signed in")],
    ids=["start", "sign_out", "sign_in"],
)
def test_serving_refuses(
    serving: CounterMachine, recorder: Recorder, action: Any, message: str
) -> None:
    before = snapshot(serving)
    with pytest.raises(CounterError, match=message):
        action(serving)
    assert snapshot(serving) == before
    assert recorder.kinds == ["signed_in", "started"]


def test_unknown_type_refused(serving: CounterMachine, recorder: Recorder) -> None:
    with pytest.raises(CounterError, match="Unknown transaction type"):
        serving.select_type("mortgage")
    assert serving.running is not None and serving.running.type.code == "payment"
    assert recorder.kinds == ["signed_in", "started"]


# ---- the happy path -----------------------------------------------------------------------------

def test_sign_in_records_and_shows_sign(machine: CounterMachine, recorder: Recorder) -> None:
    machine.sign_in(MANAGER)
    assert machine.phase is Phase.IDLE
    assert machine.customer_view() is CustomerView.SIGN
    assert recorder.drafts == [Draft("signed_in", {"staff": "9001", "role": "manager"})]


def test_start_complete_and_rate(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    machine.sign_in(CLERK)
    machine.start()
    assert machine.phase is Phase.SERVING
    assert machine.customer_view() is CustomerView.SERVICE
    assert recorder.drafts[-1] == Draft(
        "started", {"txn": "t1", "staff": "1001", "type": "payment", "target_s": 180.0}
    )
    clock.advance(95.25)
    reading = machine.reading()
    assert reading is not None and reading.elapsed_s == 95.25
    final = machine.complete()
    assert final.elapsed_s == 95.25 and not final.is_overtime
    assert machine.last_reading == final
    assert recorder.drafts[-1] == Draft(
        "completed", {"txn": "t1", "duration_s": 95.25, "target_s": 180.0, "overtime_s": 0.0}
    )
    assert machine.phase is Phase.IDLE
    assert machine.overtime_reason_for is None
    assert machine.customer_view() is CustomerView.RATING
    assert machine.customer_has_rated is False
    clock.advance(10)
    assert machine.rate(4) is True
    assert recorder.drafts[-1] == Draft("rated", {"txn": "t1", "rating": 4})
    assert machine.customer_has_rated is True
    assert machine.customer_view() is CustomerView.THANKS
    clock.advance(machine.thank_you_s + 0.01)
    assert machine.customer_view() is CustomerView.SIGN
    assert recorder.kinds == ["signed_in", "started", "completed", "rated"]


def test_durations_are_rounded_to_milliseconds(serving: CounterMachine, recorder: Recorder,
                                               clock: FakeClock) -> None:
    clock.advance(200.123456)
    serving.complete()
    payload = recorder.drafts[-1].payload
    assert payload["duration_s"] == 200.123
    assert payload["overtime_s"] == 20.123


def test_type_change_while_running_records_and_retargets(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(200)
    reading = serving.reading()
    assert reading is not None and reading.is_overtime
    serving.select_type("sim")
    assert recorder.drafts[-1] == Draft(
        "type_changed", {"txn": "t1", "type": "sim", "target_s": 300.0, "elapsed_s": 200.0,
                         "after_target": True, "passed_target_s": 180.0}
    )
    reading = serving.reading()
    assert reading is not None and reading.elapsed_s == 200 and not reading.is_overtime
    serving.select_type("sim")  # no change, nothing recorded
    assert recorder.kinds.count("type_changed") == 1
    serving.next_type()  # sim → enquiry (untimed)
    assert serving.running is not None and serving.running.type.code == "enquiry"
    assert recorder.drafts[-1].payload == {"txn": "t1", "type": "enquiry", "target_s": None,
                                           "elapsed_s": 200.0, "after_target": True,
                                           "passed_target_s": 180.0}
    clock.advance(1000)
    final = serving.complete()
    assert final.target_s is None and not final.is_overtime
    assert recorder.drafts[-1].payload["overtime_s"] == 0.0
    assert serving.overtime_reason_for is None


def test_next_type_cycles_and_wraps_without_recording_when_idle(
    machine: CounterMachine, recorder: Recorder
) -> None:
    machine.sign_in(CLERK)
    codes = []
    for _ in range(4):
        machine.next_type()
        codes.append(machine.selected_type.code)
    assert codes == ["sim", "enquiry", "payment", "sim"]
    assert recorder.kinds == ["signed_in"]
    machine.start()
    assert recorder.drafts[-1].payload["type"] == "sim"


def test_sign_out_records_and_closes(machine: CounterMachine, recorder: Recorder) -> None:
    machine.sign_in(CLERK)
    machine.sign_out()
    assert machine.phase is Phase.SIGNED_OUT
    assert machine.customer_view() is CustomerView.CLOSED
    assert recorder.drafts[-1] == Draft("signed_out", {"staff": "1001", "session_s": 0.0})
    machine.sign_in(MANAGER)  # someone else may now sign in
    assert machine.staff == MANAGER


# ---- ratings ----------------------------------------------------------------------------------

def completed(machine: CounterMachine, clock: FakeClock, seconds: float = 60.0) -> None:
    if machine.staff is None:
        machine.sign_in(CLERK)
    machine.start()
    clock.advance(seconds)
    machine.complete()


def test_first_press_counts_repeats_ignored(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    assert machine.rate(5) is True
    assert machine.rate(1) is False
    assert machine.rate(5) is False
    assert [d.payload for d in recorder.drafts if d.kind == "rated"] == [{"txn": "t1", "rating": 5}]


@pytest.mark.parametrize("value", [0, 6, -1, True, 3.0, "3", None])
def test_invalid_rating_values_ignored(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock, value: Any
) -> None:
    completed(machine, clock)
    assert machine.rate(value) is False
    assert "rated" not in recorder.kinds
    assert machine.customer_view() is CustomerView.RATING


def test_no_rating_before_any_transaction_or_while_serving(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    assert machine.rate(5) is False
    machine.sign_in(CLERK)
    assert machine.rate(5) is False
    machine.start()
    assert machine.rate(5) is False
    assert "rated" not in recorder.kinds


def test_rating_window_edges(machine: CounterMachine, recorder: Recorder,
                             clock: FakeClock) -> None:
    completed(machine, clock)
    clock.advance(30.0)  # exactly at the deadline: still open
    assert machine.customer_view() is CustomerView.RATING
    assert machine.rate(3) is True


def test_nothing_accepted_outside_the_window(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    clock.advance(30.001)
    assert machine.customer_view() is CustomerView.SIGN
    assert machine.rate(5) is False  # even before expire() ran
    assert "rated" not in recorder.kinds
    assert machine.next_deadline() is not None and machine.next_deadline() <= clock()
    assert machine.expire() is True
    assert recorder.drafts[-1] == Draft("rating_timed_out", {"txn": "t1"})
    assert machine.rating is None
    assert machine.customer_has_rated is None
    assert machine.rate(5) is False
    assert machine.expire() is False
    assert recorder.kinds.count("rating_timed_out") == 1


def test_expire_before_deadline_does_nothing(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    clock.advance(29)
    assert machine.expire() is False
    assert machine.rating is not None
    assert "rating_timed_out" not in recorder.kinds


def test_good_rating_is_not_timed_out_later(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    machine.rate(4)
    clock.advance(100)
    assert machine.expire() is True
    assert "rating_timed_out" not in recorder.kinds
    assert machine.rating is None


@pytest.mark.parametrize("value", [1, 2])
def test_low_rating_asks_for_reason(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock, value: int
) -> None:
    completed(machine, clock)
    clock.advance(10)
    assert machine.rate(value) is True
    assert machine.customer_view() is CustomerView.REASON
    clock.advance(15)  # the reasons share the one window from Done (30 s)
    assert machine.give_rating_reason("no-such-reason") is False
    assert machine.give_rating_reason("slow") is True
    assert machine.give_rating_reason("attitude") is False  # one reason only
    assert machine.customer_view() is CustomerView.THANKS
    assert [d for d in recorder.drafts if d.kind == "rating_reason"] == [
        Draft("rating_reason", {"txn": "t1", "reason": "slow"})
    ]


@pytest.mark.parametrize("value", [3, 4, 5])
def test_reason_only_for_low_ratings(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock, value: int
) -> None:
    completed(machine, clock)
    machine.rate(value)
    assert machine.customer_view() is CustomerView.THANKS
    assert machine.give_rating_reason("slow") is False
    assert "rating_reason" not in recorder.kinds


def test_rating_reason_refused_after_its_window(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    machine.rate(1)
    clock.advance(30.5)
    assert machine.give_rating_reason("slow") is False
    assert machine.expire() is True
    assert "rating_reason" not in recorder.kinds
    assert "rating_timed_out" not in recorder.kinds  # it was rated, only the reason is missing


def test_start_after_the_window_closes_it_as_not_rated(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    clock.advance(31)  # the window has passed; expire() has not run yet
    machine.start()
    assert recorder.batches[-1] == [
        Draft("rating_timed_out", {"txn": "t1"}),
        Draft("started", {"txn": "t2", "staff": "1001", "type": "payment", "target_s": 180.0}),
    ]
    assert machine.rate(5) is False
    assert "rated" not in recorder.kinds


def test_start_after_a_rating_does_not_time_it_out(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    machine.rate(5)
    clock.advance(31)
    machine.start()
    assert "rating_timed_out" not in recorder.kinds


def test_sign_out_after_the_window_closes_it(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    clock.advance(31)
    machine.sign_out()
    assert recorder.batches[-1] == [
        Draft("rating_timed_out", {"txn": "t1"}),
        Draft("signed_out", {"staff": "1001", "session_s": 91.0}),  # 60 s served, 31 s waited
    ]
    assert machine.rate(5) is False
    assert machine.customer_view() is CustomerView.CLOSED


def test_next_deadline_tracks_rating_and_thanks(
    machine: CounterMachine, clock: FakeClock
) -> None:
    machine.sign_in(CLERK)
    assert machine.next_deadline() is None
    completed(machine, clock)
    assert machine.next_deadline() == clock() + 30.0
    machine.rate(5)
    assert machine.next_deadline() == clock() + machine.thank_you_s
    clock.advance(machine.thank_you_s + 0.5)
    assert machine.expire() is True  # thanks cleared
    assert machine.customer_view() is CustomerView.SIGN


# ---- void ---------------------------------------------------------------------------------------

def test_void_within_grace(serving: CounterMachine, recorder: Recorder, clock: FakeClock) -> None:
    clock.advance(15.0)
    assert serving.can_void()
    serving.void()
    assert recorder.drafts[-1] == Draft("voided", {"txn": "t1", "elapsed_s": 15.0})
    assert serving.phase is Phase.IDLE
    assert serving.rating is None  # nothing to rate
    assert serving.customer_view() is CustomerView.SIGN


def test_void_refused_after_grace(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(15.001)
    assert not serving.can_void()
    before = snapshot(serving)
    with pytest.raises(CounterError, match="15 s"):
        serving.void()
    assert snapshot(serving) == before
    assert "voided" not in recorder.kinds


def test_void_grace_is_configurable(recorder: Recorder, clock: FakeClock) -> None:
    machine = CounterMachine(TYPES, recorder, clock=clock, void_grace_s=5.0)
    machine.sign_in(CLERK)
    machine.start()
    clock.advance(6)
    with pytest.raises(CounterError):
        machine.void()


# ---- overtime reason ----------------------------------------------------------------------------

def test_overtime_reason_required_before_next_start(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(181)
    assert serving.complete().is_overtime
    assert serving.overtime_reason_for == "t1"
    with pytest.raises(CounterError, match="overtime reason"):
        serving.start()
    assert serving.phase is Phase.IDLE
    with pytest.raises(CounterError, match="Unknown overtime reason"):
        serving.give_overtime_reason("lunch")
    assert serving.overtime_reason_for == "t1"
    serving.give_overtime_reason("documents")
    assert recorder.drafts[-1] == Draft("overtime_reason", {"txn": "t1", "reason": "documents"})
    assert serving.overtime_reason_for is None
    with pytest.raises(CounterError, match="No overtime"):
        serving.give_overtime_reason("documents")
    clock.advance(31)  # the rating window is waited out
    serving.start()
    assert serving.phase is Phase.SERVING


def test_sign_out_does_not_skip_the_overtime_reason(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    """Signing out and in again must not be a way round the overtime reason."""
    clock.advance(200)
    serving.complete()
    before = snapshot(serving)
    with pytest.raises(CounterError, match="overtime reason"):
        serving.sign_out()
    assert snapshot(serving) == before
    assert "signed_out" not in recorder.kinds
    serving.give_overtime_reason("system")
    clock.advance(31)  # and the rating window is waited out
    serving.sign_out()
    assert recorder.kinds[-1] == "signed_out"


def test_exactly_on_target_is_not_overtime(serving: CounterMachine, clock: FakeClock) -> None:
    clock.advance(180.0)
    assert not serving.complete().is_overtime
    assert serving.overtime_reason_for is None


def test_customer_can_rate_while_staff_gives_overtime_reason(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(200)
    serving.complete()
    assert serving.rate(2) is True
    serving.give_overtime_reason("complex")
    assert serving.give_rating_reason("slow") is True
    assert recorder.kinds[-4:] == ["completed", "rated", "overtime_reason", "rating_reason"]


# ---- a failing record leaves the state unchanged ------------------------------------------------

def _fails_unchanged(machine: CounterMachine, recorder: Recorder, action: Any) -> None:
    before = snapshot(machine)
    batches = len(recorder.batches)
    recorder.fail = True
    with pytest.raises(OSError):
        action(machine)
    recorder.fail = False
    assert snapshot(machine) == before
    assert len(recorder.batches) == batches


def test_failing_record_on_sign_in(machine: CounterMachine, recorder: Recorder) -> None:
    _fails_unchanged(machine, recorder, lambda m: m.sign_in(CLERK))
    assert machine.phase is Phase.SIGNED_OUT


def test_failing_record_on_start(machine: CounterMachine, recorder: Recorder,
                                 clock: FakeClock) -> None:
    completed(machine, clock)
    machine.rate(5)
    clock.advance(31)
    _fails_unchanged(machine, recorder, lambda m: m.start())
    assert machine.phase is Phase.IDLE


def test_failing_record_on_complete_keeps_transaction_running(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(200)
    _fails_unchanged(serving, recorder, lambda m: m.complete())
    clock.advance(10)
    assert serving.complete().elapsed_s == 210  # the retry measures from the real start


def test_failing_record_on_type_change(serving: CounterMachine, recorder: Recorder) -> None:
    _fails_unchanged(serving, recorder, lambda m: m.select_type("sim"))
    reading = serving.reading()
    assert reading is not None and reading.target_s == 180.0


def test_failing_record_on_void(serving: CounterMachine, recorder: Recorder) -> None:
    _fails_unchanged(serving, recorder, lambda m: m.void())


def test_failing_record_on_rate_and_reason(
    machine: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    completed(machine, clock)
    _fails_unchanged(machine, recorder, lambda m: m.rate(1))
    assert machine.rate(1) is True
    _fails_unchanged(machine, recorder, lambda m: m.give_rating_reason("slow"))
    assert machine.give_rating_reason("slow") is True


def test_failing_record_on_expire(machine: CounterMachine, recorder: Recorder,
                                  clock: FakeClock) -> None:
    completed(machine, clock)
    clock.advance(31)
    _fails_unchanged(machine, recorder, lambda m: m.expire())
    assert machine.expire() is True
    assert recorder.kinds[-1] == "rating_timed_out"


def test_failing_record_on_overtime_reason_and_sign_out(
    serving: CounterMachine, recorder: Recorder, clock: FakeClock
) -> None:
    clock.advance(200)
    serving.complete()
    _fails_unchanged(serving, recorder, lambda m: m.give_overtime_reason("system"))
    assert serving.overtime_reason_for == "t1"
    serving.give_overtime_reason("system")
    clock.advance(31)
    _fails_unchanged(serving, recorder, lambda m: m.sign_out())
    assert serving.staff == CLERK
