"""The manager's figures: the storage queries folded by counter_core.figures (local days, months).

Every local day and month is counted in the hall's time zone (an IANA name, `tz`), never in
the zone of the machine the code runs on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from counter_app.storage import queries
from counter_app.storage.db import Database, read_snapshot
from counter_core import figures as reports
from counter_core import periods
from counter_core.figures import StaffMonth, StarRule, StarSuggestion

#: The staff's one-press overtime reason, read as the manager's cause until a review says more.
STAFF_REASON_AS_CAUSE = {
    "complex": "complex_request", "several": "complex_request", "system": "system",
    "documents": "missing_documents", "other": "other",
}

def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'YYYY-MM' → (first day, last day); PeriodError (a ValueError) names the expected form."""
    first = periods.parse_month(text)
    return first, periods.next_month(first) - dt.timedelta(days=1)


def month_bounds_utc(month: str, tz: str = periods.DEFAULT_TIME_ZONE) -> tuple[str, str]:
    """[first day 00:00, next month's first day 00:00) of `month` in the zone `tz`, as UTC."""
    parse_month(month)  # the message names the expected form
    period = periods.month_period(month, tz)
    return period.start_utc, period.end_utc


class LocalDays:
    """UTC ISO time → local date, cached per UTC hour (a year of rows converts in a few ms).

    With `weeks=True` the date is the Monday of that local week. `tz` is the hall's zone (an
    IANA name or a tzinfo); None means this machine's zone, kept only for older callers.
    """

    def __init__(self, tz: dt.tzinfo | str | None = None, *, weeks: bool = False) -> None:
        self._tz = periods.zone(tz) if isinstance(tz, str) else tz
        self._weeks = weeks
        self._cache: dict[str, dt.date] = {}

    @property
    def tz(self) -> dt.tzinfo | None:
        return self._tz

    def __call__(self, at: str) -> dt.date:
        hour = at[:13]
        day = self._cache.get(hour)
        if day is None:
            moment = dt.datetime.fromisoformat(hour + ":00:00+00:00")
            day = moment.astimezone(self._tz).date()  # tz None: the machine's zone (legacy)
            if self._weeks:
                day -= dt.timedelta(days=day.weekday())
            self._cache[hour] = day
        return day


def best_cause(row: dict[str, Any]) -> str | None:
    """The manager's cause when reviewed, else the staff's reason mapped onto the same list."""
    if row.get("cause"):
        return str(row["cause"])
    reason = row.get("overtime_reason")
    return STAFF_REASON_AS_CAUSE.get(reason, "other") if reason else None


def cause_counts(rows: Sequence[dict[str, Any]]) -> Counter[str]:
    """Overtime cases (completed and interrupted) per cause (best known), for the Pareto."""
    counts: Counter[str] = Counter()
    for row in rows:
        if reports.is_overtime_case(row):
            counts[best_cause(row) or "unknown"] += 1
    return counts




def _hour(moment: dt.datetime) -> str:
    return moment.isoformat()[:13]  # "YYYY-MM-DDTHH" of an aware UTC time


def day_spans(start: str, end: str,
              day_of: Callable[[str], dt.date]) -> list[tuple[dt.date, str, str]]:
    """[start, end) cut into (day, lo, hi): the started_at values `day_of` puts on each day.

    Cuts fall on UTC hours, as `LocalDays` maps whole UTC hours; a started_at of hour H is
    >= "YYYY-MM-DDTHH" and < the next hour's prefix, so the spans group exactly as day_of.
    The first guess of each cut is the next midnight in `day_of`'s zone (UTC when unknown);
    the cut is then moved to where `day_of` changes, so the guess affects speed only.
    """
    guess_tz = getattr(day_of, "tz", None) or dt.UTC
    hour_step = dt.timedelta(hours=1)
    moment = periods.parse_utc(start).replace(minute=0, second=0, microsecond=0)
    stop = periods.parse_utc(end)
    spans, lo = [], start
    while moment < stop:
        day = day_of(_hour(moment))
        # a guess (the next local midnight), then moved to the first hour of another day
        cut = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(),
                                  tzinfo=guess_tz).astimezone(dt.UTC)
        cut = max(cut.replace(minute=0, second=0, microsecond=0), moment + hour_step)
        while day_of(_hour(cut)) == day:
            cut += dt.timedelta(days=1)
        while cut - hour_step > moment and day_of(_hour(cut - hour_step)) != day:
            cut -= hour_step
        hi = end if cut >= stop else _hour(cut)
        spans.append((day, lo, hi))
        lo, moment = hi, cut
    return spans


def kpi_report(db: Database, start: str, end: str,
               day_of: Callable[[str], dt.date], staff: str | None = None,
               type_: str | None = None,
               spans: Sequence[tuple[dt.date, str, str]] | None = None) -> reports.KpiReport:
    """The KPI tab's numbers for [start, end) and a staff/type filter, from aggregate queries,
    all read in one snapshot: the cards and charts agree while the counter or the hall commits.

    Pass `spans` (from `day_spans`) to reuse them across filter changes.
    """
    if spans is None:
        spans = day_spans(start, end, day_of)
    with read_snapshot(db.conn):
        counts = queries.completed_counts(db, [(lo, hi) for _, lo, hi in spans], staff, type_)
        others = queries.other_counts(db, start, end, staff, type_)
        cases = queries.overtime_cases(db, start, end, staff, type_)
        durations = queries.durations(db, start, end, staff, type_)
        bands = queries.handling_bands(db, start, end, staff, type_)
        upheld = queries.upheld_appeals(db, start, end, staff, type_)
    days = [reports.DayCounts(day, c[0], c[1], c[2], (c[3], c[4], c[5], c[6], c[7]))
            for (day, _, _), c in zip(spans, counts, strict=True)]
    causes: Counter[str] = Counter()
    for cause, reason, count in cases:
        causes[best_cause({"cause": cause, "overtime_reason": reason}) or "unknown"] += count
    return reports.kpi_report_from_counts(days, durations, bands, others["voided"],
                                          others["interrupted"], causes,
                                          upheld_appeals=upheld)


@dataclass(frozen=True)
class MonthReport:
    """A month at this counter: per-staff summary, suggested and confirmed star."""

    month: str
    staff: list[StaffMonth]
    suggestion: StarSuggestion
    names: dict[str, str]
    confirmed: dict[str, Any] | None = None
    totals: reports.Kpis = field(default_factory=lambda: reports.kpis([]))

    def name(self, number: str | None) -> str:
        return self.names.get(number or "", number or "")

    def score(self, number: str) -> float | None:
        for c in self.suggestion.ranking:
            if c.staff == number:
                return c.score
        return None


def month_report(db: Database, month: str, rule: StarRule | None = None, *,
                 tz: str = periods.DEFAULT_TIME_ZONE) -> MonthReport:
    """The month YYYY-MM (local days in the zone `tz`) at this counter."""
    start, end = month_bounds_utc(month, tz)
    rows = queries.kpi_rows(db, start, end)
    signed = reports.signed_in_seconds(queries.sessions(db, start, end), start, end)
    away = reports.away_seconds(queries.away_entries(db, start, end), start, end)
    summary = [s for s in reports.monthly_summary(rows, signed, away)
               if s.served or s.signed_in_s or s.timed or s.closed_in_service]
    return MonthReport(
        month=month, staff=summary, suggestion=reports.suggest_star(summary, rule),
        names=queries.staff_names(db), confirmed=queries.confirmed_star(db, month),
        totals=reports.kpis(rows),
    )


SUMMARY_COLUMNS: tuple[str, ...] = (
    "month", "staff", "staff_name", "served", "rated", "mean_rating", "satisfaction_rate",
    "overtime_rate", "participation_rate", "hours_signed_in", "hours_away", "serving_share",
    "closed_in_service", "upheld_appeals", "star_score", "suggested_star", "confirmed_star",
)


def summary_records(report: MonthReport) -> list[dict[str, Any]]:
    """One export row per staff member (rates as fractions 0–1, rounded)."""
    star = report.suggestion.star.staff if report.suggestion.star else None
    confirmed = report.confirmed["staff"] if report.confirmed else None

    def r(value: float | None, places: int = 4) -> float | None:
        return None if value is None else round(value, places)

    return [
        {
            "month": report.month, "staff": s.staff, "staff_name": report.name(s.staff),
            "served": s.served, "rated": s.rated, "mean_rating": r(s.mean_rating, 3),
            "satisfaction_rate": r(s.satisfaction_rate), "overtime_rate": r(s.overtime_rate),
            "participation_rate": r(s.participation_rate),
            "hours_signed_in": round(s.signed_in_s / 3600, 2),
            "hours_away": round(s.away_s / 3600, 2),
            "serving_share": r(s.serving_share), "closed_in_service": s.closed_in_service,
            "upheld_appeals": s.upheld_appeals,
            "star_score": r(report.score(s.staff), 3),
            "suggested_star": "yes" if s.staff == star else "",
            "confirmed_star": "yes" if s.staff == confirmed else "",
        }
        for s in report.staff
    ]


OVERTIME_COLUMNS: tuple[str, ...] = (
    "id", "started_at", "local_time", "hall", "counter", "staff", "staff_name", "type",
    "target_s", "duration_s", "overtime_s", "staff_reason", "rating", "rating_reason",
    "reviewed", "cause", "note", "reviewed_by", "reviewed_at", "order_no",
)


def overtime_records(rows: Sequence[dict[str, Any]],
                     tz: str = periods.DEFAULT_TIME_ZONE) -> list[dict[str, Any]]:
    """The overtime log as export rows (times in UTC ISO plus wall time in the zone `tz`)."""
    out = []
    for row in rows:
        local = periods.local_time(row["started_at"], tz)
        out.append({
            "id": row["txn"], "started_at": row["started_at"],
            "local_time": local.strftime("%Y-%m-%d %H:%M:%S"), "hall": row["hall"],
            "counter": row["counter"], "staff": row["staff"], "staff_name": row["staff_name"],
            "type": row["type"], "target_s": row["target_s"],
            "duration_s": round(float(row["duration_s"]), 1),
            "overtime_s": reports.overtime_tenths(row),  # rounded up: never 0.0 here
            "staff_reason": row["overtime_reason"], "rating": row["rating"],
            "rating_reason": row["rating_reason"], "reviewed": "yes" if row["cause"] else "no",
            "cause": row["cause"], "note": row["note"], "reviewed_by": row["reviewed_by"],
            "reviewed_at": row["reviewed_at"], "order_no": row.get("order_no"),
        })
    return out
