"""Read-only queries over the projections: date windows, ordering, staff names, served today."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.storage import queries
from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.storage.staff import StaffDirectory
from counter_core.transaction import Draft


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serve(store: EventStore, txn: str, at: str, staff: str = "1001", *,
          status: str = "completed") -> None:
    items = [(at, Draft("started", {"txn": txn, "staff": staff, "type": "payment",
                                    "target_s": 180.0}))]
    if status == "completed":
        items.append((at, Draft("completed", {"txn": txn, "duration_s": 60.0, "target_s": 180.0,
                                              "overtime_s": 0.0})))
    elif status == "voided":
        items.append((at, Draft("voided", {"txn": txn, "elapsed_s": 2.0})))
    store.append_timed(items)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    StaffDirectory(opened.db, EventStore(opened.db, "SH-0001", "03")).add(
        "1001", "王芳", "staff", "1234")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def store(db: Database) -> EventStore:
    return EventStore(db, "SH-0001", "03")


def test_window_is_half_open_and_oldest_first(db: Database,
                                              store: EventStore) -> None:
    serve(store, "late", "2026-03-11T00:00:00.000Z")
    serve(store, "early", "2026-03-10T08:00:00.000Z")
    serve(store, "edge", "2026-03-10T00:00:00.000Z")
    ids = [r["txn"] for r in queries.transactions(db)]
    assert ids == ["edge", "early", "late"]
    window = queries.transactions(db, "2026-03-10T00:00:00.000Z", "2026-03-11T00:00:00.000Z")
    assert [r["txn"] for r in window] == ["edge", "early"]
    assert [r["txn"] for r in queries.transactions(db, "2026-03-10T08:00:00.001Z")] == ["late"]
    assert [r["txn"] for r in queries.transactions(db, None, "2026-03-10T00:00:00.000Z")] == []


def test_same_instant_keeps_sequence_order(db: Database, store: EventStore) -> None:
    for txn in ("b", "a", "c"):
        serve(store, txn, "2026-03-10T08:00:00.000Z")
    assert [r["txn"] for r in queries.transactions(db)] == ["b", "a", "c"]


def test_staff_name_joined_or_empty(db: Database, store: EventStore) -> None:
    serve(store, "known", "2026-03-10T08:00:00.000Z", staff="1001")
    serve(store, "gone", "2026-03-10T09:00:00.000Z", staff="7777")
    names = {r["txn"]: r["staff_name"] for r in queries.transactions(db)}
    assert names == {"known": "王芳", "gone": None}


def test_served_today_counts_completed_since_local_midnight(
    db: Database, store: EventStore
) -> None:
    midnight = dt.datetime.combine(dt.date.today(), dt.time()).astimezone()
    serve(store, "yesterday", iso(midnight - dt.timedelta(seconds=1)))
    serve(store, "first", iso(midnight))
    serve(store, "voided", iso(midnight + dt.timedelta(minutes=5)), status="voided")
    serve(store, "running", iso(midnight + dt.timedelta(minutes=6)), status="running")
    serve(store, "second", iso(midnight + dt.timedelta(minutes=7)))
    assert queries.served_today(db) == 2


def test_sessions_are_staff_sign_ins_from_a_day_before(db: Database,
                                                       store: EventStore) -> None:
    store.append_timed([
        ("2026-03-08T23:00:00.000Z", Draft("signed_in", {"staff": "1001", "role": "staff"})),
        ("2026-03-09T20:00:00.000Z", Draft("signed_in", {"staff": "1001", "role": "staff"})),
        ("2026-03-10T01:00:00.000Z", Draft("signed_in", {"staff": "9001", "role": "manager"})),
        ("2026-03-10T02:00:00.000Z", Draft("signed_out", {"staff": "1001"})),
        ("2026-03-11T00:00:00.000Z", Draft("signed_in", {"staff": "1001", "role": "staff"})),
    ])
    start, end = "2026-03-10T00:00:00.000Z", "2026-03-11T00:00:00.000Z"
    got = queries.sessions(db, start, end)
    # the evening before counts from `start` on; the manager's sign-in is not staff time
    assert got == [("2026-03-09T20:00:00.000Z", "signed_in", "1001", None),
                   ("2026-03-10T02:00:00.000Z", "signed_out", "1001", None)]
    from counter_core import figures

    assert figures.signed_in_seconds(got, start, end) == {"1001": 2 * 3600.0}


def test_the_overtime_lists_follow_the_millisecond_predicate(db: Database,
                                                             store: EventStore) -> None:
    for txn, duration in (("on-target", 180.0), ("one-ms-over", 180.001), ("over", 180.04)):
        store.append_timed([
            ("2026-03-10T08:00:00.000Z", Draft("started", {
                "txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0})),
            ("2026-03-10T08:03:00.000Z", Draft("completed", {
                "txn": txn, "duration_s": duration, "target_s": 180.0,
                "overtime_s": round(duration - 180.0, 3)})),
        ])
    assert {r["txn"] for r in queries.overtime_log(db)} == {"one-ms-over", "over"}
    assert {r["txn"] for r in queries.review_queue(db)} == {"one-ms-over", "over"}
    assert queries.unreviewed_counts(db) == (2, 0)
    (counts,) = queries.completed_counts(db, [("2026-03-10", "2026-03-11")])
    assert counts[:3] == (3, 3, 1)  # served, timed, within target


def test_the_review_queue_of_a_period_holds_its_overtime_and_poor_ratings_newest_first(
        db: Database, store: EventStore) -> None:
    """Overtime and poor ratings (1–2) started in [start, end), each once, newest first."""
    def case(txn: str, at: str, *, duration: float = 60.0, rating: int | None = None) -> None:
        items = [(at, Draft("started", {"txn": txn, "staff": "1001", "type": "payment",
                                        "target_s": 180.0})),
                 (at, Draft("completed", {"txn": txn, "duration_s": duration,
                                          "target_s": 180.0,
                                          "overtime_s": max(0.0, duration - 180.0)}))]
        if rating is not None:
            items.append((at, Draft("rated", {"txn": txn, "rating": rating})))
        store.append_timed(items)

    case("before-over", "2026-02-28T23:59:59.999Z", duration=200.0)
    case("at-start-poor", "2026-03-01T00:00:00.000Z", rating=1)
    case("in-over", "2026-03-05T10:00:00.000Z", duration=240.0, rating=4)
    case("in-poor", "2026-03-06T10:00:00.000Z", rating=1)
    case("in-fine", "2026-03-07T10:00:00.000Z", rating=5)
    case("in-poor-over", "2026-03-08T10:00:00.000Z", duration=300.0, rating=2)
    case("at-end-poor", "2026-04-01T00:00:00.000Z", rating=2)
    start, end = "2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z"
    rows = queries.review_queue(db, start, end)
    assert [r["txn"] for r in rows] == ["in-poor-over", "in-poor", "in-over", "at-start-poor"]
    assert [r["txn"] for r in queries.review_queue(db)] == [
        "at-end-poor", "in-poor-over", "in-poor", "in-over", "at-start-poor", "before-over"]
