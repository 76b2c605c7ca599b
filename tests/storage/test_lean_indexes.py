"""Schema 7's lean indexes: every query by kind still finds its events through an index, each
commit writes a bounded number of pages, and a schema-6 database keeps its data on the way."""

from __future__ import annotations

import re
import sqlite3
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from counter_app.storage import db as db_module
from counter_app.storage import queries
from counter_app.storage.db import (
    HOT_KINDS,
    MIGRATIONS,
    RARE_KINDS,
    SCHEMA_VERSION,
    Database,
    open_counter_db,
    rare_kinds_only,
    write_transaction,
)
from counter_app.storage.events import EventStore, recorded_breaks, verify, verify_at_start
from counter_app.storage.staff import StaffDirectory
from counter_core import events
from counter_core.transaction import Draft

AT = "2026-11-03T09:00:00.000Z"


def serve(store: EventStore, txn: str, rating: int | None = 4) -> None:
    store.append([Draft(events.STARTED, {"txn": txn, "staff": "1001", "type": "payment",
                                         "target_s": 180.0})])
    store.append([Draft(events.COMPLETED, {"txn": txn, "duration_s": 60.0, "target_s": 180.0,
                                           "overtime_s": 0.0})])
    if rating is not None:
        store.append([Draft(events.RATED, {"txn": txn, "rating": rating})])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    store = EventStore(opened.db, "SH-0001", "03")
    StaffDirectory(opened.db, store).add("1001", "王芳", "staff", "1234")
    store.append([Draft(events.SIGNED_IN, {"staff": "1001", "role": "staff"})])
    for n in range(40):
        serve(store, f"t{n}")
    yield store
    opened.db.conn.close()


# ---- every look-up by kind goes through the partial index ---------------------------------------

KIND_FILTER = re.compile(r"\bkind\s*(=|IN\b)", re.IGNORECASE)


def traced_statements(db: Database, store: EventStore) -> list[str]:
    """The SQL (values filled in) of what the counter and the manager view read."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        store.signed_in_staff()
        store.chain_format()
        verify_at_start(store, uploaded_through=store.last_seq())
        verify(db)
        recorded_breaks(db)
        start, end = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
        queries.overtime_log(db, start, end)
        queries.sessions(db, start, end)
        queries.away_entries(db, start, end)
        queries.order_numbers(db)
        queries.handovers(db)
        queries.review_queue(db, start, end)
        StaffDirectory(db, store).add("1002", "李雷", "staff", "2345")
    finally:
        db.conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


def test_every_look_up_by_kind_uses_the_rare_kinds_index(store: EventStore) -> None:
    db = store.db
    by_kind = [s for s in traced_statements(db, store)
               if "FROM events" in s and KIND_FILTER.search(s)]
    assert len(by_kind) >= 6, by_kind  # the walk reaches the queries it is meant to check
    for statement in by_kind:
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}"))
        if "seq" in statement and "events_rare_kind_at" not in plan:
            # a look-up by seq (primary key) that also names a kind is fine: no scan
            assert not re.search(r"SCAN (events|e)\b", plan), (statement, plan)
            continue
        assert "events_rare_kind_at" in plan, (statement, plan)


def test_the_index_condition_leaves_out_exactly_the_hot_kinds() -> None:
    assert set(HOT_KINDS) == {events.STARTED, events.COMPLETED, events.RATED}
    assert sorted(re.findall(r"'(\w+)'", RARE_KINDS)) == sorted(HOT_KINDS)


def test_a_look_up_of_a_hot_kind_is_refused() -> None:
    assert rare_kinds_only(events.SIGNED_IN, events.TYPE_CHANGED) == RARE_KINDS
    with pytest.raises(ValueError, match="rated"):
        rare_kinds_only(events.SIGNED_IN, events.RATED)


def test_a_hot_kind_has_no_index_entry_and_a_rare_one_has(store: EventStore) -> None:
    counts = dict(store.db.execute(
        f"SELECT kind, count(*) FROM events INDEXED BY events_rare_kind_at WHERE {RARE_KINDS}"
        " GROUP BY kind").fetchall())
    assert events.SIGNED_IN in counts
    assert not set(counts) & set(HOT_KINDS)


# ---- pages per commit ----------------------------------------------------------------------------

def frames(conn: sqlite3.Connection, database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    return max(0, (size - 32) // (page + 24))


#: pages (WAL frames) a commit of each kind writes at this depth, the median: the table's leaf, the
#: events' leaf and its hash index, the projections' leaves and indexes over changed columns.
#: Schema 6 wrote 12 a commit on average (48 KiB, bench_commit_wal.py): INSERT OR REPLACE
#: through 7 indexes.
BUDGET = {events.STARTED: 6, events.COMPLETED: 5, events.RATED: 5, "heartbeat": 1}
WORST = 10  # a commit that splits B-tree pages writes a few more, never schema 6's average


def test_each_commit_stays_within_its_page_budget(store: EventStore, tmp_path: Path) -> None:
    conn, database = store.db.conn, tmp_path / "counter.sqlite"
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    written: dict[str, list[int]] = {}

    def measure(name: str, action: Callable[..., object], *args: object) -> None:
        before = frames(conn, database)
        action(*args)
        written.setdefault(name, []).append(frames(conn, database) - before)

    for n in range(20):
        txn = f"b{n}"
        measure(events.STARTED, store.append, [Draft(events.STARTED, {
            "txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0})])
        measure("heartbeat", store.heartbeat, txn, 5.0)
        measure("heartbeat", store.heartbeat, txn, 10.0)
        measure(events.COMPLETED, store.append, [Draft(events.COMPLETED, {
            "txn": txn, "duration_s": 60.0, "target_s": 180.0, "overtime_s": 0.0})])
        measure(events.RATED, store.append, [Draft(events.RATED, {"txn": txn, "rating": 5})])
    medians = {kind: statistics.median(pages) for kind, pages in written.items()}
    assert medians.keys() == BUDGET.keys()
    over = {kind: m for kind, m in medians.items() if m > BUDGET[kind]}
    assert not over, f"median pages per commit over budget: {medians} (budget {BUDGET})"
    assert max(max(pages) for pages in written.values()) <= WORST, written


# ---- migration -----------------------------------------------------------------------------------

def test_a_schema_6_database_with_a_running_transaction_migrates_keeping_it(
        tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    db = db_module.connect(path)
    for number, step in enumerate(MIGRATIONS[:6], start=1):
        with write_transaction(db.conn):
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
    store = EventStore(db, "SH-0001", "03")
    store.append([Draft(events.SIGNED_IN, {"staff": "1001", "role": "staff"})])
    serve(store, "done")
    store.append([Draft(events.STARTED, {"txn": "running", "staff": "1001", "type": "payment",
                                         "target_s": 180.0})])
    with write_transaction(db.conn):
        db.execute("INSERT OR REPLACE INTO heartbeat (txn, elapsed_s) VALUES ('running', 42.5)")
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "events_kind_at" in names
    db.conn.close()

    opened = open_counter_db(path)
    try:
        migrated = opened.db
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert migrated.execute("SELECT txn, elapsed_s FROM heartbeat").fetchall() == [
            ("running", 42.5)]
        names = {r[0] for r in migrated.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "events_rare_kind_at" in names
        assert not names & {"events_kind_at", "transactions_status", "transactions_started_at"}
        assert verify(migrated).ok
        assert EventStore(migrated, "SH-0001", "03").signed_in_staff() == "1001"
        assert migrated.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        opened.db.conn.close()
