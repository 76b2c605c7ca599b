"""The per-day aggregates the ingest keeps (head_office.schema.daily_figures, daily_follow_ups)
give the figures of the event scan: reports with source="daily" equal source="events" on
seeded random histories uploaded through Store.ingest, on SQLite and PostgreSQL, with late
uploads (a chain's days after the others', decisions before the transactions they name),
appeals upheld and rejected at another chain, voided and interrupted transactions, type
changes before and after the target, reviews and follow-ups, and days either side of local
midnight and of a month's end. Counts and rates are equal exactly; the three figures made of
sums of seconds (serving_s, mean_duration_s, mean_overtime_s) to 1e-9 (summation order).
The migration's backfill gives the rows the ingest kept."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from counter_core.chain import Event
from counter_core.periods import day_period, days_period, month_period
from counter_core.transaction import Draft
from head_office import reports, schema
from head_office.schema import ROLLUPS, daily_figures, daily_follow_ups, events
from head_office.store import Store
from tests.helpers.hq import PgCluster, chained

TZ = "Asia/Shanghai"
#: local days around the end of September (local midnight is 16:00 UTC)
DAYS = [dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 1), dt.date(2026, 10, 2)]
NOW = dt.datetime(2026, 10, 9, 3, 0, tzinfo=dt.UTC)
#: figures made of float sums: equal to rounding, not bit for bit
FLOAT_SUMS = {"serving_s", "mean_duration_s", "mean_overtime_s"}
TYPES = (("payment", 180.0), ("sim", 300.0), ("enquiry", None))


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class History:
    """Seeded random days of a hall's counters and its manager desk, as chains to upload."""

    def __init__(self, rng: random.Random, hall: str) -> None:
        self.rng, self.hall = rng, hall
        self.counter_days: dict[str, list[list[tuple[str, Draft]]]] = {"01": [], "02": []}
        self.desk: list[tuple[str, Draft]] = []
        for day in DAYS:
            for counter in self.counter_days:
                self.counter_days[counter].append(self._day(day, counter))

    def _day(self, day: dt.date, counter: str) -> list[tuple[str, Draft]]:
        rng = self.rng
        # from 15:00 UTC (23:00 local) over local midnight to 18:00 UTC
        now = dt.datetime.combine(day, dt.time(15, 0), tzinfo=dt.UTC)
        out: list[tuple[str, Draft]] = []

        def at(seconds: float) -> str:
            nonlocal now
            now += dt.timedelta(seconds=seconds)
            return stamp(now)

        staff = f"{counter}-{rng.choice('AB')}"
        out.append((at(1), Draft("signed_in", {"staff": staff, "role": "staff"})))
        for _ in range(rng.randint(8, 14)):
            txn = str(uuid.UUID(int=rng.getrandbits(128)))
            kind, target = rng.choice(TYPES)
            out.append((at(rng.uniform(30, 900)), Draft("started", {
                "txn": txn, "staff": staff, "type": kind, "target_s": target})))
            if rng.random() < 0.2:  # a type change, before or after the target passed
                after = target is not None and rng.random() < 0.5
                new_kind, new_target = rng.choice(TYPES)
                out.append((at(20), Draft("type_changed", {
                    "txn": txn, "type": new_kind, "target_s": new_target, "elapsed_s": 20.0,
                    "after_target": after, **({"passed_target_s": target} if after else {})})))
                target = target if after else new_target
            fate = rng.random()
            if fate < 0.1:
                out.append((at(5), Draft("voided", {"txn": txn, "elapsed_s": 5.0})))
                continue
            duration = rng.choice((180.0, 180.001, 299.999, round(rng.uniform(30, 500), 3)))
            over = round(max(0.0, duration - target), 3) if target else 0.0
            if fate < 0.2:
                extra = {"overtime_s": over} if target and rng.random() < 0.7 else {}
                out.append((at(duration), Draft("interrupted", {
                    "txn": txn, "elapsed_s": duration, **extra,
                    "reason": rng.choice(("closed", "shutdown"))})))
                continue
            out.append((at(duration), Draft("completed", {
                "txn": txn, "duration_s": duration, "target_s": target, "overtime_s": over})))
            if over > 0 and rng.random() < 0.7:
                out.append((at(2), Draft("overtime_reason", {
                    "txn": txn, "reason": rng.choice(("complex", "system"))})))
            if rng.random() < 0.85:
                rating = rng.choice((5, 5, 4, 3, 2, 1, 1))
                out.append((at(3), Draft("rated", {"txn": txn, "rating": rating})))
                if rating <= 2:
                    self._poor(out, txn, staff, now)
            else:
                out.append((at(30), Draft("rating_timed_out", {"txn": txn})))
            if over > 0 and rng.random() < 0.6:
                self.desk.append((stamp(now + dt.timedelta(hours=2)), Draft(
                    "overtime_reviewed", {
                        "txn": txn, "cause": rng.choice(("system", "staff_skill", "policy")),
                        "note": "", "manager": "9001"})))
        out.append((at(5), Draft("signed_out", {"staff": staff})))
        return out

    def _poor(self, out: list[tuple[str, Draft]], txn: str, staff: str,
              now: dt.datetime) -> None:
        """A poor rating: appealed at the counter and decided at the desk, or followed up at
        the desk, or left open (overdue in time)."""
        rng = self.rng
        later = now + dt.timedelta(hours=3)
        choice = rng.random()
        if choice < 0.5:
            out.append((stamp(now + dt.timedelta(seconds=10)), Draft("rating_appealed", {
                "txn": txn, "staff": staff, "reason": "system_fault", "note": ""})))
            for minute in range(rng.choice((1, 1, 2))):  # a second decision changes it
                self.desk.append((stamp(later + dt.timedelta(minutes=minute)), Draft(
                    "appeal_decided", {"txn": txn, "upheld": rng.random() < 0.6, "by": "9001",
                                       "note": ""})))
        elif choice < 0.75:
            self.desk.append((stamp(later), Draft("rating_followed_up", {
                "txn": txn, "called_back": True, "cause": "slow", "resolved": True, "note": "",
                "manager": "9001"})))

    def uploads(self) -> list[tuple[str, list[Event]]]:
        """(counter, batch) in upload order: counter 01 day by day, then the desk's reviews
        (some naming counter 02's transactions, not arrived: held pending), then counter 02's
        days late, the last day first in the same batch as the rest."""
        out: list[tuple[str, list[Event]]] = []
        seq = 1
        prev = None
        for day in self.counter_days["01"]:
            batch = chained(self.hall, "01", day, first_seq=seq, seed=seq,
                            **({"prev_hash": prev} if prev else {}))
            out.append(("01", batch))
            seq, prev = seq + len(batch), batch[-1].hash
        self.desk.sort(key=lambda item: item[0])
        out.append(("desk", chained(self.hall, "desk", self.desk)))
        late = chained(self.hall, "02", [d for day in self.counter_days["02"] for d in day])
        out.append(("02", late[: len(late) // 2]))
        out.append(("02", late[len(late) // 2:]))
        return out


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.sqlite'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database("aggregates")


def ingest_history(store: Store, seed: int) -> dict[str, int]:
    """Three halls' seeded histories through Store.ingest; what the uploads did."""
    rng = random.Random(seed)
    done = {"pending": 0, "stored": 0, "invalid": 0}
    for h in range(3):
        hall = f"H{h}"
        for counter in ("01", "02", "desk"):
            store.enroll(hall, counter)
        for counter, batch in History(rng, hall).uploads():
            who = store.counter(hall, counter)
            assert who is not None
            result = store.ingest(who, batch)
            done["pending"] += len(result.pending)
            done["stored"] += result.stored
            done["invalid"] += len(result.invalid)
    return done


@pytest.fixture(params=[1, 2])
def store(request: pytest.FixtureRequest, db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    done = ingest_history(store, request.param)
    # the history exercises what it is meant to: late decisions held, then joined
    assert done["pending"] > 0, done
    yield store
    store.close()


def assert_same(daily: list[dict[str, Any]], scanned: list[dict[str, Any]]) -> None:
    assert len(daily) == len(scanned)
    for a, b in zip(daily, scanned, strict=True):
        assert a.keys() == b.keys()
        for key, value in b.items():
            if key in FLOAT_SUMS and isinstance(value, float):
                assert math.isclose(a[key], value, rel_tol=1e-9, abs_tol=1e-9), (key, a, b)
            else:
                assert a[key] == value, (key, a, b)


def periods() -> list[reports.Period]:
    return [month_period("2026-09", TZ), month_period("2026-10", TZ),
            days_period(DAYS[0], DAYS[-1], TZ), *(day_period(d, TZ) for d in DAYS)]


def test_the_daily_figures_are_the_scanned_figures(store: Store) -> None:
    september = month_period("2026-09", TZ)
    totals = reports.figures(store, september, by=("hall",))
    # the data holds what the comparison is about
    assert sum(r["upheld_appeals"] for r in totals) > 0
    assert sum(r["voided"] for r in totals) > 0
    assert sum(r["interrupted"] for r in totals) > 0
    assert sum(r["closed_in_service"] for r in totals) > 0
    for period in periods():
        assert reports.daily_span(period) is not None
        for by in (("hall",), ("hall", "counter"), ("hall", "staff")):
            for hall in (None, "H1"):
                for handling in (False, True):
                    args: dict[str, Any] = {"by": by, "hall": hall, "handling_times": handling}
                    assert_same(reports.figures(store, period, **args, source="daily"),
                                reports.figures(store, period, **args, source="events"))
        for hall in (None, "H2"):
            assert_same(reports.overtime(store, period, hall=hall, source="daily"),
                        reports.overtime(store, period, hall=hall, source="events"))
            assert_same(reports.stars(store, period, hall=hall, hours=False, source="daily"),
                        reports.stars(store, period, hall=hall, hours=False,
                                      source="events"))
    days = [day_period(d, TZ) for d in DAYS]
    for halls in (None, ["H0", "H2"]):
        assert_same(reports.figures_by_day(store, days, halls=halls, source="daily"),
                    reports.figures_by_day(store, days, halls=halls, source="events"))


def test_overdue_follow_ups_and_appeal_counts_from_the_daily_rows(store: Store) -> None:
    for now in (NOW, NOW - dt.timedelta(days=8), dt.datetime(2026, 10, 2, 17, tzinfo=dt.UTC)):
        daily = reports.halls(store, now=now, tz=TZ, source="daily")
        scanned = reports.halls(store, now=now, tz=TZ, source="events")
        assert daily == scanned
    assert any(r["overdue_follow_ups"] for r in reports.halls(store, now=NOW, tz=TZ))
    assert any(r["upheld_appeals"] for r in reports.halls(store, now=NOW, tz=TZ))


def test_a_period_of_another_zone_is_scanned_with_the_same_figures(store: Store) -> None:
    berlin = days_period(DAYS[0], DAYS[-1], "Europe/Berlin")
    assert reports.daily_span(berlin) is None
    assert_same(reports.figures(store, berlin, by=("hall", "staff"), source="daily"),
                reports.figures(store, berlin, by=("hall", "staff"), source="events"))
    assert (reports.halls(store, now=NOW, tz="Europe/Berlin", source="daily")
            == reports.halls(store, now=NOW, tz="Europe/Berlin", source="events"))


def daily_rows(store: Store) -> list[list[tuple[Any, ...]]]:
    """Every table of daily rows, each sorted; sums of seconds to the microsecond
    (PostgreSQL adds a day's rows in any order)."""
    out = []
    with store.engine.connect() as conn:
        for table in (daily_figures, daily_follow_ups, *ROLLUPS.values()):
            out.append(sorted(
                (tuple(round(v, 6) if isinstance(v, float) else v for v in r)
                 for r in conn.execute(select(table))),
                key=lambda r: tuple(str(v) for v in r)))
    return out


@pytest.mark.parametrize("days_at_once", [None, 3])
def test_the_migration_backfills_the_rows_the_ingest_keeps(
        db_url: str, days_at_once: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when the backfill replaces the rows a few days at a time (as it does, 500 days at
    a time, on a database of years)."""
    store = Store(db_url)
    ingest_history(store, 3)
    kept = daily_rows(store)
    assert all(kept)
    # a database of schema 11: no daily rows yet; opening it migrates and backfills
    with store.engine.begin() as conn:
        for table in ("daily_figures", "daily_follow_ups", "daily_halls", "daily_staff"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("UPDATE schema_version SET version = 11"))
    store.close()
    if days_at_once is not None:
        monkeypatch.setattr(schema, "_REFRESH_DAYS", days_at_once)
    again = Store(db_url)
    try:
        assert daily_rows(again) == kept
    finally:
        again.close()


def test_the_hall_page_check_rehashes_what_arrived_since_the_last_check(db_url: str) -> None:
    """reports.chains(since_check=True), the hall page's: the events stored since the last
    check are re-hashed (an edit among them is found); an edit before the mark only by the
    full check (`counter-hq report chains`)."""
    store = Store(db_url)
    try:
        store.enroll("H1", "01")
        who = store.counter("H1", "01")
        assert who is not None
        history = History(random.Random(5), "H1").uploads()
        first, rest = history[0][1], [e for c, b in history[1:] if c == "01" for e in b]
        store.ingest(who, first)
        assert reports.chains(store, hall="H1", since_check=True)[0]["chain"] == "ok"
        store.ingest(who, rest)
        assert len(rest) > 10
        with store.engine.begin() as conn:  # an edit of an event stored after the check
            conn.execute(events.update().where(events.c.counter_id == who.id,
                                               events.c.seq == rest[5].seq)
                         .values(body=events.c.body + " "))
        assert reports.chains(store, hall="H1", since_check=True)[0]["chain"].startswith(
            f"sequence {rest[5].seq}")
        with store.engine.begin() as conn:  # undone; now an edit before the mark
            conn.execute(events.update().where(events.c.counter_id == who.id,
                                               events.c.seq == rest[5].seq)
                         .values(body=func.rtrim(events.c.body)))
        assert reports.chains(store, hall="H1", since_check=True)[0]["chain"] == "ok"
        with store.engine.begin() as conn:
            conn.execute(events.update().where(events.c.counter_id == who.id,
                                               events.c.seq == 3)
                         .values(body=events.c.body + " "))
        assert reports.chains(store, hall="H1", since_check=True)[0]["chain"] == "ok"
        assert reports.chains(store, hall="H1")[0]["chain"].startswith("sequence 3")
    finally:
        store.close()
