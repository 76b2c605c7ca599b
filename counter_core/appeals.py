"""Appeals (申诉): a clerk appeals a poor rating of an earlier day; a manager other than the
clerk decides it; an upheld appeal takes the rating out of satisfaction and the star.

The rules, as plain functions (no Qt, no database):

* a clerk sees and appeals only their own poor ratings (1–2) of *earlier* days, by date only
  (no minute-level time: an appeal must not point at a customer), once per rating;
* the appeal is decided, upheld or rejected with a note, by a manager who is not the appellant;
* an upheld appeal leaves the rating in the log and in the projection: the figures leave it
  out of rated/satisfied/mean and the star ranking and count it separately ("upheld appeals").

The lifecycle half (what may follow what) is counter_core.events.appeal_problem, so the
counter's append and head office refuse the same events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from counter_core.chain import Event
from counter_core.events import (
    APPEAL_DECIDED,
    APPEAL_REASON_CODES,
    MAX_APPEAL_NOTE,
    RATING_APPEALED,
    validate_payload,
)
from counter_core.ratings import POOR_RATINGS, Choice
from counter_core.transaction import Draft

#: Why a clerk appeals (the fixed list the events' schema checks).
APPEAL_REASONS: tuple[Choice, ...] = (
    Choice("customer_misunderstood", "客户误解", "Customer misunderstood"),
    Choice("system_fault", "系统故障", "System fault"),
    Choice("wrong_counter", "客户评错窗口", "Rated the wrong counter"),
    Choice("other", "其他", "Other"),
)
assert frozenset(c.code for c in APPEAL_REASONS) == APPEAL_REASON_CODES

#: The appeal states shown to the clerk and the manager.
NOT_APPEALED, OPEN, UPHELD, REJECTED = "not_appealed", "open", "upheld", "rejected"

#: The counter's appeals table: one row per appealed transaction.
APPEAL_COLUMNS: tuple[str, ...] = (
    "txn",
    "staff",
    "reason",
    "note",
    "appealed_at",
    "appeal_seq",
    "upheld",
    "decided_by",
    "decision_note",
    "decided_at",
    "decided_seq",
)


class AppealError(ValueError):
    """An appeal or decision that cannot be recorded; the message is shown as it is."""


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_APPEAL_NOTE:
        raise AppealError(f"The note is too long (at most {MAX_APPEAL_NOTE} characters)")
    return note


def _checked(draft: Draft) -> Draft:
    problem = validate_payload(draft.kind, draft.payload)
    if problem is not None:
        raise AppealError(f"Cannot record {draft.kind}: {problem}")
    return draft


def appeal(txn: str, staff: str, reason: str, note: str = "") -> Draft:
    """The clerk's appeal of their poor rating of `txn` (staff: their staff number)."""
    if not reason:
        raise AppealError("Choose a reason first")
    if reason not in APPEAL_REASON_CODES:
        raise AppealError(f"Unknown appeal reason {reason!r}")
    note = _note(note)
    if reason == "other" and not note:
        raise AppealError("Say why in the note when choosing “other”")
    return _checked(
        Draft(RATING_APPEALED, {"txn": txn, "staff": staff, "reason": reason, "note": note})
    )


def decision(
    txn: str, *, upheld: bool, by: str, note: str = "", appellant: str | None = None
) -> Draft:
    """The manager's decision of the appeal of `txn`; refused for the appellant themself."""
    if appellant is not None and by == appellant:
        raise AppealError("You appealed this rating yourself: another manager decides it")
    note = _note(note)
    if not upheld and not note:
        raise AppealError("Say why the appeal is rejected in the note")
    return _checked(
        Draft(APPEAL_DECIDED, {"txn": txn, "upheld": bool(upheld), "by": by, "note": note})
    )


def state_of(row: Mapping[str, Any] | None) -> str:
    """NOT_APPEALED, OPEN, UPHELD or REJECTED for an appeals row (None: not appealed)."""
    if row is None or row.get("appeal_seq") is None:
        return NOT_APPEALED
    upheld = row.get("upheld")
    if upheld is None:
        return OPEN
    return UPHELD if upheld else REJECTED


def is_upheld(row: Mapping[str, Any]) -> bool:
    """Whether a transactions row (with `appeal_upheld`) has its rating taken out by an upheld
    appeal: the figures' one predicate (counter_core.figures)."""
    return bool(row.get("appeal_upheld"))


def appealable(started_day: dt.date, today: dt.date, rating: Any) -> bool:
    """A poor rating of an earlier day: what a clerk may see and appeal."""
    return started_day < today and rating in POOR_RATINGS


@dataclass(frozen=True)
class MyRating:
    """One line of the clerk's "My ratings": the date only, never the time."""

    txn: str
    day: dt.date
    type: str
    rating: int
    state: str


def my_ratings(
    rows: Iterable[Mapping[str, Any]], staff: str, today: dt.date, day_of: Any
) -> list[MyRating]:
    """The clerk's own poor ratings of earlier days, newest first; `rows` are transactions
    rows with the appeal columns (`appeal_seq`, `upheld`), `day_of` maps started_at to the
    hall's local date."""
    out = []
    for row in rows:
        if row.get("staff") != staff or row.get("status") != "completed":
            continue
        day = day_of(str(row["started_at"]))
        if not appealable(day, today, row.get("rating")):
            continue
        out.append(
            MyRating(str(row["txn"]), day, str(row["type"]), int(row["rating"]), state_of(row))
        )
    out.sort(key=lambda r: (r.day, r.txn), reverse=True)
    return out


# ---- projection -----------------------------------------------------------------------------


def apply(row: Mapping[str, Any] | None, event: Event) -> dict[str, Any] | None:
    """The appeals row after `event`, or None when the event is not an appeal's."""
    p = event.payload
    if event.kind == RATING_APPEALED:
        return {
            "txn": p["txn"],
            "staff": p["staff"],
            "reason": p["reason"],
            "note": p.get("note", ""),
            "appealed_at": event.at,
            "appeal_seq": event.seq,
            "upheld": None,
            "decided_by": None,
            "decision_note": None,
            "decided_at": None,
            "decided_seq": None,
        }
    if event.kind == APPEAL_DECIDED:
        if row is None:
            return None
        return {
            **row,
            "upheld": int(bool(p["upheld"])),
            "decided_by": p["by"],
            "decision_note": p.get("note", ""),
            "decided_at": event.at,
            "decided_seq": event.seq,
        }
    return None


def rebuild(events: Iterable[Event]) -> dict[str, dict[str, Any]]:
    """The appeals table folded from the log alone (the later decision wins)."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.kind not in (RATING_APPEALED, APPEAL_DECIDED):
            continue
        txn = event.payload.get("txn")
        if not isinstance(txn, str):
            continue
        row = apply(rows.get(txn), event)
        if row is not None:
            rows[txn] = row
    return rows
