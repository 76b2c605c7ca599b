"""`GET /status` and `POST /events`: where head office stands, and the counter's uploads."""

from __future__ import annotations

import itertools
import json
import math
import re
import zlib
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from counter_core.chain import Event
from head_office.deps import CurrentCounter, StoreDep, UploadGateDep
from head_office.errors import (
    BadGzip,
    BadHeader,
    MalformedBatch,
    MalformedEvent,
    MalformedJson,
    TooLarge,
    TooManyEvents,
    UnorderedBatch,
    UnsupportedEncoding,
)
from head_office.routes.models import (
    BATCH_CHECK,
    MAX_BODY_BYTES,
    MAX_EVENTS,
    MAX_SEQ,
    EventIn,
    HighWaterOut,
    LimitsOut,
    SetAsideOut,
    StatusOut,
    UploadOut,
)
from head_office.store import Counter, IngestResult, Store

router = APIRouter(tags=["sync"])


@router.get("/status", response_model=StatusOut)
async def status(me: CurrentCounter) -> StatusOut:
    """Where head office stands for the token's counter: its contiguous high-water mark."""
    return StatusOut(hall=me.hall, counter=me.counter,
                     high_water=HighWaterOut(seq=me.hw_seq, hash=me.hw_hash),
                     last_sync_at=me.last_sync_at,
                     limits=LimitsOut(max_events=MAX_EVENTS, max_body_bytes=MAX_BODY_BYTES))


_BATCH_SCHEMA = {
    "type": "object", "required": ["events"],
    "properties": {"events": {"type": "array", "maxItems": MAX_EVENTS,
                              "items": EventIn.model_json_schema()}},
}


@router.post("/events", response_model=UploadOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": _BATCH_SCHEMA}}}})
async def upload(request: Request, me: CurrentCounter, store: StoreDep,
                 gate: UploadGateDep) -> UploadOut:
    """Store a batch of the counter's events, in sequence order, in one transaction."""
    # the body first: an upload still waiting for its bytes holds no slot (a stalled one is
    # cut off by the body timeout, 408), so slow senders never lock the others out
    body = await read_body(request)
    with gate.slot():
        # parsing, checking and storing are CPU work: off the event loop, so one large batch
        # never holds up the other uploads' reads and answers (nor /status and /health)
        result = await run_in_threadpool(_parse_and_ingest, store, me, body)
    return UploadOut(high_water=HighWaterOut(seq=result.hw_seq, hash=result.hw_hash),
                     stored=result.stored, duplicates=result.duplicates,
                     conflicts=result.conflicts,
                     aside=[SetAsideOut(seq=a.seq, kind=a.kind, reason=a.reason)
                            for a in result.aside],
                     invalid=[SetAsideOut(seq=a.seq, kind=a.kind, reason=a.reason)
                              for a in result.invalid],
                     pending=result.pending)


def _parse_and_ingest(store: Store, me: Counter, body: bytes) -> IngestResult:
    return store.ingest(me, parse_batch(body))


# ---- the body ---------------------------------------------------------------------------

async def read_body(request: Request) -> bytes:
    """The body, undone from gzip, refused as soon as it passes the limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        digits = declared.strip()
        if not (digits.isascii() and digits.isdigit()):
            raise BadHeader(f"Content-Length {declared[:40]!r} is not a number of bytes")
        significant = digits.lstrip("0") or "0"
        if len(significant) > len(str(MAX_BODY_BYTES)) or int(significant) > MAX_BODY_BYTES:
            raise TooLarge(f"a body of {digits[:40]} bytes is over the limit of "
                           f"{MAX_BODY_BYTES} bytes; send smaller batches")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding[:40]!r} is not supported; "
                                  "send gzip or nothing")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY_BYTES:
            raise TooLarge(f"body is over the limit of {MAX_BODY_BYTES} bytes; "
                           "send smaller batches")
    if encoding in ("", "identity"):
        return bytes(raw)
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(bytes(raw), MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise BadGzip(f"the body is not valid gzip: {exc}") from None
    if len(body) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise TooLarge(f"body is over the limit of {MAX_BODY_BYTES} bytes once gzip is "
                       "undone; send smaller batches")
    if not inflater.eof:
        raise BadGzip("the gzip body is truncated")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def parse_batch(body: bytes) -> list[Event]:
    """The events of an upload, each checked against EventIn; the refusal names the first bad
    one (MalformedJson, MalformedBatch, TooManyEvents, MalformedEvent, UnorderedBatch)."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_no_constant,
                          parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedJson(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedJson("the body is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise MalformedBatch('expected a JSON object {"events": [...]}')
    items: list[Any] = data["events"]
    if len(items) > MAX_EVENTS:
        raise TooManyEvents(f"{len(items)} events in one batch; the limit is {MAX_EVENTS}")
    _refuse_lone_surrogates(body, data, items)
    try:
        BATCH_CHECK.validate_python(data)
    except ValidationError as exc:
        raise _event_refusal(exc, items) from None
    # the events exactly as sent (validation only checked them)
    parsed = [Event.from_dict(item) for item in items]
    for before, after in itertools.pairwise(parsed):
        if after.seq <= before.seq:
            raise UnorderedBatch(f"events must be in rising sequence order; {after.seq} "
                                 f"follows {before.seq}", after.seq)
    return parsed


#: a JSON escape of a UTF-16 surrogate (`\\ud800`–`\\udfff`, either case): the only way a JSON
#: text that decodes as UTF-8 can hold a lone surrogate
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _utf8(value: Any) -> bool:
    """Whether the JSON value can be written as UTF-8 (no lone surrogate from a `\\ud800`)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refuse_lone_surrogates(body: bytes, data: dict[str, Any], items: list[Any]) -> None:
    """MalformedEvent naming the first event with text that is not Unicode (a lone surrogate
    escape, in a key or a value), MalformedBatch if it is outside the events."""
    if not _SURROGATE_ESCAPE.search(body) or _utf8(data):
        return
    for index, item in enumerate(items):
        if not _utf8(item):
            seq = item.get("seq") if isinstance(item, dict) else None
            if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq < MAX_SEQ:
                seq = None
            where = f"event {seq}" if seq is not None else f"event {index + 1} of the batch"
            raise MalformedEvent(f"{where} holds text that is not valid Unicode (a lone "
                                 "surrogate such as \\ud800)", seq)
    raise MalformedBatch("the batch holds text that is not valid Unicode (a lone surrogate "
                         "such as \\ud800)")


_HASHES = ("prev_hash", "hash")


def _event_refusal(exc: ValidationError, items: list[Any]) -> MalformedBatch:
    """The first bad event of a batch that failed validation, in a sentence."""
    errors = exc.errors(include_url=False, include_input=False)
    first = next((e for e in errors if len(e["loc"]) >= 2 and e["loc"][0] == "events"), None)
    if first is None:
        return MalformedBatch('expected a JSON object {"events": [...]}')
    index = int(first["loc"][1])
    item = items[index]
    seq = item.get("seq") if isinstance(item, dict) else None
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq < MAX_SEQ:
        seq = None
    where = f"event {seq}" if seq is not None else f"event {index + 1} of the batch"
    if len(first["loc"]) == 2:
        return MalformedEvent(f"{where} is not a JSON object", seq)
    mine = [e for e in errors if e["loc"][:2] == ("events", index) and len(e["loc"]) >= 3]
    missing = sorted(str(e["loc"][2]) for e in mine if e["type"] == "missing")
    extra = sorted(str(e["loc"][2]) for e in mine if e["type"] == "extra_forbidden")
    if missing:
        return MalformedEvent(f"{where}: missing {', '.join(missing)}", seq)
    if extra:
        return MalformedEvent(f"{where}: unexpected {', '.join(extra)}", seq)
    field = str(first["loc"][2])
    if first["type"] == "string_pattern_mismatch":
        why = ("must be 64 lowercase hex digits" if field in _HASHES
               else "holds a NUL character")
    elif field == "seq" and first["type"] in ("greater_than_equal", "less_than"):
        why = f"must be from 1 to {MAX_SEQ - 1}"
    else:
        why = f"is wrong: {first['msg']}"
    return MalformedEvent(f"{where}: {field} {why}", seq)
