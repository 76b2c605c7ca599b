"""The hash chain: canonical bytes of an event and `hash = SHA-256(prev_hash ‖ canonical bytes)`.

Chain formats (how an event's fields become the bytes its hash covers):

* **1** — Python's `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`,
  UTF-8. Deterministic for this code base, but defined by one library: numbers are written as
  Python writes them (`180.0`, `1e-07`), keys are sorted by code point, so another language
  must reproduce Python's formatting to re-hash an event. Every log starts in format 1.
* **2** — RFC 8785, the JSON Canonicalization Scheme (JCS), via the `rfc8785` package: the
  same bytes for the same JSON values on every machine and in every language (`180.0` and
  `180` are both `180`, keys sorted by UTF-16 code units, integers within ±2⁵³).

The format is derived from the log itself: a `log_opened` event whose payload says
`chain_format: N` is the first event hashed in format N, and so is every later event, until a
later `log_opened` names a higher format (a format never goes back). `ChainWalker` follows the
switch while it checks sequence numbers, links and hashes, from the genesis or from any known
head (seq, hash, format), so a server can check an uploaded batch against its stored head.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import rfc8785

from counter_core.events import CHAIN_BREAK_DETECTED, LOG_OPENED

GENESIS_HASH = "0" * 64

#: json.dumps with sorted keys: the form of every event written before JCS
FORMAT_PYTHON_JSON = 1
#: RFC 8785 (JCS)
FORMAT_JCS = 2
#: The formats this version can hash.
CHAIN_FORMATS = (FORMAT_PYTHON_JSON, FORMAT_JCS)
#: The format a log starts in, before any `log_opened` names another.
INITIAL_FORMAT = FORMAT_PYTHON_JSON
#: The format this version writes once it records a `log_opened`.
CURRENT_FORMAT = FORMAT_JCS


@dataclass(frozen=True)
class Event:
    """One stored event, exactly as it is chained, kept and uploaded."""

    seq: int
    uuid: str
    kind: str
    at: str  # UTC, ISO 8601 with milliseconds and "Z"
    hall: str
    counter: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""

    def canonical_bytes(self, chain_format: int = INITIAL_FORMAT) -> bytes:
        return canonical_bytes(self.as_unhashed_dict(), chain_format)

    def as_unhashed_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "uuid": self.uuid,
            "kind": self.kind,
            "at": self.at,
            "hall": self.hall,
            "counter": self.counter,
            "payload": dict(self.payload),
        }

    def as_dict(self) -> dict[str, Any]:
        """The wire and export form: the hashed fields plus both hashes."""
        return {**self.as_unhashed_dict(), "prev_hash": self.prev_hash, "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            seq=data["seq"],
            uuid=data["uuid"],
            kind=data["kind"],
            at=data["at"],
            hall=data["hall"],
            counter=data["counter"],
            payload=dict(data.get("payload") or {}),
            prev_hash=data["prev_hash"],
            hash=data["hash"],
        )


class ChainFormatError(ValueError):
    """A chain format this version does not know, or fields that format cannot encode."""


def canonical_bytes(fields: Mapping[str, Any], chain_format: int = INITIAL_FORMAT) -> bytes:
    """The bytes an event's hash covers, in the given chain format.

    Format 1: sorted keys, no spaces, UTF-8, as Python's json module writes them — stable for
    this code base, but reproducing it elsewhere means reproducing Python's number formatting.
    Format 2: RFC 8785 (JCS) — the same bytes on every machine and in every language.
    Raises ValueError (ChainFormatError for format 2) for what the format cannot encode (NaN,
    infinities; in format 2 also integers beyond ±2⁵³ and lone surrogates).
    """
    if chain_format == FORMAT_PYTHON_JSON:
        return json.dumps(
            fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    if chain_format == FORMAT_JCS:
        ready = _jcs_ready(fields)
        if ready is not _NOT_READY:
            with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: rfc8785 says so
                return json.dumps(ready, sort_keys=True, separators=(",", ":"),
                                  ensure_ascii=False).encode("utf-8")
        try:
            return rfc8785.dumps(dict(fields))
        except rfc8785.CanonicalizationError as exc:
            raise ChainFormatError(f"not canonical JSON (RFC 8785): {exc}") from exc
        except UnicodeError as exc:  # a lone surrogate in a string
            raise ChainFormatError(f"not canonical JSON (RFC 8785): {exc}") from exc
    raise ChainFormatError(f"unknown chain format {chain_format!r}")


#: `_jcs_ready`'s answer for a value only the rfc8785 package can write (or refuse)
_NOT_READY: Any = object()
#: RFC 8785's integers: within ±(2⁵³ − 1)
_JCS_INT_MAX = 2**53 - 1


def _jcs_ready(value: Any) -> Any:
    """The value as json.dumps(sort_keys=True, compact, ensure_ascii=False) writes exactly as
    RFC 8785 does — in C, where the rfc8785 package is pure Python — or _NOT_READY.

    Where the two agree: ASCII keys (their code points sort as their UTF-16 units do); strings
    (both escape `"`, `\\` and control characters alike, \\u00xx in lowercase); booleans, null;
    integers within ±(2⁵³ − 1); floats from 1e-4 to below 1e16, where Python's repr has no
    exponent and is what RFC 8785 writes, but for an integral float's ".0" (given as an int).
    Anything else (other keys, numbers, types) goes to the rfc8785 package."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return value if -_JCS_INT_MAX <= value <= _JCS_INT_MAX else _NOT_READY
    if kind is float:
        if value == 0:
            return 0
        size = abs(value)  # NaN fails both comparisons, infinity the second
        if not 1e-4 <= size < 1e16:
            return _NOT_READY
        if value.is_integer():
            return int(value) if size <= _JCS_INT_MAX else _NOT_READY
        return value
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                return _NOT_READY
            if type(item) is str:  # most of an event: no call for it
                out[key] = item
                continue
            ready = _jcs_ready(item)
            if ready is _NOT_READY:
                return _NOT_READY
            out[key] = ready
        return out
    if kind is list or kind is tuple:
        items = [_jcs_ready(item) for item in value]
        return _NOT_READY if any(item is _NOT_READY for item in items) else items
    return _NOT_READY


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def seal(event: Event, chain_format: int = INITIAL_FORMAT) -> Event:
    """Return the event with its hash filled in from its prev_hash and contents."""
    return replace(event, hash=chain_hash(event.prev_hash, event.canonical_bytes(chain_format)))


def format_after(current: int, kind: str, payload: Mapping[str, Any]) -> int:
    """The chain format of an event of `kind` that follows events in format `current`.

    A `log_opened` naming a format switches to it (the event itself is hashed in it); any
    other event keeps the current one. Raises ChainFormatError for an unknown format or a
    format that goes back.
    """
    if kind != LOG_OPENED:
        return current
    wanted = payload.get("chain_format") if isinstance(payload, Mapping) else None
    if not isinstance(wanted, int) or isinstance(wanted, bool):
        raise ChainFormatError(f"log_opened without a whole-number chain_format: {wanted!r}")
    if wanted not in CHAIN_FORMATS:
        raise ChainFormatError(
            f"chain format {wanted} is unknown to this version (it knows "
            f"{', '.join(map(str, CHAIN_FORMATS))}); upgrade it")
    if wanted < current:
        raise ChainFormatError(f"chain format cannot go back from {current} to {wanted}")
    return wanted


def seal_next(event: Event, current_format: int) -> tuple[Event, int]:
    """Seal an event that follows events in `current_format`: (sealed event, its format)."""
    chain_format = format_after(current_format, event.kind, event.payload)
    return seal(event, chain_format), chain_format


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"sequence {self.seq}: {self.reason}"


@dataclass(frozen=True)
class ChainHead:
    """Where a chain stands: its last sequence number (0: empty), hash and chain format."""

    seq: int = 0
    hash: str = GENESIS_HASH
    chain_format: int = INITIAL_FORMAT


class ChainWalker:
    """Checks events one by one as they continue a chain: sequence continuity, prev_hash
    linkage, the hash recomputed in the event's chain format, and format switches.

    Start it at the genesis (the default) or at any known head, e.g. the (seq, hash, format)
    a server stored for a counter, to check an uploaded batch that continues from there.
    `feed` returns None and advances the head, or returns the problem and leaves it unchanged.
    """

    def __init__(self, head: ChainHead | None = None, *, seq: int | None = None,
                 hash: str | None = None, chain_format: int | None = None) -> None:
        head = head or ChainHead()
        self._head = ChainHead(
            head.seq if seq is None else seq,
            head.hash if hash is None else hash,
            head.chain_format if chain_format is None else chain_format,
        )
        if self._head.chain_format not in CHAIN_FORMATS:
            raise ChainFormatError(f"unknown chain format {self._head.chain_format!r}")
        self.events = 0  # how many were accepted
        #: the canonical bytes of the last accepted event, in its chain format: what a server
        #: stores as the event's text so that it re-hashes without knowing the format
        self.last_bytes = b""

    @property
    def head(self) -> ChainHead:
        return self._head

    @property
    def seq(self) -> int:
        return self._head.seq

    @property
    def hash(self) -> str:
        return self._head.hash

    @property
    def chain_format(self) -> int:
        return self._head.chain_format

    def feed(self, ev: Event) -> ChainProblem | None:
        expect = self._head.seq + 1
        if ev.seq != expect:
            missing = expect if ev.seq > expect else ev.seq
            return ChainProblem(missing, f"expected sequence {expect}, found {ev.seq}")
        if ev.prev_hash != self._head.hash:
            return ChainProblem(ev.seq, "prev_hash does not match the previous event's hash")
        try:
            chain_format = format_after(self._head.chain_format, ev.kind, ev.payload)
            canonical = ev.canonical_bytes(chain_format)
        except ValueError as exc:  # ChainFormatError, or what json cannot encode
            return ChainProblem(ev.seq, str(exc))
        if chain_hash(ev.prev_hash, canonical) != ev.hash:
            return ChainProblem(
                ev.seq, f"hash does not match the event's contents (chain format {chain_format})")
        self._head = ChainHead(ev.seq, ev.hash, chain_format)
        self.events += 1
        self.last_bytes = canonical
        return None

    def walk(self, events: Iterable[Event]) -> ChainProblem | None:
        """Feed the events in order; the first problem, or None when all continue the chain."""
        for ev in events:
            problem = self.feed(ev)
            if problem is not None:
                return problem
        return None


def walk(events: Iterable[Event], *, start: ChainHead | None = None) -> ChainProblem | None:
    """Walk the chain in order from `start` (the genesis by default); name the first event that
    does not follow from the one before."""
    return ChainWalker(start).walk(events)


def first_break(
    events: Iterable[Event], *, prev_hash: str = GENESIS_HASH, expect_seq: int = 1,
    chain_format: int = INITIAL_FORMAT,
) -> ChainProblem | None:
    """Walk the chain in order; name the first event that does not follow from the one before.

    `prev_hash`, `expect_seq` and `chain_format` say where the events continue from (the
    genesis by default). Kept for existing callers: `walk` / `ChainWalker` are the same walk.
    """
    return ChainWalker(ChainHead(expect_seq - 1, prev_hash, chain_format)).walk(events)


def head_of(events: Iterable[Event], start: ChainHead | None = None) -> ChainHead:
    """The head after events already known to chain correctly (no hashes recomputed): how a
    store finds the chain format in force at its last stored event."""
    head = start or ChainHead()
    for ev in events:
        head = ChainHead(ev.seq, ev.hash,
                         format_after(head.chain_format, ev.kind, ev.payload))
    return head


# ---- recorded breaks: a chain that goes on as a new segment --------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """A break the counter found and recorded with a `chain_break_detected` event.

    The events from `first_bad_seq` to `last_bad_seq` (the one before the break event) are the
    broken span: they no longer verify and are kept only as evidence. The break event itself
    continues from the stored head, so the chain verifies again from it on.
    """

    last_good_seq: int
    last_good_hash: str
    first_bad_seq: int
    break_seq: int
    break_hash: str
    detected_at: str
    reason: str = ""  # the problem at first_bad_seq, as the walker names it
    chain_format: int = INITIAL_FORMAT  # the format the break event is hashed in

    @property
    def last_bad_seq(self) -> int:
        return self.break_seq - 1

    def describe(self) -> str:
        return (f"chain break recorded at sequence {self.break_seq} ({self.detected_at}): "
                f"sequences {self.first_bad_seq}–{self.last_bad_seq} do not verify "
                f"(last good {self.last_good_seq}, hash {self.last_good_hash[:12]}…)")


def break_payload(last_good: ChainHead, first_bad_seq: int, detected_at: str) -> dict[str, Any]:
    """The payload of the `chain_break_detected` event that records a break."""
    return {"last_good_seq": last_good.seq, "last_good_hash": last_good.hash,
            "first_bad_seq": first_bad_seq, "detected_at": detected_at}


@dataclass
class SegmentWalk:
    """The outcome of `SegmentWalker.walk`.

    `accepted`: the events that verify, each with the canonical bytes its hash covers (the
    good prefix and every segment after a recorded break). `breaks`: the recorded breaks
    honoured, each with its `span` (the broken events that were offered). `problem`: the
    first break no `chain_break_detected` event accounts for (None: the chain verifies); the
    events after it are neither accepted nor part of a span.
    """

    head: ChainHead
    accepted: list[tuple[Event, bytes]] = field(default_factory=list)
    breaks: list[tuple[ChainBreak, list[Event]]] = field(default_factory=list)
    problem: ChainProblem | None = None
    #: where the chain last verified before `problem` (what a new break event names)
    good_head: ChainHead | None = None


def _break_event_matches(ev: Event, good: ChainHead, problem: ChainProblem,
                         before: Event | None) -> int | None:
    """The chain format in which `ev` records the break at `problem` after `good`, or None.

    The event must name the last good event (sequence and hash) and the first bad sequence,
    come after the first bad event, continue from the stored event before it (its prev_hash is
    that event's hash field, when that event was offered: a span may come in parts), and hash
    correctly in a format no older than the good head's."""
    if ev.kind != CHAIN_BREAK_DETECTED or not isinstance(ev.payload, Mapping):
        return None
    p = ev.payload
    if (p.get("last_good_seq") != good.seq or p.get("last_good_hash") != good.hash
            or p.get("first_bad_seq") != problem.seq or ev.seq <= problem.seq):
        return None
    if before is not None and before.seq == ev.seq - 1 and before.hash != ev.prev_hash:
        return None
    for chain_format in CHAIN_FORMATS:
        if chain_format < good.chain_format:
            continue
        try:
            canonical = ev.canonical_bytes(chain_format)
        except ValueError:
            continue
        if chain_hash(ev.prev_hash, canonical) == ev.hash:
            return chain_format
    return None


class SegmentWalker:
    """The chain walk that honours recorded breaks.

    Walks like `ChainWalker`; at a problem it looks for a `chain_break_detected` event (the
    problem event itself, or a later one) naming the last good event and the first bad
    sequence. When one is found and hashes correctly, the events between are the broken span
    and the walk goes on from the break event, which starts a new segment. Without one, the
    walk ends at the problem: every later event is counted into `pending_span` only.
    """

    def __init__(self, head: ChainHead | None = None) -> None:
        self._walker = ChainWalker(head)
        self.breaks: list[tuple[ChainBreak, list[Event]]] = []
        self._span: list[Event] | None = None
        self._problem: ChainProblem | None = None
        self._good = self._walker.head

    @property
    def head(self) -> ChainHead:
        """The head of the verified chain (the last accepted event)."""
        return self._walker.head

    @property
    def last_bytes(self) -> bytes:
        return self._walker.last_bytes

    @property
    def problem(self) -> ChainProblem | None:
        """The break no `chain_break_detected` has accounted for (yet)."""
        return self._problem

    @property
    def good_head(self) -> ChainHead:
        """Where the chain last verified: what a new break event names as last good."""
        return self._good if self._problem is not None else self._walker.head

    @property
    def pending_span(self) -> list[Event]:
        return list(self._span or [])

    def feed(self, ev: Event) -> bool:
        """True when the event verifies (it continues a segment, or is a break event that
        starts a new one); False when it lies in a broken span."""
        if self._problem is None:
            found = self._walker.feed(ev)
            if found is None:
                return True
            self._problem, self._good, self._span = found, self._walker.head, []
        assert self._problem is not None and self._span is not None
        before = self._span[-1] if self._span else None
        chain_format = _break_event_matches(ev, self._good, self._problem, before)
        if chain_format is None:
            self._span.append(ev)
            return False
        brk = ChainBreak(self._good.seq, self._good.hash, self._problem.seq, ev.seq, ev.hash,
                         str(ev.payload.get("detected_at", "")), self._problem.reason,
                         chain_format)
        self.breaks.append((brk, self._span))
        self._walker = ChainWalker(ChainHead(ev.seq, ev.hash, chain_format))
        self._walker.last_bytes = ev.canonical_bytes(chain_format)
        self._walker.events = 1
        self._span, self._problem = None, None
        return True

    def walk(self, events: Iterable[Event]) -> SegmentWalk:
        result = SegmentWalk(head=self.head)
        for ev in events:
            if self.feed(ev):
                result.accepted.append((ev, self.last_bytes))
        result.breaks = list(self.breaks)
        result.problem = self._problem
        result.good_head = self.good_head if self._problem is not None else None
        result.head = self.head
        return result
