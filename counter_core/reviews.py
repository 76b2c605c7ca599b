"""The duty manager's events: overtime reviews, poor-rating follow-ups, the confirmed star.

Each is append-only: a later review of the same transaction supersedes the earlier one, and the
projections (one row per transaction and subject, one per month) are a pure fold of the log.

The cause lists live in counter_core.ratings with the other fixed choice lists (re-exported
here); every draft is checked against counter_core.events' schema before it is returned, so
the manager and staff fields are staff numbers, never names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from counter_core.chain import Event
from counter_core.events import (
    CASES_HANDED_OVER,
    COMPLETED,
    MAX_HANDOVER_TXNS,
    MAX_NOTE,
    OVERTIME_REVIEWED,
    RATING_FOLLOWED_UP,
    STAR_CONFIRMED,
    TYPE_CHANGED,
    validate_payload,
)
from counter_core.periods import parse_utc
from counter_core.ratings import FOLLOW_UP_CAUSES as FOLLOW_UP_CAUSES
from counter_core.ratings import OVERTIME_CAUSES as OVERTIME_CAUSES
from counter_core.ratings import Choice
from counter_core.transaction import Draft

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

REVIEW_COLUMNS: tuple[str, ...] = (
    "txn", "subject", "cause", "note", "called_back", "resolved", "manager", "reviewed_at", "seq",
)
STAR_COLUMNS: tuple[str, ...] = ("month", "staff", "score", "manager", "confirmed_at", "seq")


class ReviewError(ValueError):
    """A review that cannot be recorded; the message is shown to the manager."""


def _codes(choices: tuple[Choice, ...]) -> frozenset[str]:
    return frozenset(c.code for c in choices)


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ReviewError(f"The note is too long (at most {MAX_NOTE} characters)")
    return note


def overtime_review(txn: str, cause: str, note: str, manager: str, *,
                    type_change: TypeChange | None = None,
                    accept_type_change: bool = False) -> Draft:
    """The event recording the manager's cause for an overtime transaction.

    `manager` is the manager's staff number, never a name. For a transaction whose type was
    changed after its target (`type_change`), the review also records whether the manager
    accepts the change (`accept_type_change`) and the target the transaction counts against
    from then on: the new type's when accepted, else the target passed.
    """
    if not cause:
        raise ReviewError("Choose a cause first")
    if cause not in _codes(OVERTIME_CAUSES):
        raise ReviewError(f"Unknown overtime cause {cause!r}")
    if cause == "other" and not note.strip():
        raise ReviewError("Say what the cause was in the note when choosing “other”")
    payload: dict[str, Any] = {"txn": txn, "cause": cause, "note": _note(note),
                               "manager": manager}
    if accept_type_change and type_change is None:
        raise ReviewError("This transaction's type was not changed after its target: there "
                          "is no type change to accept")
    if type_change is not None:
        payload["accept_type_change"] = bool(accept_type_change)
        payload["target_s"] = (type_change.new_target_s if accept_type_change
                               else type_change.passed_target_s)
    return _checked(Draft(OVERTIME_REVIEWED, payload))


@dataclass(frozen=True)
class TypeChange:
    """A transaction's type changed (F3) after its target had passed: the target passed and
    the target of the type it was finished as (None: untimed)."""

    passed_target_s: float
    new_target_s: float | None


def type_change_after_target(txn_events: Iterable[Event | Draft]) -> TypeChange | None:
    """The type change after target among one transaction's events (in log order), if any."""
    passed: float | None = None
    final: float | None = None
    done = False
    for event in txn_events:
        p = event.payload
        if event.kind == TYPE_CHANGED and p.get("after_target") and passed is None:
            value = p.get("passed_target_s")
            passed = float(value) if isinstance(value, int | float) else None
        elif event.kind == COMPLETED:
            target = p.get("target_s")
            final = float(target) if isinstance(target, int | float) else None
            done = True
    if passed is None or not done:
        return None
    return TypeChange(passed, final)


def rating_follow_up(txn: str, *, called_back: bool, cause: str, resolved: bool, note: str,
                     manager: str) -> Draft:
    """The event recording the manager's follow-up of a poor rating (好差评 requires one)."""
    if not cause:
        raise ReviewError("Choose a cause first")
    if cause not in _codes(FOLLOW_UP_CAUSES):
        raise ReviewError(f"Unknown follow-up cause {cause!r}")
    return _checked(Draft(RATING_FOLLOWED_UP, {
        "txn": txn, "called_back": bool(called_back), "cause": cause,
        "resolved": bool(resolved), "note": _note(note), "manager": manager,
    }))


def star_confirmation(month: str, staff: str, score: float | None, manager: str) -> Draft:
    """The event naming the month's service star."""
    if not _MONTH.match(month):
        raise ReviewError(f"Month must be YYYY-MM, got {month!r}")
    if not staff:
        raise ReviewError("Choose the staff member to confirm as star")
    return _checked(Draft(STAR_CONFIRMED, {
        "month": month, "staff": staff,
        "score": None if score is None else round(float(score), 4), "manager": manager,
    }))


@dataclass(frozen=True)
class BulkReview:
    """One cause given to every overtime case of a time window: the events to record (in one
    commit) and the cases skipped because they are the manager's own."""

    drafts: tuple[Draft, ...]
    skipped_own: tuple[str, ...]


def bulk_overtime_reviews(cases: Iterable[Mapping[str, Any]], cause: str, note: str,
                          manager: str) -> BulkReview:
    """One `overtime_reviewed` per case (rows with `txn` and `staff`), the manager's own cases
    skipped: e.g. every overtime case of an outage of the operator's business system."""
    drafts: list[Draft] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for case in cases:
        txn = str(case["txn"])
        if txn in seen:
            continue
        seen.add(txn)
        if case.get("staff") == manager:
            skipped.append(txn)
            continue
        drafts.append(overtime_review(txn, cause, note, manager))
    if not drafts:
        raise ReviewError("There is no overtime case in this window to give the cause to"
                          + (" (your own cases are decided by another manager)"
                             if skipped else ""))
    return BulkReview(tuple(drafts), tuple(skipped))


def cases_handover(txns: Iterable[str], from_manager: str, to_manager: str,
                   note: str) -> Draft:
    """The event handing open cases over to the next shift's manager (`to_manager`)."""
    names = list(dict.fromkeys(txns))
    if not names:
        raise ReviewError("There is no open case to hand over")
    if len(names) > MAX_HANDOVER_TXNS:
        raise ReviewError(f"At most {MAX_HANDOVER_TXNS} cases can be handed over at once; "
                          "narrow the period")
    if not to_manager.strip():
        raise ReviewError("Choose the manager who takes the cases over")
    if to_manager == from_manager:
        raise ReviewError("Hand the cases over to another manager")
    return _checked(Draft(CASES_HANDED_OVER, {
        "from": from_manager, "to": to_manager.strip(), "txns": names, "note": _note(note),
    }))


def _checked(draft: Draft) -> Draft:
    """The draft, once its payload fits the vocabulary: staff and manager are staff numbers
    (names stay in the staff table), codes from the fixed lists, notes bounded."""
    problem = validate_payload(draft.kind, draft.payload)
    if problem is not None:
        raise ReviewError(f"Cannot record {draft.kind}: {problem}")
    return draft


# ---- projection -----------------------------------------------------------------------------

def apply(event: Event) -> tuple[str, dict[str, Any]] | None:
    """(table, row) that the event puts in place of any earlier one, or None for other kinds."""
    p = event.payload
    if event.kind == OVERTIME_REVIEWED:
        return "reviews", {
            "txn": p["txn"], "subject": "overtime", "cause": p["cause"], "note": p.get("note", ""),
            "called_back": None, "resolved": None, "manager": p.get("manager", ""),
            "reviewed_at": event.at, "seq": event.seq,
        }
    if event.kind == RATING_FOLLOWED_UP:
        return "reviews", {
            "txn": p["txn"], "subject": "rating", "cause": p["cause"], "note": p.get("note", ""),
            "called_back": int(bool(p["called_back"])), "resolved": int(bool(p["resolved"])),
            "manager": p.get("manager", ""), "reviewed_at": event.at, "seq": event.seq,
        }
    if event.kind == STAR_CONFIRMED:
        return "stars", {
            "month": p["month"], "staff": p["staff"], "score": p.get("score"),
            "manager": p.get("manager", ""), "confirmed_at": event.at, "seq": event.seq,
        }
    return None


def key(table: str, row: dict[str, Any]) -> tuple[str, ...]:
    return (row["txn"], row["subject"]) if table == "reviews" else (row["month"],)


def rebuild(events: Iterable[Event]) -> dict[str, dict[tuple[str, ...], dict[str, Any]]]:
    """Both manager tables, folded from the log alone: the latest event per key wins."""
    tables: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {"reviews": {}, "stars": {}}
    for event in events:
        applied = apply(event)
        if applied is not None:
            table, row = applied
            tables[table][key(table, row)] = row
    return tables


# ---- decisions from several chains (the hall view) ------------------------------------------

#: two chains' decisions of one case this close together are flagged "decided twice": two
#: managers decided it at nearly the same time, each without seeing the other's decision
DECIDED_TWICE_WITHIN_S = 10 * 60


@dataclass(frozen=True)
class Decision:
    """One manager's decision of a case (a transaction's overtime review or follow-up, a
    month's star), as recorded in one chain: `at` its UTC record time, `chain` the (hall,
    counter) of the desk or counter it was decided at, `seq` its place in that chain, `row`
    what `apply` made of it (carried along, never read here)."""

    at: str
    chain: tuple[str, str]
    seq: int
    row: Any = None


@dataclass(frozen=True)
class Merged:
    """The decision that counts, and whether another chain decided the case within
    DECIDED_TWICE_WITHIN_S of it (`rivals`: those chains' latest decisions)."""

    winner: Decision
    rivals: tuple[Decision, ...] = ()

    @property
    def decided_twice(self) -> bool:
        return bool(self.rivals)


def merge_decisions(decisions: Iterable[Decision], *,
                    within_s: float = DECIDED_TWICE_WITHIN_S) -> Merged | None:
    """The decision that counts among one case's decisions from any number of chains.

    Within one chain the later one (by its place in the chain) supersedes, as always; across
    chains the later one by its time wins, ties broken by the chain id (the greater (hall,
    counter) wins), so every mirror of the hall picks the same decision whatever order the
    chains arrive in. The case is flagged when another chain's latest decision lies within
    `within_s` seconds of the winner's: two managers decided it minutes apart. None for no
    decisions.
    """
    latest: dict[tuple[str, str], Decision] = {}
    for decision in decisions:
        held = latest.get(decision.chain)
        if held is None or decision.seq > held.seq:
            latest[decision.chain] = decision
    if not latest:
        return None
    winner = max(latest.values(), key=lambda d: (parse_utc(d.at), d.chain))
    won_at = parse_utc(winner.at)
    rivals = tuple(sorted(
        (d for d in latest.values() if d.chain != winner.chain
         and abs((parse_utc(d.at) - won_at).total_seconds()) <= within_s),
        key=lambda d: d.chain))
    return Merged(winner, rivals)
