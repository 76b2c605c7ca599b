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
from counter_core.timer import MILLIS_PER_SECOND, overtime_millis

Row = dict[str, Any]

COLUMNS: tuple[str, ...] = (
    "txn", "hall", "counter", "staff", "type", "target_s", "started_at", "ended_at",
    "duration_s", "overtime_s", "status", "rating", "rating_reason", "rating_status",
    "overtime_reason", "started_seq", "last_seq",
)

#: Events that change a transaction row; every other kind leaves the projection alone.
TRANSACTION_KINDS = events.TRANSACTION_KINDS


def _overtime_s(duration_s: float, target_s: float | None) -> float:
    """The overtime of a duration against a target, by the one predicate (counter_core.timer)."""
    return overtime_millis(duration_s, target_s) / MILLIS_PER_SECOND


def accepts_type_change(event: Event) -> bool:
    """An `overtime_reviewed` that decides about a type changed after its target: it names the
    target the transaction counts against from then on (see `apply`)."""
    p = event.payload
    return (event.kind == events.OVERTIME_REVIEWED and "accept_type_change" in p
            and "target_s" in p)


def apply(row: Row | None, event: Event) -> Row | None:
    """The transaction row after `event`, or None when the event does not change one.

    A type change (F3) after the target had passed (`type_changed` with `after_target`) keeps
    the row's target at the target passed, and so the transaction's overtime, instead of the
    new type's; the completed row stays overtime against it until a manager's
    `overtime_reviewed` with `accept_type_change` names the target to count against.
    """
    if accepts_type_change(event):
        if row is None or row["status"] != "completed":
            return None
        p = event.payload
        row = dict(row)
        row.update(target_s=p["target_s"],
                   overtime_s=_overtime_s(float(row["duration_s"]), p["target_s"]))
        row["last_seq"] = event.seq
        return row
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
            if p.get("after_target") and row["target_s"] is not None:
                # the target passed stays the one this transaction is measured against
                row.update(type=p["type"], target_s=p.get("passed_target_s", row["target_s"]))
            else:
                row.update(type=p["type"], target_s=p.get("target_s"))
        elif kind == events.COMPLETED:
            target = p.get("target_s")
            overtime = p.get("overtime_s", 0.0)
            if row["target_s"] is not None and target != row["target_s"]:
                # only a type change after the target leaves the row on another target than
                # the one the counter finished on: the target passed is kept
                target = row["target_s"]
                overtime = _overtime_s(float(p["duration_s"]), target)
            row.update(
                status="completed", ended_at=event.at, duration_s=p["duration_s"],
                target_s=target, overtime_s=overtime, rating_status="pending",
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
        if not isinstance(txn, str):
            continue
        row = apply(rows.get(txn), event)
        if row is not None:
            rows[txn] = row
    return rows
