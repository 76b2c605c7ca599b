"""Head office reports across halls: service level, overtime causes, service stars, chains.

Every row carries the counts it is computed from, so a reader can re-check each rate. The
figures are the counters' own (counter_core.figures): the same predicates (`is_timed`, whose
interrupted transactions count in service level and overtime, `overtime_sql`,
SATISFIED_RATINGS), the same rate, percentile and star definitions, and rates as fractions
0–1 under the counters' names (service_level, satisfaction_rate, participation_rate,
overtime_rate). Periods are local days and months in the hall's zone (counter_core.periods).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Boolean, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from counter_core.events import (
    APPEAL_DECIDED,
    AWAY_STARTED,
    INTERRUPTED,
    RATED,
    RATING_FOLLOWED_UP,
    SIGNED_IN,
    SIGNED_OUT,
)
from counter_core.figures import (
    AWAY_READ_KINDS,
    CLOSED_REASON,
    POOR_RATINGS,
    SATISFIED_RATINGS,
    SERVING_STATUSES,
    SESSION_KINDS,
    AwayEntry,
    Kpis,
    SessionEntry,
    StaffMonth,
    StarRule,
    away_entry,
    away_seconds,
    hours_away,
    hours_signed_in,
    overtime_sql,
    percentile,
    rate,
    serving_share,
    session_entry,
    sessions_read_from,
    signed_in_seconds,
    still_away,
    suggest_star,
)
from counter_core.periods import (
    DEFAULT_TIME_ZONE,
    Period,
    day_period,
    days_period,
    month_period,
)
from counter_core.tables import write_csv, xlsx_bytes
from counter_core.workdays import DEFAULT_FOLLOW_UP_WORKING_DAYS, WorkCalendar, is_overdue
from head_office import anchors
from head_office.schema import (
    COUNTER_KIND,
    chain_break_evidence,
    chain_breaks,
    conflicts,
    counters,
    events,
    rejected,
    reviews,
    transactions,
)
from head_office.schema import incidents as incidents_table
from head_office.store import Store

__all__ = [
    "CHAIN_COLUMNS", "GROUPINGS", "HALL_COLUMNS", "INCIDENT_COLUMNS", "OVERTIME_COLUMNS",
    "RATE_COLUMNS",
    "SERVICE_LEVEL_COLUMNS", "STAR_COLUMNS", "ExceedsTarget", "Period", "chains",
    "day_period", "days_period", "figures", "figures_by_day", "halls", "incidents", "month_period",
    "overdue_follow_ups", "overtime",
    "service_level", "stars", "write",
]

Row = dict[str, Any]

GROUPINGS = ("hall", "counter", "staff")

#: The columns holding fractions 0–1: shown as percentages in XLSX, four decimals in CSV.
RATE_COLUMNS = frozenset({
    "service_level", "satisfaction_rate", "participation_rate", "overtime_rate", "share",
    "serving_share", "upheld_appeal_rate",
})

#: head_office.store files an `appeal_decided` in the reviews table with this cause when upheld
UPHELD, REJECTED = "upheld", "rejected"


# ---- figures ------------------------------------------------------------------------------

class ExceedsTarget(FunctionElement[bool]):
    """counter_core.figures.exceeds_target(duration, target) in SQL, spelt by `overtime_sql`
    for the dialect at hand (SQLite and PostgreSQL truncate differently)."""

    type = Boolean()
    inherit_cache = True
    name = "exceeds_target"


@compiles(ExceedsTarget)
def _exceeds_target_sql(element: ExceedsTarget, compiler: SQLCompiler, **kw: Any) -> str:
    duration, target = (compiler.process(c, **kw) for c in element.clauses)
    dialect = compiler.dialect.name
    return overtime_sql(duration, target, "postgresql" if dialect == "postgresql" else "sqlite")


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _timed() -> ColumnElement[bool]:
    """counter_core.figures.is_timed: completed, or interrupted with its known time."""
    t = transactions.c
    return and_(t.target_s.is_not(None), t.duration_s.is_not(None),
                or_(t.status == "completed",
                    and_(t.status == "interrupted", t.overtime_s.is_not(None))))


class CodePointOrder(FunctionElement[str]):
    """A text column compared by code point, as Python compares str (counter_core's rules
    break ties by chain id that way): SQLite's BINARY already does; PostgreSQL needs the
    "C" collation, whatever the database's own is."""

    inherit_cache = True
    name = "code_point_order"


@compiles(CodePointOrder)
def _code_point_order_sql(element: CodePointOrder, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f'({column}) COLLATE "C"' if compiler.dialect.name == "postgresql" else column


def upheld_appeals() -> Any:
    """(hall, txn) of each transaction whose appeal (申诉) is upheld, by the rule of
    counter_core.reviews.merge_decisions: in each chain its latest decision (by its place in
    the chain) stands; across the hall's chains the later by its time wins, a tie to the
    greater chain id. A decision held pending (its transaction not arrived) is in no review
    row yet."""
    r, c = reviews.c, counters.c
    in_chain = (select(c.hall.label("hall"), c.counter.label("counter"), r.txn.label("txn"),
                       r.at.label("at"), r.cause.label("cause"),
                       func.row_number().over(partition_by=(r.counter_id, r.txn),
                                              order_by=r.seq.desc()).label("latest"))
                .select_from(reviews.join(counters, c.id == r.counter_id))
                .where(r.kind == APPEAL_DECIDED, r.txn.is_not(None))
                .subquery("in_chain"))
    d = in_chain.c
    across = (select(d.hall, d.txn, d.cause,
                     func.row_number().over(
                         partition_by=(d.hall, d.txn),
                         order_by=(d.at.desc(), CodePointOrder(d.counter).desc())).label("won"))
              .where(d.latest == 1)
              .subquery("across"))
    w = across.c
    return (select(w.hall.label("hall"), w.txn.label("txn"))
            .where(w.won == 1, w.cause == UPHELD)
            .subquery("upheld"))


def _with_upheld() -> tuple[Any, Any]:
    """The transactions outer-joined to `upheld_appeals` (the join, the subquery)."""
    upheld = upheld_appeals()
    t = transactions.c
    return (transactions.outerjoin(upheld, and_(upheld.c.hall == t.hall,
                                                upheld.c.txn == t.txn)), upheld)


def _aggregates(upheld: Any) -> list[Any]:
    t = transactions.c
    done = t.status == "completed"
    timed = _timed()
    any_rating = and_(done, t.rating.is_not(None))
    taken_out = and_(any_rating, upheld.c.txn.is_not(None))
    # an upheld appeal takes the rating out of rated/satisfied/mean (never out of the log)
    rated = and_(any_rating, upheld.c.txn.is_(None))
    return [
        _count(done).label("completed"),
        _count(timed).label("timed"),
        _count(and_(timed, ~ExceedsTarget(t.duration_s, t.target_s))).label("within_target"),
        _count(rated).label("rated"),
        _count(and_(rated, t.rating.in_(sorted(SATISFIED_RATINGS)))).label("satisfied"),
        _count(t.status == "voided").label("voided"),
        _count(t.status == "interrupted").label("interrupted"),
        func.coalesce(func.sum(case((rated, t.rating), else_=0)), 0).label("rating_sum"),
        _count(taken_out).label("upheld_appeals"),
        _count(and_(done, t.rating.in_(sorted(POOR_RATINGS)))).label("poor_ratings"),
        func.coalesce(func.sum(case((done, t.duration_s), else_=0.0)), 0.0).label("duration_sum"),
        func.coalesce(func.sum(case((t.status.in_(SERVING_STATUSES), t.duration_s),
                                    else_=0.0)), 0.0).label("serving_s"),
    ]


def _finish(row: Row, durations: Sequence[float]) -> Row:
    """Add the figures computed from the counts and the sorted handling times (None where
    there is nothing to divide by), by the counters' definitions."""
    k = Kpis(
        served=row["completed"], timed=row["timed"], within_target=row["within_target"],
        overtime=row["timed"] - row["within_target"], rated=row["rated"],
        satisfied=row["satisfied"], poor=0, voided=row["voided"],
        interrupted=row["interrupted"],
        median_s=percentile(durations, 0.5, presorted=True),
        p90_s=percentile(durations, 0.9, presorted=True),
        mean_rating=row["rating_sum"] / row["rated"] if row["rated"] else None,
    )
    row["overtime"] = k.overtime
    row["service_level"] = k.service_level
    row["satisfaction_rate"] = k.satisfaction_rate
    row["participation_rate"] = k.participation_rate
    row["overtime_rate"] = k.overtime_rate
    # upheld appeals ÷ poor ratings (every poor rating, the upheld ones included)
    row["upheld_appeal_rate"] = rate(row["upheld_appeals"], row["poor_ratings"])
    row["mean_rating"] = round(k.mean_rating, 2) if k.mean_rating is not None else None
    row["median_s"] = k.median_s
    row["p90_s"] = k.p90_s
    row["mean_duration_s"] = (round(float(row["duration_sum"]) / row["completed"], 1)
                              if row["completed"] else None)
    row["serving_s"] = float(row["serving_s"])
    del row["duration_sum"]
    return row


def _signed_in(store: Store, period: Period, by: Sequence[str],
               hall: str | None) -> dict[tuple[Any, ...], float]:
    """Seconds signed in within the period per group, by figures.signed_in_seconds over each
    counter's own sign-ins and sign-outs, read as the counter reads them
    (counter_app.storage.queries.sessions): from a day before the period to its end, plus the
    sign-out that closes a session still open at the end, whose session_s (the monotonic
    clock's) measures the session even when a wall-clock jump put it after the end."""
    query = (
        select(counters.c.hall, counters.c.counter, events.c.counter_id, events.c.seq,
               events.c.at, events.c.kind, events.c.body)
        .join(counters, counters.c.id == events.c.counter_id)
        .where(counters.c.kind == COUNTER_KIND,  # a desk's sign-ins serve no customer
               events.c.kind.in_(SESSION_KINDS), events.c.invalid.is_(None),
               events.c.at >= sessions_read_from(period.start_utc),
               events.c.at < period.end_utc)
        .order_by(events.c.counter_id, events.c.seq)
    )
    if hall is not None:
        query = query.where(counters.c.hall == hall)
    logs: dict[tuple[str, str], list[SessionEntry]] = defaultdict(list)
    last_read: dict[tuple[str, str], tuple[int, int]] = {}  # (counter id, last seq read)
    with store.reader.connect() as conn:
        for hall_id, counter_id, cid, seq, at, kind, body in conn.execute(query):
            last_read[hall_id, counter_id] = (cid, seq)
            entry = _session_entry(at, kind, body)
            if entry is not None:
                logs[hall_id, counter_id].append(entry)
        for key, (cid, seq) in last_read.items():
            logs[key].extend(_closing_sign_outs(conn, cid, seq, logs[key]))
    totals: dict[tuple[Any, ...], float] = defaultdict(float)
    for (hall_id, counter_id), entries in logs.items():
        for staff, seconds in signed_in_seconds(entries, period.start_utc,
                                                period.end_utc).items():
            names = {"hall": hall_id, "counter": counter_id, "staff": staff}
            totals[tuple(names[k] for k in by)] += seconds
    return totals


def _away(store: Store, period: Period, by: Sequence[str],
          hall: str | None) -> dict[tuple[Any, ...], float]:
    """Seconds away (back soon, 暂离) within the period per group, by figures.away_seconds
    over each counter's own away events and sign-outs, read as the counter reads them
    (counter_app.storage.queries.away_entries)."""
    query = (
        select(counters.c.hall, counters.c.counter, events.c.counter_id, events.c.seq,
               events.c.at, events.c.kind, events.c.body)
        .join(counters, counters.c.id == events.c.counter_id)
        .where(counters.c.kind == COUNTER_KIND,
               events.c.kind.in_(AWAY_READ_KINDS), events.c.invalid.is_(None),
               events.c.at >= sessions_read_from(period.start_utc),
               events.c.at < period.end_utc)
        .order_by(events.c.counter_id, events.c.seq)
    )
    if hall is not None:
        query = query.where(counters.c.hall == hall)
    logs: dict[tuple[str, str], list[AwayEntry]] = defaultdict(list)
    last_read: dict[tuple[str, str], tuple[int, int]] = {}
    with store.reader.connect() as conn:
        for hall_id, counter_id, cid, seq, at, kind, body in conn.execute(query):
            last_read[hall_id, counter_id] = (cid, seq)
            payload = json.loads(body).get("payload")
            entry = away_entry(at, kind, payload) if isinstance(payload, dict) else None
            if entry is not None:
                logs[hall_id, counter_id].append(entry)
        for key, (cid, seq) in last_read.items():
            logs[key].extend(_closing_aways(conn, cid, seq, logs[key]))
    totals: dict[tuple[Any, ...], float] = defaultdict(float)
    for (hall_id, counter_id), entries in logs.items():
        for staff, seconds in away_seconds(entries, period.start_utc, period.end_utc).items():
            names = {"hall": hall_id, "counter": counter_id, "staff": staff}
            totals[tuple(names[k] for k in by)] += seconds
    return totals


def _closing_aways(conn: Any, counter_id: int, after_seq: int,
                   entries: Sequence[AwayEntry]) -> list[AwayEntry]:
    """The events after `after_seq` that end the absences `entries` leave open."""
    open_ = still_away(entries)
    found: list[AwayEntry] = []
    if not open_:
        return found
    query = (select(events.c.at, events.c.kind, events.c.body)
             .where(events.c.counter_id == counter_id, events.c.seq > after_seq,
                    events.c.kind.in_(AWAY_READ_KINDS))
             .order_by(events.c.seq).limit(100))
    for at, kind, body in conn.execute(query):
        payload = json.loads(body).get("payload")
        entry = away_entry(at, kind, payload) if isinstance(payload, dict) else None
        if entry is None or entry[2] not in open_:
            continue
        open_.discard(entry[2])
        if kind != AWAY_STARTED:
            found.append(entry)
        if not open_:
            break
    return found


def _session_entry(at: str, kind: str, body: str) -> SessionEntry | None:
    payload = json.loads(body).get("payload")
    return session_entry(at, kind, payload) if isinstance(payload, dict) else None


def _closing_sign_outs(conn: Any, counter_id: int, after_seq: int,
                       entries: Sequence[SessionEntry]) -> list[SessionEntry]:
    """The sign-outs after `after_seq` that close the sessions `entries` leave open (the
    next sign-in or sign-out of each such staff member decides; at most 100 are read)."""
    still_open: set[str] = set()
    for _, kind, staff, _ in entries:
        (still_open.add if kind == SIGNED_IN else still_open.discard)(staff)
    found: list[SessionEntry] = []
    if not still_open:
        return found
    query = (select(events.c.at, events.c.kind, events.c.body)
             .where(events.c.counter_id == counter_id, events.c.seq > after_seq,
                    events.c.kind.in_(SESSION_KINDS))
             .order_by(events.c.seq).limit(100))
    for at, kind, body in conn.execute(query):
        entry = _session_entry(at, kind, body)
        if entry is None or entry[2] not in still_open:
            continue
        still_open.discard(entry[2])
        if kind == SIGNED_OUT:
            found.append(entry)
        if not still_open:
            break
    return found


def _closed_in_service(store: Store, period: Period, by: Sequence[str],
                       hall: str | None) -> dict[tuple[Any, ...], int]:
    """Per group: interrupted transactions started in the period whose `interrupted` event
    (the row's last event: nothing may follow it) gives the reason CLOSED_REASON."""
    t = transactions.c
    query = (select(*[t[name] for name in by], events.c.body)
             .join(events, and_(events.c.counter_id == t.counter_id,
                                events.c.seq == t.last_seq, events.c.kind == INTERRUPTED))
             .where(t.status == "interrupted", t.started_at >= period.start_utc,
                    t.started_at < period.end_utc,
                    *([t.hall == hall] if hall is not None else [])))
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    with store.reader.connect() as conn:
        for *group, body in conn.execute(query):
            payload = json.loads(body).get("payload")
            if isinstance(payload, dict) and payload.get("reason") == CLOSED_REASON:
                totals[tuple(group)] += 1
    return totals


def figures(store: Store, period: Period, *, by: Sequence[str] = ("hall",),
            hall: str | None = None, hours: bool = False) -> list[Row]:
    """Counts and figures of transactions started in the period, grouped by hall/counter/staff.

    Service level and overtime count the timed transactions (figures.is_timed: interrupted
    ones with their known time included); `closed_in_service` counts the interrupted ones the
    clerk closed the app during (reason "closed").

    `hours`: also the time signed in (signed_in_s, hours_signed_in) and the serving share, from
    the counters' sign-in events (a scan of those events: off for the hall view)."""
    for name in by:
        if name not in GROUPINGS:
            raise ValueError(f"cannot group by {name!r}; expected {', '.join(GROUPINGS)}")
    t = transactions.c
    keys = [t[name] for name in by]
    in_period = and_(t.started_at >= period.start_utc, t.started_at < period.end_utc,
                     *([t.hall == hall] if hall is not None else []))
    joined, upheld = _with_upheld()
    query = (select(*keys, *_aggregates(upheld)).select_from(joined).where(in_period)
             .group_by(*keys).order_by(*keys))
    # the handling times, for the median and p90 (counter_core.figures.percentile)
    handling = (select(*keys, t.duration_s)
                .where(in_period, t.status == "completed", t.duration_s.is_not(None))
                .order_by(*keys, t.duration_s))
    durations: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    with store.reader.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        for *group, duration in conn.execute(handling):
            durations[tuple(group)].append(float(duration))
    out = [_finish({"period": period.label, **r}, durations.get(tuple(r[n] for n in by), []))
           for r in rows]
    closes = _closed_in_service(store, period, by, hall)
    for r in out:
        r["closed_in_service"] = closes.get(tuple(r[n] for n in by), 0)
    if hours:
        signed = _signed_in(store, period, by, hall)
        for r in out:
            seconds = signed.get(tuple(r[n] for n in by), 0.0)
            r["signed_in_s"] = seconds
            r["hours_signed_in"] = hours_signed_in(seconds)
            r["serving_share"] = serving_share(r["serving_s"], seconds)
        away = _away(store, period, by, hall)
        for r in out:
            r["away_s"] = away.get(tuple(r[n] for n in by), 0.0)
            r["hours_away"] = hours_away(r["away_s"])
    return out


def figures_by_day(store: Store, days: Sequence[Period], *,
                   halls: Sequence[str] | None = None) -> list[Row]:
    """The counts of `figures(store, day, by=("hall",))` for each of the consecutive `days`,
    in one scan: rows of hall, day (its label), and the counts (completed, timed,
    within_target, rated, satisfied, …) with the figures computed from them (no handling-time
    percentiles). `halls`: those halls only."""
    if not days:
        return []
    t = transactions.c
    bucket = case(*[(t.started_at < d.end_utc, i) for i, d in enumerate(days)],
                  else_=len(days)).label("day")
    joined, upheld = _with_upheld()
    where = [t.started_at >= days[0].start_utc, t.started_at < days[-1].end_utc]
    if halls is not None:
        where.append(t.hall.in_(sorted(set(halls))))
    query = (select(t.hall, bucket, *_aggregates(upheld)).select_from(joined)
             .where(*where).group_by(t.hall, bucket).order_by(t.hall, bucket))
    with store.reader.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    out = []
    for r in rows:
        r["day"] = days[r["day"]].label
        out.append(_finish(r, []))
    return out


SERVICE_LEVEL_COLUMNS = (
    "period", "hall", "counter", "staff", "completed", "timed", "within_target", "overtime",
    "service_level", "overtime_rate", "rated", "satisfied", "satisfaction_rate",
    "participation_rate", "mean_rating", "median_s", "p90_s", "mean_duration_s", "voided",
    "interrupted", "closed_in_service", "serving_s", "hours_signed_in", "hours_away",
    "serving_share", "poor_ratings", "upheld_appeals", "upheld_appeal_rate",
)


def service_level(store: Store, period: Period, *, by: str = "hall",
                  hall: str | None = None) -> list[Row]:
    """Service level (timed transactions within target) and satisfaction, per hall/counter/staff."""
    grouping = GROUPINGS[: GROUPINGS.index(by) + 1] if by != "staff" else ("hall", "staff")
    return figures(store, period, by=grouping, hall=hall, hours=True)


OVERTIME_COLUMNS = (
    "period", "hall", "staff_reason", "manager_cause", "overtime", "hall_overtime",
    "share", "hall_timed", "mean_overtime_s", "reviewed",
)


def overtime(store: Store, period: Period, *, hall: str | None = None) -> list[Row]:
    """Overtime transactions (completed and interrupted: figures.is_overtime_case) per hall by
    the staff's reason and the manager's recorded cause; `share` is the fraction 0–1 of the
    hall's overtime transactions."""
    t = transactions.c
    over = and_(_timed(), ExceedsTarget(t.duration_s, t.target_s),
                t.started_at >= period.start_utc, t.started_at < period.end_utc)
    staff_reason = func.coalesce(t.overtime_reason, "(none)").label("staff_reason")
    cause = func.coalesce(t.review_cause, "(not reviewed)").label("manager_cause")
    query = (
        select(t.hall, staff_reason, cause, func.count().label("overtime"),
               func.avg(t.overtime_s).label("mean_overtime"),
               func.count(t.reviewed_seq).label("reviewed"))
        .where(over).group_by(t.hall, staff_reason, cause).order_by(t.hall, staff_reason, cause)
    )
    if hall is not None:
        query = query.where(t.hall == hall)
    totals = {r["hall"]: r for r in figures(store, period, by=("hall",), hall=hall)}
    with store.reader.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    out: list[Row] = []
    for r in rows:
        total = totals.get(r["hall"], {"overtime": 0, "timed": 0})
        out.append({
            "period": period.label, "hall": r["hall"], "staff_reason": r["staff_reason"],
            "manager_cause": r["manager_cause"], "overtime": r["overtime"],
            "hall_overtime": total["overtime"], "share": rate(r["overtime"], total["overtime"]),
            "hall_timed": total["timed"], "reviewed": r["reviewed"],
            "mean_overtime_s": round(float(r["mean_overtime"] or 0.0), 1),
        })
    return out


STAR_COLUMNS = (
    "period", "hall", "staff", "completed", "rated", "rating_sum", "satisfied",
    "satisfaction_rate", "mean_rating", "participation_rate", "timed", "overtime",
    "overtime_rate", "service_level", "closed_in_service", "hours_signed_in", "serving_share",
    "upheld_appeals", "hall_rated",
    "hall_mean_rating", "score", "eligible", "rank", "star", "confirmed",
)


def stars(store: Store, period: Period, *, hall: str | None = None,
          rule: StarRule | None = None) -> list[Row]:
    """Each hall's staff ranked for the month's service star by the counters' own rule
    (counter_core.figures.suggest_star: a minimum of ratings, a Bayesian-smoothed mean
    rating, ties by overtime rate). `confirmed` marks the manager's `star_confirmed` choice."""
    rule = rule or StarRule()
    per_staff = figures(store, period, by=("hall", "staff"), hall=hall, hours=True)
    confirmed = _confirmed_stars(store, period.label, hall)
    out: list[Row] = []
    for hall_id in sorted({r["hall"] for r in per_staff}):
        rows = {r["staff"]: r for r in per_staff if r["hall"] == hall_id}
        suggestion = suggest_star([
            StaffMonth(staff=r["staff"], served=r["completed"], rated=r["rated"],
                       rating_sum=int(r["rating_sum"]), satisfied=r["satisfied"],
                       timed=r["timed"], overtime=r["overtime"], serving_s=r["serving_s"],
                       signed_in_s=r["signed_in_s"],
                       closed_in_service=r["closed_in_service"],
                       upheld_appeals=r["upheld_appeals"])
            for r in rows.values()
        ], rule)
        hall_rated = sum(r["rated"] for r in rows.values())
        for rank, candidate in enumerate(suggestion.ranking, start=1):
            row = rows[candidate.staff]
            row.update(
                hall_rated=hall_rated,
                hall_mean_rating=(round(suggestion.hall_mean, 3)
                                  if suggestion.hall_mean is not None else None),
                score=round(candidate.score, 4) if candidate.score is not None else None,
                eligible=candidate.eligible, rank=rank,
                star=suggestion.star is not None and suggestion.star.staff == candidate.staff,
                confirmed=confirmed.get(hall_id) == candidate.staff,
            )
            out.append(row)
    return out


def _confirmed_stars(store: Store, month: str, hall: str | None) -> dict[str, str]:
    query = (
        select(counters.c.hall, events.c.body)
        .join(counters, counters.c.id == events.c.counter_id)
        .where(events.c.kind == "star_confirmed", events.c.invalid.is_(None))
        .order_by(events.c.at)
    )
    if hall is not None:
        query = query.where(counters.c.hall == hall)
    found: dict[str, str] = {}
    with store.reader.connect() as conn:
        for hall_id, body in conn.execute(query):
            payload = json.loads(body).get("payload", {})
            if payload.get("month") == month and payload.get("staff"):
                found[hall_id] = str(payload["staff"])  # the latest confirmation counts
    return found


CHAIN_COLUMNS = (
    "hall", "counter", "events", "high_water_seq", "last_event_at", "last_sync_at", "chain",
    "demo", "conflicts", "rejected", "revoked_at", "open_incidents", "explained_incidents",
    "last_anchor_seq", "last_anchor_at", "clock_skew_s", "app_version", "code_hash",
    "new_history_of",
)


def chains(store: Store, *, hall: str | None = None) -> list[Row]:
    """Chain-verification status per counter: every stored event re-hashed from its text;
    `demo` says "demo" for a chain of demo data (its first event is the demo marker)."""
    out: list[Row] = []
    with store.reader.connect() as conn:
        def count(table: Any, counter_id: int) -> int:
            return int(conn.execute(select(func.count()).select_from(table)
                                    .where(table.c.counter_id == counter_id)).scalar_one())

        query = (select(counters).where(counters.c.kind == COUNTER_KIND)  # never a desk
                 .order_by(counters.c.hall, counters.c.counter))
        if hall is not None:
            query = query.where(counters.c.hall == hall)
        rows = conn.execute(query).all()
        statuses = anchors.open_counts(conn)
        latest = anchors.anchor_summary(conn)
        links = anchors.history_of(conn)
        for row in rows:
            out.append({
                "hall": row.hall, "counter": row.counter, "events": count(events, row.id),
                "high_water_seq": row.hw_seq, "last_event_at": row.last_event_at,
                "last_sync_at": row.last_sync_at, "conflicts": count(conflicts, row.id),
                "rejected": count(rejected, row.id), "revoked_at": row.revoked_at,
                "breaks": count(chain_breaks, row.id),
                **_anchor_columns(statuses.get(row.id), latest.get(row.id), links.get(row.id)),
            })
    held = {c.id: c for c in store.counters(hall)}
    for r, counter in zip(out, (held[row.id] for row in rows), strict=True):
        breaks = r.pop("breaks")
        first_open = r.pop("first_open")
        r["chain"] = store.verify(counter) or (
            f"ok around {breaks} recorded chain break(s): see report incidents" if breaks
            else "ok")
        if first_open:
            r["chain"] = (f"{r['open_incidents']} open incident(s), {first_open}: see report "
                          f"incidents; stored chain {r['chain']}")
        # a chain whose first event is the demo marker (`counter-app demo-data`)
        r["demo"] = "demo" if store.is_demo(counter) else ""
    return out


def _anchor_columns(statuses: dict[str, Any] | None, latest: dict[str, Any] | None,
                    link: str | None) -> Row:
    statuses = statuses or {}
    latest = latest or {}
    return {
        "open_incidents": statuses.get(anchors.OPEN, 0),
        "explained_incidents": statuses.get(anchors.EXPLAINED, 0)
        + statuses.get(anchors.RESOLVED, 0),
        "first_open": statuses.get("first_open"),
        "last_anchor_seq": latest.get("seq"), "last_anchor_at": latest.get("received_at"),
        "clock_skew_s": latest.get("skew_s"), "app_version": latest.get("app_version"),
        "code_hash": latest.get("code_hash"), "new_history_of": link,
    }


HALL_COLUMNS = ("hall", "counters", "open_incidents", "explained_incidents",
                "resolved_incidents", "incidents", "poor_ratings", "upheld_appeals",
                "upheld_appeal_rate", "overdue_follow_ups")


def overdue_follow_ups(store: Store, *, hall: str | None = None,
                       now: dt.datetime | None = None, tz: str = DEFAULT_TIME_ZONE,
                       follow_up_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS,
                       calendar: WorkCalendar | None = None) -> dict[str, int]:
    """Per hall, the poor ratings with no follow-up (`rating_followed_up`) past their 好差评
    deadline: `follow_up_days` working days after the rating's local day in `tz`, on head
    office's working-day calendar (weekends only when none was set)."""
    from head_office.calendar import read_calendar

    moment = now or dt.datetime.now(dt.UTC)
    cal = calendar or read_calendar(store) or WorkCalendar()
    t, e, r = transactions.c, events.c, reviews.c
    # the followed-up transactions once (a hashed or materialised set, not a lookup per row:
    # reviews has no index on txn); NOT IN with the NULLs left out, which would empty it
    followed = select(r.txn).where(r.kind == RATING_FOLLOWED_UP, r.txn.is_not(None))
    query = (select(t.hall, t.txn, e.at, e.body)
             .join(events, and_(e.counter_id == t.counter_id, e.seq > t.started_seq,
                                e.seq <= t.last_seq, e.kind == RATED, e.invalid.is_(None)))
             .where(t.rating.in_(sorted(POOR_RATINGS)), t.txn.not_in(followed)))
    if hall is not None:
        query = query.where(t.hall == hall)
    out: dict[str, int] = defaultdict(int)
    with store.reader.connect() as conn:
        for row in conn.execute(query):
            try:
                if json.loads(row.body)["payload"]["txn"] != row.txn:
                    continue  # another transaction's rating within this one's span
            except (ValueError, KeyError, TypeError):
                continue
            if is_overdue(row.at, moment, tz, follow_up_days, cal):
                out[row.hall] += 1
    return dict(out)


def halls(store: Store, *, hall: str | None = None, now: dt.datetime | None = None,
          tz: str = DEFAULT_TIME_ZONE,
          follow_up_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS) -> list[Row]:
    """Per hall: how many incidents are open (to look into), explained and resolved; `incidents`
    says "open" only for a hall with open ones, so an explained incident brands nobody; and
    the poor ratings whose follow-up is overdue (`overdue_follow_ups`)."""
    with store.reader.connect() as conn:
        statuses = anchors.open_counts(conn)
        query = (select(counters.c.id, counters.c.hall)
                 .where(counters.c.kind == COUNTER_KIND).order_by(counters.c.hall))
        if hall is not None:
            query = query.where(counters.c.hall == hall)
        out: dict[str, Row] = {}
        for row in conn.execute(query):
            r = out.setdefault(row.hall, {"hall": row.hall, "counters": 0, "open_incidents": 0,
                                          "explained_incidents": 0, "resolved_incidents": 0})
            r["counters"] += 1
            for status in anchors.STATUSES:
                r[f"{status}_incidents"] += statuses.get(row.id, {}).get(status, 0)
        appeals = _appeal_counts(conn, hall)
    overdue = overdue_follow_ups(store, hall=hall, now=now, tz=tz,
                                 follow_up_days=follow_up_days)
    for r in out.values():
        r["incidents"] = "open" if r["open_incidents"] else "none open"
        poor, upheld = appeals.get(r["hall"], (0, 0))
        r.update(poor_ratings=poor, upheld_appeals=upheld,
                 upheld_appeal_rate=rate(upheld, poor))
        r["overdue_follow_ups"] = overdue.get(r["hall"], 0)
    return list(out.values())


def _appeal_counts(conn: Any, hall: str | None) -> dict[str, tuple[int, int]]:
    """Per hall, all time: (poor ratings, upheld appeals of them)."""
    t = transactions.c
    joined, upheld = _with_upheld()
    poor = and_(t.status == "completed", t.rating.in_(sorted(POOR_RATINGS)))
    query = (select(t.hall, _count(poor), _count(and_(poor, upheld.c.txn.is_not(None))))
             .select_from(joined).where(poor).group_by(t.hall))
    if hall is not None:
        query = query.where(t.hall == hall)
    return {h: (int(p), int(u)) for h, p, u in conn.execute(query)}


INCIDENT_COLUMNS = (
    "hall", "counter", "incident", "seq", "last_seq", "reason", "stored_hash", "offered_hash",
    "first_at", "last_at", "times", "evidence", "id", "status", "status_reason", "status_by",
    "status_at",
)


def incidents(store: Store, *, hall: str | None = None) -> list[Row]:
    """Every incident of every kind (head_office.anchors.INCIDENT_KINDS), from the one
    `incidents` table: its id (what `counter-hq incident` takes), its status and the
    operator's account; an explained or resolved one stays listed. A chain break's row
    spans the broken sequences (seq–last_seq) and says how much of the span head office holds
    as evidence."""
    evidence = (select(chain_break_evidence.c.counter_id, chain_break_evidence.c.break_seq,
                       func.count().label("n"))
                .group_by(chain_break_evidence.c.counter_id, chain_break_evidence.c.break_seq)
                .subquery())
    t = incidents_table.c
    is_break = and_(t.kind == anchors.CHAIN_BREAK, chain_breaks.c.id == t.evidence_id)
    query = (select(counters.c.hall, counters.c.counter, incidents_table,
                    chain_breaks.c.first_bad_seq, chain_breaks.c.last_bad_seq,
                    evidence.c.n)
             .join(counters, counters.c.id == t.counter_id)
             .outerjoin(chain_breaks, is_break)
             .outerjoin(evidence, and_(evidence.c.counter_id == chain_breaks.c.counter_id,
                                       evidence.c.break_seq == chain_breaks.c.break_seq))
             .order_by(counters.c.hall, counters.c.counter, t.seq, t.id))
    if hall is not None:
        query = query.where(counters.c.hall == hall)
    out: list[Row] = []
    with store.reader.connect() as conn:
        for r in conn.execute(query).mappings():
            span = None
            if r["last_bad_seq"] is not None:
                span = (f"{r['n'] or 0} of {r['last_bad_seq'] - r['first_bad_seq'] + 1} "
                        "events")
            out.append({
                "hall": r["hall"], "counter": r["counter"], "incident": r["kind"],
                "seq": r["seq"], "last_seq": r["last_bad_seq"] or r["seq"],
                "reason": r["detail"], "stored_hash": r["expected_hash"] or None,
                "offered_hash": r["offered_hash"] or None, "first_at": r["first_at"],
                "last_at": r["last_at"], "times": r["times"], "evidence": span,
                "id": r["id"], "status": r["status"], "status_reason": r["status_reason"],
                "status_by": r["status_by"], "status_at": r["status_at"],
            })
    return out


# ---- output -------------------------------------------------------------------------------

def _rounded(row: Row) -> Row:
    """Rates to four decimals (0.6667), as the counter's own exports write them."""
    return {k: (round(v, 4) if k in RATE_COLUMNS and isinstance(v, float) else v)
            for k, v in row.items()}


def write(rows: Sequence[Row], columns: Sequence[str], fmt: str, out: IO[str] | Path) -> int:
    """Write rows as CSV (to a text stream or file) or XLSX (to a file), through the one
    writer of each (counter_core.tables); rates are fractions 0–1 in both."""
    cols = tuple(c for c in columns if not rows or c in rows[0])
    if fmt == "csv":
        records = [_rounded(r) for r in rows]
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8", newline="") as handle:
                return write_csv(records, cols, handle)
        return write_csv(records, cols, out)
    if fmt == "xlsx":
        if not isinstance(out, Path):
            raise ValueError("XLSX needs an output file: give --output FILE.xlsx")
        out.write_bytes(xlsx_bytes(rows, cols, out.stem,
                                   percent_columns=[c for c in cols if c in RATE_COLUMNS]))
        return len(rows)
    raise ValueError(f"unknown format {fmt!r}; expected csv or xlsx")
