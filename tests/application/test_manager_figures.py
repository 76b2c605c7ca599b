"""The KPI tab's aggregate queries give exactly what the row-wise counter_core.figures give.

The KPI tab no longer folds every row in Python (too slow on a year of data): per-day counts,
handling times and cause counts come from SQL. These tests hold that path to the row-wise
functions that test_reports checks by hand, on demo history and on edge cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_app.application.demo import write_demo_history
from counter_app.application.manager_figures import LocalDays, cause_counts, day_spans, kpi_report
from counter_app.storage import queries
from counter_app.storage.db import connect
from counter_core import figures as reports
from counter_core import periods

TZ = periods.DEFAULT_TIME_ZONE  # the demo hall's

END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five weeks of demo history with the demo manager's reviews."""
    from counter_app import config as config_module
    from counter_app import paths

    data_dir = tmp_path_factory.mktemp("kpi") / "data"
    write_demo_history(config_module.load(), data_dir, 35, seed=5, end=END)
    return paths.database_path(data_dir)


@pytest.mark.parametrize("first", [END, END - dt.timedelta(days=6), END - dt.timedelta(days=40)])
@pytest.mark.parametrize("weekly", [False, True])
def test_aggregates_equal_the_row_wise_functions(history: Path, first: dt.date,
                                                 weekly: bool) -> None:
    db = connect(history, readonly=True)
    try:
        start, end = periods.day_bounds_utc(first, END, TZ)
        assert start is not None and end is not None
        day_of = LocalDays(TZ, weeks=weekly)
        spans = day_spans(start, end, day_of)
        staff = [None, *queries.staff_in_transactions(db)]
        types = [None, *(r[0] for r in db.execute("SELECT DISTINCT type FROM transactions"))]
        every = queries.kpi_rows(db, start, end)
        assert any(r["status"] == "voided" for r in every)
        for who in staff:
            for kind in types:
                rows = [r for r in every if (not who or r["staff"] == who)
                        and (not kind or r["type"] == kind)]
                got = kpi_report(db, start, end, day_of, who, kind, spans)
                assert got.kpis == reports.kpis(rows)
                assert got.trend == reports.daily_trend(rows, day_of)
                assert got.ratings == reports.rating_distribution(rows)
                assert got.satisfaction == reports.satisfaction_by_handling(rows)
                assert dict(got.causes) == dict(cause_counts(rows))
                durations = [float(r["duration_s"]) for r in rows if r["status"] == "completed"]
                for max_s in (60.0, 420.0, 1260.0):
                    assert got.histogram(max_s / 30, max_s) == reports.histogram(
                        durations, max_s / 30, max_s)
    finally:
        db.conn.close()


def test_nothing_in_the_period(history: Path) -> None:
    db = connect(history, readonly=True)
    try:
        start, end = periods.day_bounds_utc(dt.date(2020, 1, 1), dt.date(2020, 1, 31), TZ)
        assert start is not None and end is not None
        got = kpi_report(db, start, end, LocalDays(TZ))
        assert got.kpis == reports.kpis([])
        assert got.trend == [] and dict(got.causes) == {}
        assert got.satisfaction == reports.satisfaction_by_handling([])
    finally:
        db.conn.close()


def test_day_spans_cut_where_local_days_change() -> None:
    start, end = periods.day_bounds_utc(dt.date(2026, 3, 1), dt.date(2026, 3, 31), TZ)
    assert start is not None and end is not None
    for weeks in (False, True):
        day_of = LocalDays(TZ, weeks=weeks)
        spans = day_spans(start, end, day_of)
        assert spans[0][1] == start and spans[-1][2] == end
        assert all(a[2] == b[1] for a, b in itertools.pairwise(spans))
        assert [s[0] for s in spans] == sorted({s[0] for s in spans})
        for day, lo, hi in spans:
            assert day_of(lo) == day  # every hour from lo up to hi is on `day`
            if hi != end:
                assert day_of(hi) != day
        # every UTC hour of the period, as LocalDays sees it (in a +05:30 zone the first half
        # hour is on the day before: LocalDays maps whole UTC hours)
        hour = dt.datetime.fromisoformat(start.replace("Z", "+00:00")).replace(minute=0)
        stop = dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
        seen = set()
        while hour < stop:
            seen.add(day_of(hour.isoformat()))
            hour += dt.timedelta(hours=1)
        assert [s[0] for s in spans] == sorted(seen)


@given(st.lists(st.floats(min_value=-50, max_value=5000, allow_nan=False), max_size=60),
       st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=50))
def test_sorted_histogram_equals_histogram(values: list[float], width: int, bins: int) -> None:
    values.sort()
    for bin_s in (float(width), width + 0.37):
        assert reports.sorted_histogram(values, bin_s, bin_s * bins) == reports.histogram(
            values, bin_s, bin_s * bins)


def test_the_report_reads_one_snapshot_while_another_connection_commits(
        history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hall view reads its mirror while the hall's pulls write it: rows committed between
    the report's queries appear in none of its figures (the cards agree with the charts),
    and in the next report."""
    import sqlite3

    path = tmp_path / "counter.sqlite"
    with sqlite3.connect(history) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    writer, reader = connect(path), connect(path, readonly=True)
    start, end = periods.day_bounds_utc(END - dt.timedelta(days=6), END, TZ)
    assert start is not None and end is not None
    columns = [r[1] for r in writer.execute("PRAGMA table_info(transactions)")]
    copied = ", ".join("'late-' || txn" if c == "txn" else c for c in columns)
    real = queries.other_counts

    def commit_meanwhile(*args: object, **kwargs: object) -> dict[str, int]:
        writer.execute(f"INSERT INTO transactions ({', '.join(columns)}) SELECT {copied}"
                       " FROM transactions WHERE status = 'completed' AND started_at >= ?"
                       " LIMIT 5", (start,))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    try:
        day_of = LocalDays(TZ)
        before = kpi_report(reader, start, end, day_of).kpis.served
        monkeypatch.setattr(queries, "other_counts", commit_meanwhile)
        got = kpi_report(reader, start, end, day_of)
        assert got.kpis.served == before == sum(p.served for p in got.trend)
        assert sum(b.count for b in got.histogram()) == before
        monkeypatch.setattr(queries, "other_counts", real)
        assert kpi_report(reader, start, end, day_of).kpis.served == before + 5
    finally:
        writer.conn.close()
        reader.conn.close()
