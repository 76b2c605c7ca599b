"""Back soon (暂离) hours: their own column next to the hours signed in, never serving.

One counter's log: a shift with two absences (one across the end of April, one ended by the
sign-out), a wall-clock jump during an absence, a crash that left an absence without its
`away_ended`. The definition (figures.away_seconds) gives the hours; the counter's own read
(queries.away_entries), its monthly summary, and head office's reports on SQLite and on
PostgreSQL must give the same ones, and serving never includes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from counter_app.application.manager_figures import month_report, summary_records
from counter_app.storage import queries
from counter_app.storage.db import Database, connect, migrate
from counter_app.storage.events import EventStore
from counter_core import events as kinds
from counter_core import figures
from counter_core.periods import month_period
from counter_core.transaction import CounterMachine, Draft, Staff, TransactionType
from head_office import reports
from head_office.store import Store
from tests.helpers.clock import FakeClock
from tests.helpers.hq import PgCluster

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),)
HALL, COUNTER = "SH-0001", "03"
MONTHS = ("2026-03", "2026-04", "2026-05")
BACK_AT = "2026-04-30T23:00:00.000Z"


class Wall:
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
    # 1001, 10 March: 15 min away during which the wall clock jumps 30 days, then serving
    machine.sign_in(Staff("1001", "王芳"))
    wall.at = "2026-03-10T01:02:00.000Z"
    machine.start()
    clock.advance(120)
    wall.at = "2026-03-10T01:04:00.000Z"
    machine.complete()
    clock.advance(31)
    machine.expire()
    clock.advance(449)
    wall.at = "2026-03-10T01:10:00.000Z"
    machine.step_away(BACK_AT)
    clock.advance(900)
    wall.at = "2026-04-09T01:25:00.000Z"  # +30 days
    machine.come_back()
    wall.at = "2026-04-09T02:00:00.000Z"
    machine.sign_out()
    # 1002: away from 30 April 23:30 for an hour (30 min in each month), ended by signing out
    wall.at = "2026-04-30T22:00:00.000Z"
    machine.sign_in(Staff("1002", "李静"))
    clock.advance(5400)
    wall.at = "2026-04-30T23:30:00.000Z"
    machine.step_away(BACK_AT)
    clock.advance(3600)
    wall.at = "2026-05-01T00:30:00.000Z"
    machine.sign_out()
    # 1003, 5 May: away, then the counter crashed; the restart's sign-out ends the absence
    wall.at = "2026-05-05T01:00:00.000Z"
    machine.sign_in(Staff("1003", "张伟"))
    wall.at = "2026-05-05T02:00:00.000Z"
    machine.step_away("2026-05-05T02:10:00.000Z")
    wall.at = "2026-05-05T02:20:00.000Z"
    store.append([Draft(kinds.SIGNED_OUT, {"staff": "1003", "reason": "interrupted"})])
    return db, store


EXPECTED = {
    "2026-03": {"1001": 900.0},
    "2026-04": {"1002": 1800.0},
    "2026-05": {"1002": 1800.0, "1003": 1200.0},
}


def counter_away(db: Database, month: str) -> dict[str, float]:
    period = month_period(month, "UTC")
    return figures.away_seconds(
        queries.away_entries(db, period.start_utc, period.end_utc), period.start_utc, period.end_utc
    )


def test_the_definition_at_the_counter(counter: tuple[Database, EventStore]) -> None:
    db, _ = counter
    for month, expected in EXPECTED.items():
        assert counter_away(db, month) == expected, month


def test_away_entries_read_the_end_after_the_period(
    counter: tuple[Database, EventStore],
) -> None:
    db, _ = counter
    march = month_period("2026-03", "UTC")
    entries = queries.away_entries(db, march.start_utc, march.end_utc)
    # the away_ended was stamped after the jump (April): read all the same, with its away_s
    assert [e[1] for e in entries if e[2] == "1001"][:2] == [kinds.AWAY_STARTED, kinds.AWAY_ENDED]
    assert figures.still_away(entries) == set()


def test_the_monthly_summary_has_away_hours_and_serving_never_includes_them(
    counter: tuple[Database, EventStore],
) -> None:
    db, _ = counter
    report = month_report(db, "2026-03", tz="UTC")
    (one,) = [s for s in report.staff if s.staff == "1001"]
    assert one.away_s == 900.0 and one.hours_away == 0.25
    assert one.serving_s == pytest.approx(120.0)  # the service only
    assert one.signed_in_s > one.away_s + one.serving_s  # away stays inside hours signed in
    (row,) = [r for r in summary_records(report) if r["staff"] == "1001"]
    assert row["hours_away"] == 0.25


def test_away_seconds_edge_cases() -> None:
    start, end = "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"
    entries: list[figures.AwayEntry] = [
        ("2026-01-01T10:00:00.000Z", kinds.AWAY_STARTED, "1", None),
        ("2026-01-01T23:50:00.000Z", kinds.AWAY_STARTED, "2", None),  # open at the end
        ("2026-01-01T10:05:00.000Z", kinds.AWAY_ENDED, "1", 300.0),
        ("2026-01-01T11:00:00.000Z", kinds.AWAY_ENDED, "3", 60.0),  # never started: nothing
    ]
    assert figures.away_seconds(entries, start, end) == {"1": 300.0, "2": 600.0}
    assert figures.away_entry("t", kinds.AWAY_ENDED, {"staff": "1", "away_s": -5}) == (
        "t",
        kinds.AWAY_ENDED,
        "1",
        None,
    )
    assert figures.away_entry("t", kinds.SIGNED_OUT, {"staff": "9", "role": "manager"}) is None
    assert figures.away_entry("t", kinds.STARTED, {"staff": "1"}) is None


def check_head_office(store: Store, counter: tuple[Database, EventStore]) -> None:
    db, events = counter
    store.enroll(HALL, COUNTER)
    who = store.counter(HALL, COUNTER)
    assert who is not None
    log = list(events.events())
    assert store.ingest(who, log).stored == len(log)
    for month in MONTHS:
        period = month_period(month, "UTC")
        got = reports._away(store, period, ("staff",), None)
        assert got == {(staff,): s for staff, s in counter_away(db, month).items()}, month
    march = month_period("2026-03", "UTC")
    (row,) = reports.service_level(store, march, by="staff")
    assert row["away_s"] == 900.0 and row["hours_away"] == 0.25
    assert row["serving_s"] == pytest.approx(120.0)
    assert "hours_away" in reports.SERVICE_LEVEL_COLUMNS


def test_head_office_on_sqlite_equals_the_counter(
    counter: tuple[Database, EventStore], tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        check_head_office(store, counter)
    finally:
        store.close()


def test_head_office_on_postgresql_equals_the_counter(
    counter: tuple[Database, EventStore], pg_cluster: PgCluster
) -> None:
    store = Store(pg_cluster.new_database())
    try:
        check_head_office(store, counter)
    finally:
        store.close()
