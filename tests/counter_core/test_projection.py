"""The transactions projection, and properties of any sequence of counter actions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_core import projection
from counter_core.chain import Event, first_break
from tests.helpers.actions import ACTIONS, run_actions


def ev(seq: int, kind: str, **payload: Any) -> Event:
    return Event(seq, f"u{seq}", kind, f"2026-11-25T08:00:{seq:02d}.000Z", "SH-0001", "03",
                 payload)


# ---- apply and rebuild ------------------------------------------------------------------------

def test_started_row_has_every_column() -> None:
    row = projection.apply(None, ev(1, "started", txn="t1", staff="1001", type="payment",
                                    target_s=180.0))
    assert row is not None
    assert set(row) == set(projection.COLUMNS)
    assert row["status"] == "running"
    assert row["started_at"] == "2026-11-25T08:00:01.000Z"
    assert row["started_seq"] == row["last_seq"] == 1
    assert row["hall"] == "SH-0001" and row["counter"] == "03"
    assert row["duration_s"] is None and row["rating_status"] is None


def test_full_lifecycle_folds_into_one_row() -> None:
    events = [
        ev(1, "signed_in", staff="1001", role="staff"),
        ev(2, "started", txn="t1", staff="1001", type="payment", target_s=180.0),
        ev(3, "type_changed", txn="t1", type="sim", target_s=300.0),
        ev(4, "completed", txn="t1", duration_s=320.5, target_s=300.0, overtime_s=20.5),
        ev(5, "rated", txn="t1", rating=2),
        ev(6, "overtime_reason", txn="t1", reason="complex"),
        ev(7, "rating_reason", txn="t1", reason="slow"),
        ev(8, "signed_out", staff="1001"),
    ]
    rows = projection.rebuild(events)
    assert list(rows) == ["t1"]
    row = rows["t1"]
    assert row["type"] == "sim" and row["target_s"] == 300.0
    assert row["status"] == "completed"
    assert row["ended_at"] == "2026-11-25T08:00:04.000Z"
    assert (row["duration_s"], row["overtime_s"]) == (320.5, 20.5)
    assert (row["rating"], row["rating_status"], row["rating_reason"]) == (2, "rated", "slow")
    assert row["overtime_reason"] == "complex"
    assert (row["started_seq"], row["last_seq"]) == (2, 7)


@pytest.mark.parametrize("kind", ["voided", "interrupted"])
def test_void_and_interrupted_keep_elapsed(kind: str) -> None:
    rows = projection.rebuild([
        ev(1, "started", txn="t1", staff="1001", type="payment", target_s=180.0),
        ev(2, kind, txn="t1", elapsed_s=7.5),
    ])
    assert rows["t1"]["status"] == kind
    assert rows["t1"]["duration_s"] == 7.5
    assert rows["t1"]["rating_status"] is None


def test_not_rated() -> None:
    rows = projection.rebuild([
        ev(1, "started", txn="t1", staff="1001", type="enquiry", target_s=None),
        ev(2, "completed", txn="t1", duration_s=50.0, target_s=None, overtime_s=0.0),
        ev(3, "rating_timed_out", txn="t1"),
    ])
    assert rows["t1"]["rating_status"] == "not_rated" and rows["t1"]["rating"] is None


def test_event_for_unknown_transaction_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transaction"):
        projection.apply(None, ev(4, "completed", txn="ghost", duration_s=1.0))
    with pytest.raises(ValueError, match="ghost"):
        projection.rebuild([ev(1, "rated", txn="ghost", rating=5)])


def test_other_kinds_leave_rows_alone() -> None:
    started = ev(1, "started", txn="t1", staff="1001", type="payment", target_s=180.0)
    row = projection.apply(None, started)
    assert projection.apply(row, ev(2, "overtime_reviewed", txn="t1", cause="system")) is None
    rows = projection.rebuild([started, ev(2, "overtime_reviewed", txn="t1", cause="system")])
    assert rows["t1"]["last_seq"] == 1


def test_apply_does_not_mutate_its_input() -> None:
    row = projection.apply(None, ev(1, "started", txn="t1", staff="1001", type="payment"))
    assert row is not None
    before = dict(row)
    projection.apply(row, ev(2, "voided", txn="t1", elapsed_s=1.0))
    assert row == before


# ---- properties of any sequence of actions ----------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.lists(ACTIONS, max_size=60))
def test_any_actions_keep_chain_valid_and_projection_equal_to_rebuild(
    actions: list[tuple[str, Any]],
) -> None:
    machine, log, durations = run_actions(actions)
    assert first_break(log.events) is None
    assert projection.rebuild(log.events) == log.rows

    rated = [e.payload["txn"] for e in log.events if e.kind == "rated"]
    assert len(rated) == len(set(rated)), "a transaction was rated twice"
    closed = [e.payload["txn"] for e in log.events if e.kind == "rating_timed_out"]
    assert not set(rated) & set(closed), "a rated transaction was also timed out"
    for txn, row in log.rows.items():
        if row["status"] != "completed":
            assert row["rating"] is None and row["rating_status"] is None
        if row["status"] == "completed":
            assert row["duration_s"] == pytest.approx(durations[txn], abs=0.001)
        if row["rating_reason"] is not None:
            assert row["rating"] in (1, 2)
        if row["status"] == "voided":
            assert row["duration_s"] <= machine.void_grace_s
    running = [row for row in log.rows.values() if row["status"] == "running"]
    assert len(running) == (1 if machine.running else 0)
    signs = [e.kind for e in log.events if e.kind in ("signed_in", "signed_out")]
    assert all(a != b for a, b in itertools.pairwise(signs)), "sign-ins and sign-outs alternate"
