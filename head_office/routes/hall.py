"""`GET /hall`: the token's own hall as head office knows it, for the manager view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from counter_core import periods
from head_office import reports
from head_office.deps import CurrentCounter, SettingsDep, StoreDep
from head_office.errors import BadPeriod
from head_office.routes.models import HallOut
from head_office.store import Store, database_errors

router = APIRouter(tags=["hall"])


@router.get("/hall", response_model=HallOut)
async def hall(
    me: CurrentCounter,
    store: StoreDep,
    settings: SettingsDep,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM (default: this "
                                       "month in the hall's time zone)")] = None,
    day: Annotated[str | None, Query(max_length=10,
                                     description="YYYY-MM-DD instead of a month")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA time zone (default: "
                                    "the server's `--time-zone`)")] = None,
) -> HallOut:
    """Hall-wide figures as of each counter's last sync, for the token's own hall only."""
    zone_name = tz or settings.time_zone
    try:
        periods.zone(zone_name)
        period = (reports.day_period(periods.parse_date(day), zone_name) if day else
                  reports.month_period(month or periods.today(zone_name).strftime("%Y-%m"),
                                       zone_name))
    except (ValueError, KeyError) as exc:
        raise BadPeriod(str(exc.args[0] if exc.args else exc)) from None
    view = await run_in_threadpool(_hall_view, store, me.hall, zone_name, period)
    return HallOut.model_validate(view)


def _hall_view(store: Store, hall: str, zone_name: str, period: Any) -> dict[str, Any]:
    with database_errors():
        totals = reports.figures(store, period, by=("hall",), hall=hall)
        return {
            "hall": hall,
            "time_zone": zone_name,
            "period": {"label": period.label, "start_utc": period.start_utc,
                       "end_utc": period.end_utc},
            "counters_synced": [
                {"counter": c.counter, "high_water_seq": c.hw_seq,
                 "last_sync_at": c.last_sync_at}
                for c in store.counters(hall)
            ],
            "total": totals[0] if totals else None,
            "by_counter": reports.figures(store, period, by=("hall", "counter"), hall=hall),
            "by_staff": reports.figures(store, period, by=("hall", "staff"), hall=hall),
        }
