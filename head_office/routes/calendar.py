"""`GET /calendar`: the working-day calendar set at head office, for counters, desks and
hall readers (any enrolled token), with an ETag so an unchanged calendar costs a 304."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from head_office.access import authenticate_reader
from head_office.calendar import calendar_etag, read_calendar
from head_office.deps import StoreDep, TokenDep
from head_office.errors import UnknownCounter
from head_office.store import Store

router = APIRouter(tags=["calendar"])


class YearOut(BaseModel):
    holidays: list[str] = Field(description="days off (YYYY-MM-DD), weekends inside included")
    workdays: list[str] = Field(description="make-up working days (调休), on a weekend")


class CalendarOut(BaseModel):
    """The calendar file's content: one table per year."""

    calendar: dict[str, YearOut]


def _authorised(store: Store, token: str) -> None:
    """Any enrolled token reads the calendar: a counter's, a desk's or a hall reader's."""
    try:
        store.authenticate(token)
    except UnknownCounter:
        authenticate_reader(store, token)  # a reader's token, else UnknownCounter


@router.get("/calendar", response_model=CalendarOut)
async def calendar(
    store: StoreDep,
    token: TokenDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> CalendarOut | Response:
    """The working-day calendar follow-up deadlines are counted on (`counter-hq calendar
    set`), with its ETag; 304 Not Modified (no body) when `If-None-Match` names it. Until one
    is set, an empty calendar (`{"calendar": {}}`): counters keep the one they ship."""
    await run_in_threadpool(_authorised, store, token)
    found = await run_in_threadpool(read_calendar, store)
    mapping = found.to_mapping() if found is not None else {"calendar": {}}
    etag = calendar_etag(found) if found is not None else '"none"'
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"
    return CalendarOut.model_validate(mapping)
