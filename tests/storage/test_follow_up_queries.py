"""The follow-up reads: when a poor rating was made, order numbers, handovers, the open poor
ratings the overdue count is judged over; and what the event store refuses of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.storage import queries
from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.storage.staff import StaffDirectory
from counter_core.events import InvalidEvent
from counter_core.transaction import Draft


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    staff = StaffDirectory(opened.db, EventStore(opened.db, "SH-0001", "03"))
    staff.add("1001", "王芳", "staff", "1234")
    staff.add("9001", "张主管", "manager", "135790")
    staff.add("9002", "李主管", "manager", "246802")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def store(db: Database) -> EventStore:
    return EventStore(db, "SH-0001", "03")


def served(txn: str, minute: int, rating: int | None) -> list[tuple[str, Draft]]:
    at = f"2026-03-02T02:{minute:02}:00.000Z"
    items = [
        (at, Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0})),
        (
            f"2026-03-02T02:{minute:02}:30.000Z",
            Draft(
                "completed", {"txn": txn, "duration_s": 30.0, "target_s": 180.0, "overtime_s": 0.0}
            ),
        ),
    ]
    if rating is not None:
        items.append(
            (f"2026-03-02T02:{minute:02}:40.000Z", Draft("rated", {"txn": txn, "rating": rating}))
        )
    return items


def test_rated_at_order_numbers_and_handovers(db: Database, store: EventStore) -> None:
    store.append_timed(
        served("p1", 0, 1)
        + served("p2", 5, 2)
        + served("good", 10, 5)
        + [
            (
                "2026-03-02T02:20:00.000Z",
                Draft("order_number_set", {"txn": "p1", "order_no": "A-1"}),
            ),
            (
                "2026-03-02T02:21:00.000Z",
                Draft("order_number_set", {"txn": "p1", "order_no": "A-2"}),
            ),  # latest wins
            (
                "2026-03-02T03:00:00.000Z",
                Draft(
                    "rating_followed_up",
                    {
                        "txn": "p2",
                        "called_back": True,
                        "cause": "slow",
                        "resolved": True,
                        "note": "",
                        "manager": "9001",
                    },
                ),
            ),
            (
                "2026-03-02T09:00:00.000Z",
                Draft(
                    "cases_handed_over",
                    {"from": "9001", "to": "9002", "txns": ["p1"], "note": "回访"},
                ),
            ),
        ]
    )
    rows = queries.follow_up_facts(db, queries.review_queue(db))
    by = {r["txn"]: r for r in rows}
    assert set(by) == {"p1", "p2"}  # the queue: poor ratings only here
    assert by["p1"]["rated_at"] == "2026-03-02T02:00:40.000Z"
    assert by["p1"]["order_no"] == "A-2" and by["p2"]["order_no"] is None
    assert (by["p1"]["handed_over_by"], by["p1"]["handed_over_to"]) == ("9001", "9002")
    assert by["p2"]["handed_over_by"] is None
    assert queries.open_poor_ratings(db) == [("p1", "2026-03-02T02:00:40.000Z")]
    assert queries.order_numbers(db, since="2026-03-03T00:00:00.000Z") == {}
    assert queries.manager_numbers(db) == ["9001", "9002"]


def test_the_store_refuses_phone_numbers_and_order_numbers_of_unknown_or_voided_ones(
    store: EventStore,
) -> None:
    store.append_timed(
        [
            *served("t1", 0, None),
            (
                "2026-03-02T02:30:00.000Z",
                Draft(
                    "started", {"txn": "v1", "staff": "1001", "type": "payment", "target_s": 180.0}
                ),
            ),
            ("2026-03-02T02:30:02.000Z", Draft("voided", {"txn": "v1", "elapsed_s": 2.0})),
        ]
    )
    for payload, says in [
        ({"txn": "t1", "order_no": "13812345678"}, "phone"),
        ({"txn": "t1", "order_no": "a b"}, "letters, digits"),
        ({"txn": "nope", "order_no": "A-1"}, "unknown transaction"),
        ({"txn": "v1", "order_no": "A-1"}, "voided"),
    ]:
        with pytest.raises(InvalidEvent, match=says):
            store.append([Draft("order_number_set", payload)])
    with pytest.raises(InvalidEvent, match="phone"):
        store.append(
            [
                Draft(
                    "cases_handed_over",
                    {"from": "9001", "to": "9002", "txns": ["t1"], "note": "call 13912345678"},
                )
            ]
        )
    store.append([Draft("order_number_set", {"txn": "t1", "order_no": "A-1"})])
