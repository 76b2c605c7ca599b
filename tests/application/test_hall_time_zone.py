"""Local days and months count in the hall's zone (config [hall] time_zone), not the machine's."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.application.counter import Counter
from counter_app.application.exports import export_overtime, overtime_log_records
from counter_app.application.manager import Period
from counter_app.config import Config
from counter_core.periods import format_utc, zone
from counter_core.transaction import Draft
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

SHANGHAI = zone("Asia/Shanghai")
#: 23:30 on the last day of March in Shanghai is 15:30 UTC: still March there, whatever TZ is
LATE = dt.datetime(2026, 3, 31, 23, 30, tzinfo=SHANGHAI)


@pytest.fixture
def utc_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs with TZ=UTC (a server, or a counter PC set to the wrong zone)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _late_overtime(demo_config: Config, data_dir: Path) -> None:
    """One overtime transaction started at 23:30 Shanghai time on 31 March, rated 5."""
    seeding = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        at = [format_utc(LATE + dt.timedelta(seconds=s)) for s in (0, 200, 205, 210)]
        seeding.store.append_timed([
            (at[0], Draft("started", {"txn": "late", "staff": "1001", "type": "payment",
                                      "target_s": 180.0})),
            (at[1], Draft("completed", {"txn": "late", "duration_s": 200.0,
                                        "target_s": 180.0, "overtime_s": 20.0})),
            (at[2], Draft("overtime_reason", {"txn": "late", "reason": "system"})),
            (at[3], Draft("rated", {"txn": "late", "rating": 5})),
        ])
    finally:
        seeding.close()


def test_a_transaction_at_2330_on_the_months_last_day_counts_in_that_month(
    utc_process: None, demo_config: Config, data_dir: Path, tmp_path: Path
) -> None:
    assert demo_config.time_zone == "Asia/Shanghai"
    assert dt.datetime(2026, 3, 31, 15, 30).astimezone().utcoffset() == dt.timedelta(0)
    _late_overtime(demo_config, data_dir)
    counter = Counter(demo_config, data_dir, clock=FakeClock())
    try:
        data = counter.manager("9001").data
        march, april = data.month_report("2026-03"), data.month_report("2026-04")
        assert [(s.staff, s.served) for s in march.staff] == [("1001", 1)]
        assert march.totals.served == 1 and april.totals.served == 0
        last_day = data.kpi_report(dt.date(2026, 3, 31), dt.date(2026, 3, 31))
        assert last_day.kpis.served == 1
        assert [p.day for p in last_day.trend] == [dt.date(2026, 3, 31)]
        assert data.kpi_report(dt.date(2026, 4, 1), dt.date(2026, 4, 1)).kpis.served == 0
        queue = data.review_queue(dt.date(2026, 3, 31), dt.date(2026, 3, 31))
        assert [r["txn"] for r in queue] == ["late"]  # an overtime case
        assert data.review_queue(dt.date(2026, 4, 1), dt.date(2026, 4, 30)) == []
        assert data.date_span() == (dt.date(2026, 3, 31), dt.date(2026, 3, 31))
        records = overtime_log_records(data, Period(dt.date(2026, 3, 31), dt.date(2026, 3, 31)))
        assert [(r["id"], r["local_time"]) for r in records] == [("late", "2026-03-31 23:30:00")]
        assert overtime_log_records(data, Period(dt.date(2026, 4, 1), None)) == []
        out = tmp_path / "log.csv"
        assert export_overtime(data, Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), out) == 1
        assert [r["id"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))] == ["late"]
    finally:
        counter.close()


def test_another_hall_zone_moves_the_same_moment_to_the_next_month(
    utc_process: None, demo_config: Config, data_dir: Path
) -> None:
    """The same 15:30 UTC is already 1 April in Auckland (UTC+13 that day)."""
    _late_overtime(demo_config, data_dir)
    auckland = Config(**{**demo_config.__dict__, "time_zone": "Pacific/Auckland"})
    counter = Counter(auckland, data_dir, clock=FakeClock())
    try:
        data = counter.manager().data
        assert data.month_report("2026-03").totals.served == 0
        assert data.month_report("2026-04").totals.served == 1
    finally:
        counter.close()
