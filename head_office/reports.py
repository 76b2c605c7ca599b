"""Head office reports across halls: service level, overtime causes, service stars, chains.

Every row carries the counts it is computed from, so a reader can re-check each rate. The
figures are the counters' own (counter_core.figures): the same predicates (`is_timed`, whose
interrupted transactions count in service level and overtime, `overtime_sql`,
SATISFIED_RATINGS), the same rate, percentile and star definitions, and rates as fractions
0–1 under the counters' names (service_level, satisfaction_rate, participation_rate,
overtime_rate). Periods are local days and months in the hall's zone (counter_core.periods).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, case, func, select

from counter_core import periods
from counter_core.events import (
    APPEAL_DECIDED,
    AWAY_STARTED,
    RATING_APPEALED,
    SIGNED_IN,
    SIGNED_OUT,
)
from counter_core.figures import (
    AWAY_READ_KINDS,
    POOR_RATINGS,
    SATISFIED_RATINGS,
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
    local_date,
    local_midnight_utc,
    month_period,
)
from counter_core.tables import write_csv, xlsx_bytes
from counter_core.workdays import (
    DEFAULT_FOLLOW_UP_WORKING_DAYS,
    WorkCalendar,
    add_working_days,
    due_moment,
    is_overdue,
)
from head_office import anchors
from head_office.schema import (
    AGGREGATE_TIME_ZONE,
    COUNTER_KIND,
    DAILY_COUNTS,
    DAILY_SUMS,
    ROLLUPS,
    UPHELD,
    CodePointOrder,
    ExceedsTarget,
    chain_break_evidence,
    chain_breaks,
    closed_in_service,
    conflicts,
    count_of,
    counters,
    daily_figures,
    daily_follow_ups,
    daily_halls,
    events,
    figure_columns,
    is_timed,
    poor_ratings_open,
    rating_of,
    rejected,
    reviews,
    transactions,
    upheld_appeals,
    with_upheld,
)
from head_office.schema import incidents as incidents_table
from head_office.store import Store

__all__ = [
    "CHAIN_COLUMNS",
    "GROUPINGS",
    "HALL_COLUMNS",
    "INCIDENT_COLUMNS",
    "OVERTIME_COLUMNS",
    "RATE_COLUMNS",
    "SERVICE_LEVEL_COLUMNS",
    "SOURCES",
    "STAR_COLUMNS",
    "UPHELD",
    "CodePointOrder",
    "ExceedsTarget",
    "Period",
    "chains",
    "daily_span",
    "day_period",
    "days_period",
    "figures",
    "figures_by_day",
    "halls",
    "incidents",
    "month_period",
    "overdue_follow_ups",
    "overtime",
    "satisfaction_by_handling_time",
    "service_level",
    "stars",
    "upheld_appeals",
    "write",
]

Row = dict[str, Any]

GROUPINGS = ("hall", "counter", "staff")

#: The columns holding fractions 0–1: shown as percentages in XLSX, four decimals in CSV.
RATE_COLUMNS = frozenset({
    "service_level", "satisfaction_rate", "participation_rate", "overtime_rate", "share",
    "serving_share", "upheld_appeal_rate",
})

#: head_office.store files an `appeal_decided` in the reviews table with this cause when upheld
REJECTED = "rejected"


# ---- figures ------------------------------------------------------------------------------

# the figures' SQL is head_office.schema's (the ingest keeps the daily rows with it too)
_count = count_of
_timed = is_timed
_aggregates = figure_columns


def _with_upheld() -> tuple[Any, Any]:
    return with_upheld()


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
    where = [t.started_at >= period.start_utc, t.started_at < period.end_utc,
             *([t.hall == hall] if hall is not None else [])]
    with store.reader.connect() as conn:
        return closed_in_service(conn, [t[name] for name in by], where)


#: where the figures come from: "events" scans the transactions of the period; "daily" adds
#: up the per-day aggregates the ingest keeps (head_office.schema.daily_figures) whenever the
#: period is whole local days of AGGREGATE_TIME_ZONE, and scans otherwise. Same figures.
SOURCES = ("events", "daily")


def daily_span(period: Period) -> tuple[str, str] | None:
    """The local days [first, end) of AGGREGATE_TIME_ZONE the period is made of, as the daily
    rows name them; None when its bounds are not local midnights of that zone."""
    first = local_date(period.start_utc, AGGREGATE_TIME_ZONE)
    end = local_date(period.end_utc, AGGREGATE_TIME_ZONE)
    if (local_midnight_utc(first, AGGREGATE_TIME_ZONE) != period.start_utc
            or local_midnight_utc(end, AGGREGATE_TIME_ZONE) != period.end_utc):
        return None
    return first.isoformat(), end.isoformat()


def _daily_sums(names: Sequence[str], table: Any = daily_figures) -> list[Any]:
    return [func.coalesce(func.sum(table.c[name]), 0).label(name) for name in names]


def _daily_table(by: Sequence[str]) -> Any:
    """The smallest table of daily rows that holds the grouping `by` (schema.ROLLUPS)."""
    return next((table for keys, table in ROLLUPS.items() if set(by) <= set(keys)),
                daily_figures)


def _daily_row(row: Any) -> Row:
    """A daily query's row with the counts as int and the sums as float, whatever the
    database's SUM answers (PostgreSQL: numeric)."""
    out = dict(row)
    for name in DAILY_COUNTS:
        if name in out:
            out[name] = int(out[name])
    for name in DAILY_SUMS:
        if name in out:
            out[name] = float(out[name])
    return out


#: the figure counts figures() reads from the daily rows
_FIGURE_COUNTS = ("completed", "timed", "within_target", "rated", "satisfied", "voided",
                  "interrupted", "rating_sum", "upheld_appeals", "poor_ratings",
                  "duration_sum", "serving_s", "closed_in_service")


def _daily_figures(store: Store, span: tuple[str, str], by: Sequence[str],
                   hall: str | None) -> list[Row]:
    table = _daily_table(by)
    d = table.c
    keys = [d[name] for name in by]
    query = (select(*keys, *_daily_sums(_FIGURE_COUNTS, table))
             .where(d.day >= span[0], d.day < span[1],
                    *([d.hall == hall] if hall is not None else []))
             .group_by(*keys).order_by(*keys))
    with store.reader.connect() as conn:
        return [_daily_row(r) for r in conn.execute(query).mappings()]


def figures(store: Store, period: Period, *, by: Sequence[str] = ("hall",),
            hall: str | None = None, hours: bool = False, handling_times: bool = True,
            source: str = "events") -> list[Row]:
    """Counts and figures of transactions started in the period, grouped by hall/counter/staff.

    Service level and overtime count the timed transactions (figures.is_timed: interrupted
    ones with their known time included); `closed_in_service` counts the interrupted ones the
    clerk closed the app during (reason "closed").

    `hours`: also the time signed in (signed_in_s, hours_signed_in) and the serving share, from
    the counters' sign-in events (a scan of those events: off for the hall view).

    `handling_times`: the median and p90 handling times (a scan of the period's handling
    times; off: None). `source`: "events" or "daily" (SOURCES)."""
    for name in by:
        if name not in GROUPINGS:
            raise ValueError(f"cannot group by {name!r}; expected {', '.join(GROUPINGS)}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected {', '.join(SOURCES)}")
    t = transactions.c
    keys = [t[name] for name in by]
    in_period = and_(t.started_at >= period.start_utc, t.started_at < period.end_utc,
                     *([t.hall == hall] if hall is not None else []))
    span = daily_span(period) if source == "daily" else None
    durations: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    with store.reader.connect() as conn:
        if span is None:
            joined, upheld = _with_upheld()
            query = (select(*keys, *_aggregates(upheld)).select_from(joined).where(in_period)
                     .group_by(*keys).order_by(*keys))
            rows = [dict(r) for r in conn.execute(query).mappings()]
        if handling_times:
            # the handling times, for the median and p90 (counter_core.figures.percentile)
            handling = (select(*keys, t.duration_s)
                        .where(in_period, t.status == "completed", t.duration_s.is_not(None))
                        .order_by(*keys, t.duration_s))
            for *group, duration in conn.execute(handling):
                durations[tuple(group)].append(float(duration))
    if span is not None:
        rows = _daily_figures(store, span, by, hall)
        closes = {tuple(r[n] for n in by): r.pop("closed_in_service") for r in rows}
    else:
        closes = _closed_in_service(store, period, by, hall)
    out = [_finish({"period": period.label, **r}, durations.get(tuple(r[n] for n in by), []))
           for r in rows]
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


#: the handling-time bands of `satisfaction_by_handling_time`, in seconds (the last open-ended)
HANDLING_BANDS = (0, 60, 120, 180, 240, 360, 600)


def satisfaction_by_handling_time(store: Store, period: Period, *, hall: str,
                                  bands: Sequence[int] = HANDLING_BANDS) -> list[Row]:
    """Satisfaction against handling time: the hall's rated, completed transactions of the
    period in bands of their handling time (`from_s` ≤ duration < `to_s`, None: open-ended),
    each band's rated count, satisfied count, satisfaction rate and mean rating. Ratings taken
    out by an upheld appeal are left out, as in `figures`. Every band is listed, empty ones
    with 0 rated."""
    t = transactions.c
    joined, upheld = _with_upheld()
    query = (select(t.duration_s, t.rating).select_from(joined)
             .where(t.hall == hall, t.started_at >= period.start_utc,
                    t.started_at < period.end_utc, t.status == "completed",
                    t.duration_s.is_not(None), t.rating.is_not(None), upheld.c.txn.is_(None)))
    edges = list(bands)
    rated = [0] * len(edges)
    satisfied = [0] * len(edges)
    total = [0] * len(edges)
    with store.reader.connect() as conn:
        for duration, rating in conn.execute(query):
            band = max(0, bisect.bisect_right(edges, float(duration)) - 1)
            rated[band] += 1
            total[band] += int(rating)
            satisfied[band] += int(rating) in SATISFIED_RATINGS
    return [{"period": period.label, "hall": hall, "from_s": start,
             "to_s": edges[i + 1] if i + 1 < len(edges) else None, "rated": rated[i],
             "satisfied": satisfied[i], "satisfaction_rate": rate(satisfied[i], rated[i]),
             "mean_rating": round(total[i] / rated[i], 2) if rated[i] else None}
            for i, start in enumerate(edges)]


def figures_by_day(store: Store, days: Sequence[Period], *,
                   halls: Sequence[str] | None = None, source: str = "events") -> list[Row]:
    """The counts of `figures(store, day, by=("hall",))` for each of the consecutive `days`,
    in one scan: rows of hall, day (its label), and the counts (completed, timed,
    within_target, rated, satisfied, …) with the figures computed from them (no handling-time
    percentiles). `halls`: those halls only; `source` as for figures()."""
    if not days:
        return []
    spans = [daily_span(d) for d in days] if source == "daily" else []
    if spans and all(spans):
        return _daily_by_day(store, days, halls)
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


def _daily_by_day(store: Store, days: Sequence[Period],
                  halls: Sequence[str] | None) -> list[Row]:
    d = daily_halls.c
    index = {span[0]: i for i, day in enumerate(days) if (span := daily_span(day))}
    first, end = daily_span(days[0]), daily_span(days[-1])
    assert first is not None and end is not None
    where = [d.day >= first[0], d.day < end[1]]
    if halls is not None:
        where.append(d.hall.in_(sorted(set(halls))))
    names = [n for n in _FIGURE_COUNTS if n != "closed_in_service"]
    query = (select(d.hall, d.day, *_daily_sums(names, daily_halls)).where(*where)
             .group_by(d.hall, d.day).order_by(d.hall, d.day))
    with store.reader.connect() as conn:
        rows = [_daily_row(r) for r in conn.execute(query).mappings()]
    out = []
    for r in rows:
        r["day"] = days[index[r["day"]]].label
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


def overtime(store: Store, period: Period, *, hall: str | None = None,
             source: str = "events") -> list[Row]:
    """Overtime transactions (completed and interrupted: figures.is_overtime_case) per hall by
    the staff's reason and the manager's recorded cause; `share` is the fraction 0–1 of the
    hall's overtime transactions. `source` as for figures()."""
    totals = {r["hall"]: r for r in figures(store, period, by=("hall",), hall=hall,
                                            handling_times=False, source=source)}
    span = daily_span(period) if source == "daily" else None
    rows = _overtime_rows(store, period, hall) if span is None else _daily_overtime(
        store, span, hall)
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


def _daily_overtime(store: Store, span: tuple[str, str], hall: str | None) -> list[Row]:
    d = daily_figures.c
    staff_reason = func.coalesce(d.overtime_reason, "(none)").label("staff_reason")
    cause = func.coalesce(d.review_cause, "(not reviewed)").label("manager_cause")
    query = (select(d.hall, staff_reason, cause,
                    *_daily_sums(("overtime", "overtime_with_s", "overtime_s_sum")),
                    func.coalesce(func.sum(d.overtime_reviewed), 0).label("reviewed"))
             .where(d.day >= span[0], d.day < span[1],
                    *([d.hall == hall] if hall is not None else []))
             .group_by(d.hall, staff_reason, cause).having(func.sum(d.overtime) > 0)
             .order_by(d.hall, staff_reason, cause))
    with store.reader.connect() as conn:
        rows = [_daily_row(r) for r in conn.execute(query).mappings()]
    for r in rows:
        r["reviewed"] = int(r["reviewed"])
        # AVG(overtime_s) of the scan: its sum over the overtime cases that have one
        r["mean_overtime"] = (r["overtime_s_sum"] / r["overtime_with_s"]
                              if r["overtime_with_s"] else None)
    return rows


def _overtime_rows(store: Store, period: Period, hall: str | None) -> list[Row]:
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
    with store.reader.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


STAR_COLUMNS = (
    "period", "hall", "staff", "completed", "rated", "rating_sum", "satisfied",
    "satisfaction_rate", "mean_rating", "participation_rate", "timed", "overtime",
    "overtime_rate", "service_level", "closed_in_service", "hours_signed_in", "serving_share",
    "upheld_appeals", "hall_rated",
    "hall_mean_rating", "score", "eligible", "rank", "star", "confirmed",
)


def stars(store: Store, period: Period, *, hall: str | None = None,
          rule: StarRule | None = None, hours: bool = True, source: str = "events") -> list[Row]:
    """Each hall's staff ranked for the month's service star by the counters' own rule
    (counter_core.figures.suggest_star: a minimum of ratings, a Bayesian-smoothed mean
    rating, ties by overtime rate). `confirmed` marks the manager's `star_confirmed` choice.
    `hours`: with the hours signed in and the serving share (a scan of the sign-ins; the
    ranking does not use them); `source` as for figures()."""
    rule = rule or StarRule()
    per_staff = figures(store, period, by=("hall", "staff"), hall=hall, hours=hours,
                        handling_times=hours, source=source)
    confirmed = _confirmed_stars(store, period.label, hall)
    out: list[Row] = []
    for hall_id in sorted({r["hall"] for r in per_staff}):
        rows = {r["staff"]: r for r in per_staff if r["hall"] == hall_id}
        suggestion = suggest_star([
            StaffMonth(staff=r["staff"], served=r["completed"], rated=r["rated"],
                       rating_sum=int(r["rating_sum"]), satisfied=r["satisfied"],
                       timed=r["timed"], overtime=r["overtime"], serving_s=r["serving_s"],
                       signed_in_s=r.get("signed_in_s", 0.0),
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


def chains(store: Store, *, hall: str | None = None, since_check: bool = False) -> list[Row]:
    """Chain-verification status per counter: every stored event re-hashed from its text
    (`since_check`: those stored since the last check, Store.verify); `demo` says "demo" for
    a chain of demo data (its first event is the demo marker)."""
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
        r["chain"] = store.verify(counter, since_check=since_check) or (
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
                       calendar: WorkCalendar | None = None,
                       source: str = "events") -> dict[str, int]:
    """Per hall, the poor ratings with no follow-up (`rating_followed_up`) past their 好差评
    deadline: `follow_up_days` working days after the rating's local day in `tz`, on head
    office's working-day calendar (weekends only when none was set). `source` "daily": from
    daily_follow_ups when `tz` is AGGREGATE_TIME_ZONE (their rated_day is its local day)."""
    from head_office.calendar import read_calendar

    moment = now or dt.datetime.now(dt.UTC)
    cal = calendar or read_calendar(store) or WorkCalendar()
    if source == "daily" and tz == AGGREGATE_TIME_ZONE:
        return _daily_overdue(store, hall, moment, tz, follow_up_days, cal)
    t = transactions.c
    query = poor_ratings_open([t.hall == hall] if hall is not None else [])
    out: dict[str, int] = defaultdict(int)
    with store.reader.connect() as conn:
        for row in conn.execute(query):
            if not rating_of(row):
                continue  # another transaction's rating within this one's span
            if is_overdue(row.at, moment, tz, follow_up_days, cal):
                out[row.hall] += 1
    return dict(out)


def _daily_overdue(store: Store, hall: str | None, moment: dt.datetime, tz: str,
                   follow_up_days: int, cal: WorkCalendar) -> dict[str, int]:
    """The open poor ratings of the local days past their deadline: a later day's deadline
    is never earlier (add_working_days keeps the order), so they are the days up to the last
    one overdue at `moment`."""
    day = periods.today(tz, moment)
    for _ in range(MAX_DEADLINE_DAYS):
        if moment >= due_moment(add_working_days(day, follow_up_days, cal), tz):
            break
        day -= dt.timedelta(days=1)
    else:
        return {}
    f = daily_follow_ups.c
    query = (select(f.hall, func.sum(f.open)).where(f.rated_day <= day.isoformat(),
                                                     *([f.hall == hall] if hall else []))
             .group_by(f.hall))
    with store.reader.connect() as conn:
        return {h: int(n) for h, n in conn.execute(query) if n}


#: how far back the deadline search goes (a year of holidays would not hold a rating longer)
MAX_DEADLINE_DAYS = 400


def halls(store: Store, *, hall: str | None = None, now: dt.datetime | None = None,
          tz: str = DEFAULT_TIME_ZONE,
          follow_up_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS,
          source: str = "events") -> list[Row]:
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
        appeals = (_daily_appeal_counts(conn, hall) if source == "daily"
                   else _appeal_counts(conn, hall))
    overdue = overdue_follow_ups(store, hall=hall, now=now, tz=tz,
                                 follow_up_days=follow_up_days, source=source)
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


def open_appeals(store: Store, *, hall: str) -> int:
    """The hall's appeals (申诉) no manager has decided yet: appealed transactions of the
    hall with no `appeal_decided` in any of its chains."""
    r, c = reviews.c, counters.c
    in_hall = reviews.join(counters, c.id == r.counter_id)

    def txns(kind: str) -> Any:
        return (select(r.txn).select_from(in_hall)
                .where(c.hall == hall, r.kind == kind, r.txn.is_not(None)))

    query = select(func.count(func.distinct(r.txn))).select_from(in_hall).where(
        c.hall == hall, r.kind == RATING_APPEALED, r.txn.is_not(None),
        r.txn.not_in(txns(APPEAL_DECIDED)))
    with store.reader.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _daily_appeal_counts(conn: Any, hall: str | None) -> dict[str, tuple[int, int]]:
    """_appeal_counts from the daily rows (all of them: all time)."""
    d = daily_halls.c
    query = (select(d.hall, func.sum(d.poor_ratings), func.sum(d.poor_upheld))
             .where(*([d.hall == hall] if hall is not None else [])).group_by(d.hall)
             .having(func.sum(d.poor_ratings) > 0))
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
