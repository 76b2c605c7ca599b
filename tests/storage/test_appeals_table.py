"""The counter's appeals table (schema 6): projected with each appeal event, checked by
`verify` against the events, and the appeal rules refused at append."""

from __future__ import annotations

import pytest

from counter_app.storage.events import verify
from counter_core import appeals, events
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService


def _served(txn: str, rating: int) -> list[Draft]:
    return [
        Draft(events.STARTED, {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0}),
        Draft(
            events.COMPLETED, {"txn": txn, "duration_s": 60.0, "target_s": 180.0, "overtime_s": 0.0}
        ),
        Draft(events.RATED, {"txn": txn, "rating": rating}),
    ]


def test_the_appeals_table_follows_the_events_and_verify_checks_it(service: CounterService) -> None:
    store = service.store
    store.append([*_served("t1", 1), appeals.appeal("t1", "1001", "wrong_counter")])
    assert appeals.state_of(store.appeal("t1")) == appeals.OPEN
    store.append([appeals.decision("t1", upheld=True, by="9001")])
    row = store.appeal("t1")
    assert appeals.state_of(row) == appeals.UPHELD and row is not None
    assert (row["decided_by"], row["reason"]) == ("9001", "wrong_counter")
    assert verify(service.db).ok
    service.db.execute("UPDATE appeals SET upheld = 0 WHERE txn = 't1'")
    report = verify(service.db)
    assert not report.ok and "appeal of t1 differs" in str(report.projection_problem)


def test_append_refuses_what_the_appeal_rules_refuse(service: CounterService) -> None:
    store = service.store
    store.append(_served("good", 5) + _served("poor", 2))
    with pytest.raises(events.InvalidEvent, match="no poor rating"):
        store.append([appeals.appeal("good", "1001", "system_fault")])
    with pytest.raises(events.InvalidEvent, match="another clerk"):
        store.append([appeals.appeal("poor", "1002", "system_fault")])
    with pytest.raises(events.InvalidEvent, match="not appealed"):
        store.append([appeals.decision("poor", upheld=True, by="9001")])
    store.append([appeals.appeal("poor", "1001", "system_fault")])
    with pytest.raises(events.InvalidEvent, match="already appealed"):  # from the table
        store.append([appeals.appeal("poor", "1001", "other", "again")])
    store.append([appeals.decision("poor", upheld=False, by="9001", note="属实")])
    with pytest.raises(events.InvalidEvent, match="already decided"):
        store.append([appeals.decision("poor", upheld=True, by="9001")])
    assert store.appeal("good") is None
