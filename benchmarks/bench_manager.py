"""Benchmark: opening the manager view and changing a filter on a year of demo data.

    python benchmarks/bench_manager.py [--data-dir DIR] [--runs N]

Without --data-dir a temporary folder gets `demo-data --days 365` first (about 50,000
transactions). Prints the median of N runs of each step and its ratio to two baselines measured
in the same run: a plain `SELECT COUNT(*)` and showing an empty QTableView. Target: < 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QTableView

from counter_app import config as config_module
from counter_app.application.demo import write_demo_history
from counter_app.ui.manager.view import ManagerView
from tests.helpers.counter import CounterService

TARGET_MS = 200.0


def median_ms(action: Callable[[], object], runs: int,
              setup: Callable[[], object] | None = None) -> float:
    samples = []
    for _ in range(runs):
        if setup:
            setup()
        begun = time.perf_counter()
        action()
        samples.append((time.perf_counter() - begun) * 1000)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = config_module.load()
    temp = None
    data_dir = args.data_dir
    if data_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="bench-manager-")
        data_dir = Path(temp.name) / "data"
    if not (data_dir / "counter.sqlite").exists():
        print("writing a year of demo data …", flush=True)
        result = write_demo_history(config, data_dir, 365, seed=1)
        print(f"  {result.transactions} transactions, {result.events} events "
              f"in {result.seconds:.1f} s")
    service = CounterService(config, data_dir)
    count = service.db.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
    print(f"data: {count} transactions in {data_dir}")
    last = service.db.execute("SELECT MAX(started_at) FROM transactions").fetchone()[0]
    today = dt.date.fromisoformat(last[:10]) if last else dt.date.today()

    def process() -> None:
        app.processEvents()

    # ---- baselines ------------------------------------------------------------------------
    base_sql = median_ms(lambda: service.db.execute(
        "SELECT COUNT(*) FROM transactions").fetchone(), args.runs)

    def empty_table() -> None:
        table = QTableView()
        table.resize(1366, 768)
        table.show()
        process()
        table.close()
        table.deleteLater()

    empty_table()  # the first show pays for fonts and style; not what we compare against
    base_view = median_ms(empty_table, args.runs)

    # ---- opening the view -----------------------------------------------------------------
    views: list[ManagerView] = []

    def open_view() -> None:
        view = ManagerView(service, today=today)
        view.resize(1366, 768)
        view.show()
        process()
        views.append(view)

    def close_views() -> None:
        while views:
            v = views.pop()
            v.close()
            v.deleteLater()
        process()

    cold_begun = time.perf_counter()
    open_view()
    cold = (time.perf_counter() - cold_begun) * 1000
    close_views()
    open_ms = median_ms(open_view, args.runs, setup=close_views)
    close_views()

    # ---- changing filters -----------------------------------------------------------------
    open_view()
    view = views[0]
    staff = [view.staff.itemData(i) for i in range(view.staff.count())]
    types = [view.type.itemData(i) for i in range(view.type.count())]
    cycle = {"i": 0}

    def next_staff() -> None:
        cycle["i"] += 1
        view.staff.setCurrentIndex(cycle["i"] % len(staff))
        process()

    def next_type() -> None:
        cycle["i"] += 1
        view.type.setCurrentIndex(cycle["i"] % len(types))
        process()

    def unreviewed_toggle() -> None:
        view.review_tab.unreviewed.toggle()
        process()

    presets = ["last7", "last30", "this_month", "last_month"]

    def next_period() -> None:
        cycle["i"] += 1
        view.preset.setCurrentIndex(view.preset.findData(presets[cycle["i"] % len(presets)]))
        process()

    results: list[tuple[str, float]] = [
        ("open ManagerView (review queue, last 30 days)", open_ms),
        ("queue: change staff filter", median_ms(next_staff, args.runs)),
        ("queue: change type filter", median_ms(next_type, args.runs)),
        ("queue: toggle unreviewed only", median_ms(unreviewed_toggle, args.runs)),
        ("queue: change period (SQL reload)", median_ms(next_period, args.runs)),
    ]
    view.set_filters(staff=None, type_code=None)
    view.tabs.setCurrentWidget(view.kpi_tab)
    process()
    results.append(("KPIs and charts: change staff filter (30 days)",
                    median_ms(next_staff, args.runs)))
    results.append(("KPIs and charts: change period", median_ms(next_period, args.runs)))
    def year_then_back() -> float:
        view.preset.setCurrentIndex(view.preset.findData("last30"))
        process()
        begun = time.perf_counter()
        view.preset.setCurrentIndex(view.preset.findData("last365"))
        process()
        return (time.perf_counter() - begun) * 1000

    results.append(("KPIs and charts: period → last 12 months (query)",
                    statistics.median(year_then_back() for _ in range(args.runs))))
    results.append(("KPIs and charts: change staff filter (12 months)",
                    median_ms(next_staff, args.runs)))
    view.tabs.setCurrentWidget(view.review_tab)
    process()
    results.append(("queue: change staff filter (12 months)", median_ms(next_staff, args.runs)))

    def summary_month() -> None:
        tab = view.summary_tab
        tab.month.setCurrentIndex((tab.month.currentIndex() + 1) % max(1, tab.month.count()))
        process()

    view.tabs.setCurrentWidget(view.summary_tab)
    process()
    results.append(("monthly summary: change month", median_ms(summary_month, args.runs)))
    close_views()

    print(f"\nbaselines (median of {args.runs}): SELECT COUNT(*) {base_sql:.2f} ms, "
          f"empty QTableView show {base_view:.1f} ms")
    print(f"first (cold) open of the view: {cold:.0f} ms\n")
    print(f"{'step':<52}{'median ms':>10}{'× COUNT':>10}{'× table':>10}  target")
    worst_ok = True
    for name, ms in results:
        ok = ms < TARGET_MS
        worst_ok &= ok
        print(f"{name:<52}{ms:>10.1f}{ms / base_sql:>10.0f}{ms / base_view:>10.1f}  "
              f"{'OK' if ok else 'SLOW'} (< {TARGET_MS:.0f})")
    service.close()
    if temp is not None:
        temp.cleanup()
    return 0 if worst_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
