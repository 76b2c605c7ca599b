"""The processes benchmarks/run.py measures: a bare window, the counter app, and its baselines.

    python benchmarks/counter_child.py MODE [options]

Each mode prints `KEY value` lines on stdout (SHOWN, READY, RESULT <json>) for run.py to read.
Not a user tool: run.py starts it with the right platform, data folder and load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()


def say(key: str, value: object = "") -> None:
    print(f"{key} {value}", flush=True)


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


# ---- start-up ---------------------------------------------------------------------------------

def wait_exposed(app: Any, *widgets: Any, timeout_s: float = 20.0) -> None:
    """Process events until every widget's window is exposed and has been painted."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        handles = [w.windowHandle() for w in widgets]
        if all(h is not None and h.isExposed() for h in handles):
            app.processEvents()
            return
        time.sleep(0.001)
    raise SystemExit("windows were never exposed")


def bare(args: argparse.Namespace) -> None:
    """The baseline: a bare PySide6 window of the staff window's size that shows and quits."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    window = QWidget()
    window.resize(1100, 700)
    window.show()
    # like `counter-app --smoke-test` (ui/app.py): a line 300 ms after show(), for the bundle
    QTimer.singleShot(300, lambda: say("SMOKE"))
    wait_exposed(app, window)
    say("SHOWN", time.perf_counter() - START)
    settle(app, args.settle_s)
    say("RESULT", json.dumps({"rss_kib": peak_rss_kib()}))


def settle(app: Any, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def build_counter(data_dir: Path, language: str = "zh_CN",
                  clock: Callable[[], float] | None = None) -> tuple[Any, Any]:
    """What `counter-app` does at start, step by step (ui/app.py run_app without exec);
    `clock`: the counter's monotonic clock (default: the real one)."""
    import dataclasses

    from counter_app import config as config_module
    from counter_app.ui.app import CounterApp, application, install_translator
    from tests.helpers.counter import CounterService

    config = dataclasses.replace(config_module.load(), language=language)
    app = application()
    install_translator(app, config.language)
    service = (CounterService(config, data_dir) if clock is None
               else CounterService(config, data_dir, clock=clock))
    counter = CounterApp(service)
    counter.show()
    return app, counter


def app_start(args: argparse.Namespace) -> None:
    """Cold start to both windows shown; then one whole transaction, for the peak RSS."""
    app, counter = build_counter(Path(args.data_dir))
    wait_exposed(app, counter.staff_window, counter.customer_screen)
    say("SHOWN", time.perf_counter() - START)
    if args.settle_s:
        serve_one(app, counter)
        settle(app, args.settle_s)
    say("RESULT", json.dumps({"rss_kib": peak_rss_kib()}))
    counter.service.close()


def sign_in(counter: Any) -> None:
    problem = counter.controller.sign_in("1001", "1234")
    if problem:
        raise SystemExit(f"sign-in failed: {problem}")


def serve_one(app: Any, counter: Any) -> None:
    """Sign in, serve one customer for a second with both hourglasses painting, rate, sign out."""
    controller = counter.controller
    sign_in(counter)
    controller.start_transaction()
    settle(app, 1.0)
    controller.complete_transaction()
    controller.rate(5)
    app.processEvents()
    controller.sign_out()
    app.processEvents()


# ---- CPU while serving or idle ---------------------------------------------------------------

def serve(args: argparse.Namespace) -> None:
    """Signed in, with a transaction running (`running`) or not (`idle`), for --seconds."""
    from PySide6.QtCore import QTimer

    app, counter = build_counter(Path(args.data_dir))
    wait_exposed(app, counter.staff_window, counter.customer_screen)
    sign_in(counter)
    if args.state == "running":
        counter.controller.start_transaction()
    app.processEvents()
    QTimer.singleShot(int(args.seconds * 1000), lambda: app.exit(0))  # no close dialogs
    say("READY", time.perf_counter() - START)
    app.exec()
    say("RESULT", json.dumps({"rss_kib": peak_rss_kib()}))
    counter.service.close()


# ---- timer accuracy ---------------------------------------------------------------------------

def correct_interval(digits: str, started: float, target_s: float) -> tuple[float, float]:
    """The monotonic instants [a, b) at which `digits` is the right display.

    Counting down shows ⌈remaining⌉ (ServiceTimer.display_text), so "mm:ss" = W is right while
    W − 1 < remaining ≤ W; in overtime "+mm:ss" = W is right while W ≤ overtime < W + 1.
    """
    overtime = digits.startswith("+")
    minutes, seconds = digits.lstrip("+").split(":")
    whole = int(minutes) * 60 + int(seconds)
    deadline = started + target_s
    if overtime:
        return deadline + whole, deadline + whole + 1
    return deadline - whole, deadline - whole + 1


def accuracy(args: argparse.Namespace) -> None:
    """Sample what both hourglasses last painted at random moments against the monotonic clock."""
    from PySide6.QtCore import QTimer

    from counter_app.ui.controller import TICK_MS
    from counter_app.ui.hourglass import Hourglass

    app, counter = build_counter(Path(args.data_dir))
    wait_exposed(app, counter.staff_window, counter.customer_screen)
    glasses = {"staff": counter.staff_window.counter_page.hourglass,
               "customer": counter.customer_screen.hourglass}
    painted: dict[int, tuple[str, float]] = {}
    original = Hourglass._paint_digits

    def recording(self: Hourglass, p: Any, r: Any) -> None:
        original(self, p, r)
        painted[id(self)] = (self.digits, time.monotonic())

    Hourglass._paint_digits = recording  # type: ignore[method-assign]
    sign_in(counter)
    counter.controller.start_transaction()
    running = counter.service.machine.running
    started = running.timer._started  # the instant the domain counts from
    target = float(running.timer.target_s)
    errors: dict[str, list[float]] = {name: [] for name in glasses}
    stop = threading.Event()
    rng = random.Random(args.seed)

    def sample() -> None:
        time.sleep(1.0)  # let the first paint happen
        while not stop.wait(rng.uniform(0.02, 0.4)):
            now = time.monotonic()
            for name, glass in glasses.items():
                shown = painted.get(id(glass))
                if shown is None:
                    continue
                low, high = correct_interval(shown[0], started, target)
                errors[name].append(now - high if now >= high else (low - now if now < low
                                                                    else 0.0))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    QTimer.singleShot(int(args.seconds * 1000), lambda: app.exit(0))  # no close dialogs
    say("READY", time.perf_counter() - START)
    app.exec()
    stop.set()
    sampler.join()
    counter.service.close()
    result: dict[str, Any] = {"tick_ms": TICK_MS}
    for name, values in errors.items():
        values.sort()
        result[name] = {
            "samples": len(values),
            "max_ms": 1000 * values[-1],
            "p99_ms": 1000 * values[int(0.99 * (len(values) - 1))],
            "median_ms": 1000 * statistics.median(values),
        }
    say("RESULT", json.dumps(result))


# ---- latency to a durable commit --------------------------------------------------------------

PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON",
           "PRAGMA busy_timeout = 5000")


class RawSqlite:
    """The baseline: one INSERT and COMMIT on a plain sqlite3 connection, same pragmas."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in PRAGMAS:
            self.conn.execute(pragma)
        self.conn.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, "
                          "uuid TEXT, kind TEXT, at TEXT, payload TEXT, hash TEXT)")
        self.seq = 0

    def insert_commit(self) -> float:
        self.seq += 1
        payload = json.dumps({"txn": os.urandom(16).hex(), "duration_s": 95.4, "target_s": 180,
                              "overtime_s": 0.0, "staff": "1001"})
        begun = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                          (self.seq, os.urandom(16).hex(), "completed",
                           "2026-01-01T00:00:00.000000Z", payload, os.urandom(32).hex()))
        self.conn.execute("COMMIT")
        return time.perf_counter() - begun


class ReplaySqlite:
    """A second baseline: the app's own statements for one event on its schema, without Python
    layers (no hashing, JSON, sqlite-utils or state machine): the floor for this design."""

    def __init__(self, source: sqlite3.Connection, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in PRAGMAS:
            self.conn.execute(pragma)
        for (sql,) in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                                     "name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC"):
            self.conn.execute(sql)
        staff = source.execute("SELECT * FROM staff").fetchall()  # transactions refer to it
        if staff:
            marks = ", ".join("?" for _ in staff[0])
            self.conn.executemany(f"INSERT INTO staff VALUES ({marks})", staff)
        self.columns = [r[1] for r in self.conn.execute("PRAGMA table_info(transactions)")]
        self.row = source.execute("SELECT * FROM transactions LIMIT 1").fetchone()
        self.seq = 0

    def insert_commit(self) -> float:
        self.seq += 1
        txn = os.urandom(16).hex()
        row = [txn, *self.row[1:]]
        for column in ("started_seq", "last_seq"):  # they refer to events(seq)
            row[self.columns.index(column)] = self.seq
        begun = time.perf_counter()
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        conn.execute("INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash,"
                     " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (self.seq, os.urandom(16).hex(), "completed", "2026-01-01T00:00:00.000Z",
                      "SH-0001", "03", json.dumps({"txn": txn, "duration_s": 95.4}),
                      os.urandom(32).hex(), os.urandom(32).hex()))
        conn.execute("SELECT * FROM transactions WHERE txn = ?", (txn,)).fetchall()
        conn.execute(f"INSERT OR REPLACE INTO transactions ({', '.join(self.columns)}) VALUES "
                     f"({', '.join('?' for _ in self.columns)})", row)
        conn.execute("DELETE FROM heartbeat WHERE txn = ?", (txn,))
        conn.execute("COMMIT")
        return time.perf_counter() - begun


def latency(args: argparse.Namespace) -> None:
    """Done and rating presses until their events are committed, against raw sqlite3; Done
    until both screens have painted the new state, against painting them unchanged."""
    # the rating window is fixed from Done whatever the customer pressed (30 s): the counter's
    # clock skips it after each rating instead of the benchmark waiting it out
    skipped = [0.0]
    app, counter = build_counter(Path(args.data_dir),
                                 clock=lambda: time.monotonic() + skipped[0])
    wait_exposed(app, counter.staff_window, counter.customer_screen)
    controller = counter.controller
    store = counter.service.store
    machine = counter.service.machine

    def rating_window_over() -> None:
        skipped[0] += machine.rating_window_s + machine.rating_extension_s + 1
        app.processEvents()
    committed: list[float] = []
    append: Callable[..., Any] = store.append

    def timed_append(drafts: Any) -> Any:
        result = append(drafts)
        committed.append(time.perf_counter())
        return result

    store.append = timed_append
    raw = RawSqlite(Path(args.data_dir) / "baseline.sqlite")
    sign_in(counter)
    samples: dict[str, list[float]] = {"done": [], "rating": [], "raw": [], "replay": [],
                                       "screens": [], "paint": []}
    windows = (counter.staff_window, counter.customer_screen)

    def repaint_both() -> None:
        """What the clerk and the customer wait for: every posted event handled, then both
        windows painted (synchronously, so the time includes the paint)."""
        app.processEvents()
        for window in windows:
            window.repaint()
    controller.start_transaction()  # one untimed transaction: the replay copies its row
    controller.complete_transaction()
    controller.rate(4)
    rating_window_over()
    replay = ReplaySqlite(counter.service.db.conn, Path(args.data_dir) / "replay.sqlite")

    def baselines() -> None:
        # measured in the same conditions as the presses: right after the UI has repainted
        app.processEvents()
        samples["raw"].append(raw.insert_commit())
        app.processEvents()
        samples["replay"].append(replay.insert_commit())
        repaint_both()
        begun = time.perf_counter()
        repaint_both()  # nothing changed: the cost of painting both windows itself
        samples["paint"].append(time.perf_counter() - begun)

    def committed_since(begun: float) -> float:
        if not committed or committed[-1] < begun:
            raise SystemExit("a timed press committed nothing: the benchmark is broken")
        return committed[-1] - begun

    for _ in range(args.rounds * args.per_round):
        controller.start_transaction()
        if machine.running is None:
            raise SystemExit("the transaction did not start: the benchmark is broken")
        baselines()
        begun = time.perf_counter()
        controller.complete_transaction()  # what F2 calls
        samples["done"].append(committed_since(begun))
        repaint_both()  # the staff window waiting, the customer screen asking for a rating
        samples["screens"].append(time.perf_counter() - begun)
        baselines()
        begun = time.perf_counter()
        counter.customer_screen.press_rating(4)  # what a rating button or key 4 calls
        samples["rating"].append(committed_since(begun))
        rating_window_over()
    controller.sign_out()
    counter.service.close()
    say("RESULT", json.dumps({"per_round": args.per_round, **samples}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("bare", "app", "serve", "accuracy", "latency"))
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--settle-s", type=float, default=0.0)
    parser.add_argument("--state", choices=("running", "idle"), default="running")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=40)
    args = parser.parse_args()
    modes: dict[str, Callable[[argparse.Namespace], None]] = {
        "bare": bare, "app": app_start, "serve": serve, "accuracy": accuracy,
        "latency": latency,
    }
    modes[args.mode](args)


if __name__ == "__main__":
    main()
