"""Back soon (暂离): the away state of CounterMachine, its events and its refusals."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from counter_core import events
from counter_core.events import validate_payload
from counter_core.transaction import CounterError, CounterMachine, Draft, Staff, TransactionType
from tests.helpers.clock import FakeClock

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),)
CLERK = Staff("1001", "王芳")
BACK_AT = "2026-12-03T02:45:00.000Z"


class Recorder:
    def __init__(self) -> None:
        self.drafts: list[Draft] = []
        self.fail = False

    def __call__(self, drafts: Sequence[Draft]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.drafts += drafts

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.drafts]


def machine() -> tuple[CounterMachine, Recorder, FakeClock]:
    rec, clock = Recorder(), FakeClock()
    m = CounterMachine(TYPES, rec, clock=clock, rating_window_s=30.0)
    m.sign_in(CLERK)
    return m, rec, clock


def test_away_then_back_records_both_events_with_the_monotonic_length() -> None:
    m, rec, clock = machine()
    m.step_away(BACK_AT)
    assert m.away is not None and m.away.back_at == BACK_AT
    assert m.presence_phase == "away"
    clock.advance(612.5)
    m.come_back()
    assert m.away is None and m.presence_phase == "idle"
    assert rec.kinds == [events.SIGNED_IN, events.AWAY_STARTED, events.AWAY_ENDED]
    assert rec.drafts[1].payload == {"staff": "1001", "back_at": BACK_AT}
    assert rec.drafts[2].payload == {"staff": "1001", "away_s": 612.5}
    for d in rec.drafts:
        assert validate_payload(d.kind, d.payload) is None


def test_start_is_refused_while_away_until_back() -> None:
    m, rec, _ = machine()
    m.step_away(BACK_AT)
    with pytest.raises(CounterError, match="I'm back"):
        m.start()
    assert m.running is None and events.STARTED not in rec.kinds
    m.come_back()
    m.start()
    assert m.running is not None


def test_signing_out_ends_the_absence_first() -> None:
    m, rec, clock = machine()
    m.step_away(BACK_AT)
    clock.advance(60)
    m.sign_out()
    assert rec.kinds[-2:] == [events.AWAY_ENDED, events.SIGNED_OUT]
    assert rec.drafts[-2].payload == {"staff": "1001", "away_s": 60.0, "reason": "signed_out"}
    assert m.away is None and m.staff is None


def test_closing_the_app_while_away_ends_it_too() -> None:
    m, rec, clock = machine()
    m.step_away(BACK_AT)
    clock.advance(5)
    m.close_counter()
    assert rec.kinds[-2:] == [events.AWAY_ENDED, events.SIGNED_OUT]
    assert m.away is None


def test_away_is_refused_when_not_idle() -> None:
    rec = Recorder()
    m = CounterMachine(TYPES, rec, clock=FakeClock())
    with pytest.raises(CounterError, match="Sign in"):
        m.step_away(BACK_AT)
    m.sign_in(CLERK)
    m.start()
    with pytest.raises(CounterError, match="running"):
        m.step_away(BACK_AT)
    m.complete()  # the rating window is open now
    assert m.presence_phase == "rating"
    with pytest.raises(CounterError, match="Waiting for the customer"):
        m.step_away(BACK_AT)
    m.clock.advance(31)  # type: ignore[attr-defined]
    m.expire()
    m.step_away(BACK_AT)
    with pytest.raises(CounterError, match="already"):
        m.step_away(BACK_AT)


def test_bad_return_time_and_back_without_away_are_refused() -> None:
    m, rec, _ = machine()
    with pytest.raises(CounterError, match="return time"):
        m.step_away("10:45")
    with pytest.raises(CounterError, match="not on"):
        m.come_back()
    assert rec.kinds == [events.SIGNED_IN]


def test_a_failed_write_leaves_the_state_unchanged() -> None:
    m, rec, _ = machine()
    rec.fail = True
    with pytest.raises(OSError):
        m.step_away(BACK_AT)
    assert m.away is None
    rec.fail = False
    m.step_away(BACK_AT)
    rec.fail = True
    with pytest.raises(OSError):
        m.come_back()
    assert m.away is not None


def test_schemas_of_the_away_kinds() -> None:
    assert events.AWAY_STARTED in events.KNOWN_KINDS and events.AWAY_ENDED in events.KNOWN_KINDS
    assert validate_payload(events.AWAY_STARTED, {"staff": "1001"}) is not None
    assert validate_payload(events.AWAY_ENDED, {"staff": "1001", "away_s": -1}) is not None
