"""The one definition of every figure: KPIs, chart series, the monthly summary, the star rule.

Rows are transaction rows as the projection stores them (mappings with `status`, `duration_s`,
`target_s`, `overtime_s`, `rating`, `staff`, `type`, `started_at`, and for the monthly summary
`interrupted_reason`). No Qt, no database: the counter's SQLite queries
(counter_app.storage.queries) and head office's reports (head_office.reports) count with the
SQL spellings of the predicates defined here (`timed_sql`, `overtime_sql`, `satisfied_sql`,
`poor_sql`), and tests/figures holds all three equal.

Service level and overtime count the *timed* transactions (`is_timed`): completed ones against
a target, and interrupted ones (the app closed or crashed during service) with the time they
had, so closing the app cannot take a transaction out of the figures. Served, handling times
and every rating figure count completed transactions only (an interrupted one is not rated).

Rates are fractions 0–1 (or None when there is nothing to divide by) everywhere; only screens
show them as percentages.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from counter_core.events import AWAY_ENDED, AWAY_STARTED, SIGNED_IN, SIGNED_OUT
from counter_core.periods import format_utc, parse_utc
from counter_core.ratings import POOR_RATINGS, SATISFIED_RATINGS

# the overtime rule itself lives with the timer (the counter's start needs it, not the rest)
from counter_core.timer import MILLIS_PER_SECOND, exceeds_target, millis, overtime_millis

Row = Mapping[str, Any]

__all__ = [
    "AWAY_READ_KINDS",
    "CLOSED_REASON",
    "HANDLING_EDGES",
    "MILLIS_PER_SECOND",
    "POOR_RATINGS",
    "SATISFIED_RATINGS",
    "SERVING_STATUSES",
    "SESSION_KINDS",
    "SESSION_LOOKBACK",
    "AwayEntry",
    "Bin",
    "DayCounts",
    "DayPoint",
    "KpiReport",
    "Kpis",
    "ParetoBar",
    "SatisfactionBin",
    "SessionEntry",
    "StaffMonth",
    "StarCandidate",
    "StarRule",
    "StarSuggestion",
    "away_entry",
    "away_seconds",
    "counted_rating",
    "daily_trend",
    "exceeds_target",
    "handling_band_sql",
    "histogram",
    "hours_away",
    "hours_signed_in",
    "is_overtime",
    "is_overtime_case",
    "is_timed",
    "is_upheld_appeal",
    "kpi_report_from_counts",
    "kpis",
    "median",
    "millis",
    "millis_sql",
    "monthly_summary",
    "overtime_millis",
    "overtime_rate",
    "overtime_seconds",
    "overtime_sql",
    "overtime_tenths",
    "pareto",
    "participation_rate",
    "percentile",
    "poor_sql",
    "rate",
    "rating_distribution",
    "satisfaction_by_handling",
    "satisfaction_rate",
    "satisfied_sql",
    "service_level",
    "serving_share",
    "session_entry",
    "sessions_read_from",
    "signed_in_seconds",
    "smoothed_score",
    "sorted_histogram",
    "still_away",
    "suggest_star",
    "timed_sql",
]


# ---- statistics -----------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float, *, presorted: bool = False) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks; None if empty.

    The same definition as numpy's default and spreadsheet PERCENTILE.INC.
    """
    if not values:
        return None
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be between 0 and 1, got {q}")
    data = values if presorted else sorted(values)
    pos = (len(data) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return float(data[lo] + (data[hi] - data[lo]) * (pos - lo))


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def rate(part: int, whole: int) -> float | None:
    """part ÷ whole as a fraction 0–1; None when there is nothing to divide by."""
    return part / whole if whole else None



def service_level(within_target: int, timed: int) -> float | None:
    """Share of the timed transactions (`is_timed`) done within their target."""
    return rate(within_target, timed)


def satisfaction_rate(satisfied: int, rated: int) -> float | None:
    """满意率: ratings 4–5 (SATISFIED_RATINGS) ÷ all ratings."""
    return rate(satisfied, rated)


def participation_rate(rated: int, completed: int) -> float | None:
    """Rated ÷ completed transactions."""
    return rate(rated, completed)


def overtime_rate(overtime: int, timed: int) -> float | None:
    """Overtime ÷ timed transactions (`is_timed`; 1 − service level)."""
    return rate(overtime, timed)


# ---- the overtime predicate -------------------------------------------------------------------

def is_overtime(row: Row) -> bool:
    """`exceeds_target` of a transaction row (whatever its status; callers pick completed)."""
    return exceeds_target(row.get("duration_s"), row.get("target_s"))


def is_timed(row: Row) -> bool:
    """Counted in service level and overtime: a transaction with a target and a known time
    that either completed or was interrupted (the app closed or crashed during service).

    An interrupted one counts with the time it had when it was interrupted (its duration_s).
    Counters from 0.2.0 record an interrupted timed transaction's `overtime_s` beside it
    (counter_core.transaction.interrupted_overtime); an older interrupted event carries none
    and is not counted, so the figures of months already reported do not change, and a
    transaction counted as overtime is always one of the review queue's overtime cases.
    """
    if row.get("target_s") is None or row.get("duration_s") is None:
        return False
    status = row["status"]
    return status == "completed" or (status == "interrupted"
                                     and row.get("overtime_s") is not None)


def is_overtime_case(row: Row) -> bool:
    """A timed transaction (`is_timed`) over its target: counted as overtime, listed in the
    review queue, the overtime log and the Pareto of causes."""
    return is_timed(row) and is_overtime(row)


#: The interrupted event's `reason` when the clerk closed the app during service (the
#: "closes during service" figure per clerk); "shutdown" (the OS) and crash recovery differ.
CLOSED_REASON = "closed"


def overtime_tenths(row: Row) -> float:
    """A row's overtime for exports: seconds rounded UP to 0.1 s (180.04 s against 180 s is
    0.1, never 0.0), 0.0 when the row is not overtime."""
    ms = overtime_millis(row.get("duration_s"), row.get("target_s"))
    return -(-ms // 100) / 10


def overtime_seconds(row: Row) -> int:
    """A row's overtime for screens: whole seconds rounded UP (an overtime case never shows
    "+00:00"), 0 when the row is not overtime."""
    return -(-overtime_millis(row.get("duration_s"), row.get("target_s")) // MILLIS_PER_SECOND)


# ---- the same predicates in SQL ---------------------------------------------------------------

#: How each database truncates a double toward zero (PostgreSQL's CAST rounds instead).
_TRUNCATE = {"sqlite": "CAST({} AS INTEGER)", "postgresql": "trunc({})"}


def millis_sql(seconds: str, dialect: str = "sqlite") -> str:
    """`millis` as an SQL expression over the SQL expression `seconds`."""
    try:
        truncate = _TRUNCATE[dialect]
    except KeyError:
        raise ValueError(f"no SQL spelling of millis for {dialect!r}") from None
    return truncate.format(f"({seconds}) * {MILLIS_PER_SECOND} + 0.5")


def overtime_sql(duration: str = "duration_s", target: str = "target_s",
                 dialect: str = "sqlite") -> str:
    """`exceeds_target` as an SQL condition: true or false, never NULL."""
    return (f"({target} IS NOT NULL AND {duration} IS NOT NULL"
            f" AND {millis_sql(duration, dialect)} > {millis_sql(target, dialect)})")


def timed_sql(prefix: str = "") -> str:
    """`is_timed` as an SQL condition over a transactions row (columns `prefix` + name)."""
    p = prefix
    return (f"({p}target_s IS NOT NULL AND {p}duration_s IS NOT NULL"
            f" AND ({p}status = 'completed'"
            f" OR ({p}status = 'interrupted' AND {p}overtime_s IS NOT NULL)))")


def satisfied_sql(rating: str = "rating") -> str:
    """A rating in SATISFIED_RATINGS, as an SQL condition (NULL when not rated)."""
    return f"{rating} IN ({', '.join(str(v) for v in sorted(SATISFIED_RATINGS))})"


def poor_sql(rating: str = "rating") -> str:
    """A rating in POOR_RATINGS, as an SQL condition spelt `rating <= 2` (the form the
    counter's partial index on poor ratings is declared with)."""
    worst = max(POOR_RATINGS)
    assert frozenset(range(1, worst + 1)) == POOR_RATINGS, "poor ratings are the lowest ones"
    return f"{rating} <= {worst}"


# ---- appeals: an upheld appeal takes a rating out of the figures -------------------------------

def counted_rating(row: Row) -> int | None:
    """The rating a row counts with: None when not rated, or when an upheld appeal (申诉)
    took it out (`appeal_upheld`, counter_core.appeals.is_upheld). The rating stays in the
    log and the projection; it is shown separately as an upheld appeal."""
    rating = row.get("rating")
    if rating is None or row.get("appeal_upheld"):
        return None
    return int(rating)


def is_upheld_appeal(row: Row) -> bool:
    """A completed, rated transaction whose rating an upheld appeal took out."""
    return (row["status"] == "completed" and row.get("rating") is not None
            and bool(row.get("appeal_upheld")))


# ---- KPIs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kpis:
    """The headline numbers for a period; rates are 0–1 or None when there is nothing to rate."""

    served: int
    timed: int
    within_target: int
    overtime: int
    rated: int
    satisfied: int
    poor: int
    voided: int
    interrupted: int
    median_s: float | None
    p90_s: float | None
    mean_rating: float | None
    #: ratings an upheld appeal took out of rated/satisfied/poor/mean (shown separately)
    upheld_appeals: int = 0

    @property
    def service_level(self) -> float | None:
        """Share of timed transactions (`is_timed`) done within their target."""
        return service_level(self.within_target, self.timed)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: ratings 4–5 ÷ all ratings."""
        return satisfaction_rate(self.satisfied, self.rated)

    @property
    def participation_rate(self) -> float | None:
        """Rated ÷ completed."""
        return participation_rate(self.rated, self.served)

    @property
    def overtime_rate(self) -> float | None:
        """Overtime ÷ timed transactions (`is_timed`)."""
        return overtime_rate(self.overtime, self.timed)


def kpis(rows: Iterable[Row]) -> Kpis:
    """Served, service level, median and p90 handling time, overtime, satisfaction, etc.

    Service level and overtime count `is_timed` transactions (interrupted ones included);
    served, handling times and ratings count completed ones."""
    durations: list[float] = []
    ratings: list[int] = []
    timed = within = voided = interrupted = upheld = 0
    for row in rows:
        status = row["status"]
        if status == "voided":
            voided += 1
            continue
        if status == "interrupted":
            interrupted += 1
            if is_timed(row):
                timed += 1
                within += not is_overtime(row)
            continue
        if status != "completed":
            continue
        duration = float(row["duration_s"])
        durations.append(duration)
        target = row.get("target_s")
        if target is not None:
            timed += 1
            if not exceeds_target(duration, target):
                within += 1
        rating = counted_rating(row)
        if rating is not None:
            ratings.append(rating)
        else:
            upheld += is_upheld_appeal(row)
    durations.sort()
    return Kpis(
        served=len(durations), timed=timed, within_target=within, overtime=timed - within,
        rated=len(ratings), satisfied=sum(1 for r in ratings if r in SATISFIED_RATINGS),
        poor=sum(1 for r in ratings if r in POOR_RATINGS), voided=voided,
        interrupted=interrupted,
        median_s=percentile(durations, 0.5, presorted=True),
        p90_s=percentile(durations, 0.9, presorted=True),
        mean_rating=sum(ratings) / len(ratings) if ratings else None,
        upheld_appeals=upheld,
    )


# ---- chart series ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Bin:
    low: float
    high: float | None  # None: the open last bin ("and more")
    count: int


def histogram(durations: Iterable[float], bin_s: float = 30.0, max_s: float = 900.0) -> list[Bin]:
    """Counts per `bin_s`-wide bin from 0 to `max_s`, plus one open bin for longer ones."""
    if bin_s <= 0 or max_s <= 0:
        raise ValueError("bin width and maximum must be positive")
    n = math.ceil(max_s / bin_s)
    counts = [0] * (n + 1)
    for d in durations:
        counts[min(n, max(0, int(d // bin_s)))] += 1
    bins = [Bin(i * bin_s, (i + 1) * bin_s, counts[i]) for i in range(n)]
    bins.append(Bin(n * bin_s, None, counts[n]))
    return bins


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    served: int
    service_level: float | None
    satisfaction_rate: float | None


def daily_trend(rows: Iterable[Row], day_of: Callable[[str], dt.date]) -> list[DayPoint]:
    """Service level and satisfaction per (local) day, oldest first; `day_of` maps started_at.

    Pass a `day_of` that returns the week's Monday for a weekly trend.
    """
    # per day: [served, timed, within, rated, satisfied]
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows:
        completed = row["status"] == "completed"
        timed = is_timed(row)
        if not (completed or timed):
            continue
        acc = per_day[day_of(row["started_at"])]
        acc[0] += completed
        if timed:
            acc[1] += 1
            acc[2] += not is_overtime(row)
        if not completed:
            continue  # an interrupted transaction is not rated
        rating = counted_rating(row)
        if rating is not None:
            acc[3] += 1
            acc[4] += rating in SATISFIED_RATINGS
    return [DayPoint(day, acc[0], service_level(acc[2], acc[1]),
                     satisfaction_rate(acc[4], acc[3]))
            for day, acc in sorted(per_day.items())]


@dataclass(frozen=True)
class ParetoBar:
    cause: str
    count: int
    cumulative: float  # share of all causes up to and including this one, 0–1


def pareto(counts: Mapping[str, int]) -> list[ParetoBar]:
    """Causes from most to least frequent (ties by name) with the cumulative share."""
    total = sum(counts.values())
    bars, running = [], 0
    for cause, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if count <= 0:
            continue
        running += count
        bars.append(ParetoBar(cause, count, running / total))
    return bars


def rating_distribution(rows: Iterable[Row]) -> dict[int, int]:
    """How many completed transactions got each rating 1–5."""
    counts = Counter(rating for r in rows
                     if r["status"] == "completed" and (rating := counted_rating(r)) is not None)
    return {value: counts.get(value, 0) for value in (1, 2, 3, 4, 5)}


#: Handling time as a share of the target: the bins of "does overtime cost satisfaction?".
HANDLING_EDGES: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class SatisfactionBin:
    low: float  # share of target, inclusive
    high: float | None  # exclusive; None: open
    rated: int
    satisfaction_rate: float | None
    mean_rating: float | None


def satisfaction_by_handling(rows: Iterable[Row],
                             edges: Sequence[float] = HANDLING_EDGES) -> list[SatisfactionBin]:
    """Satisfaction of rated, timed transactions binned by handling time ÷ target."""
    bounds = [0.0, *edges]
    groups: list[list[int]] = [[] for _ in bounds]
    for row in rows:
        rating = counted_rating(row)
        if row["status"] != "completed" or rating is None or not row.get("target_s"):
            continue
        ratio = float(row["duration_s"]) / float(row["target_s"])
        groups[bisect.bisect_right(edges, ratio)].append(rating)
    out = []
    for i, ratings in enumerate(groups):
        high = bounds[i + 1] if i + 1 < len(bounds) else None
        sat = sum(1 for r in ratings if r in SATISFIED_RATINGS)
        out.append(SatisfactionBin(bounds[i], high, len(ratings),
                                   satisfaction_rate(sat, len(ratings)),
                                   sum(ratings) / len(ratings) if ratings else None))
    return out


# ---- the KPI tab from aggregates --------------------------------------------------------------

@dataclass(frozen=True)
class DayCounts:
    """One day (or week): what `daily_trend` and `kpis` count: completed transactions
    (served, ratings) and timed ones (`is_timed`, interrupted ones included)."""

    day: dt.date
    served: int
    timed: int
    within_target: int
    ratings: tuple[int, int, int, int, int]  # how many ratings 1, 2, 3, 4 and 5


@dataclass(frozen=True)
class KpiReport:
    """Everything the KPI tab shows for one filter, equal to the row-wise functions' results."""

    kpis: Kpis
    durations: list[float]  # completed transactions' handling times, sorted
    trend: list[DayPoint]
    ratings: dict[int, int]
    satisfaction: list[SatisfactionBin]
    causes: Mapping[str, int]

    def histogram(self, bin_s: float = 30.0, max_s: float = 900.0) -> list[Bin]:
        return sorted_histogram(self.durations, bin_s, max_s)


def sorted_histogram(durations: Sequence[float], bin_s: float = 30.0,
                     max_s: float = 900.0) -> list[Bin]:
    """`histogram` of already sorted durations, by bisection where that is exact."""
    if bin_s <= 0 or max_s <= 0:
        raise ValueError("bin width and maximum must be positive")
    if not float(bin_s).is_integer() or (durations and abs(durations[-1]) >= 2.0 ** 52):
        return histogram(durations, bin_s, max_s)
    # with an integral width, d // bin_s >= i exactly when d >= i × bin_s (both sides exact)
    n = math.ceil(max_s / bin_s)
    cuts = [bisect.bisect_left(durations, i * bin_s) for i in range(1, n + 1)]
    counts = [cuts[0], *(cuts[i] - cuts[i - 1] for i in range(1, n)), len(durations) - cuts[-1]]
    bins = [Bin(i * bin_s, (i + 1) * bin_s, counts[i]) for i in range(n)]
    bins.append(Bin(n * bin_s, None, counts[n]))
    return bins


def handling_band_sql(ratio: str, edges: Sequence[float] = HANDLING_EDGES) -> str:
    """The band `satisfaction_by_handling` puts a duration/target `ratio` in (the number of
    edges at or below it, as `bisect_right`), as an SQL expression over the expression `ratio`."""
    whens = " ".join(f"WHEN {ratio} < {float(edge)!r} THEN {i}" for i, edge in enumerate(edges))
    return f"CASE {whens} ELSE {len(edges)} END"


#: Per handling band: (rated, sum of the ratings, satisfied) of the rated, targeted ones.
BandCounts = tuple[int, int, int]


def kpi_report_from_counts(days: Iterable[DayCounts], durations: Iterable[float],
                           bands: Sequence[BandCounts], voided: int = 0,
                           interrupted: int = 0, causes: Mapping[str, int] | None = None,
                           edges: Sequence[float] = HANDLING_EDGES,
                           upheld_appeals: int = 0) -> KpiReport:
    """`kpis`, `daily_trend`, `rating_distribution` and `satisfaction_by_handling` of the same
    transactions, from per-day counts, each completed transaction's duration (the exact
    median, 90th percentile and histogram need them all) and the handling bands' counts
    (`handling_band_sql`) instead of whole rows: the counter's aggregate queries give all
    three. Ratings an upheld appeal took out are in none of them: `upheld_appeals` counts
    them."""
    per_day: dict[dt.date, list[int]] = {}
    for d in days:
        if d.served == 0 and d.timed == 0:
            continue
        acc = per_day.setdefault(d.day, [0, 0, 0, 0, 0, 0, 0, 0])
        for i, value in enumerate((d.served, d.timed, d.within_target, *d.ratings)):
            acc[i] += value
    totals = [sum(acc[i] for acc in per_day.values()) for i in range(8)]
    ratings = dict(zip((1, 2, 3, 4, 5), totals[3:], strict=True))
    rated = sum(ratings.values())

    durations = sorted(durations)
    if len(bands) != len(edges) + 1:
        raise ValueError(f"{len(bands)} handling bands for {len(edges)} edges")
    bounds = [0.0, *edges]
    satisfaction = [
        SatisfactionBin(bounds[i], bounds[i + 1] if i + 1 < len(bounds) else None,
                        n, satisfaction_rate(happy, n), total / n if n else None)
        for i, (n, total, happy) in enumerate(bands)
    ]

    def satisfied(counts: Sequence[int]) -> int:
        return sum(counts[value - 1] for value in SATISFIED_RATINGS)

    k = Kpis(
        served=len(durations), timed=totals[1], within_target=totals[2],
        overtime=totals[1] - totals[2], rated=rated, satisfied=satisfied(totals[3:]),
        poor=sum(ratings[value] for value in POOR_RATINGS), voided=voided,
        interrupted=interrupted,
        median_s=percentile(durations, 0.5, presorted=True),
        p90_s=percentile(durations, 0.9, presorted=True),
        mean_rating=sum(v * n for v, n in ratings.items()) / rated if rated else None,
        upheld_appeals=upheld_appeals,
    )
    trend = [DayPoint(day, a[0], service_level(a[2], a[1]),
                      satisfaction_rate(satisfied(a[3:]), sum(a[3:])))
             for day, a in sorted(per_day.items())]
    return KpiReport(k, durations, trend, ratings, satisfaction, dict(causes or {}))



# ---- the monthly summary --------------------------------------------------------------------

#: The event kinds that open and close a staff member's session.
SESSION_KINDS = (SIGNED_IN, SIGNED_OUT)
#: Sessions are read from this long before a period: a shift begun the evening before still
#: counts from the period's start on.
SESSION_LOOKBACK = dt.timedelta(days=1)


def sessions_read_from(start: str) -> str:
    """Where to start reading sign-ins and sign-outs for a period starting at `start`."""
    return format_utc(parse_utc(start) - SESSION_LOOKBACK)


#: A sign-in or sign-out for `signed_in_seconds`: (at, kind, staff, session_s), session_s the
#: sign-out's monotonic session length (None: a sign-in, or a sign-out recorded without it).
SessionEntry = tuple[str, str, str, float | None]


def session_entry(at: str, kind: str, payload: Mapping[str, Any]) -> SessionEntry | None:
    """(at, kind, staff, session_s) of a sign-in or sign-out for `signed_in_seconds`; None
    for a manager's sign-in (not staff time) and for an event that names no staff member."""
    if payload.get("role", "staff") == "manager":
        return None
    staff = payload.get("staff")
    if not isinstance(staff, str):
        return None
    session = payload.get("session_s") if kind == SIGNED_OUT else None
    if (isinstance(session, int | float) and not isinstance(session, bool)
            and math.isfinite(session) and session >= 0):
        return (at, kind, staff, float(session))
    return (at, kind, staff, None)


def signed_in_seconds(sessions: Iterable[tuple[str, ...] | SessionEntry], start: str,
                      end: str) -> dict[str, float]:
    """Seconds each staff member was signed in within [start, end).

    `sessions` are `session_entry`s (or older (at, kind, staff) triples) of `signed_in` and
    `signed_out` events in log order. A session's length is the sign-out's `session_s`, the
    monotonic clock's, when it carries one (it starts at the sign-in's time), so a wall-clock
    jump during a shift adds nothing; only older sign-outs without it fall back on the
    wall-clock difference. A session still open at the end counts up to `end`.
    """
    lo, hi = parse_utc(start), parse_utc(end)
    open_since: dict[str, dt.datetime] = {}
    totals: dict[str, float] = defaultdict(float)
    for entry in sessions:
        at, kind, staff = entry[0], entry[1], entry[2]
        session = entry[3] if len(entry) > 3 else None
        when = parse_utc(str(at))
        if kind == SIGNED_IN:
            open_since[str(staff)] = when
        elif kind == SIGNED_OUT and staff in open_since:
            since = open_since.pop(str(staff))
            if isinstance(session, int | float):
                until = since + dt.timedelta(seconds=session)
            else:
                until = when
            totals[staff] += _overlap(since, until, lo, hi)
    for staff, since in open_since.items():
        totals[staff] += _overlap(since, hi, lo, hi)
    return {staff: seconds for staff, seconds in totals.items() if seconds > 0}


#: The kinds `away_seconds` reads: back soon (暂离) starts and ends, and the sign-outs, which
#: end an absence a crash left without its `away_ended`.
AWAY_READ_KINDS = (AWAY_STARTED, AWAY_ENDED, SIGNED_OUT)
#: (at, kind, staff, away_s): away_s the `away_ended`'s monotonic length, else None.
AwayEntry = tuple[str, str, str, float | None]


def away_entry(at: str, kind: str, payload: Mapping[str, Any]) -> AwayEntry | None:
    """(at, kind, staff, away_s) of an away start or end or a sign-out for `away_seconds`;
    None for a manager's sign-out and for an event that names no staff member."""
    if kind not in AWAY_READ_KINDS or payload.get("role", "staff") == "manager":
        return None
    staff = payload.get("staff")
    if not isinstance(staff, str):
        return None
    away = payload.get("away_s") if kind == AWAY_ENDED else None
    if (isinstance(away, int | float) and not isinstance(away, bool) and math.isfinite(away)
            and away >= 0):
        return (at, kind, staff, float(away))
    return (at, kind, staff, None)


def still_away(entries: Iterable[AwayEntry]) -> set[str]:
    """The staff whose absence the entries leave open."""
    open_: set[str] = set()
    for _, kind, staff, _ in entries:
        (open_.add if kind == AWAY_STARTED else open_.discard)(staff)
    return open_


def away_seconds(entries: Iterable[AwayEntry], start: str, end: str) -> dict[str, float]:
    """Seconds each staff member was away ("back soon") within [start, end), a column of its
    own next to the hours signed in: never serving, and never taken off the hours signed in.

    An absence runs from its `away_started` for the `away_ended`'s monotonic `away_s` (a
    wall-clock jump adds nothing); one ended by a sign-out instead (a crash) runs to that
    sign-out; one still open at the end counts up to `end`."""
    lo, hi = parse_utc(start), parse_utc(end)
    open_since: dict[str, dt.datetime] = {}
    totals: dict[str, float] = defaultdict(float)
    for at, kind, staff, away in entries:
        when = parse_utc(str(at))
        if kind == AWAY_STARTED:
            open_since[staff] = when
        elif staff in open_since:
            since = open_since.pop(staff)
            until = (since + dt.timedelta(seconds=away) if kind == AWAY_ENDED
                     and away is not None else when)
            totals[staff] += _overlap(since, until, lo, hi)
    for staff, since in open_since.items():
        totals[staff] += _overlap(since, hi, lo, hi)
    return {staff: seconds for staff, seconds in totals.items() if seconds > 0}


def hours_away(away_s: float) -> float:
    return away_s / 3600.0


def _overlap(a: dt.datetime, b: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> float:
    return max(0.0, (min(b, hi) - max(a, lo)).total_seconds())


@dataclass(frozen=True)
class StaffMonth:
    """One staff member's month."""

    staff: str
    served: int
    rated: int
    rating_sum: int
    satisfied: int
    timed: int
    overtime: int
    serving_s: float
    signed_in_s: float
    #: interrupted transactions whose interruption was the clerk closing the app (CLOSED_REASON)
    closed_in_service: int = 0
    #: back soon (暂离): its own column, inside the hours signed in, never serving
    away_s: float = 0.0

    @property
    def hours_away(self) -> float:
        return hours_away(self.away_s)

    #: ratings an upheld appeal took out of rated/mean/satisfied and the star (shown apart)
    upheld_appeals: int = 0

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def satisfaction_rate(self) -> float | None:
        return satisfaction_rate(self.satisfied, self.rated)

    @property
    def overtime_rate(self) -> float | None:
        return overtime_rate(self.overtime, self.timed)

    @property
    def participation_rate(self) -> float | None:
        return participation_rate(self.rated, self.served)

    @property
    def hours_signed_in(self) -> float:
        return hours_signed_in(self.signed_in_s)

    @property
    def serving_share(self) -> float | None:
        """Share of the signed-in time spent serving customers."""
        return serving_share(self.serving_s, self.signed_in_s)


def hours_signed_in(signed_in_s: float) -> float:
    return signed_in_s / 3600.0


def serving_share(serving_s: float, signed_in_s: float) -> float | None:
    """Time serving (completed, voided and interrupted transactions' durations) ÷ time signed
    in, at most 1; None without signed-in time."""
    return min(1.0, serving_s / signed_in_s) if signed_in_s > 0 else None


#: The statuses whose duration counts as time serving a customer.
SERVING_STATUSES = ("completed", "voided", "interrupted")


def monthly_summary(rows: Iterable[Row], signed_in: Mapping[str, float] | None = None,
                    away: Mapping[str, float] | None = None) -> list[StaffMonth]:
    """Per staff: served, rated, ratings, overtime (`is_timed`: interrupted transactions
    included), closes during service, time serving, signed in and away; by staff number."""
    acc: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        a = acc[row["staff"]]
        status = row["status"]
        if status in SERVING_STATUSES:
            a["serving_s"] += float(row.get("duration_s") or 0.0)
        if is_timed(row):
            a["timed"] += 1
            a["overtime"] += is_overtime(row)
        if status == "interrupted" and row.get("interrupted_reason") == CLOSED_REASON:
            a["closed_in_service"] += 1
        if status != "completed":
            continue
        a["served"] += 1
        rating = counted_rating(row)
        if rating is not None:
            a["rated"] += 1
            a["rating_sum"] += rating
            a["satisfied"] += rating in SATISFIED_RATINGS
        else:
            a["upheld_appeals"] += is_upheld_appeal(row)
    signed = dict(signed_in or {})
    gone = dict(away or {})
    out = []
    for staff in sorted(set(acc) | set(signed) | set(gone)):
        a = acc.get(staff, {})
        out.append(StaffMonth(
            staff=staff, served=int(a.get("served", 0)), rated=int(a.get("rated", 0)),
            rating_sum=int(a.get("rating_sum", 0)), satisfied=int(a.get("satisfied", 0)),
            timed=int(a.get("timed", 0)), overtime=int(a.get("overtime", 0)),
            serving_s=float(a.get("serving_s", 0.0)), signed_in_s=float(signed.get(staff, 0.0)),
            closed_in_service=int(a.get("closed_in_service", 0)),
            away_s=float(gone.get(staff, 0.0)),
            upheld_appeals=int(a.get("upheld_appeals", 0)),
        ))
    return out


@dataclass(frozen=True)
class OwnMonth:
    """A clerk's own month, as "My figures" shows it: served, service level, satisfaction and
    the ratings summary (each rating's count, appeals upheld shown apart)."""

    month: str
    served: int
    service_level: float | None
    satisfaction_rate: float | None
    rated: int
    mean_rating: float | None
    ratings: dict[int, int]
    upheld_appeals: int


def own_month(rows: Iterable[Row], staff: str, month: str) -> OwnMonth:
    """`staff`'s own figures of `month` from transaction rows; other clerks' rows are left
    out here whatever the caller passed."""
    mine = [r for r in rows if r["staff"] == staff]
    summary = next(iter(monthly_summary(mine)), None) or StaffMonth(
        staff=staff, served=0, rated=0, rating_sum=0, satisfied=0, timed=0, overtime=0,
        serving_s=0.0, signed_in_s=0.0)
    return OwnMonth(
        month=month, served=summary.served,
        service_level=service_level(summary.timed - summary.overtime, summary.timed),
        satisfaction_rate=summary.satisfaction_rate, rated=summary.rated,
        mean_rating=summary.mean_rating, ratings=rating_distribution(mine),
        upheld_appeals=summary.upheld_appeals)


# ---- the service star -----------------------------------------------------------------------

@dataclass(frozen=True)
class StarRule:
    """Who may be star and how they are ranked: shown in the UI and README as `describe()`."""

    min_ratings: int = 30
    prior_weight: int = 20  # ratings' worth of the hall's mean added to everyone's own
    tie_places: int = 2  # scores equal to this many decimals are a tie

    def describe(self, language: str = "en") -> str:
        """The rule in words: in Chinese for a `zh…` language, else in English."""
        if language.startswith("zh"):
            return (
                f"资格：当月至少 {self.min_ratings} 个评价。得分 = (C × m + 本人评分之和) ÷ "
                f"(C + 本人评价数)，其中 C = {self.prior_weight}，m 为营业厅当月的平均评分（贝叶斯"
                f"平均：评价少的得分接近全厅平均）。得分最高者当选；保留 {self.tie_places} 位小数"
                "后得分相同时，超时率低者优先，其次评价数多者优先。"
            )
        return (
            f"Eligible: at least {self.min_ratings} ratings in the month. "
            f"Score = (C × m + sum of own ratings) ÷ (C + own ratings), with C = "
            f"{self.prior_weight} and m = the hall's mean rating that month (a Bayesian "
            f"average: few ratings stay close to the hall's mean). Highest score wins; scores "
            f"equal to {self.tie_places} decimals are broken by the lower overtime rate, "
            f"then by more ratings."
        )


@dataclass(frozen=True)
class StarCandidate:
    staff: str
    rated: int
    mean_rating: float | None
    score: float | None  # None: not eligible
    overtime_rate: float | None

    @property
    def eligible(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class StarSuggestion:
    """The suggested star (None when nobody is eligible) and everyone's standing."""

    star: StarCandidate | None
    ranking: list[StarCandidate] = field(default_factory=list)  # eligible first, best first
    hall_mean: float | None = None
    tie_broken_by: str | None = None  # "overtime rate" / "number of ratings" / "staff number"
    rule: StarRule = field(default_factory=StarRule)


def smoothed_score(rating_sum: float, rated: int, hall_mean: float, prior_weight: int) -> float:
    """The Bayesian average: the hall's mean counted `prior_weight` times plus own ratings."""
    return (prior_weight * hall_mean + rating_sum) / (prior_weight + rated)


def suggest_star(summary: Sequence[StaffMonth], rule: StarRule | None = None) -> StarSuggestion:
    """The month's suggested service star under `rule` (see StarRule.describe)."""
    rule = rule or StarRule()
    total_rated = sum(s.rated for s in summary)
    if total_rated == 0:
        ranking = [StarCandidate(s.staff, 0, None, None, s.overtime_rate) for s in summary]
        return StarSuggestion(None, ranking, None, None, rule)
    hall_mean = sum(s.rating_sum for s in summary) / total_rated
    candidates = []
    for s in summary:
        eligible = s.rated >= rule.min_ratings and s.rated > 0
        score = (smoothed_score(s.rating_sum, s.rated, hall_mean, rule.prior_weight)
                 if eligible else None)
        candidates.append(StarCandidate(s.staff, s.rated, s.mean_rating, score, s.overtime_rate))

    def order(c: StarCandidate) -> tuple[Any, ...]:
        overtime = c.overtime_rate if c.overtime_rate is not None else 1.0
        score = -round(c.score, rule.tie_places) if c.score is not None else math.inf
        return (not c.eligible, score, overtime, -c.rated, c.staff)

    ranking = sorted(candidates, key=order)
    best = ranking[0] if ranking and ranking[0].eligible else None
    tie = None
    if best is not None and len(ranking) > 1 and ranking[1].eligible:
        a, b = order(best), order(ranking[1])
        if a[1] == b[1]:
            tie = ("overtime rate" if a[2] != b[2] else
                   "number of ratings" if a[3] != b[3] else "staff number")
    return StarSuggestion(best, ranking, hall_mean, tie, rule)
