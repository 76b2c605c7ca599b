"""The transactions projection: a pure fold of events into one row per transaction.

It folds; it does not judge: whether an event may follow the ones before is
counter_core.events.Lifecycle's call (the same rules for the counter's append and head office),
and a `log_opened` or any other kind without a transaction leaves the table alone.

Storage applies it as each event is appended (same SQLite transaction) and `verify` re-runs it
over the whole log to check the stored table against the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from counter_core import events
from counter_core.chain import Event

Row = dict[str, Any]

COLUMNS: tuple[str, ...] = (
    "txn", "hall", "counter", "staff", "type", "target_s", "started_at", "ended_at",
    "duration_s", "overtime_s", "status", "rating", "rating_reason", "rating_status",
    "overtime_reason", "started_seq", "last_seq",
)

#: Events that change a transaction row; every other kind leaves the projection alone.
TRANSACTION_KINDS = events.TRANSACTION_KINDS


def apply(row: Row | None, event: Event) -> Row | None:
    """The transaction row after `event`, or None when the event is not about a transaction."""
    if event.kind not in TRANSACTION_KINDS:
        return None
    p = event.payload
    if event.kind == events.STARTED:
        row = {column: None for column in COLUMNS}
        row.update(
            txn=p["txn"], hall=event.hall, counter=event.counter, staff=p["staff"],
            type=p["type"], target_s=p.get("target_s"), started_at=event.at,
            status="running", started_seq=event.seq,
        )
    elif row is None:
        raise ValueError(f"event {event.seq} ({event.kind}) names unknown transaction {p['txn']}")
    else:
        row = dict(row)
        kind = event.kind
        if kind == events.TYPE_CHANGED:
            row.update(type=p["type"], target_s=p.get("target_s"))
        elif kind == events.COMPLETED:
            row.update(
                status="completed", ended_at=event.at, duration_s=p["duration_s"],
                target_s=p.get("target_s"), overtime_s=p.get("overtime_s", 0.0),
                rating_status="pending",
            )
        elif kind in (events.VOIDED, events.INTERRUPTED):
            row.update(status=kind, ended_at=event.at, duration_s=p.get("elapsed_s"))
            if kind == events.INTERRUPTED and p.get("overtime_s") is not None:
                # 0.2.0: an interrupted transaction past its target is an overtime case (the
                # review queue); older events carry no overtime_s and project as before
                row.update(overtime_s=p["overtime_s"])
        elif kind == events.RATED:
            row.update(rating=p["rating"], rating_status="rated")
        elif kind == events.RATING_REASON:
            row.update(rating_reason=p["reason"])
        elif kind == events.RATING_TIMED_OUT:
            row.update(rating_status="not_rated")
        elif kind == events.OVERTIME_REASON:
            row.update(overtime_reason=p["reason"])
    row["last_seq"] = event.seq
    return row


def rebuild(events: Iterable[Event]) -> dict[str, Row]:
    """All transaction rows, folded from the log alone."""
    rows: dict[str, Row] = {}
    for event in events:
        txn = event.payload.get("txn")
        if txn is None:
            continue
        row = apply(rows.get(txn), event)
        if row is not None:
            rows[txn] = row
    return rows
