"""The counter-hq HTTP API, version 1: status, event upload and the read-only hall view."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import math
import re
import zlib
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from counter_core.chain import Event
from head_office import reports
from head_office.store import Counter, Refusal, Store

log = logging.getLogger(__name__)

API_VERSION = "v1"
MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024  # both as sent and after gzip is undone
MAX_SEQ = 2**31  # sequence numbers are 32-bit in the database
#: uploads processed at once; more are told to come back (429) rather than pile up
MAX_CONCURRENT_UPLOADS = 16
BUSY_RETRY_AFTER_S = 2
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_EVENT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "seq": int, "uuid": str, "kind": str, "at": str, "hall": str, "counter": str,
    "payload": dict, "prev_hash": str, "hash": str,
}


class HighWater(BaseModel):
    """Head office's contiguous high-water mark for one counter."""

    seq: int
    hash: str


class StatusAnswer(BaseModel):
    hall: str
    counter: str
    high_water: HighWater
    last_sync_at: str | None
    limits: dict[str, int]


class UploadAnswer(BaseModel):
    high_water: HighWater
    stored: int
    duplicates: int
    conflicts: list[int]


class ErrorAnswer(BaseModel):
    detail: str
    code: str
    seq: int | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorAnswer, "description": text}
    for code, text in (
        (400, "malformed body (not JSON, bad gzip, wrong shape)"),
        (401, "missing or unknown token"), (403, "revoked token, or another counter's event"),
        (413, "body over 1 MB or batch over 500 events"),
        (429, "too many uploads at once; retry after `Retry-After` seconds"),
        (422, "broken chain or invalid event; `seq` names the first bad one"),
    )
}

_BATCH_SCHEMA = {
    "type": "object", "required": ["events"],
    "properties": {"events": {"type": "array", "maxItems": MAX_EVENTS, "items": {
        "type": "object", "required": list(_EVENT_FIELDS),
        "properties": {
            "seq": {"type": "integer", "minimum": 1}, "uuid": {"type": "string"},
            "kind": {"type": "string"}, "at": {"type": "string"},
            "hall": {"type": "string"}, "counter": {"type": "string"},
            "payload": {"type": "object"}, "prev_hash": {"type": "string"},
            "hash": {"type": "string"},
        },
    }}},
}


def _refused(refusal: Refusal) -> JSONResponse:
    body = {"detail": refusal.message, "code": refusal.code, "seq": refusal.seq}
    headers = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else {}
    if refusal.status == 429:
        headers["Retry-After"] = str(BUSY_RETRY_AFTER_S)
    return JSONResponse(body, status_code=refusal.status, headers=headers)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _read_body(request: Request) -> bytes:
    """The body, undone from gzip, refused (413) as soon as it passes the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refusal(413, "too_large", f"body of {int(declared)} bytes is over the limit of "
                      f"{MAX_BODY_BYTES} bytes; send smaller batches")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise Refusal(413, "too_large", f"body is over the limit of {MAX_BODY_BYTES} bytes; "
                          "send smaller batches")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return bytes(raw)
    if encoding != "gzip":
        raise Refusal(415, "bad_encoding", f"Content-Encoding {encoding!r} is not supported; "
                      "send gzip or nothing")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(bytes(raw), MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES or inflater.unconsumed_tail:
            raise Refusal(413, "too_large", f"body is over the limit of {MAX_BODY_BYTES} bytes "
                          "once gzip is undone; send smaller batches")
        if not inflater.eof:
            raise Refusal(400, "bad_gzip", "the gzip body is truncated")
    except zlib.error as exc:
        raise Refusal(400, "bad_gzip", f"the body is not valid gzip: {exc}") from None
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def parse_batch(body: bytes) -> list[Event]:
    """The events of an upload, each checked for shape; a Refusal names the first bad one."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant,
                          parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refusal(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise Refusal(400, "malformed_json", "the body is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise Refusal(400, "malformed_batch", 'expected a JSON object {"events": [...]}')
    items = data["events"]
    if len(items) > MAX_EVENTS:
        raise Refusal(413, "too_many_events", f"{len(items)} events in one batch; the limit is "
                      f"{MAX_EVENTS}")
    parsed: list[Event] = []
    for index, item in enumerate(items):
        where = f"event {index + 1} of the batch"
        if not isinstance(item, dict):
            raise Refusal(400, "malformed_event", f"{where} is not a JSON object")
        seq = item.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            where = f"event {seq}"
        if set(item) != set(_EVENT_FIELDS):
            extra = sorted(set(item) - set(_EVENT_FIELDS))
            missing = sorted(set(_EVENT_FIELDS) - set(item))
            raise Refusal(400, "malformed_event", f"{where}: "
                          + (f"missing {', '.join(missing)}" if missing else
                             f"unexpected {', '.join(extra)}"), seq if isinstance(seq, int)
                          else None)
        for key, kind in _EVENT_FIELDS.items():
            value = item[key]
            if isinstance(value, bool) or not isinstance(value, kind):
                raise Refusal(400, "malformed_event", f"{where}: {key} has the wrong type",
                              seq if isinstance(seq, int) else None)
        if not 1 <= item["seq"] < MAX_SEQ or not (_HEX64.match(item["prev_hash"])
                                                  and _HEX64.match(item["hash"])):
            raise Refusal(400, "malformed_event", f"{where}: seq must be from 1 to {MAX_SEQ - 1} "
                          "and hashes 64 lowercase hex digits", None)
        if any("\x00" in item[key] for key in ("uuid", "kind", "at", "hall", "counter")):
            raise Refusal(400, "malformed_event", f"{where}: a NUL character in a text field",
                          item["seq"])
        parsed.append(Event.from_dict(item))
    for before, after in itertools.pairwise(parsed):
        if after.seq <= before.seq:
            raise Refusal(400, "unordered_batch", f"events must be in rising sequence order; "
                          f"{after.seq} follows {before.seq}", after.seq)
    return parsed


def create_app(store: Store, *, max_uploads: int = MAX_CONCURRENT_UPLOADS) -> FastAPI:
    """The application over an open Store (the server owns the Store's lifetime)."""
    app = FastAPI(
        title="counter-hq",
        version=API_VERSION,
        description=(
            "Head office API for Counter App. Counters authenticate with "
            "`Authorization: Bearer <token>` from `counter-hq enroll`, ask `GET /api/v1/status` "
            "where head office stands, and upload the events after it with `POST /api/v1/events` "
            f"(at most {MAX_EVENTS} events or {MAX_BODY_BYTES} bytes; `Content-Encoding: gzip` "
            "allowed). Uploads are idempotent; 4xx answers must not be retried, 429 and 5xx "
            "may be, after `Retry-After`."
        ),
    )
    app.state.store = store
    app.state.uploads = 0

    @app.exception_handler(Refusal)
    async def _on_refusal(_request: Request, exc: Refusal) -> JSONResponse:
        return _refused(exc)

    async def _on_db_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return JSONResponse({"detail": "head office database is busy or unavailable; retry later",
                             "code": "unavailable"}, status_code=503,
                            headers={"Retry-After": "30"})

    # the database down or locked, or no pooled connection free in time
    app.add_exception_handler(OperationalError, _on_db_down)
    app.add_exception_handler(PoolTimeout, _on_db_down)

    async def who(request: Request) -> Counter:
        return await run_in_threadpool(store.authenticate, _bearer(request))

    @app.get("/api/v1/health", tags=["service"])
    async def health() -> dict[str, Any]:
        """Liveness for load balancers and monitors; no token needed."""
        return {"ok": True, "api": API_VERSION}

    @app.get("/api/v1/status", response_model=StatusAnswer, responses=_ERRORS, tags=["sync"])
    async def status(request: Request) -> dict[str, Any]:
        """Where head office stands for the token's counter: its contiguous high-water mark."""
        me = await who(request)
        return {"hall": me.hall, "counter": me.counter,
                "high_water": {"seq": me.hw_seq, "hash": me.hw_hash},
                "last_sync_at": me.last_sync_at,
                "limits": {"max_events": MAX_EVENTS, "max_body_bytes": MAX_BODY_BYTES}}

    @app.post("/api/v1/events", response_model=UploadAnswer, responses=_ERRORS, tags=["sync"],
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": _BATCH_SCHEMA}}}})
    async def upload(request: Request) -> dict[str, Any]:
        """Store a batch of the counter's events, in sequence order, in one transaction."""
        me = await who(request)
        if app.state.uploads >= max_uploads:
            raise Refusal(429, "busy", f"head office is taking {max_uploads} uploads already; "
                          f"retry after {BUSY_RETRY_AFTER_S} s")
        app.state.uploads += 1  # the event loop is one thread: no lock needed
        try:
            batch = parse_batch(await _read_body(request))
            result = await run_in_threadpool(store.ingest, me, batch)
        finally:
            app.state.uploads -= 1
        return {"high_water": {"seq": result.hw_seq, "hash": result.hw_hash},
                "stored": result.stored, "duplicates": result.duplicates,
                "conflicts": result.conflicts}

    @app.get("/api/v1/hall", responses=_ERRORS, tags=["hall"])
    async def hall(
        request: Request,
        month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$",
                                           description="YYYY-MM (default: this month)")] = None,
        day: Annotated[dt.date | None, Query(description="YYYY-MM-DD instead of a month")] = None,
        tz: Annotated[str | None, Query(description="IANA time zone of the hall (default: "
                                        "head office's)")] = None,
    ) -> dict[str, Any]:
        """Hall-wide figures as of each counter's last sync, for the token's own hall only."""
        me = await who(request)
        try:
            period = (reports.day_period(day, tz) if day else
                      reports.month_period(month or dt.date.today().strftime("%Y-%m"), tz))
        except (ValueError, KeyError) as exc:
            raise Refusal(400, "bad_period", str(exc)) from None
        return await run_in_threadpool(_hall_view, store, me.hall, period)

    return app


def _hall_view(store: Store, hall: str, period: reports.Period) -> dict[str, Any]:
    totals = reports.figures(store, period, by=("hall",), hall=hall)
    return {
        "hall": hall,
        "period": {"label": period.label, "start_utc": period.start_utc,
                   "end_utc": period.end_utc},
        "counters_synced": [
            {"counter": c.counter, "high_water_seq": c.hw_seq, "last_sync_at": c.last_sync_at}
            for c in store.counters(hall)
        ],
        "total": totals[0] if totals else None,
        "by_counter": reports.figures(store, period, by=("hall", "counter"), hall=hall),
        "by_staff": reports.figures(store, period, by=("hall", "staff"), hall=hall),
    }
