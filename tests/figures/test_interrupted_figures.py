"""Issue 9 item 8: an interrupted transaction counts in service level and overtime with its known
time, at the counter (row-wise figures, the aggregate queries, the monthly summary and its
export) and at head office alike; a close during service is counted per clerk.

One real log: a clerk closes the app at 2:59 of a 3:00 payment (within target), at 3:10 of
another (overtime) and during an untimed enquiry (not counted), and completes one payment in
2:00 rated 5. The log goes to head office as the counter would upload it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from counter_app.application import manager_figures
from counter_app.application.exports import transaction_record
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

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),
         TransactionType("enquiry", "咨询", "Enquiry", None))
MONTH = "2026-03"
CLERK = Staff("1001", "王芳")


def _walls() -> Iterator[str]:
    moment = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)
    while True:
        yield moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        moment += dt.timedelta(seconds=1)


def _serve(machine: CounterMachine, clock: FakeClock, code: str, seconds: float,
           *, close: bool, rating: int | None = None) -> None:
    machine.sign_in(CLERK)
    machine.select_type(code)
    machine.start()
    clock.advance(seconds)
    if close:
        machine.close_counter("closed")
        return
    machine.complete()
    if rating is not None:
        machine.rate(rating)
    clock.advance(60)  # the rating window is over
    machine.sign_out()


@pytest.fixture(scope="module")
def counter() -> tuple[Database, EventStore]:
    db: Database = connect(":memory:")
    migrate(db)
    walls = _walls()
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    clock = FakeClock()

    def record(drafts: Sequence[Draft]) -> None:
        store.append(drafts)

    machine = CounterMachine(TYPES, record, clock=clock)
    _serve(machine, clock, "payment", 120.0, close=False, rating=5)
    _serve(machine, clock, "payment", 179.0, close=True)  # 2:59: within its target
    _serve(machine, clock, "payment", 190.0, close=True)  # 3:10: overtime
    _serve(machine, clock, "enquiry", 400.0, close=True)  # untimed: not counted
    return db, store


def _check_kpis(k: figures.Kpis) -> None:
    assert (k.served, k.timed, k.within_target, k.overtime) == (1, 3, 2, 1)
    assert k.service_level == pytest.approx(2 / 3)
    assert k.overtime_rate == pytest.approx(1 / 3)
    # ratings: only the completed one; an interrupted transaction is not rated
    assert (k.rated, k.satisfied, k.participation_rate) == (1, 1, 1.0)
    assert k.interrupted == 3
    assert k.median_s == 120.0  # handling times: completed transactions only


def test_the_interrupted_events_carry_their_known_time_and_reason(
        counter: tuple[Database, EventStore]) -> None:
    _, store = counter
    interrupted = [e.payload for e in store.events() if e.kind == "interrupted"]
    assert [(p["elapsed_s"], p.get("overtime_s"), p["reason"]) for p in interrupted] == [
        (179.0, 0.0, "closed"), (190.0, 10.0, "closed"), (400.0, None, "closed")]


def test_row_wise_figures_and_the_counters_aggregates_count_them(
        counter: tuple[Database, EventStore]) -> None:
    db, _ = counter
    period = month_period(MONTH, "UTC")
    rows = queries.kpi_rows(db, period.start_utc, period.end_utc)
    _check_kpis(figures.kpis(rows))
    days = manager_figures.LocalDays("UTC")
    report = manager_figures.kpi_report(db, period.start_utc, period.end_utc, days)
    _check_kpis(report.kpis)
    assert report.kpis == figures.kpis(rows)
    assert report.trend == figures.daily_trend(rows, days)
    (day,) = report.trend
    assert day.service_level == pytest.approx(2 / 3) and day.satisfaction_rate == 1.0
    assert report.ratings == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}
    assert sum(report.causes.values()) == report.kpis.overtime == 1


def test_the_one_past_its_target_is_the_overtime_case_everywhere(
        counter: tuple[Database, EventStore]) -> None:
    db, _ = counter
    period = month_period(MONTH, "UTC")
    queue = queries.review_queue(db, period.start_utc, period.end_utc)
    assert [(r["duration_s"], r["overtime_s"]) for r in queue] == [(190.0, 10.0)]
    assert [r["duration_s"] for r in queries.overtime_log(db, period.start_utc,
                                                          period.end_utc)] == [190.0]
    exported = {r["duration_s"]: transaction_record(r)["overtime_s"]
                for r in queries.transactions(db) if r["status"] == "interrupted"}
    assert exported == {179.0: 0.0, 190.0: 10.0, 400.0: None}


def test_the_monthly_summary_counts_overtime_and_closes_per_clerk(
        counter: tuple[Database, EventStore], tmp_path: Path) -> None:
    db, _ = counter
    report = manager_figures.month_report(db, MONTH, tz="UTC")
    (clerk,) = report.staff
    assert (clerk.served, clerk.timed, clerk.overtime, clerk.rated) == (1, 3, 1, 1)
    assert clerk.overtime_rate == pytest.approx(1 / 3)
    assert clerk.closed_in_service == 3
    (record,) = manager_figures.summary_records(report)
    assert record["closed_in_service"] == 3 and record["overtime_rate"] == 0.3333
    assert "closed_in_service" in manager_figures.SUMMARY_COLUMNS
    assert report.totals.service_level == pytest.approx(2 / 3)


def _head_office(store: Store, counter: tuple[Database, EventStore]) -> None:
    _, events = counter
    store.enroll("SH-0001", "03")
    who = store.counter("SH-0001", "03")
    assert who is not None
    log = list(events.events())
    result = store.ingest(who, log)
    assert result.stored == len(log) and not result.aside and not result.conflicts
    period = month_period(MONTH, "UTC")
    (row,) = reports.figures(store, period, by=("hall", "staff"), hours=True)
    assert (row["completed"], row["timed"], row["within_target"], row["overtime"]) == (
        1, 3, 2, 1)
    assert row["service_level"] == pytest.approx(2 / 3)
    assert row["rated"] == 1 and row["interrupted"] == 3
    assert row["closed_in_service"] == 3
    (over,) = reports.overtime(store, period)
    assert (over["overtime"], over["hall_overtime"], over["hall_timed"]) == (1, 1, 3)
    (star,) = reports.stars(store, period)
    assert star["closed_in_service"] == 3 and star["overtime"] == 1
    assert "closed_in_service" in reports.SERVICE_LEVEL_COLUMNS
    assert "closed_in_service" in reports.STAR_COLUMNS


def test_head_office_on_sqlite_counts_them_as_the_counter_does(
        counter: tuple[Database, EventStore], tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        _head_office(store, counter)
    finally:
        store.close()


def test_head_office_on_postgresql_counts_them_as_the_counter_does(
        counter: tuple[Database, EventStore], pg_cluster: PgCluster) -> None:
    store = Store(pg_cluster.new_database("interrupted"))
    try:
        _head_office(store, counter)
    finally:
        store.close()


def test_a_close_after_a_type_change_past_the_target_stays_overtime() -> None:
    """Closed at 4:10 after changing a payment (3:00) to a SIM card (5:00) at 3:20: overtime
    against the target passed, in the review queue as in the figures."""
    db: Database = connect(":memory:")
    migrate(db)
    walls = _walls()
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    clock = FakeClock()

    def record(drafts: Sequence[Draft]) -> None:
        store.append(drafts)

    types = (*TYPES, TransactionType("sim", "换卡", "SIM card", 300.0))
    machine = CounterMachine(types, record, clock=clock)
    machine.sign_in(CLERK)
    machine.start()
    clock.advance(200.0)
    machine.select_type("sim")  # after the payment's 180 s had passed
    clock.advance(50.0)
    machine.close_counter("closed")
    (row,) = list(queries.transactions(db))
    assert (row["status"], row["target_s"], row["duration_s"], row["overtime_s"]) == (
        "interrupted", 180.0, 250.0, 70.0)
    assert figures.is_overtime_case(row)
    assert [r["txn"] for r in queries.review_queue(db)] == [row["txn"]]
