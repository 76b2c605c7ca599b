"""`GET /hall/alerts` and `POST /hall/alerts/{id}/ack`: the hall's alerts for the manager
views (head_office.alerts raises them). The hall's reader token or a desk's token reads them;
only a desk acknowledges, naming the staff number of who did."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.concurrency import run_in_threadpool

from counter_core.periods import utc_now
from head_office import alerts
from head_office.deps import HallReader, StoreDep
from head_office.errors import BadRequest, Forbidden, NotFound
from head_office.routes.models import MAX_AT_CHARS, MAX_ID_CHARS

router = APIRouter(tags=["hall"])


class AlertOut(BaseModel):
    #: the order of raising: `?since=` an alert's id gives those after it
    seq: int
    #: stable per alert: a repeat of the same overtime, rating or silence has the same id
    id: str
    kind: str
    hall: str
    counter: str
    staff: str | None
    #: head office holds staff numbers only (events never carry names): the staff number
    staff_name: str | None
    txn: str | None
    #: when head office raised it (UTC)
    at: str
    #: one sentence in the hall's language
    text: str
    detail: dict[str, Any]
    #: the quiet rule that kept it from the webhooks ("quiet_hours", "hourly_cap", "stale"),
    #: or null
    quiet: str | None
    acknowledged_by: str | None
    acknowledged_desk: str | None
    acknowledged_at: str | None


class AlertsOut(BaseModel):
    hall: str
    now: str
    alerts: list[AlertOut]


class AckIn(BaseModel):
    """Who at the desk acknowledges: their staff number."""

    model_config = ConfigDict(extra="forbid")

    staff: (
        Annotated[
            StrictStr,
            Field(min_length=1, max_length=MAX_ID_CHARS, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*$"),
        ]
        | StrictInt
    )


@router.get("/hall/alerts", response_model=AlertsOut)
async def hall_alerts(
    me: HallReader,
    store: StoreDep,
    since: Annotated[
        str | None,
        Query(
            max_length=MAX_AT_CHARS,
            json_schema_extra={"pattern": f"({alerts.ID_PATTERN})|({alerts.TIME_PATTERN})"},
            description="an alert's id (the alerts raised after it) or a UTC time such as "
            "2026-12-03T05:00:00Z (those raised after it); default: the open alerts and "
            "those of the past day",
        ),
    ] = None,
) -> AlertsOut:
    """The hall's alerts, oldest first: open ones and recent ones, or those after `since`."""
    try:
        found = await run_in_threadpool(alerts.list_alerts, store, me.hall, since)
    except alerts.UnknownAlert:
        raise NotFound(
            f"hall {me.hall} has no alert {since}; omit since to read the open and recent alerts"
        ) from None
    except ValueError:
        shown = (since or "")[:40]
        raise BadRequest(
            f"since: {shown!r} is neither an alert id (32 hex digits) nor a UTC time such as "
            "2026-12-03T05:00:00Z"
        ) from None
    return AlertsOut(
        hall=me.hall, now=utc_now(), alerts=[AlertOut.model_validate(a) for a in found]
    )


@router.post("/hall/alerts/{alert}/ack", response_model=AlertOut)
async def acknowledge(
    me: HallReader,
    store: StoreDep,
    body: AckIn,
    alert: Annotated[str, Path(max_length=64, json_schema_extra={"pattern": alerts.ID_PATTERN})],
) -> AlertOut:
    """Acknowledge the alert (a desk's token only); the first acknowledgement stands."""
    if me.desk is None:
        raise Forbidden(
            f"the reader token of hall {me.hall} reads alerts only; acknowledging "
            "needs a desk's token (`counter-hq enroll --kind desk`)"
        )
    done = await run_in_threadpool(
        alerts.acknowledge, store, me.hall, alert, str(body.staff), me.desk
    )
    if done is None:
        raise NotFound(f"hall {me.hall} has no alert {alert[:64]}")
    return AlertOut.model_validate(done)
