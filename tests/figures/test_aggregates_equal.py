"""The fast SQL aggregates give exactly the figures that counter_core.figures defines.

Hypothesis generates transaction logs (type changes, voids, interruptions with and without
their recorded overtime and with the reasons "closed", "shutdown" and none, running ones,
ratings 1–5 and none, untimed types, durations of exactly 180.000, 180.001 and 180.04 s
against 180 s, transactions either side of the Asia/Shanghai month boundary
2026-01-31T16:00:00.000Z), folds them with the counters' projection into transaction rows and
writes the rows straight into each store's transactions table. Then the counter's SQLite
queries (counter_app.storage.queries, folded by figures.kpi_report_from_counts), head
office's reports on SQLite and head office's reports on PostgreSQL must each equal the
row-wise definitions (figures.kpis, daily_trend, rating_distribution,
satisfaction_by_handling, monthly_summary, suggest_star) of the same rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from counter_app.storage import queries
from counter_app.storage.db import Database, open_counter_db
from counter_core import figures, projection
from counter_core.chain import Event
from counter_core.periods import (
    Period,
    day_period,
    local_date,
    local_midnight_utc,
    month_period,
    parse_utc,
)
from counter_core.transaction import interrupted_overtime
from head_office import reports
from head_office.schema import events as hq_events
from head_office.schema import reviews as hq_reviews
from head_office.schema import transactions as hq_transactions
from head_office.store import Store
from tests.helpers.hq import PgCluster

TZ = "Asia/Shanghai"
HALLS = ("H1", "H2")
COUNTER_IDS = ("01", "02")
STAFF = ("1001", "1002", "1003")
TYPES: tuple[tuple[str, float | None], ...] = (
    ("payment", 180.0), ("sim", 300.0), ("enquiry", None), ("quick", 90.5))
#: the last millisecond of January and the first of February, in Shanghai
BOUNDARY = ("2026-01-31T15:59:59.999Z", "2026-01-31T16:00:00.000Z")
EDGE_DURATIONS = (180.0, 180.001, 180.04)
PERIODS: tuple[Period, ...] = (
    month_period("2026-01", TZ), month_period("2026-02", TZ),
    day_period(dt.date(2026, 1, 31), TZ), day_period(dt.date(2026, 2, 1), TZ),
)
FIRST = dt.datetime(2026, 1, 30, tzinfo=dt.UTC)
REVIEW_CAUSES = ("system", "complex_request", "other")
RULE = figures.StarRule(min_ratings=2)

Row = dict[str, Any]


# ---- generated logs -------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """One transaction to generate: the events it gets and the manager's review."""

    hall: str
    counter: str
    staff: str
    started_at: str
    kind: tuple[str, float | None]
    changed_to: tuple[str, float | None] | None
    outcome: str  # completed / voided / interrupted / running
    elapsed_s: float
    rating: int | None
    overtime_reason: str | None
    review_cause: str | None
    #: an interrupted one: whether it records overtime_s (0.2.0 on) and its reason
    records_overtime: bool = True
    interrupted_reason: str | None = None


def _at(ms: int) -> str:
    moment = FIRST + dt.timedelta(milliseconds=ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


starts = st.one_of(st.sampled_from(BOUNDARY),
                   st.integers(0, 4 * 86_400_000 - 1).map(_at))
elapsed = st.one_of(
    st.sampled_from((*EDGE_DURATIONS, 179.999, 90.5, 90.501, 300.0, 0.0)),
    st.integers(0, 1_200_000).map(lambda ms: ms / 1000),
    st.floats(0.0, 1200.0, allow_nan=False, allow_infinity=False),
    # within two milliseconds of a target, where the millisecond rounding decides
    st.sampled_from([t for _, t in TYPES if t is not None]).flatmap(
        lambda t: st.floats(t - 0.002, t + 0.002)),
)


types = st.sampled_from(TYPES)
outcomes = st.sampled_from(("completed",) * 5 + ("voided", "interrupted", "running"))
changes = st.none() | types


@st.composite
def specs(draw: st.DrawFn, started_at: st.SearchStrategy[str] = starts,
          elapsed_s: st.SearchStrategy[float] = elapsed,
          kind: st.SearchStrategy[tuple[str, float | None]] = types,
          outcome_: st.SearchStrategy[str] = outcomes,
          changed_to: st.SearchStrategy[tuple[str, float | None] | None] = changes) -> Spec:
    outcome = draw(outcome_)
    done = outcome == "completed"
    return Spec(
        hall=draw(st.sampled_from(HALLS)), counter=draw(st.sampled_from(COUNTER_IDS)),
        staff=draw(st.sampled_from(STAFF)), started_at=draw(started_at), kind=draw(kind),
        changed_to=draw(changed_to), outcome=outcome,
        elapsed_s=draw(elapsed_s),
        rating=draw(st.none() | st.integers(1, 5)) if done else None,
        overtime_reason=draw(st.none() | st.sampled_from(("complex", "system"))) if done else None,
        review_cause=draw(st.none() | st.sampled_from(REVIEW_CAUSES)),
        records_overtime=draw(st.booleans()),
        interrupted_reason=(draw(st.sampled_from((None, "closed", "shutdown")))
                            if outcome == "interrupted" else None),
    )


#: every log holds the edge cases, their other attributes drawn
edge_specs = st.tuples(
    *(specs(elapsed_s=st.just(d), kind=st.just(TYPES[0]), outcome_=st.just("completed"),
            changed_to=st.none()) for d in EDGE_DURATIONS),
    *(specs(started_at=st.just(at)) for at in BOUNDARY),
)
logs = st.tuples(edge_specs, st.lists(specs(), max_size=40)).map(
    lambda parts: [*parts[0], *parts[1]])


@dataclass(frozen=True)
class Session:
    """A sign-in or sign-out at one counter."""

    hall: str
    counter: str
    at: str
    kind: str
    payload: dict[str, Any]


sessions = st.lists(st.builds(
    lambda hall, counter, at, kind, staff, manager, session_s: Session(
        hall, counter, at, kind,
        {"staff": staff, **({"role": "manager" if manager else "staff"}
                            if kind == "signed_in" else {}),
         # the monotonic session length, shorter or longer than the wall clock says
         **({"session_s": session_s} if kind == "signed_out" and session_s is not None
            else {})}),
    st.sampled_from(HALLS), st.sampled_from(COUNTER_IDS), starts,
    st.sampled_from(("signed_in", "signed_out")), st.sampled_from(STAFF),
    st.sampled_from((False, False, False, True)),
    st.none() | st.integers(0, 3 * 86_400_000).map(lambda ms: ms / 1000)), max_size=16).map(
        lambda found: sorted(found, key=lambda s: s.at))  # a counter's log is in time order


def fold(spec: Spec, number: int, *, recorded: bool = True) -> tuple[Row, str | None]:
    """The transaction row the counters' projection makes of the spec's events, and the
    review cause (kept only for an overtime case, as a counter accepts reviews of cases).

    `recorded`: durations as a counter records them (milliseconds, with overtime_s beside);
    otherwise the raw double and overtime_s 0, which no figure may read (head office stores
    whatever a chained event says)."""
    txn = f"t{number:03}"
    kind, target = spec.kind
    drafts: list[tuple[str, dict[str, Any]]] = [
        ("started", {"txn": txn, "staff": spec.staff, "type": kind, "target_s": target})]
    if spec.changed_to is not None:
        kind, target = spec.changed_to
        drafts.append(("type_changed", {"txn": txn, "type": kind, "target_s": target}))
    e = spec.elapsed_s
    if spec.outcome == "completed":
        # as counter_core.transaction records it: both rounded from the elapsed time
        overtime_s = round(max(0.0, e - target), 3) if target is not None else 0.0
        drafts.append(("completed", {
            "txn": txn, "duration_s": round(e, 3) if recorded else e, "target_s": target,
            "overtime_s": overtime_s if recorded else 0.0}))
        if spec.rating is not None:
            drafts.append(("rated", {"txn": txn, "rating": spec.rating}))
        else:
            drafts.append(("rating_timed_out", {"txn": txn}))
        if spec.overtime_reason is not None:
            drafts.append(("overtime_reason", {"txn": txn, "reason": spec.overtime_reason}))
    elif spec.outcome == "voided":
        drafts.append((spec.outcome, {"txn": txn, "elapsed_s": round(e, 3)}))
    elif spec.outcome == "interrupted":
        # as counter_core.transaction.close_counter records it (older counters: no overtime_s)
        drafts.append((spec.outcome, {
            "txn": txn, "elapsed_s": round(e, 3),
            **(interrupted_overtime(e, target) if spec.records_overtime else {}),
            **({"reason": spec.interrupted_reason} if spec.interrupted_reason else {})}))
    row: Row | None = None
    at = parse_utc(spec.started_at)
    for i, (kind_, payload) in enumerate(drafts):
        stamp = (at + dt.timedelta(seconds=i)).isoformat(timespec="milliseconds")
        seq = number * 10 + i + 1
        event = Event(seq=seq, uuid=f"{txn}-{seq}", kind=kind_, at=stamp.replace("+00:00", "Z"),
                      hall=spec.hall, counter=spec.counter, payload=payload)
        row = projection.apply(row, event)
        if kind_ == "interrupted":
            last_event = event
    assert row is not None
    if row["status"] == "interrupted":
        # not a projection column: the monthly summary reads it from the interrupted event
        row["interrupted_reason"] = spec.interrupted_reason
        row["_event"] = last_event
    case = figures.is_overtime_case(row)
    return row, spec.review_cause if case else None


@dataclass
class Log:
    rows: list[Row]
    causes: dict[str, str]  # txn → manager's review cause
    #: txn → whether its appeal (申诉) was upheld: every third poor rating is appealed and
    #: upheld, every third appealed and rejected (an upheld one takes the rating out)
    appeals: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, generated: Sequence[Spec], *, recorded: bool = True) -> Log:
        rows, causes, appeals = [], {}, {}
        for number, spec in enumerate(generated):
            row, cause = fold(spec, number, recorded=recorded)
            rows.append(row)
            if cause is not None:
                causes[row["txn"]] = cause
            if row["status"] == "completed" and row["rating"] in figures.POOR_RATINGS \
                    and number % 3 != 2:
                appeals[row["txn"]] = number % 3 == 0
                row["appeal_upheld"] = int(number % 3 == 0)
        return cls(rows, causes, appeals)

    def within(self, period: Period, hall: str | None = None,
               counter: str | None = None) -> list[Row]:
        return [r for r in self.rows if period.start_utc <= r["started_at"] < period.end_utc
                and (hall is None or r["hall"] == hall)
                and (counter is None or r["counter"] == counter)]


# ---- the counter's SQLite -------------------------------------------------------------------

@pytest.fixture(scope="module")
def counter_dbs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str],
                                                                        Database]]:
    """One migrated counter database per (hall, counter), reused across examples."""
    root = tmp_path_factory.mktemp("counters")
    dbs = {}
    for hall in HALLS:
        for counter in COUNTER_IDS:
            db = open_counter_db(root / f"{hall}-{counter}.sqlite").db
            db.execute("PRAGMA foreign_keys = OFF")  # rows without their events: the test's
            # only the interrupted events are written (their reason), replaced per example
            db.execute("DROP TRIGGER events_no_delete")
            dbs[hall, counter] = db
    yield dbs
    for db in dbs.values():
        db.conn.close()


def load_counter(db: Database, log: Log, hall: str, counter: str) -> list[Row]:
    rows = [r for r in log.rows if (r["hall"], r["counter"]) == (hall, counter)]
    columns = ", ".join(projection.COLUMNS)
    marks = ", ".join("?" * len(projection.COLUMNS))
    with db.conn:
        db.execute("DELETE FROM reviews")
        db.execute("DELETE FROM appeals")
        db.execute("DELETE FROM transactions")
        db.execute("DELETE FROM events")
        db.conn.executemany(
            "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '', '')",
            [(e.seq, e.uuid, e.kind, e.at, e.hall, e.counter, json.dumps(e.payload))
             for e in (r["_event"] for r in rows if "_event" in r)])
        db.conn.executemany(f"INSERT INTO transactions ({columns}) VALUES ({marks})",
                            [[r[c] for c in projection.COLUMNS] for r in rows])
        db.conn.executemany(
            "INSERT INTO reviews (txn, subject, cause, manager, reviewed_at, seq)"
            " VALUES (?, 'overtime', ?, '9001', ?, 1)",
            [(r["txn"], log.causes[r["txn"]], r["started_at"]) for r in rows
             if r["txn"] in log.causes])
        db.conn.executemany(
            "INSERT INTO appeals (txn, staff, reason, note, appealed_at, appeal_seq, upheld,"
            " decided_by, decision_note, decided_at, decided_seq)"
            " VALUES (?, ?, 'system_fault', '', ?, 1, ?, '9001', '', ?, 2)",
            [(r["txn"], r["staff"], r["started_at"], int(log.appeals[r["txn"]]), r["started_at"])
             for r in rows if r["txn"] in log.appeals])
    return rows


def local_days(period: Period) -> list[tuple[dt.date, str, str]]:
    first = local_date(period.start_utc, TZ)
    last = local_date(period.end_utc, TZ)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days)]
    return [(d, local_midnight_utc(d, TZ), local_midnight_utc(d + dt.timedelta(days=1), TZ))
            for d in days]


def overtime_cases(rows: Sequence[Row], causes: dict[str, str]) -> Counter[tuple[Any, ...]]:
    return Counter((causes.get(r["txn"]), r["overtime_reason"]) for r in rows
                   if figures.is_overtime_case(r))


#: the KPI tab's staff and type filters, a few of their combinations
FILTERS = ((None, None), ("1001", None), (None, "payment"), ("1002", "enquiry"), (None, "quick"))


def _summary(rows: Sequence[Row]) -> list[figures.StaffMonth]:
    """The monthly summary, time serving to the microsecond (a float sum's order varies)."""
    return [dataclasses.replace(s, serving_s=round(s.serving_s, 6))
            for s in figures.monthly_summary(rows)]


def check_counter(db: Database, log: Log, rows: list[Row]) -> None:
    for period in PERIODS:
        spans = local_days(period)
        start, end = period.start_utc, period.end_utc
        in_period = [r for r in rows if start <= r["started_at"] < end]

        def day_of(at: str) -> dt.date:
            return local_date(at, TZ)

        for staff, kind in FILTERS:
            want = [r for r in in_period if staff in (None, r["staff"])
                    and kind in (None, r["type"])]
            counts = queries.completed_counts(db, [(lo, hi) for _, lo, hi in spans],
                                              staff, kind)
            days = [figures.DayCounts(day, c[0], c[1], c[2], (c[3], c[4], c[5], c[6], c[7]))
                    for (day, _, _), c in zip(spans, counts, strict=True)]
            others = queries.other_counts(db, start, end, staff, kind)
            got = figures.kpi_report_from_counts(
                days, queries.durations(db, start, end, staff, kind),
                queries.handling_bands(db, start, end, staff, kind), others["voided"],
                others["interrupted"],
                upheld_appeals=queries.upheld_appeals(db, start, end, staff, kind))
            assert got.kpis == figures.kpis(want)
            assert got.trend == figures.daily_trend(want, day_of)
            assert got.ratings == figures.rating_distribution(want)
            assert got.satisfaction == figures.satisfaction_by_handling(want)
            assert got.histogram() == figures.histogram(
                [float(r["duration_s"]) for r in want if r["status"] == "completed"])
            cases = Counter({(cause, reason): n for cause, reason, n
                             in queries.overtime_cases(db, start, end, staff, kind)})
            assert cases == overtime_cases(want, log.causes)
            assert sum(cases.values()) == got.kpis.overtime
        # the monthly summary and star from kpi_rows: the same rows, the same causes
        fetched = queries.kpi_rows(db, start, end)
        assert _summary(fetched) == _summary(in_period)
        assert {r["cause"] for r in fetched} <= {None, *log.causes.values()}
        # the review queue and overtime log list exactly the overtime cases and poor ratings
        overtime = {r["txn"] for r in in_period if figures.is_overtime_case(r)}
        poor = {r["txn"] for r in in_period if r["rating"] in figures.POOR_RATINGS}
        assert sorted(r["txn"] for r in queries.review_queue(db, start, end)) == sorted(
            overtime | poor)
        assert {r["txn"] for r in queries.overtime_log(db, start, end)} == overtime
        # the queue's cases without their details: the same cases, flagged by the same rules
        by_txn = {r["txn"]: r for r in in_period}
        at = {name: n for n, name in enumerate(queries.CASE_COLUMNS)}
        cases = queries.review_cases(db, start, end)
        assert sorted(c[at["txn"]] for c in cases) == sorted(overtime | poor)
        for c in cases:
            row = by_txn[c[at["txn"]]]
            assert bool(c[at["overtime"]]) == figures.is_overtime(row)
            assert bool(c[at["poor"]]) == (row["rating"] in figures.POOR_RATINGS)
    every_case = [r for r in rows if figures.is_overtime_case(r)]
    every_poor = [r for r in rows if r["rating"] in figures.POOR_RATINGS]
    assert queries.unreviewed_counts(db) == (
        sum(r["txn"] not in log.causes for r in every_case), len(every_poor))


@settings(max_examples=60, deadline=None)
@given(logs)
def test_counter_queries_equal_the_definitions(
    counter_dbs: dict[tuple[str, str], Database], generated: list[Spec]
) -> None:
    log = Log.of(generated)
    for (hall, counter), db in counter_dbs.items():
        check_counter(db, log, load_counter(db, log, hall, counter))


# ---- head office ----------------------------------------------------------------------------

def open_hq(url: str) -> Store:
    store = Store(url)
    for hall in HALLS:
        for counter in COUNTER_IDS:
            store.enroll(hall, counter)
    return store


@pytest.fixture(scope="module")
def hq_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_hq(f"sqlite:///{tmp_path_factory.mktemp('hq') / 'hq.sqlite'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def hq_postgresql(pg_cluster: PgCluster) -> Iterator[Store]:
    """One database on the session's cluster for the module, reused across examples."""
    store = open_hq(pg_cluster.new_database("figures"))
    yield store
    store.close()


def load_hq(store: Store, log: Log, signs: Sequence[Session] = ()) -> None:
    ids = {}
    for c in store.counters():
        ids[c.hall, c.counter] = c.id
    with store.engine.begin() as conn:
        conn.execute(hq_events.delete())
        if signs:
            # sequence numbers above the transactions' (number × 10 + …), in time order
            conn.execute(hq_events.insert(), [
                {"counter_id": ids[s.hall, s.counter], "seq": 100_000 + seq, "uuid": f"s{seq}",
                 "kind": s.kind, "at": s.at, "prev_hash": "0" * 64, "hash": "0" * 64,
                 "body": json.dumps({"kind": s.kind, "at": s.at, "payload": s.payload}),
                 "received_at": s.at}
                for seq, s in enumerate(signs, start=1)])
        interrupted = [r["_event"] for r in log.rows if "_event" in r]
        if interrupted:
            conn.execute(hq_events.insert(), [
                {"counter_id": ids[e.hall, e.counter], "seq": e.seq, "uuid": e.uuid,
                 "kind": e.kind, "at": e.at, "prev_hash": "0" * 64, "hash": "0" * 64,
                 "body": json.dumps({"kind": e.kind, "at": e.at, "payload": e.payload}),
                 "received_at": e.at}
                for e in interrupted])
        conn.execute(hq_reviews.delete())
        # each appeal decided at the hall's other counter (a desk's chain): an upheld one after
        # an earlier rejection there (the later decision wins), a rejected one as it is
        decisions = []
        for n, r in enumerate(r for r in log.rows if r["txn"] in log.appeals):
            other = ids[r["hall"], COUNTER_IDS[1 - COUNTER_IDS.index(r["counter"])]]
            upheld = log.appeals[r["txn"]]
            times = [("2026-01-01T00:00:00.000Z", "rejected"), (r["started_at"], "upheld")] \
                if upheld else [(r["started_at"], "rejected")]
            for i, (at, cause) in enumerate(times):
                decisions.append({"counter_id": other, "seq": 300_000 + 2 * n + i,
                                  "txn": r["txn"], "kind": "appeal_decided", "at": at,
                                  "cause": cause, "note": "", "body": "{}"})
        if decisions:
            conn.execute(hq_reviews.insert(), decisions)
        conn.execute(hq_transactions.delete())
        if log.rows:
            conn.execute(hq_transactions.insert(), [
                {**{c: r[c] for c in projection.COLUMNS},
                 "counter_id": ids[r["hall"], r["counter"]],
                 "review_cause": log.causes.get(r["txn"]),
                 "reviewed_seq": 1 if r["txn"] in log.causes else None}
                for r in log.rows])


GROUPS: tuple[tuple[str, ...], ...] = (
    ("hall",), ("hall", "counter"), ("hall", "staff"), ("hall", "counter", "staff"), ("staff",))


def expected_row(rows: Sequence[Row]) -> Row:
    k = figures.kpis(rows)
    poor = sum(1 for r in rows if r["status"] == "completed"
               and r["rating"] in figures.POOR_RATINGS)
    return {
        "completed": k.served, "timed": k.timed, "within_target": k.within_target,
        "overtime": k.overtime, "rated": k.rated, "satisfied": k.satisfied,
        "voided": k.voided, "interrupted": k.interrupted, "service_level": k.service_level,
        "satisfaction_rate": k.satisfaction_rate, "participation_rate": k.participation_rate,
        "overtime_rate": k.overtime_rate, "median_s": k.median_s, "p90_s": k.p90_s,
        "mean_rating": round(k.mean_rating, 2) if k.mean_rating is not None else None,
        "closed_in_service": sum(1 for r in rows if r["status"] == "interrupted"
                                 and r.get("interrupted_reason") == figures.CLOSED_REASON),
        # an upheld appeal: out of rated/satisfied/mean, counted apart; the rate of the
        # hall's poor ratings (all of them) whose appeal was upheld
        "upheld_appeals": k.upheld_appeals,
        "poor_ratings": poor,
        "upheld_appeal_rate": figures.rate(k.upheld_appeals, poor),
    }


def signed_in(signs: Sequence[Session], period: Period, by: Sequence[str],
              hall: str | None) -> dict[tuple[Any, ...], float]:
    """Seconds signed in per group: each counter's sessions as the counter reads them."""
    totals: dict[tuple[Any, ...], float] = defaultdict(float)
    read_from = figures.sessions_read_from(period.start_utc)
    for h in HALLS:
        for c in COUNTER_IDS:
            if hall not in (None, h):
                continue
            own = [s for s in signs if (s.hall, s.counter) == (h, c)]
            found = [figures.session_entry(s.at, s.kind, s.payload) for s in own
                     if read_from <= s.at < period.end_utc]
            entries = [e for e in found if e is not None]
            # the counter's rule: the sign-out closing a session still open at the end counts
            still_open: set[str] = set()
            for _, kind, staff, _ in entries:
                (still_open.add if kind == "signed_in" else still_open.discard)(staff)
            for s in own:
                entry = figures.session_entry(s.at, s.kind, s.payload)
                if s.at < period.end_utc or entry is None or entry[2] not in still_open:
                    continue
                still_open.discard(entry[2])
                if s.kind == "signed_out":
                    entries.append(entry)
            seconds = figures.signed_in_seconds(entries, period.start_utc, period.end_utc)
            for staff, value in seconds.items():
                names = {"hall": h, "counter": c, "staff": staff}
                totals[tuple(names[k] for k in by)] += value
    return totals


def check_hq(store: Store, log: Log, signs: Sequence[Session] = ()) -> None:
    for period in PERIODS:
        for hall in (None, "H1"):
            rows = log.within(period, hall)
            for by in GROUPS:
                grouped: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
                for r in rows:
                    grouped[tuple(r[k] for k in by)].append(r)
                got = reports.figures(store, period, by=by, hall=hall, hours=True)
                assert [tuple(g[k] for k in by) for g in got] == sorted(grouped)
                seconds = signed_in(signs, period, by, hall)
                for g in got:
                    key = tuple(g[k] for k in by)
                    want = expected_row(grouped[key])
                    assert {k: g[k] for k in want} == want
                    assert g["period"] == period.label
                    # time serving and signed in, summed in another order: to a nanosecond
                    serving = sum(float(r["duration_s"] or 0.0) for r in grouped[key]
                                  if r["status"] in figures.SERVING_STATUSES)
                    assert math.isclose(g["serving_s"], serving, rel_tol=1e-12, abs_tol=1e-9)
                    assert math.isclose(g["signed_in_s"], seconds.get(key, 0.0),
                                        rel_tol=1e-12, abs_tol=1e-9)
                    share = figures.serving_share(serving, seconds.get(key, 0.0))
                    assert (g["serving_share"] is None) == (share is None)
                    if share is not None:
                        assert math.isclose(g["serving_share"], share, rel_tol=1e-9)
            # overtime by the staff's reason and the manager's cause, share of the hall's
            cases: Counter[tuple[Any, ...]] = Counter(
                (r["hall"], r["overtime_reason"] or "(none)",
                 log.causes.get(r["txn"], "(not reviewed)"))
                for r in rows if figures.is_overtime_case(r))
            per_hall = Counter[str]()
            for (h, _, _), n in cases.items():
                per_hall[h] += n
            got_overtime = reports.overtime(store, period, hall=hall)
            assert [(o["hall"], o["staff_reason"], o["manager_cause"], o["overtime"])
                    for o in got_overtime] == sorted((*key, n) for key, n in cases.items())
            for o in got_overtime:
                assert o["hall_overtime"] == per_hall[o["hall"]]
                assert o["share"] == figures.rate(o["overtime"], per_hall[o["hall"]])
                assert o["reviewed"] == (o["overtime"] if o["manager_cause"] != "(not reviewed)"
                                         else 0)
            # the star: the counters' rule over the same per-staff counts
            got_stars = reports.stars(store, period, hall=hall, rule=RULE)
            want_stars = []
            for h in sorted({r["hall"] for r in rows}):
                suggestion = figures.suggest_star(
                    figures.monthly_summary([r for r in rows if r["hall"] == h]), RULE)
                for rank, c in enumerate(suggestion.ranking, start=1):
                    want_stars.append((h, c.staff, rank, c.eligible,
                                       None if c.score is None else round(c.score, 4),
                                       suggestion.star is not None
                                       and suggestion.star.staff == c.staff))
            assert [(s["hall"], s["staff"], s["rank"], s["eligible"], s["score"], s["star"])
                    for s in got_stars] == want_stars


@settings(max_examples=60, deadline=None)
@given(logs, st.booleans(), sessions)
def test_head_office_on_sqlite_equals_the_definitions(hq_sqlite: Store, generated: list[Spec],
                                                      recorded: bool,
                                                      signs: list[Session]) -> None:
    log = Log.of(generated, recorded=recorded)
    load_hq(hq_sqlite, log, signs)
    check_hq(hq_sqlite, log, signs)


@settings(max_examples=40, deadline=None)
@given(logs, st.booleans(), sessions)
def test_head_office_on_postgresql_equals_the_definitions(
    hq_postgresql: Store, generated: list[Spec], recorded: bool, signs: list[Session]
) -> None:
    log = Log.of(generated, recorded=recorded)
    load_hq(hq_postgresql, log, signs)
    check_hq(hq_postgresql, log, signs)


# ---- the predicate itself -------------------------------------------------------------------

def test_the_overtime_predicate_at_millisecond_precision() -> None:
    assert not figures.exceeds_target(180.0, 180.0)
    assert figures.exceeds_target(180.001, 180.0)
    assert figures.exceeds_target(180.04, 180)
    assert not figures.exceeds_target(179.999, 180.0)
    assert not figures.exceeds_target(500.0, None)
    assert not figures.exceeds_target(None, 180.0)
    row = {"duration_s": 180.001, "target_s": 180.0, "overtime_s": 0.0}
    assert figures.is_overtime(row)  # by duration and target, not by the stored overtime_s


#: raw doubles, ties of the millisecond rounding among them (0.0005 s, 180.0005 s, …)
doubles = st.one_of(
    st.floats(0.0, 1e6, allow_nan=False),
    st.integers(0, 2_000_000).map(lambda n: n / 2000),  # every half millisecond
    st.integers(0, 2_000_000).map(lambda n: n / 1000 + 0.0005),
)
#: a duration close to its target (within 2 ms either side), where the rounding decides
close = doubles.flatmap(lambda t: st.tuples(
    st.one_of(st.floats(max(0.0, t - 0.002), t + 0.002),
              st.integers(-4, 4).map(lambda n: max(0.0, t + n / 2000))), st.just(t)))
pairs = st.lists(st.one_of(close, st.tuples(st.none() | doubles, st.none() | doubles)),
                 min_size=1, max_size=50)


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_sqlite_spells_the_predicate_as_python_computes_it(
    values: list[tuple[float | None, float | None]]
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (duration_s REAL, target_s REAL)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", values)
    got = [bool(v) for (v,) in conn.execute(f"SELECT {figures.overtime_sql()} FROM t"
                                            " ORDER BY rowid")]
    assert got == [figures.exceeds_target(d, t) for d, t in values]
    conn.close()


@pytest.fixture(scope="module")
def pg_engine(hq_postgresql: Store) -> Any:
    return hq_postgresql.engine


@settings(max_examples=100, deadline=None)
@given(pairs)
def test_postgresql_spells_the_predicate_as_python_computes_it(
    pg_engine: Any, values: list[tuple[float | None, float | None]]
) -> None:
    with pg_engine.connect() as conn:
        got = [bool(v) for (v,) in conn.execute(text(
            "SELECT " + figures.overtime_sql("d", "t", "postgresql")
            + " FROM unnest(CAST(:d AS double precision[]), CAST(:t AS double precision[]))"
            " WITH ORDINALITY AS v(d, t, n) ORDER BY n"),
            {"d": [d for d, _ in values], "t": [t for _, t in values]})]
    assert got == [figures.exceeds_target(d, t) for d, t in values]


@given(st.floats(0.0, 5000.0, allow_nan=False),
       st.sampled_from([t for _, t in TYPES if t is not None] + [45.25, 90.1, 179.9995]))
def test_a_recorded_overtime_case_has_overtime_seconds(elapsed_s: float, target_s: float) -> None:
    """Why the counter's overtime lists may narrow to `overtime_s > 0` (a partial index)
    first: as a counter records a completion, exceeding the target implies overtime_s > 0."""
    duration = round(elapsed_s, 3)
    recorded_overtime = round(max(0.0, elapsed_s - target_s), 3)
    if figures.exceeds_target(duration, target_s):
        assert recorded_overtime > 0


def test_the_month_boundary_in_shanghai() -> None:
    january, february = PERIODS[0], PERIODS[1]
    assert january.end_utc == february.start_utc == BOUNDARY[1]
    assert january.start_utc <= BOUNDARY[0] < january.end_utc
    assert reports.month_period is month_period and reports.Period is Period
