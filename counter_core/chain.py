"""The hash chain: canonical bytes of an event and `hash = SHA-256(prev_hash ‖ canonical bytes)`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

GENESIS_HASH = "0" * 64


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

    def canonical_bytes(self) -> bytes:
        return canonical_bytes(self.as_unhashed_dict())

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


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same bytes on every machine and in every language."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def seal(event: Event) -> Event:
    """Return the event with its hash filled in from its prev_hash and contents."""
    return replace(event, hash=chain_hash(event.prev_hash, event.canonical_bytes()))


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"sequence {self.seq}: {self.reason}"


def first_break(
    events: Iterable[Event], *, prev_hash: str = GENESIS_HASH, expect_seq: int = 1
) -> ChainProblem | None:
    """Walk the chain in order; name the first event that does not follow from the one before."""
    for ev in events:
        if ev.seq != expect_seq:
            missing = expect_seq if ev.seq > expect_seq else ev.seq
            return ChainProblem(missing, f"expected sequence {expect_seq}, found {ev.seq}")
        if ev.prev_hash != prev_hash:
            return ChainProblem(ev.seq, "prev_hash does not match the previous event's hash")
        if chain_hash(ev.prev_hash, ev.canonical_bytes()) != ev.hash:
            return ChainProblem(ev.seq, "hash does not match the event's contents")
        prev_hash = ev.hash
        expect_seq += 1
    return None
