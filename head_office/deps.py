"""The API's dependencies, as `Annotated` aliases the routes take as parameters."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from counter_core.periods import DEFAULT_TIME_ZONE
from head_office import access
from head_office.access import Reader, authenticate_reader, find_reader
from head_office.errors import BadRequest, Busy, Forbidden, Refusal, TokenRevoked, UnknownCounter
from head_office.store import Counter, Store

#: uploads processed at once; more are told to come back (429) rather than pile up
MAX_CONCURRENT_UPLOADS = 16
BUSY_RETRY_AFTER_S = 2


@dataclass(frozen=True)
class Settings:
    """How this server was started (`counter-hq serve`)."""

    #: the halls' IANA time zone: every default day and month is counted in it
    time_zone: str = DEFAULT_TIME_ZONE
    max_uploads: int = MAX_CONCURRENT_UPLOADS


class UploadGate:
    """Counts the uploads in progress; one over the limit is refused with Busy."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        # only the event loop's one thread enters here: no lock needed
        if self.active >= self.limit:
            raise Busy(f"head office is taking {self.limit} uploads already; retry after "
                       f"{BUSY_RETRY_AFTER_S} s")
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1


def one_value_per_parameter(request: Request) -> None:
    """BadRequest for a query parameter given more than once (`?month=a&month=b`): the API's
    parameters are single values, and which one counts must not be a guess."""
    names = [name for name, _value in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadRequest(f"the query gives {', '.join(n[:40] for n in repeated[:3])} more than "
                         "once; give each parameter once")


def get_store(request: Request) -> Store:
    return cast(Store, request.app.state.store)


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_upload_gate(request: Request) -> UploadGate:
    return cast(UploadGate, request.app.state.upload_gate)


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UploadGateDep = Annotated[UploadGate, Depends(get_upload_gate)]

_bearer = HTTPBearer(auto_error=False, description="the counter's token from `counter-hq enroll`")


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The token of `Authorization: Bearer <token>`, or "" when there is none."""
    return credentials.credentials.strip() if credentials else ""


TokenDep = Annotated[str, Depends(bearer_token)]


def _counter_of(store: Store, token: str) -> Counter:
    try:
        return store.authenticate(token)
    except UnknownCounter:
        reader = find_reader(store, token)
        if reader is None:
            raise
        raise Forbidden(f"the reader token of hall {reader.hall} reads the hall's figures "
                        "(GET /api/v1/hall) only; uploads and status need a counter's "
                        "token") from None


log = logging.getLogger(__name__)
T = TypeVar("T")
_REASONS: dict[type[Refusal], str] = {UnknownCounter: access.UNKNOWN_TOKEN,
                                      TokenRevoked: access.REVOKED_TOKEN,
                                      Forbidden: access.FORBIDDEN}


def record_refusal(store: Store, request: Request, token: str, refusal: Refusal,
                   reason: str | None = None) -> Refusal:
    """Record a refused authentication (head_office.access.record_auth_refusal: the token's
    hash prefix, never the token) and hand the refusal back to be raised."""
    reason = reason or next((why for cls, why in _REASONS.items() if isinstance(refusal, cls)),
                            access.FORBIDDEN)
    try:
        access.record_auth_refusal(
            store, client=request.client.host if request.client else "", token=token,
            route=f"{request.method} {request.url.path}", reason=reason,
            detail=refusal.message)
    except Exception:  # the refusal stands whether or not it could be kept
        log.exception("could not record a refused authentication")
    return refusal


def recorded(store: Store, request: Request, token: str, check: Callable[[], T]) -> T:
    """`check()`, with an unknown or revoked token, or a forbidden one, recorded."""
    try:
        return check()
    except (UnknownCounter, TokenRevoked, Forbidden) as exc:
        raise record_refusal(store, request, token, exc) from None


async def current_counter(request: Request, store: StoreDep, token: TokenDep) -> Counter:
    """The counter the token belongs to (NoToken, UnknownCounter or TokenRevoked if none;
    Forbidden for a hall reader's token); refusals but NoToken are recorded."""
    return await run_in_threadpool(recorded, store, request, token,
                                   lambda: _counter_of(store, token))


async def hall_reader(request: Request, store: StoreDep, token: TokenDep) -> Reader:
    """The hall whose reader token this is (Forbidden for a counter's token); recorded as
    current_counter's refusals are."""
    return await run_in_threadpool(recorded, store, request, token,
                                   lambda: authenticate_reader(store, token))


CurrentCounter = Annotated[Counter, Depends(current_counter)]
HallReader = Annotated[Reader, Depends(hall_reader)]
