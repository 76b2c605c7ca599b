""""Need more time": the rating window lengthened once by the configured amount, for the rating
and the reasons alike; the event that closes the window records `extended_s`."""

from __future__ import annotations

import pytest

from counter_core import events
from counter_core.transaction import CustomerView
from tests.counter_core.test_rating_window import WINDOW, Recorder, machine_after_done
from tests.helpers.clock import FakeClock


def test_lengthens_once_by_the_configured_amount() -> None:
    clock, recorder = FakeClock(), Recorder()
    machine = machine_after_done(clock, recorder)
    machine.rating_extension_s = 20.0
    clock.advance(10)
    assert machine.can_extend_rating()
    assert machine.extend_rating()
    assert machine.rating_time_left() == pytest.approx(WINDOW - 10 + 20)
    assert not machine.can_extend_rating() and not machine.extend_rating()
    assert machine.rating_time_left() == pytest.approx(WINDOW - 10 + 20)
    clock.advance(35)  # 45 s after Done
    assert machine.customer_view() is CustomerView.RATING
    assert machine.rate(5)
    assert recorder.drafts[-1].payload == {"txn": "t1", "rating": 5, "extended_s": 20.0}


def test_a_rating_in_the_usual_window_records_no_extension() -> None:
    clock, recorder = FakeClock(), Recorder()
    machine = machine_after_done(clock, recorder)
    assert machine.rate(4)
    assert "extended_s" not in recorder.drafts[-1].payload
    assert not machine.extend_rating()  # rated: nothing left to lengthen


def test_the_reasons_page_may_ask_and_the_reason_records_it() -> None:
    clock, recorder = FakeClock(), Recorder()
    machine = machine_after_done(clock, recorder)
    assert machine.rate(1)
    assert machine.extend_rating()
    clock.advance(WINDOW + 5)
    assert machine.customer_view() is CustomerView.REASON
    assert machine.give_rating_reason("slow")
    assert recorder.drafts[-1].payload["extended_s"] == 30.0


def test_not_after_the_window_closed_nor_when_switched_off() -> None:
    clock, recorder = FakeClock(), Recorder()
    machine = machine_after_done(clock, recorder)
    clock.advance(WINDOW + 0.1)
    assert not machine.extend_rating()
    machine.expire()
    assert recorder.drafts[-1].kind == events.RATING_TIMED_OUT
    assert "extended_s" not in recorder.drafts[-1].payload
    off = machine_after_done(clock, Recorder())
    off.rating_extension_s = 0.0
    assert not off.extend_rating()


def test_the_schema_checks_extended_s() -> None:
    assert events.validate_payload(events.RATED, {"txn": "t1", "rating": 3,
                                                  "extended_s": 30}) is None
    assert events.validate_payload(events.RATING_TIMED_OUT, {"txn": "t1",
                                                             "extended_s": -1}) is not None
    assert events.validate_payload(events.RATING_REASON, {"txn": "t1", "reason": "slow",
                                                          "extended_s": "long"}) is not None
