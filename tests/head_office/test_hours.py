"""Issue 9 item 21 at head office: hours signed in follow the counter's rule.

A session's length is its sign-out's `session_s` (the monotonic clock's), and the sign-out
that closes a session still open at the period's end is read even when it lies after the end:
a +30-day wall-clock jump during a shift adds nothing, on SQLite and on PostgreSQL, and head
office's hours equal the counter's own for every month.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from counter_app.storage import queries
from counter_app.storage.db import Database, connect, migrate
from counter_app.storage.events import EventStore
from counter_core import figures
from counter_core.periods import month_period
from counter_core.transaction import CounterMachine, Draft, Staff, TransactionType
from head_office import reports
from head_office.store import Store
from tests.helpers.clock import FakeClock
from tests.helpers.hq import PgCluster

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),)
HALL, COUNTER = "SH-0001", "03"
MONTHS = ("2026-02", "2026-03", "2026-04", "2026-05")


class Wall:
    """The PC's wall clock, set by the test (it may jump)."""

    def __init__(self, at: str) -> None:
        self.at = at

    def __call__(self) -> str:
        return self.at


@pytest.fixture(scope="module")
def counter() -> tuple[Database, EventStore]:
    db: Database = connect(":memory:")
    migrate(db)
    wall = Wall("2026-03-10T01:00:00.000Z")
    store = EventStore(db, HALL, COUNTER, now=wall)
    clock = FakeClock()

    def record(drafts: Sequence[Draft]) -> None:
        store.append(drafts)

    machine = CounterMachine(TYPES, record, clock=clock)
    # 1001: an 8-hour shift from 10 March 01:00 during which the wall clock jumps 30 days
    machine.sign_in(Staff("1001", "王芳"))
    wall.at = "2026-03-10T01:05:00.000Z"
    machine.start()
    clock.advance(100)
    wall.at = "2026-03-10T01:06:40.000Z"
    machine.complete()
    clock.advance(8 * 3600 - 100)
    wall.at = "2026-04-09T09:00:00.000Z"  # +30 days
    machine.sign_out()
    # 1002: a 4-hour shift across the end of April (2 h in each month)
    wall.at = "2026-04-30T22:00:00.000Z"
    machine.sign_in(Staff("1002", "李静"))
    clock.advance(4 * 3600)
    wall.at = "2026-05-01T02:00:00.000Z"
    machine.sign_out()
    return db, store


def counter_hours(db: Database, month: str) -> dict[str, float]:
    period = month_period(month, "UTC")
    return figures.signed_in_seconds(queries.sessions(db, period.start_utc, period.end_utc),
                                     period.start_utc, period.end_utc)


def test_the_counter_itself_counts_eight_hours_not_thirty_days(
        counter: tuple[Database, EventStore]) -> None:
    db, _ = counter
    assert counter_hours(db, "2026-03") == {"1001": 8 * 3600.0}
    assert counter_hours(db, "2026-04") == {"1002": 2 * 3600.0}  # the jump's sign-out: none
    assert counter_hours(db, "2026-05") == {"1002": 2 * 3600.0}
    assert counter_hours(db, "2026-02") == {}


def check_head_office(store: Store, counter: tuple[Database, EventStore]) -> None:
    db, events = counter
    store.enroll(HALL, COUNTER)
    who = store.counter(HALL, COUNTER)
    assert who is not None
    log = list(events.events())
    assert store.ingest(who, log).stored == len(log)
    for month in MONTHS:
        period = month_period(month, "UTC")
        got = reports._signed_in(store, period, ("staff",), None)
        assert got == {(staff,): s for staff, s in counter_hours(db, month).items()}, month
    march = month_period("2026-03", "UTC")
    (row,) = reports.service_level(store, march, by="staff")
    assert row["staff"] == "1001"
    assert row["signed_in_s"] == 8 * 3600.0  # not 22 days up to the end of March
    assert row["hours_signed_in"] == 8.0
    assert row["serving_share"] == pytest.approx(100 / (8 * 3600))
    (star,) = reports.stars(store, march)
    assert star["hours_signed_in"] == 8.0


def test_head_office_on_sqlite_reads_the_closing_sign_out_after_the_period(
        counter: tuple[Database, EventStore], tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        check_head_office(store, counter)
    finally:
        store.close()


def test_head_office_on_postgresql_reads_the_closing_sign_out_after_the_period(
        counter: tuple[Database, EventStore], pg_cluster: PgCluster) -> None:
    store = Store(pg_cluster.new_database("hours"))
    try:
        check_head_office(store, counter)
    finally:
        store.close()
