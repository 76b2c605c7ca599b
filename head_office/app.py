"""The counter-hq application: its routers under /api/v1, and the one place where head office's
refusals become HTTP statuses and the one JSON error shape `{"detail", "code", "seq"}`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from counter_core import periods
from head_office import errors
from head_office.alerts import AlertConfig, AlertEngine
from head_office.deps import BUSY_RETRY_AFTER_S, MAX_CONCURRENT_UPLOADS, Settings, UploadGate
from head_office.errors import Refusal
from head_office.leader import Leadership, lead
from head_office.middleware import BODY_TIMEOUT_S, BodyTimeoutMiddleware
from head_office.routes import api_router
from head_office.routes.models import API_VERSION, MAX_BODY_BYTES, MAX_EVENTS, ErrorOut
from head_office.store import Store
from head_office.upstream import Upstream, UpstreamPuller
from head_office.web import routes as web_routes
from head_office.web.sessions import WebSettings
from head_office.webhooks import Outbox, Webhook

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)

UNAVAILABLE_RETRY_AFTER_S = 30

#: every refusal's HTTP status; 4xx must not be retried, 408, 429 and 503 may (after
#: Retry-After)
STATUS: dict[type[Refusal], int] = {
    Refusal: 400,
    errors.BadRequest: 400,
    errors.BadHeader: 400,
    errors.BadPeriod: 400,
    errors.MalformedBatch: 400,
    errors.MalformedJson: 400,
    errors.MalformedEvent: 400,
    errors.UnorderedBatch: 400,
    errors.BadGzip: 400,
    errors.NoToken: 401,
    errors.UnknownCounter: 401,
    errors.TokenRevoked: 403,
    errors.Forbidden: 403,
    errors.ForeignEvent: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.BodyTimeout: 408,
    errors.TooLarge: 413,
    # the schema's maxItems: a batch over it is a malformed request (400), as it promises
    errors.TooManyEvents: 400,
    errors.UnsupportedEncoding: 415,
    errors.ChainBroken: 422,
    errors.AnchorContradicted: 409,
    errors.EndsBeforeAnchor: 409,
    errors.Busy: 429,
    errors.StoreUnavailable: 503,
    errors.NoPdfFont: 503,
}
RETRY_AFTER_S: dict[type[Refusal], int] = {
    errors.Busy: BUSY_RETRY_AFTER_S,
    errors.StoreUnavailable: UNAVAILABLE_RETRY_AFTER_S,
}


def status_of(refusal: type[Refusal]) -> int:
    """The HTTP status of a refusal class (its nearest listed ancestor's)."""
    return next(STATUS[cls] for cls in refusal.__mro__ if cls in STATUS)


def error_response(refusal: Refusal) -> JSONResponse:
    """The one error shape, with the status and headers the refusal's class calls for."""
    status = status_of(type(refusal))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 408:
        headers["Connection"] = "close"  # the rest of a stalled body is never read
    retry = next((RETRY_AFTER_S[cls] for cls in type(refusal).__mro__ if cls in RETRY_AFTER_S),
                 None)
    if retry is not None:
        headers["Retry-After"] = str(retry)
    body = ErrorOut(detail=_printable(refusal.message), code=refusal.code, seq=refusal.seq)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _printable(text: str) -> str:
    """The sentence as UTF-8 can carry it: a lone surrogate quoted from the request becomes
    "?" rather than failing the answer itself."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _error_docs() -> dict[int | str, dict[str, Any]]:
    by_status: dict[int, list[str]] = {}
    for cls in errors.all_refusals():
        if cls is not Refusal:
            by_status.setdefault(status_of(cls), []).append(f"`{cls.code}`")
    by_status[500] = ["`internal`"]
    return {status: {"model": ErrorOut, "description": ", ".join(codes)}
            for status, codes in sorted(by_status.items())}


async def _on_refusal(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refusal)
    return error_response(exc)


async def _on_invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()[:3])
    return error_response(errors.BadRequest(f"the request cannot be read: {problems}"))


async def _on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    refusal: Refusal
    if exc.status_code == 404:
        refusal = errors.NotFound("no such API call: see /docs for head office's API")
    elif exc.status_code == 405:
        refusal = errors.MethodNotAllowed("this API path does not take that method: see /docs "
                                          "for head office's API")
    elif exc.status_code == 413:
        refusal = errors.TooLarge(str(exc.detail))
    else:
        refusal = errors.BadRequest(str(exc.detail))
    response = error_response(refusal)
    response.status_code = exc.status_code if exc.status_code < 500 else 500
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _on_crash(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(ErrorOut(detail="head office failed on this request; retry later",
                                 code="internal").model_dump(), status_code=500)


#: how often the alert loop runs the rules (head_office.alerts)
ALERT_EVERY_S = 1.0


async def _alert_loop(engine: AlertEngine) -> None:
    while True:
        try:
            await asyncio.to_thread(engine.evaluate)
        except Exception:
            log.exception("the alert loop failed; it runs again in %g s", ALERT_EVERY_S)
        await asyncio.sleep(ALERT_EVERY_S)


def _once_jobs(app: FastAPI) -> list[asyncio.Task[Any]]:
    """The jobs that must run in one process only: the alert loop, one outbox sender per
    webhook, and a hall server's pull from head office (head_office.upstream)."""
    outbox: Outbox = app.state.outbox
    jobs = [asyncio.create_task(_alert_loop(app.state.alerts)),
            *(asyncio.create_task(outbox.run(hook)) for hook in outbox.hooks)]
    puller: UpstreamPuller | None = app.state.upstream
    if puller is not None:
        jobs.append(asyncio.create_task(puller.run()))
    return jobs


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The alert loop and one outbox sender per webhook, for as long as the server runs; with
    several workers, in the leader only (head_office.leader)."""
    leadership: Leadership | None = app.state.leadership
    if leadership is None:
        tasks = _once_jobs(app)
    else:
        tasks = [asyncio.create_task(lead(leadership, lambda: _once_jobs(app)))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def create_app(store: Store, *, max_uploads: int = MAX_CONCURRENT_UPLOADS,
               time_zone: str = periods.DEFAULT_TIME_ZONE,
               body_timeout_s: float = BODY_TIMEOUT_S,
               alert_config: AlertConfig | None = None,
               webhooks: Sequence[Webhook] = (),
               web: WebSettings | None = None,
               leadership: Leadership | None = None,
               signing_key: Ed25519PrivateKey | None = None,
               upstream: Upstream | None = None) -> FastAPI:
    """The application over an open Store (the server owns the Store's lifetime).

    `time_zone`: the halls' IANA zone for every default day and month (PeriodError if unknown).
    `body_timeout_s`: a request body that makes no progress for this long is refused (408).
    `alert_config`, `webhooks`: the alerts' rules and where they go (docs/alerts.md).
    `web`: the web pages' sessions, audit retention and trusted proxies (head_office.web).
    `leadership`: one of several workers' advisory lock (head_office.leader): the alert loop
    and the webhook outboxes run only while it is held; None (one process) runs them always.
    `signing_key`: signs the roster and the central settings served to counters
    (head_office.signing); None serves them unsigned, which counters with a key refuse.
    `upstream`: at a hall server, head office to relay the hall's roster, settings and
    calendar from (head_office.upstream).
    """
    periods.zone(time_zone)
    config = alert_config or AlertConfig()
    app = FastAPI(
        lifespan=_lifespan,
        title="counter-hq",
        version=API_VERSION,
        description=(
            "Head office API for Counter App. Counters authenticate with "
            "`Authorization: Bearer <token>` from `counter-hq enroll`, ask `GET /api/v1/status` "
            "where head office stands, and upload the events after it with `POST /api/v1/events` "
            f"(at most {MAX_EVENTS} events or {MAX_BODY_BYTES} bytes; `Content-Encoding: gzip` "
            "allowed). Uploads are idempotent; 4xx answers must not be retried, but 408, 429 "
            "and 5xx may be, after `Retry-After`. A batch the schema accepts may still be "
            "refused for what the schema cannot say: 400 `unordered_batch`, 403 `foreign_event`, "
            "422 `broken_chain`. The hall's figures (`GET /api/v1/hall`) are read with the "
            "hall's reader token (`counter-hq enroll --reader`); a counter's token reads its own "
            "status only. Every error answer is "
            '`{"detail": "<sentence>", "code": "<code>", "seq": <first bad seq or null>}`.'
        ),
    )
    app.state.store = store
    app.state.leadership = leadership
    app.state.signing_key = signing_key
    app.state.upstream = None if upstream is None else UpstreamPuller(store, upstream)
    app.state.settings = Settings(time_zone=time_zone, max_uploads=max_uploads)
    app.state.upload_gate = UploadGate(max_uploads)
    app.state.alerts = AlertEngine(store, config, time_zone,
                                   [(hook.label, hook.kinds) for hook in webhooks])
    app.state.outbox = Outbox(store, webhooks, config.delivery)
    app.add_exception_handler(Refusal, _on_refusal)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_crash)
    app.include_router(api_router, responses=_error_docs())
    web_routes.install(app, web or WebSettings())
    app.add_middleware(BodyTimeoutMiddleware, timeout_s=body_timeout_s)
    return app
