"""Tests for the manager's events: validation, projection in the same transaction, verify."""

from __future__ import annotations

import sqlite3

import pytest

from counter_app.storage.events import verify
from counter_core import reviews
from counter_core.reviews import ReviewError
from tests.conftest import FakeClock
from tests.helpers.counter import CounterService


def _overtime_txn(service: CounterService, clock: FakeClock) -> str:
    service.sign_in("1001", "1234")
    service.machine.start()
    txn = service.machine.running.txn  # type: ignore[union-attr]
    clock.advance(200)
    service.machine.complete()
    service.machine.give_overtime_reason("complex")
    service.machine.rate(2)
    return txn


def test_overtime_review_is_projected_and_superseded(
    service: CounterService, clock: FakeClock
) -> None:
    txn = _overtime_txn(service, clock)
    service.store.append([reviews.overtime_review(txn, "system", "slow network", "9001")])
    service.store.append([reviews.overtime_review(txn, "missing_documents", "", "9001")])
    rows = list(service.db.query("SELECT * FROM reviews WHERE txn = ?", [txn]))
    assert len(rows) == 1
    assert rows[0]["cause"] == "missing_documents" and rows[0]["subject"] == "overtime"
    kinds = [r["kind"] for r in service.db.query("SELECT kind FROM events ORDER BY seq")]
    assert kinds.count("overtime_reviewed") == 2  # nothing edited in place
    assert verify(service.db).ok


def test_follow_up_and_star(service: CounterService, clock: FakeClock) -> None:
    txn = _overtime_txn(service, clock)
    service.store.append([reviews.rating_follow_up(
        txn, called_back=True, cause="slow", resolved=False, note="will call again",
        manager="9001")])
    service.store.append([reviews.star_confirmation("2026-03", "1001", 4.71234, "9001")])
    row = next(service.db.query("SELECT * FROM reviews WHERE subject = 'rating'"))
    assert (row["called_back"], row["resolved"], row["cause"]) == (1, 0, "slow")
    star = next(service.db.query("SELECT * FROM stars"))
    assert (star["month"], star["staff"], star["score"]) == ("2026-03", "1001", 4.7123)
    assert verify(service.db).ok


def test_review_of_unknown_transaction_is_refused(service: CounterService) -> None:
    before = service.store.last_seq()
    with pytest.raises(ValueError, match="no transaction"):
        service.store.append([reviews.overtime_review("nope", "system", "", "9001")])
    assert service.store.last_seq() == before  # all or nothing


@pytest.mark.parametrize("call", [
    lambda: reviews.overtime_review("t", "bogus", "", "9001"),
    lambda: reviews.overtime_review("t", "other", "  ", "9001"),
    lambda: reviews.overtime_review("t", "system", "x" * 501, "9001"),
    lambda: reviews.rating_follow_up("t", called_back=True, cause="bogus", resolved=True,
                                     note="", manager="9001"),
    lambda: reviews.star_confirmation("2026-13", "1001", 4.0, "9001"),
    lambda: reviews.star_confirmation("2026-01", "", 4.0, "9001"),
])
def test_invalid_reviews_are_refused(call: object) -> None:
    with pytest.raises(ReviewError):
        call()  # type: ignore[operator]


def test_verify_notices_a_tampered_review(service: CounterService, clock: FakeClock) -> None:
    txn = _overtime_txn(service, clock)
    service.store.append([reviews.overtime_review(txn, "system", "", "9001")])
    service.db.execute("UPDATE reviews SET cause = 'staff_skill'")
    report = verify(service.db)
    assert not report.ok and "reviews" in (report.projection_problem or "")
    assert "cause" in (report.projection_problem or "")


def test_events_stay_append_only(service: CounterService) -> None:
    service.store.append([reviews.star_confirmation("2026-03", "1001", None, "9001")])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        service.db.execute("DELETE FROM events WHERE kind = 'star_confirmed'")
