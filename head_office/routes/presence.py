"""`POST /presence` and `GET /hall/presence`: what each counter is doing right now.

Presence is state, never an event: the counter sends it every few seconds and at every change,
lossy (a failed send is dropped, not queued), and the server keeps only the latest per counter,
in memory, with its own receive time. A restart forgets it; the next signal brings it back.
Only the hall's reader token or a desk's token reads it, for its own hall.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from counter_core.periods import utc_now
from head_office.deps import CurrentCounter, HallReader
from head_office.errors import Forbidden
from head_office.routes.models import MAX_AT_CHARS, MAX_ID_CHARS

router = APIRouter(tags=["hall"])

_NO_NUL = r"^[^\x00]*$"
#: a day: no transaction, target or elapsed time at a counter is longer
MAX_SECONDS = 86400.0


class PresenceIn(BaseModel):
    """The counter's state: its phase, the running transaction (if any), when it started (the
    counter's UTC clock), the counter's own monotonic elapsed seconds, its target, the staff
    signed in."""

    model_config = ConfigDict(extra="forbid", strict=True)

    #: rating: waiting for the customer's rating; away: back soon (暂离), with back_at
    phase: Literal["signed_out", "idle", "serving", "rating", "away"]
    txn: Annotated[str | None, Field(max_length=MAX_ID_CHARS, pattern=_NO_NUL)] = None
    started_at: Annotated[str | None, Field(max_length=MAX_AT_CHARS, pattern=_NO_NUL)] = None
    elapsed_s: Annotated[float | None, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)] = None
    target_s: Annotated[float | None, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)] = None
    staff: Annotated[str | None, Field(max_length=MAX_ID_CHARS, pattern=_NO_NUL)] = None
    #: serving: the transaction type's code (the board names it)
    type: Annotated[str | None, Field(max_length=MAX_ID_CHARS, pattern=_NO_NUL)] = None
    #: away: when the clerk said they would be back (UTC, the counter's clock)
    back_at: Annotated[str | None, Field(max_length=MAX_AT_CHARS, pattern=_NO_NUL)] = None


class PresenceOut(BaseModel):
    counter: str
    phase: str
    txn: str | None
    started_at: str | None
    elapsed_s: float | None
    target_s: float | None
    staff: str | None
    type: str | None = None
    back_at: str | None = None
    #: the server's clock when the signal arrived (UTC)
    received_at: str


class HallPresenceOut(BaseModel):
    hall: str
    #: the server's clock now, to judge each counter's received_at against
    now: str
    counters: list[PresenceOut]


class AcceptedOut(BaseModel):
    received_at: str


class PresenceBoard:
    """The latest presence of each counter, keyed by (hall, counter); in memory only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[tuple[str, str], dict[str, Any]] = {}

    def put(self, hall: str, counter: str, state: dict[str, Any]) -> str:
        received = utc_now()
        with self._lock:
            self._latest[hall, counter] = {"counter": counter, **state,
                                           "received_at": received}
        return received

    def hall(self, hall: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(v) for (h, _), v in sorted(self._latest.items()) if h == hall]


def board(request: Request) -> PresenceBoard:
    state = request.app.state
    if not hasattr(state, "presence"):
        state.presence = PresenceBoard()
    return cast(PresenceBoard, state.presence)


@router.post("/presence", response_model=AcceptedOut)
async def post_presence(body: PresenceIn, me: CurrentCounter, request: Request) -> AcceptedOut:
    """Keep the counter's current state (replacing its previous one); never an event."""
    state = body.model_dump()
    received = board(request).put(me.hall, me.counter, state)
    request.app.state.alerts.presence(me.hall, me.counter, state, received)  # head_office.alerts
    return AcceptedOut(received_at=received)


@router.get("/hall/presence", response_model=HallPresenceOut)
async def hall_presence(
    me: HallReader,
    request: Request,
    hall: Annotated[str | None, Query(max_length=MAX_ID_CHARS,
                                      description="the hall (default: the token's own)")] = None,
) -> HallPresenceOut:
    """Each counter's latest presence, for the reader's or desk's own hall only."""
    if hall is not None and hall != me.hall:
        raise Forbidden(f"this token reads hall {me.hall} only")
    rows = board(request).hall(me.hall)
    return HallPresenceOut(hall=me.hall, now=utc_now(),
                           counters=[PresenceOut.model_validate(r) for r in rows])
