"""Head office: a chain of demo data is marked demo; a type change after target stays overtime
until a manager accepts it (the same fold as the counter's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from counter_app.application.demo import demo_marker
from counter_core.figures import is_overtime
from counter_core.transaction import Draft
from head_office import reports
from head_office.schema import transactions
from head_office.store import Store
from tests.helpers.hq import chained


def _at(minute: int) -> str:
    return f"2026-11-02T02:{minute:02d}:00.000Z"


def _changed_after_target() -> list[tuple[str, Draft]]:
    return [
        (_at(0), Draft("signed_in", {"staff": "A", "role": "staff"})),
        (_at(1), Draft("started", {"txn": "x1", "staff": "A", "type": "payment",
                                   "target_s": 180.0})),
        (_at(5), Draft("type_changed", {"txn": "x1", "type": "enquiry", "target_s": None,
                                        "elapsed_s": 240.0, "after_target": True,
                                        "passed_target_s": 180.0})),
        (_at(6), Draft("completed", {"txn": "x1", "duration_s": 300.0, "target_s": None,
                                     "overtime_s": 0.0})),
        (_at(7), Draft("rating_timed_out", {"txn": "x1"})),
        (_at(8), Draft("signed_out", {"staff": "A", "session_s": 480.0})),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    yield store
    store.close()


def _ingest(store: Store, hall: str, items: list[tuple[str, Draft]]) -> None:
    store.enroll(hall, "01")
    who = store.counter(hall, "01")
    assert who is not None
    store.ingest(who, chained(hall, "01", items))


def _row(store: Store, hall: str) -> dict[str, object]:
    with store.reader.connect() as conn:
        who = store.counter(hall, "01")
        assert who is not None
        return dict(conn.execute(select(transactions).where(
            transactions.c.counter_id == who.id)).mappings().one())


def test_a_demo_chain_is_marked_demo_in_the_chains_report(store: Store) -> None:
    marker = demo_marker("0.2.0")
    # the test's chain is sealed in the initial format (tests.helpers.hq.chained)
    marker = Draft(marker.kind, {**marker.payload, "chain_format": 1})
    _ingest(store, "DEMO", [(_at(0), marker), *_changed_after_target()])
    _ingest(store, "REAL", _changed_after_target())
    marks = {r["hall"]: r["demo"] for r in reports.chains(store)}
    assert marks == {"DEMO": "demo", "REAL": ""}
    assert "demo" in reports.CHAIN_COLUMNS


def test_type_change_after_target_stays_overtime_until_accepted(store: Store) -> None:
    _ingest(store, "H1", _changed_after_target())
    row = _row(store, "H1")
    assert (row["target_s"], row["overtime_s"]) == (180.0, 120.0) and is_overtime(row)
    who = store.counter("H1", "01")
    assert who is not None
    last = store.events(who)[-1]
    accept = Draft("overtime_reviewed", {"txn": "x1", "cause": "complex_request", "note": "",
                                         "manager": "M", "accept_type_change": True,
                                         "target_s": None})
    store.ingest(who, chained("H1", "01", [(_at(30), accept)], first_seq=last.seq + 1,
                              prev_hash=last.hash))
    row = _row(store, "H1")
    assert (row["target_s"], row["overtime_s"]) == (None, 0.0) and not is_overtime(row)
    assert row["review_cause"] == "complex_request"
