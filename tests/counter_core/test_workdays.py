"""The 好差评 deadline: working days on a yearly calendar, in the hall's time zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from counter_core import events
from counter_core.events import validate_payload
from counter_core.workdays import (
    CalendarError,
    WorkCalendar,
    add_working_days,
    due_date,
    due_moment,
    is_overdue,
)

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = "Asia/Shanghai"
D = dt.date


@pytest.fixture(scope="module")
def cn2026() -> WorkCalendar:
    return WorkCalendar.from_toml(
        (ROOT / "resources" / "calendar_cn_2026.toml").read_text(encoding="utf-8")
    )


def test_plain_weeks_skip_the_weekend() -> None:
    plain = WorkCalendar()
    # Friday 2026-03-06 + 5 working days: Mon 9 … Fri 13
    assert add_working_days(D(2026, 3, 6), 5, plain) == D(2026, 3, 13)
    # a rating on a Saturday: day 0 is the Saturday, Monday is the first working day
    assert add_working_days(D(2026, 3, 7), 1, plain) == D(2026, 3, 9)
    assert add_working_days(D(2026, 3, 7), 0, plain) == D(2026, 3, 7)


def test_the_shipped_2026_calendar_is_the_state_council_schedule(cn2026: WorkCalendar) -> None:
    assert cn2026.years == (2026,)
    assert len(cn2026.holidays) == 33  # 3 + 9 + 3 + 5 + 3 + 3 + 7 days off
    assert cn2026.workdays == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert not cn2026.is_working_day(D(2026, 10, 1))  # 国庆 on a Thursday
    assert cn2026.is_working_day(D(2026, 10, 10))  # 调休: a Saturday worked
    assert not cn2026.is_working_day(D(2026, 10, 11))  # the Sunday after it is off


def test_holidays_are_skipped(cn2026: WorkCalendar) -> None:
    # Wednesday 30 September: 1–7 October off, Thursday 8 the 1st, Friday 9 the 2nd,
    # Saturday 10 (调休) the 3rd, Monday 12 the 4th, Tuesday 13 the 5th
    assert add_working_days(D(2026, 9, 30), 5, cn2026) == D(2026, 10, 13)
    # Spring Festival: Friday 13 February, Saturday 14 worked (1), 15–23 off, Tue 24 … Thu 26
    assert add_working_days(D(2026, 2, 13), 4, cn2026) == D(2026, 2, 26)


def test_a_make_up_working_day_counts(cn2026: WorkCalendar) -> None:
    # Saturday 9 May 2026 is worked (劳动节 调休): a rating on Friday 8 May is due Thursday 14,
    # not Friday 15 as in a plain week
    assert add_working_days(D(2026, 5, 8), 5, cn2026) == D(2026, 5, 14)
    assert add_working_days(D(2026, 5, 8), 5, WorkCalendar()) == D(2026, 5, 15)
    # a rating made on the make-up Sunday 4 January itself: day 0
    assert add_working_days(D(2026, 1, 4), 1, cn2026) == D(2026, 1, 5)


def test_a_rating_at_23_30_local_counts_from_its_local_day(cn2026: WorkCalendar) -> None:
    # 23:30 in Shanghai on Thursday 2026-03-05 is 15:30 UTC the same day
    assert due_date("2026-03-05T15:30:00.000Z", SHANGHAI, 5, cn2026) == D(2026, 3, 12)
    # 00:30 local on Friday 6 March is still Thursday 5 March in UTC: the local day counts
    assert due_date("2026-03-05T16:30:00.000Z", SHANGHAI, 5, cn2026) == D(2026, 3, 13)
    # the same UTC moment in London is Thursday 5 March
    assert due_date("2026-03-05T16:30:00.000Z", "Europe/London", 5, cn2026) == D(2026, 3, 12)


def test_overdue_from_local_midnight_after_the_due_day(cn2026: WorkCalendar) -> None:
    rated = "2026-03-05T15:30:00.000Z"  # Thu 23:30 local; due Thu 12 March
    assert due_moment(D(2026, 3, 12), SHANGHAI) == dt.datetime(2026, 3, 12, 16, 0, tzinfo=dt.UTC)
    assert not is_overdue(rated, "2026-03-12T15:59:59.999Z", SHANGHAI, 5, cn2026)
    assert is_overdue(rated, "2026-03-12T16:00:00.000Z", SHANGHAI, 5, cn2026)
    # a configured 3 working days: due Tue 10 March
    assert is_overdue(rated, "2026-03-10T16:00:00.000Z", SHANGHAI, 3, cn2026)


def test_the_file_format_round_trips_and_bad_files_are_named(cn2026: WorkCalendar) -> None:
    assert WorkCalendar.from_toml(cn2026.to_toml()) == cn2026
    assert WorkCalendar.from_mapping(cn2026.to_mapping()) == cn2026
    for text, says in [
        ("", "at least one"),
        ('[calendar.2026]\nholidays = ["2026-13-01"]', "expected a date"),
        ('[calendar.2026]\nholidays = ["2025-12-31"]', "not in 2026"),
        ('[calendar.2026]\nholidays = ["2026-01-01"]\nworkdays = ["2026-01-01"]', "both a holiday"),
        ("[calendar.2026]\nvacations = []", "unknown key"),
        ("[calendar.26]\nholidays = []", "expected a year"),
        ("not toml [", "not a TOML"),
    ]:
        with pytest.raises(CalendarError, match=says):
            WorkCalendar.from_toml(text)
    # a TOML date (not a string) is read too
    assert WorkCalendar.from_toml("[calendar.2026]\nholidays = [2026-01-01]").holidays == {
        D(2026, 1, 1)
    }


def test_order_numbers_and_handovers_are_checked() -> None:
    ok = {"txn": "t1", "order_no": "A-1_2/3"}
    assert validate_payload(events.ORDER_NUMBER_SET, ok) is None
    for bad in ["", "x" * 41, "单号123", "A 1", "13812345678", "No.13912345678"]:
        problem = validate_payload(events.ORDER_NUMBER_SET, {"txn": "t1", "order_no": bad})
        assert problem is not None, bad
    assert "phone" in (
        validate_payload(events.ORDER_NUMBER_SET, {"txn": "t1", "order_no": "13812345678"}) or ""
    )
    # an order number that merely contains 11 digits not shaped like a mobile is fine
    assert (
        validate_payload(events.ORDER_NUMBER_SET, {"txn": "t1", "order_no": "20261203000123"})
        is None
    )
    handover = {"from": "9001", "to": "9002", "txns": ["t1"], "note": ""}
    assert validate_payload(events.CASES_HANDED_OVER, handover) is None
    assert validate_payload(events.CASES_HANDED_OVER, {**handover, "txns": []})
    assert validate_payload(
        events.CASES_HANDED_OVER, {**handover, "txns": [f"t{i}" for i in range(501)]}
    )
    assert validate_payload(events.CASES_HANDED_OVER, {**handover, "txns": ["t1", "t1"]})
    assert "phone" in (
        validate_payload(events.CASES_HANDED_OVER, {**handover, "note": "客户 13912345678"}) or ""
    )
