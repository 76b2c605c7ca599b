"""Month close: figures carry "as of" (the newest ingest time they count); an hq operator
closes a month once a grace period after its end has passed, freezing each hall's figures and
star ranking as published. Uploads that arrive later are shown beside the closed figures as a
restatement (the live figures and ranking), never silently changing a published star.

`counter-hq month close|list` and the web's `POST /months/close` both call `close_month`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from counter_core import periods
from counter_core.periods import format_utc, parse_utc
from head_office import reports
from head_office.schema import COUNTER_KIND, closed_months, counters, events
from head_office.store import Store, database_errors

Row = dict[str, Any]

#: `serve --close-grace-days` and `month close --grace-days`: days after a month's end (in
#: the halls' zone) before it may be closed, so that counters that sync late are counted
DEFAULT_GRACE_DAYS = 5
MAX_GRACE_DAYS = 60
HALL_SCOPE, ALL_SCOPE = "hall", "all"
#: `counter-hq report stars` for a closed month: which ranking a row belongs to
CLOSED_BASIS, RESTATED_BASIS = "closed", "restated"
#: the columns `report stars` adds when a hall of the month is closed
STAR_BASIS_COLUMNS = ("basis", "closed_at")
LIST_COLUMNS = ("month", "hall", "scope", "closed_by", "closed_at", "as_of", "time_zone",
                "star")


class CloseRefused(Exception):
    """A month that may not be closed (yet): `code` names the reason for the web's
    catalogue, `params` fill its sentence, the message is the command line's."""

    def __init__(self, code: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


def star_of(rows: Sequence[Row]) -> str | None:
    """A ranking's star: the staff member the manager confirmed (`star_confirmed`), else the
    suggested one (the counters' rule), else none."""
    for key in ("confirmed", "star"):
        found = next((r["staff"] for r in rows if r.get(key)), None)
        if found is not None:
            return str(found)
    return None


@dataclass(frozen=True)
class ClosedMonth:
    hall: str
    month: str
    scope: str
    closed_by: str
    closed_at: str
    as_of: str | None
    time_zone: str
    #: the hall's reports.figures row as published (None: no transactions in the month)
    figures: Row | None
    #: its reports.stars rows as published
    stars: list[Row]

    @property
    def star(self) -> str | None:
        """The month's star as published: the manager's confirmed one, else the suggested."""
        return star_of(self.stars)


@dataclass(frozen=True)
class Restatement:
    """What head office holds for a closed month now: the late uploads since the close and
    the figures and ranking they give (shown beside the closed ones, never over them)."""

    late_events: int
    as_of: str | None
    figures: Row | None
    #: the restated ranking (None: not asked for, `restatement(..., stars=False)`)
    stars: list[Row] | None

    @property
    def star(self) -> str | None:
        return star_of(self.stars or [])


def as_of(store: Store, halls: Iterable[str] | None = None) -> str | None:
    """The newest ingest time (UTC) of the halls' events: what the figures count up to (per
    counter an index lookup, schema.events_received)."""
    newest = (select(func.max(events.c.received_at))
              .where(events.c.counter_id == counters.c.id).scalar_subquery())
    query = select(func.max(newest))
    if halls is not None:
        query = query.where(counters.c.hall.in_(sorted(set(halls))))
    with database_errors(), store.reader.connect() as conn:
        found = conn.execute(query).scalar()
    return str(found) if found else None


def closable_from(month: str, tz: str, grace_days: int) -> dt.datetime:
    """When the month may be closed: `grace_days` after its last local midnight."""
    return parse_utc(periods.month_period(month, tz).end_utc) + dt.timedelta(days=grace_days)


def _halls(store: Store) -> list[str]:
    """The halls with an enrolled counter (a desk alone is no hall's figures)."""
    query = select(counters.c.hall).where(counters.c.kind == COUNTER_KIND).distinct()
    with database_errors(), store.reader.connect() as conn:
        return sorted(conn.execute(query).scalars())


def close_month(store: Store, month: str, *, tz: str, grace_days: int, by: str,
                hall: str | None = None, now: dt.datetime | None = None) -> list[ClosedMonth]:
    """Close the month for `hall` (None: every hall not closed yet), freezing each hall's
    figures and star ranking; CloseRefused before the grace period has passed, for an
    unknown hall, or for a month closed already."""
    try:
        periods.parse_month(month)
    except periods.PeriodError:
        raise CloseRefused("close_bad_month", f"{month!r} is not a month: give YYYY-MM",
                           month=month) from None
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise CloseRefused("close_bad_grace", f"the grace period must be 0 to {MAX_GRACE_DAYS} "
                           f"days, got {grace_days}")
    by = by.strip()
    if not by:
        raise CloseRefused("close_no_by", "say who closes the month (--by NAME)")
    when = closable_from(month, tz, grace_days)
    moment = now or dt.datetime.now(dt.UTC)
    if moment < when:
        at = format_utc(when)
        raise CloseRefused(
            "close_too_early",
            f"{month} cannot be closed before {at} ({grace_days} days after the month ends "
            f"in {tz}, the grace period for late uploads); closing earlier is refused",
            month=month, at=at, days=str(grace_days))
    known = _halls(store)
    if hall is not None and hall not in known:
        raise CloseRefused("close_no_hall", f"no hall {hall}: no counter of it is enrolled",
                           hall=hall)
    done = closed(store, month)
    if hall is not None and hall in done:
        c = done[hall]
        raise CloseRefused("close_already", f"{month} was closed for hall {hall} by "
                           f"{c.closed_by} at {c.closed_at}", month=month, hall=hall,
                           by=c.closed_by, at=c.closed_at)
    wanted = [hall] if hall is not None else [h for h in known if h not in done]
    if not wanted:
        raise CloseRefused("close_nothing", f"{month}: every hall is closed already, or no "
                           "counter is enrolled", month=month)
    period = reports.month_period(month, tz)
    scope = HALL_SCOPE if hall is not None else ALL_SCOPE
    # the close's time and "as of" are taken before the figures: an upload that lands while
    # they are computed is shown as late (a restatement), never lost between the two
    stamp = periods.utc_now()
    made: list[ClosedMonth] = []
    for h in wanted:
        newest = as_of(store, [h])
        figures = reports.figures(store, period, by=("hall",), hall=h)
        made.append(ClosedMonth(h, month, scope, by, stamp, newest, tz,
                                figures[0] if figures else None,
                                reports.stars(store, period, hall=h)))
    try:
        with database_errors(), store.engine.begin() as conn:
            for c in made:
                conn.execute(closed_months.insert().values(
                    hall=c.hall, month=c.month, scope=c.scope, closed_by=c.closed_by,
                    closed_at=c.closed_at, as_of=c.as_of, time_zone=c.time_zone,
                    figures=json.dumps(c.figures, ensure_ascii=False, default=str),
                    stars=json.dumps(c.stars, ensure_ascii=False, default=str)))
    except IntegrityError:
        raise CloseRefused("close_already", f"{month} was closed meanwhile by someone else",
                           month=month, hall=hall or "*", by="?", at="?") from None
    return made


def _closed_month(row: Any) -> ClosedMonth:
    return ClosedMonth(row.hall, row.month, row.scope, row.closed_by, row.closed_at, row.as_of,
                       row.time_zone, json.loads(row.figures), json.loads(row.stars))


def closed(store: Store, month: str, halls: Iterable[str] | None = None) -> dict[str, ClosedMonth]:
    """The month's closes, per hall (`halls`: those only)."""
    query = select(closed_months).where(closed_months.c.month == month)
    if halls is not None:
        query = query.where(closed_months.c.hall.in_(sorted(set(halls))))
    with database_errors(), store.reader.connect() as conn:
        return {r.hall: _closed_month(r) for r in conn.execute(query)}


def all_closed(store: Store, halls: Iterable[str] | None = None) -> list[ClosedMonth]:
    """Every close, the newest month first (`halls`: those only)."""
    query = select(closed_months).order_by(closed_months.c.month.desc(), closed_months.c.hall)
    if halls is not None:
        query = query.where(closed_months.c.hall.in_(sorted(set(halls))))
    with database_errors(), store.reader.connect() as conn:
        return [_closed_month(r) for r in conn.execute(query)]


def list_rows(store: Store, halls: Iterable[str] | None = None) -> list[Row]:
    """`counter-hq month list`'s rows (LIST_COLUMNS)."""
    return [{"month": c.month, "hall": c.hall, "scope": c.scope, "closed_by": c.closed_by,
             "closed_at": c.closed_at, "as_of": c.as_of, "time_zone": c.time_zone,
             "star": c.star} for c in all_closed(store, halls)]


def late_events(store: Store, c: ClosedMonth) -> int:
    """The hall's events of the month (by their time) head office received after the close."""
    period = reports.month_period(c.month, c.time_zone)
    query = (select(func.count()).select_from(events)
             .join(counters, counters.c.id == events.c.counter_id)
             .where(and_(counters.c.hall == c.hall, events.c.received_at > c.closed_at,
                         events.c.at >= period.start_utc, events.c.at < period.end_utc)))
    with database_errors(), store.reader.connect() as conn:
        return int(conn.execute(query).scalar_one())


def restatement(store: Store, c: ClosedMonth, *, stars: bool = True) -> Restatement | None:
    """The late uploads since the close and the figures and (`stars`) the ranking they give;
    None when nothing of the month arrived after it."""
    late = late_events(store, c)
    if not late:
        return None
    period = reports.month_period(c.month, c.time_zone)
    figures = reports.figures(store, period, by=("hall",), hall=c.hall)
    return Restatement(late, as_of(store, [c.hall]), figures[0] if figures else None,
                       reports.stars(store, period, hall=c.hall) if stars else None)


def published_stars(store: Store, period: reports.Period, *,
                    hall: str | None = None) -> list[Row]:
    """`counter-hq report stars`: the live ranking; for a hall whose month is closed, its
    closed ranking (`basis` closed) and, after late uploads, the restated one apart
    (`basis` restated), never mixed."""
    live = reports.stars(store, period, hall=hall)
    done = closed(store, period.label, None if hall is None else [hall])
    if not done:
        return live
    out: list[Row] = []
    halls: Sequence[str] = sorted({r["hall"] for r in live} | set(done))
    for h in halls:
        c = done.get(h)
        if c is None:
            out.extend({**r, "basis": "live", "closed_at": None}
                       for r in live if r["hall"] == h)
            continue
        out.extend({**r, "basis": CLOSED_BASIS, "closed_at": c.closed_at} for r in c.stars)
        again = restatement(store, c)
        if again is not None:
            out.extend({**r, "basis": RESTATED_BASIS, "closed_at": c.closed_at}
                       for r in again.stars or ())
    return out
