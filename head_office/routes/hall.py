"""`GET /hall`: the token's own hall as head office knows it, for the manager view; and
`GET /hall/chains` + `GET /hall/events`: every chain of the hall, event by event, for the
manager desk's mirror of the hall (docs/hall.md, "The manager desk")."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from counter_core import periods
from head_office import reports
from head_office.access import desk_ids
from head_office.deps import HallReader, SettingsDep, StoreDep
from head_office.errors import BadPeriod, NotFound
from head_office.routes.models import MAX_ID_CHARS, HallOut
from head_office.schema import COUNTER_KIND, DESK_KIND, counters, events
from head_office.store import Store, _event_from_row, database_errors

router = APIRouter(tags=["hall"])

#: the years a month or day may name: generous for any real hall, far from datetime's ends
MIN_YEAR, MAX_YEAR = 2000, 2999
MONTH_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
DAY_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
MAX_ZONE_CHARS = 64
#: the zones `tz` may name, as the OpenAPI schema lists them
ZONES = sorted(name for name in zoneinfo.available_timezones() if len(name) <= MAX_ZONE_CHARS)
_ZONE_SET = frozenset(ZONES)


@router.get("/hall", response_model=HallOut)
async def hall(
    me: HallReader,
    store: StoreDep,
    settings: SettingsDep,
    month: Annotated[str | None, Query(
        max_length=7, json_schema_extra={"pattern": MONTH_PATTERN},
        description=f"YYYY-MM, years {MIN_YEAR}-{MAX_YEAR} (default: this month in the "
                    "hall's time zone)")] = None,
    day: Annotated[str | None, Query(
        max_length=10, json_schema_extra={"pattern": DAY_PATTERN, "format": "date"},
        description=f"YYYY-MM-DD instead of a month (given both, the day counts), "
                    f"years {MIN_YEAR}-{MAX_YEAR}")] = None,
    tz: Annotated[str | None, Query(
        max_length=MAX_ZONE_CHARS, json_schema_extra={"enum": ZONES},
        description="IANA time zone (default: the server's `--time-zone`)")] = None,
) -> HallOut:
    """Hall-wide figures as of each counter's last sync, for the reader token's hall only
    (a counter's own token is refused: it reads its own status only)."""
    if month is not None:
        _month(month)  # checked even beside a day, which then counts
    zone_name = settings.time_zone if tz is None else tz
    if tz is not None and tz not in _ZONE_SET:
        raise BadPeriod(f"unknown time zone {tz[:MAX_ZONE_CHARS]!r}; expected an IANA name such "
                        f"as {periods.DEFAULT_TIME_ZONE!r}")
    try:
        periods.zone(zone_name)
        if day is not None:
            period = reports.day_period(_day(day), zone_name)
        else:
            period = reports.month_period(_month(
                periods.today(zone_name).strftime("%Y-%m") if month is None else month),
                zone_name)
    except (ValueError, KeyError, OverflowError) as exc:
        raise BadPeriod(str(exc.args[0] if exc.args else exc)) from None
    view = await run_in_threadpool(_hall_view, store, me.hall, zone_name, period)
    return HallOut.model_validate(view)


def _day(text: str) -> dt.date:
    """A day YYYY-MM-DD within the years head office reports (never `0` as 1970-01-01)."""
    if not re.fullmatch(DAY_PATTERN, text):
        raise BadPeriod(f"expected a day YYYY-MM-DD from {MIN_YEAR} to {MAX_YEAR}, "
                        f"got {text[:20]!r}")
    return periods.parse_date(text)


def _month(text: str) -> str:
    if not re.fullmatch(MONTH_PATTERN, text):
        raise BadPeriod(f"expected a month YYYY-MM from {MIN_YEAR} to {MAX_YEAR}, "
                        f"got {text[:20]!r}")
    return text


def _hall_view(store: Store, hall: str, zone_name: str, period: Any) -> dict[str, Any]:
    with database_errors():
        desks = desk_ids(store, hall)
        totals = reports.figures(store, period, by=("hall",), hall=hall)
        return {
            "hall": hall,
            "time_zone": zone_name,
            "period": {"label": period.label, "start_utc": period.start_utc,
                       "end_utc": period.end_utc},
            "counters_synced": [
                {"counter": c.counter, "high_water_seq": c.hw_seq,
                 "last_sync_at": c.last_sync_at}
                for c in store.counters(hall) if c.id not in desks  # a desk is no counter
            ],
            "total": totals[0] if totals else None,
            "by_counter": reports.figures(store, period, by=("hall", "counter"), hall=hall),
            "by_staff": reports.figures(store, period, by=("hall", "staff"), hall=hall),
            "overdue_follow_ups": reports.overdue_follow_ups(store, hall=hall, tz=zone_name)
                                  .get(hall, 0),
        }


#: the most events one `GET /hall/events` answers with
MAX_EVENTS_PAGE = 1000
DEFAULT_EVENTS_PAGE = 500


class ChainOut(BaseModel):
    counter: str
    #: "counter" or "desk" (a desk's chain holds the decisions made at that desk)
    kind: str
    #: the last sequence number the hall server holds of this chain
    high_water_seq: int


class HallChainsOut(BaseModel):
    hall: str
    chains: list[ChainOut]


class HallEventsOut(BaseModel):
    hall: str
    counter: str
    #: the events after `after`, in chain order, exactly as chained (events marked invalid at
    #: ingest are left out)
    events: list[dict[str, Any]]
    #: the sequence number to ask `after` next time (the last one looked at, shown or not)
    next_after: int
    #: more events follow: ask again at once with `after=next_after`
    more: bool


@router.get("/hall/chains", response_model=HallChainsOut)
async def hall_chains(me: HallReader, store: StoreDep) -> HallChainsOut:
    """Every chain of the reader's hall (its counters and desks) and how far the hall server
    holds it: where a mirror of the hall asks `GET /hall/events` from."""
    rows = await run_in_threadpool(_chains, store, me.hall)
    return HallChainsOut(hall=me.hall, chains=[ChainOut(**r) for r in rows])


@router.get("/hall/events", response_model=HallEventsOut)
async def hall_events(
    me: HallReader,
    store: StoreDep,
    counter: Annotated[str, Query(min_length=1, max_length=MAX_ID_CHARS,
                                  description="the chain: a counter or desk of the hall")],
    after: Annotated[int, Query(ge=0, le=2**62, description="events after this sequence")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS_PAGE)] = DEFAULT_EVENTS_PAGE,
) -> HallEventsOut:
    """One chain of the reader's hall, event by event from `after`, for the desk's mirror (a
    hall reader's or a desk's token, its own hall only; a counter's token is refused)."""
    page = await run_in_threadpool(_chain_events, store, me.hall, counter, after, limit)
    return HallEventsOut(hall=me.hall, counter=counter, **page)


def _chains(store: Store, hall: str) -> list[dict[str, Any]]:
    """Each counter's and desk's current chain (a counter enrolled again with a new history
    has a new chain: the newest row is the one that grows)."""
    with database_errors(), store.reader.connect() as conn:
        latest: dict[str, Any] = {}
        for r in conn.execute(
                select(counters.c.counter, counters.c.kind, counters.c.hw_seq)
                .where(counters.c.hall == hall).order_by(counters.c.id)):
            latest[r.counter] = r
    return [{"counter": r.counter, "kind": DESK_KIND if r.kind == DESK_KIND else COUNTER_KIND,
             "high_water_seq": int(r.hw_seq)} for _, r in sorted(latest.items())]


def _chain_events(store: Store, hall: str, counter: str, after: int,
                  limit: int) -> dict[str, Any]:
    with database_errors(), store.reader.connect() as conn:
        ids = list(conn.execute(select(counters.c.id).where(
            counters.c.hall == hall, counters.c.counter == counter)
            .order_by(counters.c.id)).scalars())
        if not ids:
            raise NotFound(f"hall {hall} has no counter or desk {counter[:MAX_ID_CHARS]!r}")
        rows = list(conn.execute(
            select(events).where(events.c.counter_id == ids[-1], events.c.seq > after)
            .order_by(events.c.seq).limit(limit)))
    shown = [_event_from_row(row).as_dict() for row in rows if row.invalid is None]
    return {"events": shown, "next_after": int(rows[-1].seq) if rows else after,
            "more": len(rows) == limit}

