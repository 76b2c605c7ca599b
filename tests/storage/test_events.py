"""EventStore: append-only triggers, all-or-nothing batches, projection, verify, full disk."""

from __future__ import annotations

import dataclasses
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import (
    ClockBehind,
    EventStore,
    InvalidEvent,
    app_version,
    event_from_row,
    utc_now,
    verify,
)
from counter_core import events as vocabulary
from counter_core import projection
from counter_core.chain import (
    FORMAT_JCS,
    FORMAT_PYTHON_JSON,
    GENESIS_HASH,
    ChainFormatError,
    first_break,
    head_of,
    seal,
    walk,
)
from counter_core.transaction import CounterError, CounterMachine, Draft, Staff
from tests.helpers.actions import ACTIONS, TYPES
from tests.helpers.clock import FakeClock


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def store(db: Database) -> EventStore:
    times = (f"2026-11-25T08:{n // 60:02d}:{n % 60:02d}.000Z" for n in itertools.count())
    return EventStore(db, "SH-0001", "03", now=lambda: next(times))


def started(txn: str, staff: str = "1001", type_: str = "payment",
            target: float | None = 180.0) -> Draft:
    return Draft("started", {"txn": txn, "staff": staff, "type": type_, "target_s": target})


def completed(txn: str, duration: float = 60.0, target: float | None = 180.0) -> Draft:
    overtime = max(0.0, duration - target) if target else 0.0
    return Draft("completed", {"txn": txn, "duration_s": duration, "target_s": target,
                               "overtime_s": overtime})


def fill(store: EventStore) -> None:
    """A small realistic day: sign-in, a rated, an overtime, a voided transaction, sign-out."""
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    store.append([started("t1")])
    store.append([completed("t1", 95.5)])
    store.append([Draft("rated", {"txn": "t1", "rating": 5})])
    store.append([started("t2")])
    store.append([Draft("type_changed", {"txn": "t2", "type": "sim", "target_s": 300.0})])
    store.append([completed("t2", 320.25, 300.0)])
    store.append([Draft("overtime_reason", {"txn": "t2", "reason": "complex"})])
    store.append([Draft("rating_timed_out", {"txn": "t2"}), started("t3")])
    store.append([Draft("voided", {"txn": "t3", "elapsed_s": 4.0})])
    store.append([Draft("signed_out", {"staff": "1001"})])


def table_rows(db: Database) -> dict[str, dict[str, Any]]:
    return {r["txn"]: {c: r[c] for c in projection.COLUMNS}
            for r in db.query("SELECT * FROM transactions")}


def all_events(db: Database) -> list[Any]:
    return [event_from_row(r) for r in db.query("SELECT * FROM events ORDER BY seq")]


def test_utc_now_format() -> None:
    text = utc_now()
    assert text.endswith("Z") and len(text) == len("2026-11-25T08:00:00.000Z")
    assert text[10] == "T" and text[19] == "."


# ---- appending --------------------------------------------------------------------------------

def test_append_sequences_chains_and_projects(store: EventStore, db: Database) -> None:
    first = store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    batch = store.append([started("t1"), completed("t1", 42.0)])
    assert [e.seq for e in first + batch] == [1, 2, 3]
    assert first[0].prev_hash == GENESIS_HASH
    assert batch[0].prev_hash == first[0].hash and batch[1].prev_hash == batch[0].hash
    assert batch[0].hall == "SH-0001" and batch[0].counter == "03"
    assert len({e.uuid for e in first + batch}) == 3
    assert store.last_seq() == 3
    assert all_events(db) == first + batch  # what is stored is exactly what was sealed
    row = store.transaction("t1")
    assert row is not None
    assert (row["status"], row["duration_s"], row["started_seq"], row["last_seq"]) == (
        "completed", 42.0, 2, 3)
    assert store.append([]) == []
    assert store.last_seq() == 3


def test_events_paging(store: EventStore) -> None:
    fill(store)
    assert [e.seq for e in store.events(after_seq=3, limit=4)] == [4, 5, 6, 7]
    assert [e.seq for e in store.events(after_seq=10)] == [11, 12]


def test_append_timed_keeps_given_times(store: EventStore) -> None:
    events = store.append_timed([("2025-01-02T03:04:05.006Z", started("old"))])
    assert events[0].at == "2025-01-02T03:04:05.006Z"
    row = store.transaction("old")
    assert row is not None and row["started_at"] == "2025-01-02T03:04:05.006Z"


def test_unicode_payload_round_trips_and_verifies(store: EventStore, db: Database
                                                  ) -> None:
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff", "note": "交费 ✓"})])
    assert all_events(db)[0].payload["note"] == "交费 ✓"
    assert verify(db).ok


# ---- append-only --------------------------------------------------------------------------------

def test_triggers_refuse_update_and_delete(store: EventStore, db: Database) -> None:
    fill(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET payload = '{}' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 1")
    assert store.last_seq() == 12
    assert verify(db).ok


# ---- all or nothing -----------------------------------------------------------------------------

def test_failure_mid_batch_stores_nothing(store: EventStore, db: Database) -> None:
    fill(store)
    before_events, before_rows = all_events(db), table_rows(db)
    bad = Draft("started", {"txn": "t9", "staff": "1001", "type": "payment",
                            "target_s": float("nan")})  # not canonical JSON: sealing fails
    with pytest.raises(ValueError):
        store.append([started("t8"), completed("t8"), bad])
    assert all_events(db) == before_events
    assert table_rows(db) == before_rows
    assert not db.conn.in_transaction
    after = store.append([started("t8")])  # sequencing resumes without a gap
    assert after[0].seq == before_events[-1].seq + 1
    assert after[0].prev_hash == before_events[-1].hash
    assert verify(db).ok


def test_projection_failure_mid_batch_stores_nothing(
    store: EventStore, db: Database
) -> None:
    fill(store)
    before_events, before_rows = all_events(db), table_rows(db)
    with pytest.raises(ValueError, match="unknown transaction"):
        store.append([started("t8"), Draft("rated", {"txn": "ghost", "rating": 5})])
    assert all_events(db) == before_events
    assert table_rows(db) == before_rows
    assert verify(db).ok


def test_injected_insert_failure_mid_batch_stores_nothing(
    store: EventStore, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store)
    before_events, before_rows = all_events(db), table_rows(db)
    real_insert = store._insert
    calls = itertools.count(1)

    def flaky_insert(event: Any) -> None:
        if next(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        real_insert(event)

    monkeypatch.setattr(store, "_insert", flaky_insert)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        store.append([started("t8"), completed("t8"), Draft("rated", {"txn": "t8", "rating": 4})])
    assert all_events(db) == before_events
    assert table_rows(db) == before_rows


def test_full_database_raises_clear_error_and_loses_nothing(
    store: EventStore, db: Database
) -> None:
    fill(store)
    before_events, before_rows = all_events(db), table_rows(db)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    big = "x" * 20000
    with pytest.raises(sqlite3.OperationalError, match="full"):
        store.append([started("t8"), Draft("signed_out", {"staff": "1001", "pad": big})])
    assert not db.conn.in_transaction
    assert all_events(db) == before_events
    assert table_rows(db) == before_rows
    db.execute(f"PRAGMA max_page_count = {pages * 100}")
    store.append([started("t8"), Draft("signed_out", {"staff": "1001", "pad": big})])
    assert verify(db).ok


# ---- projection and verify ----------------------------------------------------------------------

def test_projection_table_equals_rebuild(store: EventStore, db: Database) -> None:
    fill(store)
    rebuilt = projection.rebuild(all_events(db))
    assert table_rows(db) == rebuilt
    assert {t: r["status"] for t, r in rebuilt.items()} == {
        "t1": "completed", "t2": "completed", "t3": "voided"}
    assert rebuilt["t2"]["rating_status"] == "not_rated"
    assert rebuilt["t2"]["overtime_reason"] == "complex"
    report = verify(db)
    assert report.ok and report.events == 12


def test_verify_finds_edited_payload(store: EventStore, db: Database) -> None:
    fill(store)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("""UPDATE events SET payload = '{"rating":1,"txn":"t1"}' WHERE seq = 4""")
    report = verify(db)
    assert not report.ok
    assert report.chain_problem is not None and report.chain_problem.seq == 4


def test_verify_finds_deleted_event(store: EventStore, db: Database) -> None:
    fill(store)
    db.execute("DROP TRIGGER events_no_delete")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("DELETE FROM events WHERE seq = 6")
    report = verify(db)
    assert report.chain_problem is not None and report.chain_problem.seq == 6
    assert report.events == 11


def test_verify_finds_swapped_events(store: EventStore, db: Database) -> None:
    fill(store)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE events SET seq = -1 WHERE seq = 7")
    db.execute("UPDATE events SET seq = 7 WHERE seq = 5")
    db.execute("UPDATE events SET seq = 5 WHERE seq = -1")
    report = verify(db)
    assert report.chain_problem is not None and report.chain_problem.seq == 5


def test_verify_finds_tampered_projection(store: EventStore, db: Database) -> None:
    fill(store)
    db.execute("UPDATE transactions SET duration_s = 100.0 WHERE txn = 't2'")
    report = verify(db)
    assert report.chain_problem is None
    assert report.projection_problem is not None
    assert "t2" in report.projection_problem and "duration_s" in report.projection_problem
    assert "sequence 5" in report.projection_problem


def test_verify_finds_missing_and_extra_projection_rows(
    store: EventStore, db: Database
) -> None:
    fill(store)
    db.execute("DELETE FROM transactions WHERE txn = 't3'")
    report = verify(db)
    assert report.projection_problem is not None and "t3 is missing" in report.projection_problem


def test_verify_finds_projection_row_without_events(
    store: EventStore, db: Database
) -> None:
    fill(store)
    db.execute(
        "INSERT INTO transactions (txn, hall, counter, staff, type, started_at, status,"
        " started_seq, last_seq) VALUES ('forged', 'SH-0001', '03', '1001', 'payment',"
        " '2026-11-25T08:00:00.000Z', 'completed', 2, 3)"
    )
    report = verify(db)
    assert report.projection_problem is not None
    assert "forged is not in the event log" in report.projection_problem


def test_verify_names_unfoldable_events(store: EventStore, db: Database) -> None:
    """A correctly chained event that names an unknown transaction is still reported."""
    fill(store)
    events = all_events(db)
    from counter_core.chain import Event, seal

    forged = seal(Event(13, "u-forged", "rated", "2026-11-25T09:00:00.000Z", "SH-0001", "03",
                        {"txn": "ghost", "rating": 5}, prev_hash=events[-1].hash))
    db.execute(
        "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [forged.seq, forged.uuid, forged.kind, forged.at, forged.hall, forged.counter,
         '{"rating":5,"txn":"ghost"}', forged.prev_hash, forged.hash],
    )
    report = verify(db)
    assert report.chain_problem is None
    assert report.projection_problem is not None and "ghost" in report.projection_problem


# ---- heartbeat and recovery ---------------------------------------------------------------------

def test_heartbeat_survives_type_change_and_keeps_one_row(
    store: EventStore, db: Database
) -> None:
    store.append([started("t1")])
    store.heartbeat("t1", 12.3456)
    store.append([Draft("type_changed", {"txn": "t1", "type": "sim", "target_s": 300.0})])
    assert list(db.query("SELECT * FROM heartbeat")) == [{"txn": "t1", "elapsed_s": 12.346}]
    # completion leaves the row (no extra page on the commit); the next transaction's first
    # heartbeat replaces it, so the table never holds more than the latest transaction
    store.append([completed("t1", 20.0)])
    store.append([started("t2")])
    store.heartbeat("t2", 5.0)
    assert list(db.query("SELECT * FROM heartbeat")) == [{"txn": "t2", "elapsed_s": 5.0}]


def test_heartbeat_for_unknown_transaction_is_refused(store: EventStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.heartbeat("ghost", 1.0)


def test_recover_interrupted(store: EventStore, db: Database) -> None:
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    store.append([started("t1"), completed("t1", 30.0)])  # rating still pending
    store.append([started("t2")])
    store.heartbeat("t2", 77.5)
    recovered = store.recover_interrupted()
    assert [(e.kind, dict(e.payload)) for e in recovered] == [
        ("interrupted", {"txn": "t2", "elapsed_s": 77.5, "overtime_s": 0.0}),
        ("rating_timed_out", {"txn": "t1"}),
        ("signed_out", {"staff": "1001", "reason": "interrupted"}),
    ]
    row = store.transaction("t2")
    assert row is not None and (row["status"], row["duration_s"]) == ("interrupted", 77.5)
    assert store.signed_in_staff() is None
    assert store.recover_interrupted() == []  # nothing left to recover
    assert verify(db).ok


def test_recovery_is_never_refused_for_a_long_heartbeat(store: EventStore,
                                                        db: Database) -> None:
    store.append([started("t1")])
    store.heartbeat("t1", 40 * 86400.0)  # left running for weeks, then the power went
    (recovered,) = store.recover_interrupted()
    assert recovered.payload["elapsed_s"] == vocabulary.MAX_ELAPSED_S
    assert verify(db).ok


def test_recover_without_heartbeat_records_zero(store: EventStore) -> None:
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1")])
    recovered = store.recover_interrupted()
    assert recovered[0].payload["elapsed_s"] == 0.0


def test_signed_in_staff(store: EventStore) -> None:
    assert store.signed_in_staff() is None
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    assert store.signed_in_staff() == "1001"
    store.append([Draft("signed_out", {"staff": "1001"})])
    assert store.signed_in_staff() is None


# ---- properties: the machine over real storage --------------------------------------------------

@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTIONS, max_size=40))
def test_any_actions_on_real_storage_verify(tmp_path_factory: pytest.TempPathFactory,
                                            actions: list[tuple[str, Any]]) -> None:
    opened = open_counter_db(tmp_path_factory.mktemp("prop") / "counter.sqlite")
    try:
        store = EventStore(opened.db, "SH-0001", "03")
        clock = FakeClock()
        machine = CounterMachine(TYPES, store.append, rating_window_s=30.0, clock=clock)
        for name, arg in actions:
            try:
                if name == "sign_in":
                    machine.sign_in(Staff(arg, "x"))
                elif name == "wait":
                    clock.advance(arg)
                elif name in ("rate", "select_type"):
                    getattr(machine, name)(arg)
                elif name == "rating_reason":
                    machine.give_rating_reason(arg)
                elif name == "overtime_reason":
                    machine.give_overtime_reason(arg)
                else:
                    getattr(machine, name)()
            except CounterError:
                pass
            if machine.running:
                store.heartbeat(machine.running.txn, machine.running.timer.elapsed_s())
        events = all_events(opened.db)
        assert first_break(events) is None
        assert table_rows(opened.db) == projection.rebuild(events)
        assert verify(opened.db).ok
        store.recover_interrupted()
        assert verify(opened.db).ok
        statuses = {r["status"] for r in table_rows(opened.db).values()}
        assert "running" not in statuses
    finally:
        opened.db.conn.close()


def test_wall_clock_jump_mid_transaction_keeps_the_monotonic_duration(
    db: Database,
) -> None:
    """An NTP step of four minutes backwards between Start and Done: the UTC times show the
    jump, the stored duration does not (a step of more than five minutes back is refused:
    see test_an_event_far_behind_the_chain_head_is_refused)."""
    walls = iter(["2026-11-25T10:00:00.000Z", "2026-11-25T09:57:35.000Z"])
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    clock = FakeClock()
    machine = CounterMachine(TYPES, store.append, clock=clock)
    machine.staff = Staff("1001", "王芳")  # signed in earlier; only start and done are timed here
    machine.start()
    clock.advance(95.0)
    machine.complete()
    (row,) = table_rows(db).values()
    assert row["started_at"] == "2026-11-25T10:00:00.000Z"
    assert row["ended_at"] == "2026-11-25T09:57:35.000Z"
    assert row["duration_s"] == 95.0
    assert verify(db).ok


def test_an_event_far_behind_the_chain_head_is_refused(db: Database) -> None:
    """Outside demo data (append_timed), no event is slipped in behind the history."""
    walls = iter(["2026-11-25T10:00:00.000Z", "2026-11-25T09:54:59.999Z",
                  "2026-11-25T09:55:00.000Z"])
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    store.append([Draft("signed_in", {"staff": "1001"})])
    with pytest.raises(ClockBehind, match="5 minutes behind the last record") as refused:
        store.append([Draft("signed_out", {"staff": "1001"})])
    assert isinstance(refused.value, sqlite3.Error)  # the app says NOT SAVED, as for a full disk
    assert store.last_seq() == 1
    store.append([Draft("signed_out", {"staff": "1001"})])  # exactly five minutes back: kept
    assert store.last_seq() == 2 and verify(db).ok


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5),
                         min_size=1, max_size=5),
       jcs=st.booleans())
def test_any_payload_is_stored_so_that_it_verifies(
    tmp_path_factory: pytest.TempPathFactory, payloads: list[dict[str, Any]], jcs: bool
) -> None:
    """Whatever JSON an event's extra fields hold, the stored text re-hashes to the stored
    hash in the log's chain format, or the append is refused as a whole."""
    opened = open_counter_db(tmp_path_factory.mktemp("payload") / "counter.sqlite")
    try:
        store = EventStore(opened.db, "SH-0001", "03", record_opening=jcs)
        before = store.last_seq()
        drafts = [Draft("signed_out", {**payload, "staff": "1001"})
                  for payload in payloads if not vocabulary.FORBIDDEN_FIELDS & set(payload)]
        try:
            sealed = store.append(drafts)
        except (ValueError, UnicodeEncodeError):
            assert store.last_seq() == before
            return
        reread = all_events(opened.db)
        assert [e.hash for e in reread[before:]] == [e.hash for e in sealed]
        assert walk(reread) is None
        assert verify(opened.db).ok
    finally:
        opened.db.conn.close()


# ---- the append refuses invalid events before writing -------------------------------------------

def snapshot(db: Database) -> tuple[list[Any], dict[str, Any]]:
    return all_events(db), table_rows(db)


REFUSALS = [
    ("rating 999", [completed("t1")], [Draft("rated", {"txn": "t1", "rating": 999})],
     "rated", "rating"),
    ("negative duration", [], [completed("t1", -5.0)], "completed", "duration_s"),
    ("second rating", [completed("t1"), Draft("rated", {"txn": "t1", "rating": 5})],
     [Draft("rated", {"txn": "t1", "rating": 1})], "rated", "already rated"),
    ("reused started txn", [], [started("t1")], "started", "already started"),
    ("unknown kind", [], [Draft("note", {"text": "hello"})], "note", "unknown kind"),
    ("a name for the staff number", [], [started("t2", staff="王芳")], "started", "staff"),
    ("completed twice", [completed("t1")], [completed("t1")], "completed", "not running"),
    ("overtime reason without overtime", [completed("t1", 60.0)],
     [Draft("overtime_reason", {"txn": "t1", "reason": "complex"})], "overtime_reason",
     "not completed in overtime"),
    ("review of an unknown transaction", [],
     [Draft("overtime_reviewed", {"txn": "ghost", "cause": "system", "manager": "9001"})],
     "overtime_reviewed", "no transaction"),
]


@pytest.mark.parametrize(("case", "before", "batch", "kind", "reason"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_append_refuses_invalid_events_storing_nothing(
    store: EventStore, db: Database, case: str, before: list[Draft],
    batch: list[Draft], kind: str, reason: str,
) -> None:
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1")])
    store.append(before)
    stored = snapshot(db)
    # valid events ahead of the bad one in the same batch are not stored either
    with pytest.raises(InvalidEvent) as refused:
        store.append([started("t7"), *batch])
    assert isinstance(refused.value, ValueError)
    assert refused.value.kind == kind and reason in refused.value.reason
    assert kind in str(refused.value) and reason in str(refused.value)
    assert snapshot(db) == stored
    assert not db.conn.in_transaction
    assert store.append([started("t7")])[0].seq == len(stored[0]) + 1  # no gap after
    assert verify(db).ok


def test_refusal_within_one_batch_sees_the_batch(store: EventStore, db: Database
                                                 ) -> None:
    """The lifecycle runs over the batch itself: a rating twice in one batch is refused."""
    with pytest.raises(InvalidEvent, match="already rated"):
        store.append_timed([
            ("2026-11-25T08:00:00.000Z", started("t1")),
            ("2026-11-25T08:01:00.000Z", completed("t1")),
            ("2026-11-25T08:01:02.000Z", Draft("rated", {"txn": "t1", "rating": 4})),
            ("2026-11-25T08:01:03.000Z", Draft("rated", {"txn": "t1", "rating": 1})),
        ])
    assert all_events(db) == [] and table_rows(db) == {}


def test_oversized_payload_is_refused(store: EventStore, db: Database) -> None:
    with pytest.raises(InvalidEvent, match="larger than"):
        store.append([Draft("signed_out", {"staff": "1001", "pad": "x" * 70_000})])
    assert all_events(db) == []


def test_append_reads_the_projection_not_the_log(store: EventStore, db: Database
                                                 ) -> None:
    """The hot path: checking an event costs indexed lookups, never a read of the whole log."""
    fill(store)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        store.append([started("t9")])
        store.append([completed("t9")])
        store.append([Draft("rated", {"txn": "t9", "rating": 5})])
    finally:
        db.conn.set_trace_callback(None)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert reads
    for sql in reads:
        assert "FROM events" not in sql or "LIMIT 1" in sql, sql
    assert any("FROM transactions AS t" in sql and "WHERE t.txn = " in sql for sql in reads)


def test_an_event_commit_reads_its_transaction_once(store: EventStore, db: Database) -> None:
    """Done is BEGIN, the chain head (with its time, for the clock check), the transaction
    row with its appeal state (read once, for the rules and the projection alike), the
    event, the row's changed columns, COMMIT: six statements."""
    fill(store)
    store.append([started("t9")])
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        store.append([completed("t9")])
    finally:
        db.conn.set_trace_callback(None)
    words = [" ".join(sql.split()[:3]).upper() for sql in statements]
    assert words == ["BEGIN IMMEDIATE", "SELECT SEQ, HASH,", "SELECT T.*, A.TXN",
                     "INSERT INTO EVENTS", "UPDATE TRANSACTIONS SET", "COMMIT"], statements
    assert table_rows(db)["t9"]["status"] == "completed"


# ---- log_opened: app version and chain format ----------------------------------------------------

def test_app_version_is_text() -> None:
    assert isinstance(app_version(), str) and app_version()


def test_log_opened_recorded_once_per_version_and_format(db: Database) -> None:
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.2.0")
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.2.0")  # a restart
    (first,) = all_events(db)
    assert first.kind == vocabulary.LOG_OPENED
    assert dict(first.payload) == {"app_version": "0.2.0", "chain_format": FORMAT_JCS}
    assert first.hash == seal(first, FORMAT_JCS).hash
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")  # an upgrade
    assert [dict(e.payload)["app_version"] for e in all_events(db)] == ["0.2.0", "0.3.0"]
    assert table_rows(db) == {}  # not a transaction
    assert verify(db).ok


def test_default_app_version_is_recorded(db: Database) -> None:
    EventStore(db, "SH-0001", "03", record_opening=True)
    (event,) = all_events(db)
    assert event.payload["app_version"] == app_version()


def test_without_the_flag_nothing_is_recorded_on_opening(db: Database) -> None:
    store = EventStore(db, "SH-0001", "03")
    assert all_events(db) == [] and store.chain_format() == FORMAT_PYTHON_JSON


def test_old_log_continued_in_jcs_verifies(store: EventStore, db: Database) -> None:
    fill(store)  # written before: format 1
    old = all_events(db)
    upgraded = EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")
    assert upgraded.chain_format() == FORMAT_JCS
    upgraded.append([started("t8")])
    upgraded.append([completed("t8", 200.0)])
    events = all_events(db)
    assert events[:len(old)] == old  # old events keep their hashes
    switch = events[len(old)]
    assert switch.kind == vocabulary.LOG_OPENED and switch.seq == len(old) + 1
    done = events[-1]
    assert done.hash == seal(done, FORMAT_JCS).hash != seal(done, FORMAT_PYTHON_JSON).hash
    assert walk(events) is None and head_of(events).chain_format == FORMAT_JCS
    assert verify(db).ok
    # a store opened without the flag derives the format from the log and keeps it
    plain = EventStore(db, "SH-0001", "03")
    assert plain.chain_format() == FORMAT_JCS
    plain.append([Draft("rated", {"txn": "t8", "rating": 4})])
    assert verify(db).ok


def test_chain_format_never_goes_back(db: Database) -> None:
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")
    older = EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0",
                       chain_format=FORMAT_PYTHON_JSON)
    assert older.chain_format() == FORMAT_JCS and len(all_events(db)) == 1
    with pytest.raises(InvalidEvent, match="go back"):
        older.append([Draft(vocabulary.LOG_OPENED, {"app_version": "x", "chain_format": 1})])
    assert len(all_events(db)) == 1


def test_format_1_opening_for_a_head_office_not_yet_on_jcs(db: Database) -> None:
    store = EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0",
                       chain_format=FORMAT_PYTHON_JSON)
    store.append([started("t1")])
    assert store.chain_format() == FORMAT_PYTHON_JSON
    assert [e.hash for e in all_events(db)] == [
        seal(e, FORMAT_PYTHON_JSON).hash for e in all_events(db)]
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")  # now JCS
    assert [e.payload.get("chain_format") for e in all_events(db)] == [1, None, 2]
    assert verify(db).ok


def test_a_log_in_a_newer_format_is_not_written(db: Database) -> None:
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")
    db.execute("DROP TRIGGER events_no_update")
    db.execute("""UPDATE events SET payload = '{"app_version":"9","chain_format":3}'""")
    store = EventStore(db, "SH-0001", "03")
    with pytest.raises(ChainFormatError, match="newer than this app"):
        store.append([started("t1")])


def test_store_writes_the_format_another_store_switched_to(db: Database) -> None:
    """The format is cached per head: a second writer's switch is seen, not overwritten."""
    first = EventStore(db, "SH-0001", "03")
    first.append([started("t1")])
    EventStore(db, "SH-0001", "03", record_opening=True, version="0.3.0")
    first.append([completed("t1", 95.5)])
    assert all_events(db)[-1].hash == seal(all_events(db)[-1], FORMAT_JCS).hash
    assert verify(db).ok


def test_verify_names_an_event_that_breaks_the_rules(store: EventStore, db: Database
                                                     ) -> None:
    """A correctly chained event the append would refuse (written around it) is reported."""
    fill(store)
    events = all_events(db)
    forged = seal(dataclasses.replace(events[3], seq=13, uuid="u-forged",
                                      prev_hash=events[-1].hash))
    db.execute(
        "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [forged.seq, forged.uuid, forged.kind, forged.at, forged.hall, forged.counter,
         '{"rating":5,"txn":"t1"}', forged.prev_hash, forged.hash],
    )
    report = verify(db)
    assert report.chain_problem is None
    assert report.projection_problem is not None
    assert "event 13 (rated)" in report.projection_problem
    assert "already rated" in report.projection_problem


# ---- accept: events sealed elsewhere ------------------------------------------------------------

def test_accept_checks_hall_counter_and_rules_like_append(tmp_path: Path) -> None:
    source = open_counter_db(tmp_path / "source.sqlite")
    target = open_counter_db(tmp_path / "target.sqlite")
    try:
        writer = EventStore(source.db, "SH-0001", "03", record_opening=True, version="0.3.0")
        writer.append([started("t1"), completed("t1", 200.0)])
        chain = all_events(source.db)
        restored = EventStore(target.db, "SH-0001", "03")
        assert restored.accept(chain).stored == 3
        assert restored.chain_format() == FORMAT_JCS  # derived from the accepted log_opened
        assert all_events(target.db) == chain and table_rows(target.db) == table_rows(source.db)
        restored.append([Draft("rated", {"txn": "t1", "rating": 5})])  # the counter goes on
        assert verify(target.db).ok and table_rows(target.db)["t1"]["rating"] == 5
        # a rule broken by an otherwise well-chained event: refused, nothing stored
        head = all_events(target.db)[-1]
        again = seal(dataclasses.replace(head, seq=head.seq + 1, uuid="u-x",
                                         prev_hash=head.hash), FORMAT_JCS)
        with pytest.raises(InvalidEvent, match="already rated") as refused:
            restored.accept([again])
        assert refused.value.seq == head.seq + 1
        other = EventStore(target.db, "SH-0001", "04")
        foreign = seal(dataclasses.replace(again, payload={"staff": "1001"}, kind="signed_out"),
                       FORMAT_JCS)
        with pytest.raises(InvalidEvent, match="is for hall SH-0001 counter 03"):
            other.accept([foreign])
        assert all_events(target.db)[-1] == head
    finally:
        source.db.conn.close()
        target.db.conn.close()
