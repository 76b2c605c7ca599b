"""The staff roster as a fold of the staff events: who may sign in, in which role, with which
PIN hash (by its digest), and whether a manager disabled the account. A counter's staff table is
this fold's projection plus what events never carry (names, photos, the hash itself, lockout
counters); `verify` compares the two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from counter_core import events
from counter_core.events import KindAndPayload


def pin_digest(pin_hash: str) -> str:
    """What an event says of a stored PIN hash: its SHA-256, which commits to the hash (a
    changed hash in the table no longer matches) without handing out the salt and scrypt
    digest that would let whoever reads the log guess the PIN offline."""
    return hashlib.sha256(pin_hash.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    """One staff number as its events have left it."""

    role: str
    pin_digest: str
    added_seq: int | None = None
    #: a manager disabled it (`staff_disabled`): it signs in no more until `staff_enabled`
    disabled: bool = False


def fold(log: Iterable[KindAndPayload]) -> dict[str, Account]:
    """The roster after the events, in order (other kinds, and `staff_locked`, are skipped).

    Raises ValueError for a change to a number no `staff_added` introduced. A `staff_added`
    of a number already there (never written by this version) starts it afresh, enabled.
    """
    roster: dict[str, Account] = {}
    for event in log:
        kind = event.kind
        if kind not in events.STAFF_KINDS or kind == events.STAFF_LOCKED:
            continue
        payload = event.payload
        number = str(payload["staff"])
        if kind == events.STAFF_ADDED:
            roster[number] = Account(str(payload["role"]), str(payload["pin_digest"]),
                                     getattr(event, "seq", None))
            continue
        current = roster.get(number)
        if current is None:
            raise ValueError(f"{kind} for staff {number}, who was never added")
        if kind == events.STAFF_PIN_CHANGED:
            roster[number] = replace(current, pin_digest=str(payload["pin_digest"]))
        elif kind == events.STAFF_ROLE_CHANGED:
            roster[number] = replace(current, role=str(payload["role"]))
        elif kind == events.STAFF_DISABLED:
            roster[number] = replace(current, disabled=True)
        elif kind == events.STAFF_ENABLED:
            roster[number] = replace(current, disabled=False)
        else:  # a staff kind this fold was not taught: a bug here, not a role change
            raise ValueError(f"{kind} is a staff kind the roster does not fold")
    return roster
