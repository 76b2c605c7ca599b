"""Benchmark: opening the manager view and changing its filters on a year of demo data.

    python benchmarks/bench_manager.py [--data-dir DIR] [--runs N] [--hall-counters N]

Without --data-dir a temporary folder gets `demo-data --days 365` first (a counter's year).
With --hall-counters N (e.g. 15) it measures the hall view instead: N counters' years of demo
data, each written as `demo-data` writes it, stored in a hall mirror through HallMirror.add
(what the desk's puller does with what the hall server serves), opened as a desk's session.
Each step is measured as the manager meets it: from the filter change until the whole view
has painted its new state (the step processes the events the change posts, then repaints the
window synchronously, so no paint is left for the next step). Run it on an X display (Xvfb)
for the figures the goal speaks of; offscreen works for a quick look.

Prints p50 and p95 of N runs of each step and their ratio to two baselines measured in the
same run: a plain `SELECT COUNT(*)` and showing and painting an empty QTableView.
Goal ("Fast and finished"): every filter change ≤ 100 ms p95 on a counter's year.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.helpers, from anywhere

from PySide6.QtWidgets import QApplication, QTableView, QWidget

from counter_app import config as config_module
from counter_app.application.demo import write_demo_history
from counter_app.application.hall_view import hall_session
from counter_app.storage.mirror import HallMirror, open_mirror
from counter_app.ui.desk import DEFAULT_SIZE
from counter_app.ui.manager.view import ManagerView
from tests.helpers.counter import CounterService

GOAL_P95_MS = 100.0
HALL_GOAL_P95_MS = 200.0  # the hall view over a 15-counter hall's year


def samples_ms(action: Callable[[], object], runs: int,
               setup: Callable[[], object] | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        if setup:
            setup()
        begun = time.perf_counter()
        action()
        out.append((time.perf_counter() - begun) * 1000)
    return out


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def settle(app: QApplication, window: QWidget) -> None:
    """What the manager waits for: the change's posted events handled, then the window
    painted (synchronously, so the step includes its paint)."""
    app.processEvents()
    window.repaint()


def hall_mirror(config: config_module.Config, folder: Path, counters: int,
                days: int) -> Path:
    """A hall mirror holding `counters` counters' `days` of demo history (made once, kept in
    `folder` for the next run)."""
    mirror_file = folder / "hall-mirror.sqlite"
    if mirror_file.exists():
        return mirror_file
    mirror_db = open_mirror(mirror_file)
    mirror = HallMirror(mirror_db)
    for n in range(1, counters + 1):
        counter = f"{n:02d}"
        data = folder / f"counter-{counter}"
        begun = time.perf_counter()
        its_config = dataclasses.replace(config, counter_id=counter)
        write_demo_history(its_config, data, days, seed=n)
        service = CounterService(its_config, data)
        store = service.store
        after = 0
        while batch := list(store.events(after, 20_000)):
            mirror.add(config.hall_id, counter, "counter", batch, batch[-1].seq)
            after = batch[-1].seq
        service.close()
        print(f"  counter {counter}: {after} events mirrored in "
              f"{time.perf_counter() - begun:.0f} s", flush=True)
    mirror_db.conn.close()
    return mirror_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--hall-counters", type=int, default=0,
                        help="measure the hall view over this many counters' years instead")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = config_module.load()
    temp = None
    data_dir = args.data_dir
    if data_dir is None:
        temp = tempfile.TemporaryDirectory(prefix="bench-manager-")
        data_dir = Path(temp.name) / "data"
    if args.hall_counters:
        print(f"the hall view: {args.hall_counters} counters' years of demo data …", flush=True)
        mirror_file = hall_mirror(config, data_dir.parent, args.hall_counters, 365)
    if not (data_dir / "counter.sqlite").exists():
        print("writing a year of demo data …", flush=True)
        result = write_demo_history(config, data_dir, 365, seed=1)
        print(f"  {result.transactions} transactions, {result.events} events "
              f"in {result.seconds:.1f} s")
    service = CounterService(config, data_dir)
    session = service.manager()
    shown_db = service.db
    if args.hall_counters:
        shown_db = open_mirror(mirror_file)
        session = hall_session(config, service.db, config.hall_id, config.counter_id,
                               "manager", shown_db, data_dir=data_dir)
    count = shown_db.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
    print(f"data: {count} transactions"
          + (f" of {args.hall_counters} counters (hall mirror)" if args.hall_counters else ""))
    last = shown_db.execute("SELECT MAX(started_at) FROM transactions").fetchone()[0]
    today = dt.date.fromisoformat(last[:10]) if last else dt.date.today()

    # ---- baselines ------------------------------------------------------------------------
    base_sql = statistics.median(samples_ms(lambda: shown_db.execute(
        "SELECT COUNT(*) FROM transactions").fetchone(), args.runs))

    def empty_table() -> None:
        table = QTableView()
        table.resize(*DEFAULT_SIZE)
        table.show()
        settle(app, table)
        table.close()
        table.deleteLater()

    empty_table()  # the first show pays for fonts and style; not what we compare against
    base_view = statistics.median(samples_ms(empty_table, args.runs))

    # ---- opening the view -----------------------------------------------------------------
    views: list[ManagerView] = []

    def open_view() -> None:
        view = ManagerView(session, today=today)
        view.resize(*DEFAULT_SIZE)
        view.show()
        settle(app, view)
        views.append(view)

    def close_views() -> None:
        while views:
            v = views.pop()
            v.close()
            v.deleteLater()
        app.processEvents()

    cold_begun = time.perf_counter()
    open_view()
    cold = (time.perf_counter() - cold_begun) * 1000
    close_views()
    open_samples = samples_ms(open_view, max(3, args.runs // 4), setup=close_views)
    close_views()

    # ---- changing filters -----------------------------------------------------------------
    open_view()
    view = views[0]
    staff = [view.staff.itemData(i) for i in range(view.staff.count())]
    types = [view.type.itemData(i) for i in range(view.type.count())]
    cycle = {"i": 0}

    def process() -> None:
        settle(app, view)

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

    def next_kind() -> None:
        kinds = view.review_tab.kind
        cycle["i"] += 1
        kinds.setCurrentIndex(cycle["i"] % 3)  # all, overtime, poor: the period's cases
        process()

    presets = ["last7", "last30", "this_month", "last_month"]

    def next_period() -> None:
        cycle["i"] += 1
        view.preset.setCurrentIndex(view.preset.findData(presets[cycle["i"] % len(presets)]))
        process()

    def to_year() -> None:
        view.preset.setCurrentIndex(view.preset.findData("last365"))
        process()

    def off_year() -> None:
        view.preset.setCurrentIndex(view.preset.findData("last30"))
        process()

    def year() -> None:
        view.preset.setCurrentIndex(view.preset.findData("last365"))
        process()

    results: list[tuple[str, list[float]]] = [
        ("open ManagerView (review queue, last 30 days)", open_samples),
        ("queue: change staff filter (30 days)", samples_ms(next_staff, args.runs)),
        ("queue: change period (SQL reload)", samples_ms(next_period, args.runs)),
        ("queue: period → last 12 months", samples_ms(to_year, args.runs, setup=off_year)),
    ]
    year()
    results += [
        ("queue: change staff filter (12 months)", samples_ms(next_staff, args.runs)),
        ("queue: change type filter (12 months)", samples_ms(next_type, args.runs)),
        ("queue: toggle unreviewed only (12 months)", samples_ms(unreviewed_toggle, args.runs)),
        ("queue: change kind of case (12 months)", samples_ms(next_kind, args.runs)),
    ]
    view.set_filters(staff=None, type_code=None)
    view.tabs.setCurrentWidget(view.kpi_tab)
    off_year()
    results += [
        ("KPIs and charts: change staff filter (30 days)", samples_ms(next_staff, args.runs)),
        ("KPIs and charts: change period", samples_ms(next_period, args.runs)),
        ("KPIs and charts: period → last 12 months", samples_ms(to_year, args.runs,
                                                               setup=off_year)),
    ]
    year()
    results.append(("KPIs and charts: change staff filter (12 months)",
                    samples_ms(next_staff, args.runs)))

    def summary_month() -> None:
        tab = view.summary_tab
        tab.month.setCurrentIndex((tab.month.currentIndex() + 1) % max(1, tab.month.count()))
        process()

    view.tabs.setCurrentWidget(view.summary_tab)
    process()
    results.append(("monthly summary: change month", samples_ms(summary_month, args.runs)))
    close_views()

    platform = QApplication.platformName()
    print(f"\nplatform {platform}; baselines (median of {args.runs}): SELECT COUNT(*) "
          f"{base_sql:.2f} ms, empty QTableView shown and painted {base_view:.1f} ms")
    print(f"first (cold) open of the view: {cold:.0f} ms\n")
    print(f"{'step':<52}{'p50 ms':>8}{'p95 ms':>8}{'× table':>9}  goal (p95)")
    goal_ms = HALL_GOAL_P95_MS if args.hall_counters else GOAL_P95_MS
    all_met = True
    for name, samples in results:
        median, high = statistics.median(samples), p95(samples)
        met = high <= goal_ms or name.startswith(("open", "monthly"))
        all_met &= met
        goal = "" if name.startswith(("open", "monthly")) else (
            f"{'met' if met else 'MISSED'} (≤ {goal_ms:.0f})")
        print(f"{name:<52}{median:>8.1f}{high:>8.1f}{median / base_view:>9.1f}  {goal}")
    worst = max(p95(s) for n, s in results if not n.startswith(("open", "monthly")))
    print("RESULT " + json.dumps({
        "transactions": count, "hall_counters": args.hall_counters, "goal_ms": goal_ms,
        "worst_p95_ms": worst, "platform": platform,
        "worst_step": max(((n, p95(s)) for n, s in results
                           if not n.startswith(("open", "monthly"))), key=lambda x: x[1])[0],
    }), flush=True)
    print(f"\nworst filter change p95: {worst:.1f} ms (goal ≤ {goal_ms:.0f} ms): "
          f"{'met' if all_met else 'missed'}")
    service.close()
    if temp is not None:
        temp.cleanup()
    return 0 if all_met else 1


if __name__ == "__main__":
    raise SystemExit(main())
