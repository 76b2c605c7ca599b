"""The manager's follow-up use cases without Qt: one cause for a time window, handovers,
deadlines in the read model."""

from __future__ import annotations

import datetime as dt

import pytest

from counter_app.application.errors import InvalidDecision
from counter_app.application.manager import LocalManager, LocalManagerData
from counter_core.transaction import Draft
from counter_core.workdays import WorkCalendar
from tests.helpers.counter import CounterService


def overtime(txn: str, staff: str, at: str) -> list[tuple[str, Draft]]:
    return [
        (at, Draft("started", {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0})),
        (
            at,
            Draft(
                "completed",
                {"txn": txn, "duration_s": 240.0, "target_s": 180.0, "overtime_s": 60.0},
            ),
        ),
    ]


def test_window_cause_skips_own_cases_and_refuses_an_empty_window(service: CounterService) -> None:
    service.store.append_timed(
        overtime("a", "1001", "2026-03-03T02:10:00.000Z")
        + overtime("mine", "9001", "2026-03-03T02:20:00.000Z")
    )
    desk = LocalManager(service.store, "9001")
    with pytest.raises(InvalidDecision, match="ends before"):
        desk.review_overtime_window(
            "2026-03-03T03:00:00.000Z", "2026-03-03T02:00:00.000Z", "system", ""
        )
    with pytest.raises(InvalidDecision, match="your own cases"):
        desk.review_overtime_window(
            "2026-03-03T02:15:00.000Z", "2026-03-03T02:30:00.000Z", "system", ""
        )
    with pytest.raises(InvalidDecision, match="no overtime case"):
        desk.review_overtime_window(
            "2026-03-04T02:00:00.000Z", "2026-03-04T03:00:00.000Z", "system", ""
        )
    with pytest.raises(InvalidDecision, match="“other”"):
        desk.review_overtime_window(
            "2026-03-03T02:00:00.000Z", "2026-03-03T03:00:00.000Z", "other", ""
        )
    bulk = desk.review_overtime_window(
        "2026-03-03T02:00:00.000Z", "2026-03-03T03:00:00.000Z", "system", "停电"
    )
    assert [d.payload["txn"] for d in bulk.drafts] == ["a"] and bulk.skipped_own == ("mine",)


def test_handover_refusals(service: CounterService) -> None:
    service.store.append_timed(overtime("a", "1001", "2026-03-03T02:10:00.000Z"))
    desk = LocalManager(service.store, "9001")
    with pytest.raises(InvalidDecision, match="another manager"):
        desk.hand_over(["a"], "9001", "")
    with pytest.raises(InvalidDecision, match="no open case"):
        desk.hand_over([], "9002", "")
    with pytest.raises(InvalidDecision, match="At most 500"):
        desk.hand_over([f"t{i}" for i in range(501)], "9002", "")
    desk.hand_over(["a"], "9002", "")


def test_overdue_count_follows_the_clock_and_the_configured_days(service: CounterService) -> None:
    service.store.append_timed(
        [
            *overtime("p", "1001", "2026-03-02T02:00:00.000Z"),
            ("2026-03-02T02:00:10.000Z", Draft("rated", {"txn": "p", "rating": 2})),
        ]
    )

    def data(now: dt.datetime, days: int) -> LocalManagerData:
        return LocalManagerData(
            service.db,
            "Asia/Shanghai",
            calendar=WorkCalendar(),
            follow_up_days=days,
            now=lambda: now,
        )

    tue = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # Monday 2 March + 5 → Monday 9
    assert data(tue, 5).overdue_count() == 1
    assert data(tue, 6).overdue_count() == 0  # due Tuesday 10 March, still that day
    assert data(dt.datetime(2026, 3, 9, 15, 59, tzinfo=dt.UTC), 5).overdue_count() == 0
