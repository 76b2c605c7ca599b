"""Item 6: nothing preselected, and a manager never decides their own cases."""

from __future__ import annotations

import pytest

from counter_app.application.errors import InvalidDecision
from counter_app.application.manager import LocalManager
from counter_core import events
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


def _poor_overtime_case(service: CounterService, clock: FakeClock, staff: str,
                        pin: str) -> str:
    service.sign_in(staff, pin)
    service.start_transaction()
    txn = service.machine.running.txn  # type: ignore[union-attr]
    clock.advance(200)
    service.complete()
    service.give_overtime_reason("complex")
    service.rate(1)
    clock.advance(service.config.rating_window_s + 1)  # the fixed rating window runs out
    service.expire()
    service.sign_out()
    return txn


def _reviews(service: CounterService) -> list[str]:
    return [e.kind for e in service.store.events() if e.kind in events.REVIEW_KINDS]


def test_a_manager_who_served_cannot_decide_their_own_case(
        service: CounterService, clock: FakeClock) -> None:
    service.staff.add("9002", "李主管", "manager", "246802")
    txn = _poor_overtime_case(service, clock, "9002", "246802")
    own = LocalManager(service.store, "9002")
    with pytest.raises(InvalidDecision, match="your own case"):
        own.review_overtime(txn, "system", "")
    with pytest.raises(InvalidDecision, match="your own case"):
        own.follow_up_rating(txn, called_back=True, cause="slow", resolved=True, note="")
    with pytest.raises(InvalidDecision, match="star"):
        own.confirm_star("2026-03", "9002", 4.5)
    assert _reviews(service) == []
    other = LocalManager(service.store, "9001")  # another manager decides it
    other.review_overtime(txn, "system", "")
    other.follow_up_rating(txn, called_back=True, cause="slow", resolved=True, note="")
    assert _reviews(service) == [events.OVERTIME_REVIEWED, events.RATING_FOLLOWED_UP]


def test_no_cause_chosen_is_refused(service: CounterService, clock: FakeClock) -> None:
    txn = _poor_overtime_case(service, clock, "1001", "1234")
    desk = LocalManager(service.store, "9001")
    with pytest.raises(InvalidDecision, match="Choose a cause"):
        desk.review_overtime(txn, "", "")
    with pytest.raises(InvalidDecision, match="Choose a cause"):
        desk.follow_up_rating(txn, called_back=False, cause="", resolved=False, note="")
    assert _reviews(service) == []
