"""Head office reports across halls: service level, overtime causes, service stars, chains.

Every row carries the counts it is computed from, so a reader can re-check each percentage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from counter_core.figures import StaffMonth, StarRule, suggest_star
from counter_core.ratings import SATISFIED_RATINGS
from counter_core.tables import write_csv, xlsx_bytes
from head_office.schema import conflicts, counters, events, rejected, transactions
from head_office.store import Store

Row = dict[str, Any]

GROUPINGS = ("hall", "counter", "staff")


@dataclass(frozen=True)
class Period:
    """[start_utc, end_utc) as the ISO strings events carry, and its label."""

    label: str
    start_utc: str
    end_utc: str


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _zone(tz: str | None) -> dt.tzinfo | None:
    return ZoneInfo(tz) if tz else None


def month_period(month: str, tz: str | None = None) -> Period:
    """The calendar month YYYY-MM in the given time zone (default: this machine's)."""
    try:
        first = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"expected a month YYYY-MM, got {month!r}") from None
    after = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Period(month, _local_midnight_utc(first, tz), _local_midnight_utc(after, tz))


def day_period(day: dt.date, tz: str | None = None) -> Period:
    return Period(day.isoformat(), _local_midnight_utc(day, tz),
                  _local_midnight_utc(day + dt.timedelta(days=1), tz))


def _local_midnight_utc(day: dt.date, tz: str | None) -> str:
    zone = _zone(tz)
    moment = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return _utc(moment if zone else moment.astimezone())


# ---- figures ------------------------------------------------------------------------------

def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _aggregates() -> list[Any]:
    t = transactions.c
    done = t.status == "completed"
    timed = and_(done, t.target_s.is_not(None))
    rated = and_(done, t.rating.is_not(None))
    return [
        _count(done).label("completed"),
        _count(timed).label("timed"),
        _count(and_(timed, func.coalesce(t.overtime_s, 0.0) <= 0)).label("within_target"),
        _count(rated).label("rated"),
        _count(and_(rated, t.rating.in_(sorted(SATISFIED_RATINGS)))).label("satisfied"),
        _count(t.status == "voided").label("voided"),
        _count(t.status == "interrupted").label("interrupted"),
        func.coalesce(func.sum(case((rated, t.rating), else_=0)), 0).label("rating_sum"),
        func.coalesce(func.sum(case((done, t.duration_s), else_=0.0)), 0.0).label("duration_sum"),
    ]


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _finish(row: Row) -> Row:
    """Add the rates computed from the counts (None where there is nothing to divide by)."""
    row["overtime"] = row["timed"] - row["within_target"]
    row["service_level_pct"] = _pct(row["within_target"], row["timed"])
    row["satisfaction_pct"] = _pct(row["satisfied"], row["rated"])
    row["participation_pct"] = _pct(row["rated"], row["completed"])
    row["mean_rating"] = round(row["rating_sum"] / row["rated"], 2) if row["rated"] else None
    row["mean_duration_s"] = (round(float(row["duration_sum"]) / row["completed"], 1)
                              if row["completed"] else None)
    del row["duration_sum"]
    return row


def figures(store: Store, period: Period, *, by: Sequence[str] = ("hall",),
            hall: str | None = None) -> list[Row]:
    """Counts and rates of transactions started in the period, grouped by hall/counter/staff."""
    for name in by:
        if name not in GROUPINGS:
            raise ValueError(f"cannot group by {name!r}; expected {', '.join(GROUPINGS)}")
    keys = [transactions.c[name] for name in by]
    query = (
        select(*keys, *_aggregates())
        .where(transactions.c.started_at >= period.start_utc,
               transactions.c.started_at < period.end_utc)
        .group_by(*keys).order_by(*keys)
    )
    if hall is not None:
        query = query.where(transactions.c.hall == hall)
    with store.reader.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return [_finish({"period": period.label, **r}) for r in rows]


SERVICE_LEVEL_COLUMNS = (
    "period", "hall", "counter", "staff", "completed", "timed", "within_target", "overtime",
    "service_level_pct", "rated", "satisfied", "satisfaction_pct", "participation_pct",
    "mean_rating", "mean_duration_s", "voided", "interrupted",
)


def service_level(store: Store, period: Period, *, by: str = "hall",
                  hall: str | None = None) -> list[Row]:
    """Service level (timed transactions within target) and satisfaction, per hall/counter/staff."""
    grouping = GROUPINGS[: GROUPINGS.index(by) + 1] if by != "staff" else ("hall", "staff")
    return figures(store, period, by=grouping, hall=hall)


OVERTIME_COLUMNS = (
    "period", "hall", "staff_reason", "manager_cause", "overtime", "hall_overtime",
    "share_pct", "hall_timed", "mean_overtime_s", "reviewed",
)


def overtime(store: Store, period: Period, *, hall: str | None = None) -> list[Row]:
    """Overtime transactions per hall by the staff's reason and the manager's recorded cause."""
    t = transactions.c
    over = and_(t.status == "completed", t.target_s.is_not(None), t.overtime_s > 0,
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
            "hall_overtime": total["overtime"], "share_pct": _pct(r["overtime"], total["overtime"]),
            "hall_timed": total["timed"], "reviewed": r["reviewed"],
            "mean_overtime_s": round(float(r["mean_overtime"] or 0.0), 1),
        })
    return out


STAR_COLUMNS = (
    "period", "hall", "staff", "completed", "rated", "rating_sum", "satisfied",
    "satisfaction_pct", "mean_rating", "participation_pct", "timed", "overtime",
    "service_level_pct", "hall_rated", "hall_mean_rating", "score", "eligible", "rank", "star",
    "confirmed",
)


def stars(store: Store, period: Period, *, hall: str | None = None,
          rule: StarRule | None = None) -> list[Row]:
    """Each hall's staff ranked for the month's service star by the counters' own rule
    (counter_core.figures.suggest_star: a minimum of ratings, a Bayesian-smoothed mean
    rating, ties by overtime rate). `confirmed` marks the manager's `star_confirmed` choice."""
    rule = rule or StarRule()
    per_staff = figures(store, period, by=("hall", "staff"), hall=hall)
    confirmed = _confirmed_stars(store, period.label, hall)
    out: list[Row] = []
    for hall_id in sorted({r["hall"] for r in per_staff}):
        rows = {r["staff"]: r for r in per_staff if r["hall"] == hall_id}
        suggestion = suggest_star([
            StaffMonth(staff=r["staff"], served=r["completed"], rated=r["rated"],
                       rating_sum=int(r["rating_sum"]), satisfied=r["satisfied"],
                       timed=r["timed"], overtime=r["overtime"], serving_s=0.0, signed_in_s=0.0)
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
        .where(events.c.kind == "star_confirmed").order_by(events.c.at)
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
    "conflicts", "rejected", "revoked_at",
)


def chains(store: Store, *, hall: str | None = None) -> list[Row]:
    """Chain-verification status per counter: every stored event re-hashed from its text."""
    out: list[Row] = []
    with store.reader.connect() as conn:
        def count(table: Any, counter_id: int) -> int:
            return int(conn.execute(select(func.count()).select_from(table)
                                    .where(table.c.counter_id == counter_id)).scalar_one())

        query = select(counters).order_by(counters.c.hall, counters.c.counter)
        if hall is not None:
            query = query.where(counters.c.hall == hall)
        rows = conn.execute(query).all()
        for row in rows:
            out.append({
                "hall": row.hall, "counter": row.counter, "events": count(events, row.id),
                "high_water_seq": row.hw_seq, "last_event_at": row.last_event_at,
                "last_sync_at": row.last_sync_at, "conflicts": count(conflicts, row.id),
                "rejected": count(rejected, row.id), "revoked_at": row.revoked_at,
            })
    for r, counter in zip(out, store.counters(hall), strict=True):
        r["chain"] = store.verify(counter) or "ok"
    return out


INCIDENT_COLUMNS = (
    "hall", "counter", "incident", "seq", "reason", "stored_hash", "offered_hash", "first_at",
    "last_at", "times",
)


def incidents(store: Store, *, hall: str | None = None) -> list[Row]:
    """Every recorded conflict (same sequence number, another hash) and rejected event."""
    out: list[Row] = []
    with store.reader.connect() as conn:
        for name, table in (("conflict", conflicts), ("rejected", rejected)):
            query = (select(counters.c.hall, counters.c.counter, table)
                     .join(counters, counters.c.id == table.c.counter_id)
                     .order_by(counters.c.hall, counters.c.counter, table.c.seq, table.c.id))
            if hall is not None:
                query = query.where(counters.c.hall == hall)
            for r in conn.execute(query).mappings():
                out.append({
                    "hall": r["hall"], "counter": r["counter"], "incident": name,
                    "seq": r["seq"],
                    "reason": (r["reason"] if name == "rejected" else
                               "head office holds another event with this sequence number"),
                    "stored_hash": r.get("stored_hash"), "offered_hash": r.get("offered_hash"),
                    "first_at": r["first_at"], "last_at": r["last_at"], "times": r["times"],
                })
    return out


# ---- output -------------------------------------------------------------------------------

def write(rows: Sequence[Row], columns: Sequence[str], fmt: str, out: IO[str] | Path) -> int:
    """Write rows as CSV (to a text stream or file) or XLSX (to a file)."""
    cols = tuple(c for c in columns if not rows or c in rows[0])
    if fmt == "csv":
        if isinstance(out, Path):
            with out.open("w", encoding="utf-8", newline="") as handle:
                return write_csv(rows, cols, handle)
        return write_csv(rows, cols, out)
    if fmt == "xlsx":
        if not isinstance(out, Path):
            raise ValueError("XLSX needs an output file: give --output FILE.xlsx")
        out.write_bytes(xlsx_bytes(rows, cols, out.stem))
        return len(rows)
    raise ValueError(f"unknown format {fmt!r}; expected csv or xlsx")
