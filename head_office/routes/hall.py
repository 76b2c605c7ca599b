"""`GET /hall`: the token's own hall as head office knows it, for the manager view."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from counter_core import periods
from head_office import reports
from head_office.access import desk_ids
from head_office.deps import HallReader, SettingsDep, StoreDep
from head_office.errors import BadPeriod
from head_office.routes.models import HallOut
from head_office.store import Store, database_errors

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
