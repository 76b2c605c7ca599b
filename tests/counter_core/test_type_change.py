"""Item 5: a type change (F3) after the target has passed never removes an overtime silently.

The counter's own path: CounterMachine → EventStore (projection in the same transaction) →
the queries the review queue, the overtime log and the KPIs read; then a manager's review that
accepts the change, after which the figures use the new type's target.
"""

from __future__ import annotations

import pytest

from counter_app.application.errors import InvalidDecision
from counter_app.application.manager import LocalManager
from counter_app.storage import queries
from counter_app.storage.events import verify
from counter_core import events, figures, projection
from counter_core.transaction import Draft
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


def _served(service: CounterService, clock: FakeClock, *, change_at: float,
            to: str = "enquiry", done_at: float = 240.0) -> str:
    service.sign_in("1001", "1234")
    service.start_transaction()  # payment, 180 s
    running = service.machine.running
    assert running is not None and running.type.target_s == 180.0
    clock.advance(change_at)
    service.change_type(to)
    clock.advance(done_at - change_at)
    service.complete()
    return running.txn


def _kpi_overtime(service: CounterService) -> int:
    (counts,) = queries.completed_counts(service.db, [("2000", "9999")])
    return counts[1] - counts[2]  # timed − within target


def test_switching_to_untimed_after_the_target_keeps_the_overtime(
        service: CounterService, clock: FakeClock) -> None:
    txn = _served(service, clock, change_at=200.0)
    change = next(e for e in service.store.events() if e.kind == events.TYPE_CHANGED)
    assert change.payload == {"txn": txn, "type": "enquiry", "target_s": None,
                              "elapsed_s": 200.0, "after_target": True,
                              "passed_target_s": 180.0}
    row = service.store.transaction(txn)
    assert row is not None
    assert (row["type"], row["target_s"], row["overtime_s"]) == ("enquiry", 180.0, 60.0)
    assert figures.is_overtime(row)
    assert _kpi_overtime(service) == 1
    (queued,) = queries.review_queue(service.db)
    assert queued["txn"] == txn and queued["type_changed_after_target"] is True
    assert [r["txn"] for r in queries.overtime_log(service.db)] == [txn]
    assert queries.unreviewed_counts(service.db) == (1, 0)
    assert verify(service.db).ok  # the rebuild from the events folds the same way


def test_a_change_before_the_target_only_changes_the_target(
        service: CounterService, clock: FakeClock) -> None:
    txn = _served(service, clock, change_at=100.0)
    change = next(e for e in service.store.events() if e.kind == events.TYPE_CHANGED)
    assert change.payload["after_target"] is False and "passed_target_s" not in change.payload
    row = service.store.transaction(txn)
    assert row is not None and row["target_s"] is None and not figures.is_overtime(row)
    assert queries.review_queue(service.db) == []
    assert verify(service.db).ok


def test_a_later_change_keeps_the_target_first_passed(
        service: CounterService, clock: FakeClock) -> None:
    """payment (180 s) → SIM card (300 s) at 200 s, then → enquiry at 250 s: the second change
    is within SIM's target, and the transaction still counts against the 180 s passed."""
    service.sign_in("1001", "1234")
    service.start_transaction()
    clock.advance(200)
    service.change_type("sim")
    clock.advance(50)
    service.change_type("enquiry")
    clock.advance(10)
    reading = service.complete()
    assert not reading.is_overtime  # what the screens show follows the type chosen
    changes = [e.payload for e in service.store.events() if e.kind == events.TYPE_CHANGED]
    assert [(c["after_target"], c["passed_target_s"]) for c in changes] == [
        (True, 180.0), (True, 180.0)]
    row = next(iter(queries.transactions(service.db)))
    assert (row["target_s"], row["overtime_s"]) == (180.0, 80.0)
    assert verify(service.db).ok


def test_the_manager_accepting_the_change_uses_the_new_types_target(
        service: CounterService, clock: FakeClock) -> None:
    txn = _served(service, clock, change_at=200.0, to="sim")  # 240 s within SIM's 300 s
    desk = LocalManager(service.store, "9001")
    desk.review_overtime(txn, "complex_request", "two services")  # not accepted: stays
    reviewed = [e.payload for e in service.store.events() if e.kind == events.OVERTIME_REVIEWED]
    assert reviewed[-1]["accept_type_change"] is False and reviewed[-1]["target_s"] == 180.0
    assert _kpi_overtime(service) == 1
    desk.review_overtime(txn, "complex_request", "SIM card really", accept_type_change=True)
    reviewed = [e.payload for e in service.store.events() if e.kind == events.OVERTIME_REVIEWED]
    assert reviewed[-1]["accept_type_change"] is True and reviewed[-1]["target_s"] == 300.0
    row = service.store.transaction(txn)
    assert row is not None and (row["target_s"], row["overtime_s"]) == (300.0, 0.0)
    assert _kpi_overtime(service) == 0 and queries.overtime_log(service.db) == []
    assert verify(service.db).ok
    rebuilt = projection.rebuild(service.store.events())[txn]
    assert {c: rebuilt[c] for c in projection.COLUMNS} == {c: row[c] for c in projection.COLUMNS}


def test_accepting_needs_a_type_change_after_target(
        service: CounterService, clock: FakeClock) -> None:
    service.sign_in("1001", "1234")
    service.start_transaction()
    txn = service.machine.running.txn  # type: ignore[union-attr]
    clock.advance(200)
    service.complete()
    service.give_overtime_reason("complex")
    with pytest.raises(InvalidDecision, match="no type change to accept"):
        LocalManager(service.store, "9001").review_overtime(
            txn, "system", "", accept_type_change=True)


def test_old_type_changed_events_without_the_fields_stay_valid() -> None:
    assert events.validate_payload(events.TYPE_CHANGED,
                                   {"txn": "t1", "type": "sim", "target_s": 300.0}) is None
    assert events.validate_payload(events.OVERTIME_REVIEWED,
                                   {"txn": "t1", "cause": "system"}) is None
    assert "after_target" in (events.validate_payload(
        events.TYPE_CHANGED, {"txn": "t1", "type": "sim", "after_target": "yes"}) or "")


def test_the_pure_fold_allows_the_overtime_reason_after_a_kept_overtime() -> None:
    lifecycle = events.Lifecycle()
    for draft in (
        Draft(events.STARTED, {"txn": "t1", "staff": "1001", "type": "payment",
                               "target_s": 180.0}),
        Draft(events.TYPE_CHANGED, {"txn": "t1", "type": "enquiry", "target_s": None,
                                    "elapsed_s": 200.0, "after_target": True,
                                    "passed_target_s": 180.0}),
        Draft(events.COMPLETED, {"txn": "t1", "duration_s": 240.0, "target_s": None,
                                 "overtime_s": 0.0}),
        Draft(events.OVERTIME_REASON, {"txn": "t1", "reason": "complex"}),
    ):
        assert lifecycle.feed(draft) is None
