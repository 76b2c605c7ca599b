"""Counter App performance figures, each as a ratio to a baseline measured in the same run.

    python benchmarks/run.py [--full] [--only STEP …] [--platform auto|xvfb|offscreen]
                             [--markdown FILE]

Ends with one table of every goal of "Fast and finished" (figure, baseline, ratio, goal, met
or missed; "not measured" where this run has no measurement): cold start through the real
command line (`python -m counter_app --smoke-test`, bytecode caches warm) and peak RSS against
a bare PySide6 window of the same size, the same start on a counter's year of data, WAL
bytes per commit (bench_commit_wal.py), Done/rating-to-commit latency against a raw sqlite3
INSERT + COMMIT with the same pragmas, CPU while the hourglass runs and while idle (from
/proc/<pid>/stat of the app in its own process), and the timer's accuracy (what the
hourglasses painted against the monotonic clock at random moments), also with every core
kept busy; head office's ingest on SQLite and PostgreSQL and 16 counters syncing at once
(bench_sync.py, against the drivers' raw executemany); the bundle's size when dist/ holds
one. Linux only (/proc). The default run takes about 8 minutes (20 s timer runs); `--full`
about 16 (3-minute timer runs, and the hall view over 15 counters' years). Not part of the
test run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "benchmarks" / "counter_child.py"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One line of the table."""

    figure: str
    value: str
    baseline: str
    ratio: str
    goal: str
    ok: bool | None

    def cells(self) -> list[str]:
        verdict = "" if self.ok is None else ("met" if self.ok else "MISSED")
        return [self.figure, self.value, self.baseline, self.ratio, self.goal, verdict]


# ---- processes --------------------------------------------------------------------------------

class Child:
    """One counter_child.py process (or another command); reads its `KEY value` lines."""

    def __init__(self, mode: str, env: dict[str, str], *options: str,
                 command: list[str] | None = None) -> None:
        self.started = time.perf_counter()
        self.seen: dict[str, tuple[float, str]] = {}
        self.proc = subprocess.Popen(
            command or [sys.executable, str(CHILD), mode, *options], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for(self, key: str) -> tuple[float, str]:
        """Seconds since spawn when the line `key …` arrived, and its value."""
        assert self.proc.stdout is not None
        while key not in self.seen:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise RuntimeError(f"{key} never came; exit {self.proc.wait()}\n{err[-3000:]}")
            word, _, value = line.rstrip("\n").partition(" ")
            self.seen.setdefault(word, (time.perf_counter() - self.started, value))
        return self.seen[key]

    def peak_rss_kib(self) -> int:
        """Wait for the end; the process's peak RSS from the kernel (wait4)."""
        assert self.proc.stdout is not None
        self.proc.stdout.read()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        if self.proc.returncode != 0:
            raise RuntimeError(f"{self.proc.args!r} exited {self.proc.returncode}")
        return int(usage.ru_maxrss)

    def result(self) -> dict[str, Any]:
        _, value = self.wait_for("RESULT")
        self.proc.wait(timeout=60)
        result: dict[str, Any] = json.loads(value)
        return result

    def cpu_seconds(self) -> float:
        """User + system CPU of the process so far, from /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


@contextlib.contextmanager
def display(platform: str) -> Iterator[tuple[dict[str, str], str]]:
    """The environment for the children: a private Xvfb, or Qt's offscreen platform."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    env.pop("QT_QPA_PLATFORM", None)
    if platform == "auto":
        platform = "xvfb" if shutil.which("Xvfb") else "offscreen"
    if platform == "offscreen":
        yield dict(env, QT_QPA_PLATFORM="offscreen"), "offscreen"
        return
    number = 90 + os.getpid() % 50
    while Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
        number += 1
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        yield dict(env, QT_QPA_PLATFORM="xcb", DISPLAY=f":{number}"), f"Xvfb :{number} (xcb)"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextlib.contextmanager
def busy_machine() -> Iterator[None]:
    """One CPU-bound process per core, for the figures "with the machine loaded"."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def fresh_data_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="counter-bench-"))


def warm_data_dir(env: dict[str, str]) -> Path:
    """A data folder that has been started once (database, demo accounts, today's backup)."""
    folder = fresh_data_dir()
    Child("app", env, "--data-dir", str(folder)).result()
    return folder


# ---- the figures ------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


#: Done → committed (and rating press → committed) against a raw sqlite3 commit
COMMIT_GOAL = 1.2
SMOKE_DELAY_S = 0.3  # `--smoke-test` reports 300 ms after show() (ui/app.py run_app)


def measure_bundle(env: dict[str, str], bundle: Path, data: Path, runs: int) -> list[Row]:
    """The shipped artifact: `counter-app --smoke-test` from the PyInstaller bundle.

    Both it and the bare window print a line 300 ms after show(); start-up is that moment
    less 300 ms, for both alike. The bundle's peak RSS comes from wait4 (no transaction).
    """
    bare_s, app_s, bare_rss, app_rss = [], [], [], []
    for index in range(runs + 1):  # the first run creates the bundle's database
        bare = Child("bare", env, "--settle-s", "0.5")
        shown_bare, _ = bare.wait_for("SMOKE")
        rss_bare = bare.result()["rss_kib"]
        frozen = Child("", env, command=[str(bundle), "--data-dir", str(data), "--smoke-test"])
        shown_app, _ = frozen.wait_for("smoke")
        rss_app = frozen.peak_rss_kib()
        if index:
            bare_s.append(shown_bare - SMOKE_DELAY_S)
            app_s.append(shown_app - SMOKE_DELAY_S)
            bare_rss.append(rss_bare)
            app_rss.append(rss_app)
    start = statistics.median(app_s) / statistics.median(bare_s)
    rss = statistics.median(app_rss) / statistics.median(bare_rss)
    return [
        Row("cold start, PyInstaller bundle (median)", f"{statistics.median(app_s):.2f} s",
            f"{statistics.median(bare_s):.2f} s bare window", f"{start:.2f}×", "≤ 2×",
            start <= 2),
        Row("peak RSS, bundle --smoke-test", f"{statistics.median(app_rss) / 1024:.0f} MiB",
            f"{statistics.median(bare_rss) / 1024:.0f} MiB bare window", f"{rss:.2f}×",
            "≤ 1.5×", rss <= 1.5),
    ]


def cli_env(env: dict[str, str]) -> dict[str, str]:
    """The children's environment with bytecode caches allowed: a start from an install runs
    from its .pyc files, so the start figures do too (a first run writes them)."""
    return {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure_start(env: dict[str, str], runs: int, bundle: Path | None) -> list[Row]:
    """Cold start through the real command line, `python -m counter_app --smoke-test` (what
    the installed `counter-app` runs), against a bare PySide6 window of the staff window's
    size in the same run: both print a line 300 ms after show(), and 300 ms is taken off both.
    Peak RSS of both from wait4. The median of `runs`, after one unmeasured pair that writes
    the bytecode caches and warms the disk cache."""
    warm = cli_env(env)
    data = warm_data_dir(env)
    command = [sys.executable, "-m", "counter_app", "--data-dir", str(data), "--smoke-test"]
    bare_s, app_s, bare_rss, app_rss = [], [], [], []
    for index in range(runs + 1):
        bare = Child("bare", warm, "--settle-s", "0.5")
        shown_bare, _ = bare.wait_for("SMOKE")
        rss_bare = bare.peak_rss_kib()
        app = Child("", warm, command=command)
        shown_app, _ = app.wait_for("smoke")
        rss_app = app.peak_rss_kib()
        if index:
            bare_s.append(shown_bare - SMOKE_DELAY_S)
            app_s.append(shown_app - SMOKE_DELAY_S)
            bare_rss.append(rss_bare)
            app_rss.append(rss_app)
    start_ratio = statistics.median(app_s) / statistics.median(bare_s)
    rss_ratio = statistics.median(app_rss) / statistics.median(bare_rss)
    # the same start, then one whole transaction with both hourglasses painting
    served_bare, served_app = [], []
    for _ in range(max(1, runs // 2)):
        bare = Child("bare", warm, "--settle-s", "1.5")
        served_bare.append(bare.result()["rss_kib"])
        served_app.append(Child("app", warm, "--data-dir", str(data), "--settle-s",
                                "0.5").result()["rss_kib"])
    served_ratio = statistics.median(served_app) / statistics.median(served_bare)
    rows = []
    if bundle is not None:
        rows = measure_bundle(env, bundle, fresh_data_dir(), runs)  # its own schema version
    median_s, median_rss = statistics.median(app_s), statistics.median(app_rss)
    return [
        *rows,
        Row(f"cold start to both windows, counter-app --smoke-test (median of {runs})",
            f"{median_s:.2f} s", f"{statistics.median(bare_s):.2f} s bare window",
            f"{start_ratio:.2f}×", "≤ 2×", start_ratio <= 2),
        Row("peak RSS, counter-app --smoke-test", f"{median_rss / 1024:.0f} MiB",
            f"{statistics.median(bare_rss) / 1024:.0f} MiB bare window", f"{rss_ratio:.2f}×",
            "≤ 1.5×", rss_ratio <= 1.5),
        Row("peak RSS, start + one whole transaction",
            f"{statistics.median(served_app) / 1024:.0f} MiB",
            f"{statistics.median(served_bare) / 1024:.0f} MiB bare window",
            f"{served_ratio:.2f}×", "≤ 1.5×", served_ratio <= 1.5),
    ]


def measure_start_year(env: dict[str, str], runs: int) -> list[Row]:
    """The same cold start on a counter's year of data (`counter-app demo-data --days 365`,
    written first: about a minute), interleaved with a bare window and with the small data
    folder of `measure_start`: what a year's database adds to every morning's start."""
    warm = cli_env(env)
    with tempfile.TemporaryDirectory(prefix="counter-bench-year-") as temp:
        year = Path(temp) / "year"
        subprocess.run([sys.executable, "-m", "counter_app", "--data-dir", str(year),
                        "demo-data", "--days", "365"], cwd=ROOT, env=warm, check=True,
                       capture_output=True)
        database = year / "counter.sqlite"
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro",
                                                uri=True)) as conn:
            transactions = conn.execute("SELECT COUNT(*) FROM transactions").fetchone()[0]
        size_mb = database.stat().st_size / 1e6
        small = warm_data_dir(env)
        shown: dict[str, list[float]] = {"bare": [], "small": [], "year": []}
        for index in range(runs + 1):  # the first: caches, and the year's first daily backup
            bare = Child("bare", warm, "--settle-s", "0.5")
            at = {"bare": bare.wait_for("SMOKE")[0]}
            bare.peak_rss_kib()
            for name, folder in (("small", small), ("year", year)):
                app = Child("", warm, command=[sys.executable, "-m", "counter_app",
                                               "--data-dir", str(folder), "--smoke-test"])
                at[name] = app.wait_for("smoke")[0]
                app.peak_rss_kib()
            if index:
                for name, seconds in at.items():
                    shown[name].append(seconds - SMOKE_DELAY_S)
    bare_s, small_s, year_s = (statistics.median(shown[k]) for k in ("bare", "small", "year"))
    return [
        Row(f"cold start to both windows on a year's data ({transactions} transactions, "
            f"{size_mb:.0f} MB), counter-app --smoke-test (median of {runs})",
            f"{year_s:.2f} s", f"{bare_s:.2f} s bare window", f"{year_s / bare_s:.2f}×", "≤ 2×",
            year_s / bare_s <= 2),
        Row("the same start, a year's data against the small data folder (diagnostic)",
            f"{year_s:.2f} s", f"{small_s:.2f} s small data folder", f"{year_s / small_s:.2f}×",
            "", None),
    ]


def measure_latency(env: dict[str, str], rounds: int, per_round: int) -> list[Row]:
    data = warm_data_dir(env)
    result = Child("latency", env, "--data-dir", str(data), "--rounds", str(rounds),
                   "--per-round", str(per_round)).result()
    raw = result["raw"]
    rows = []
    for key, label in (("done", "Done → committed"), ("rating", "rating press → committed")):
        values = result[key]
        # the median of the per-round ratios: each round's app and baseline share the disk's mood
        ratios = [
            statistics.median(values[i * per_round:(i + 1) * per_round])
            / statistics.median(raw[i * 2 * per_round:(i + 1) * 2 * per_round])
            for i in range(rounds)
        ]
        ratio = statistics.median(ratios)
        p99_ratio = percentile(values, 0.99) / percentile(raw, 0.99)
        rows.append(Row(f"{label}, median", f"{1000 * statistics.median(values):.2f} ms",
                        f"{1000 * statistics.median(raw):.2f} ms raw sqlite3",
                        f"{ratio:.2f}×", f"≤ {COMMIT_GOAL}×", ratio <= COMMIT_GOAL))
        rows.append(Row(f"{label}, p99", f"{1000 * percentile(values, 0.99):.2f} ms",
                        f"{1000 * percentile(raw, 0.99):.2f} ms raw sqlite3",
                        f"{p99_ratio:.2f}×", f"≤ {COMMIT_GOAL}×", p99_ratio <= COMMIT_GOAL))
    screens, paint = result["screens"], result["paint"]
    for label, share in (("median", 0.5), ("p99", 0.99)):
        value, base = percentile(screens, share), percentile(paint, share)
        rows.append(Row(f"Done → both screens repainted, {label}", f"{1000 * value:.1f} ms",
                        f"{1000 * base:.1f} ms repainting both unchanged",
                        f"{value / base:.1f}×", "≤ 50 ms" if share > 0.5 else "",
                        value <= 0.050 if share > 0.5 else None))
    replay = result["replay"]
    done = result["done"]
    rows.append(Row("Done → committed vs the same SQL without Python (diagnostic)",
                    f"{1000 * statistics.median(done):.2f} ms",
                    f"{1000 * statistics.median(replay):.2f} ms same statements, raw sqlite3",
                    f"{statistics.median(done) / statistics.median(replay):.2f}×", "", None))
    return rows


def cpu_share(env: dict[str, str], data: Path, state: str, seconds: float) -> float:
    """Share of one core the app uses over `seconds`, after a second to settle."""
    child = Child("serve", env, "--data-dir", str(data), "--state", state,
                  "--seconds", str(seconds + 3))
    child.wait_for("READY")
    time.sleep(1.0)
    cpu0, t0 = child.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    cpu1, t1 = child.cpu_seconds(), time.monotonic()
    child.result()
    return (cpu1 - cpu0) / (t1 - t0)


def measure_cpu(env: dict[str, str], runs: int, seconds: float) -> list[Row]:
    data = warm_data_dir(env)
    running = [cpu_share(env, data, "running", seconds) for _ in range(runs)]
    idle = [cpu_share(env, data, "idle", seconds) for _ in range(runs)]
    run_pct, idle_pct = 100 * statistics.median(running), 100 * statistics.median(idle)
    return [
        Row(f"CPU while the hourglass runs ({seconds:.0f} s, both screens)",
            f"{run_pct:.2f} % of a core", "one core", "", "≤ 3 %", run_pct <= 3),
        Row(f"CPU while idle, signed in ({seconds:.0f} s)", f"{idle_pct:.2f} % of a core",
            "one core", "", "≈ 0 (≤ 0.2 %)", idle_pct <= 0.2),
    ]


def measure_accuracy(env: dict[str, str], seconds: float, loaded: bool) -> list[Row]:
    data = warm_data_dir(env)
    with busy_machine() if loaded else contextlib.nullcontext():
        result = Child("accuracy", env, "--data-dir", str(data), "--seconds",
                       str(seconds)).result()
    tick = result["tick_ms"]
    worst = max(result["staff"]["max_ms"], result["customer"]["max_ms"])
    p99 = max(result["staff"]["p99_ms"], result["customer"]["p99_ms"])
    samples = result["staff"]["samples"] + result["customer"]["samples"]
    when = "machine loaded (a busy process per core)" if loaded else "machine quiet"
    return [Row(f"timer display vs monotonic clock, {when}, {seconds:.0f} s, {samples} samples",
                f"max {worst:.0f} ms, p99 {p99:.0f} ms", f"repaint interval {tick} ms",
                f"{worst / tick:.2f}×", "≤ 1× (max)", worst <= tick)]


def measure_hall_cpu(seconds: float) -> list[Row]:
    """The hall server with 15 counters streaming a busy hour (benchmarks/bench_hall_cpu.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    result = Child("", env, command=[sys.executable, str(ROOT / "benchmarks" / "bench_hall_cpu.py"),
                                     "--wall", str(seconds)]).result()
    hour, idle = result["hour_pct"], result["idle_pct"]
    p50, p99 = result["p50_ms"], result["p99_ms"]
    return [
        Row(f"hall server CPU, 15 counters, a busy hour ({result['events']} events in "
            f"{seconds:.0f} s), scaled to the real hour", f"{hour:.2f} % of a core",
            f"{idle:.2f} % idle server", "", "≤ 5 %", hour <= 5),
        Row("commit → visible at the hall server under that load, p50 / p99",
            f"{p50:.0f} / {p99:.0f} ms", "", "", "p99 ≤ 1 s", p99 <= 1000),
    ]


def measure_wal(transactions: int) -> list[Row]:
    """WAL bytes per event commit against a raw sqlite3 row (benchmarks/bench_commit_wal.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = Child("", env, command=[sys.executable, str(ROOT / "benchmarks" /
                                                         "bench_commit_wal.py"),
                                     "--transactions", str(transactions)]).result()
    ratio = result["app_bytes"] / result["raw_bytes"]
    goal = result["goal_ratio"]
    return [Row(f"WAL bytes per event commit (start, Done, rating), history "
                f"{result['history']}", f"{result['app_bytes'] / 1024:.1f} KiB",
                f"{result['raw_bytes'] / 1024:.1f} KiB raw sqlite3 row", f"{ratio:.2f}×",
                f"≤ {goal:.1f}× (half of schema 6's)", ratio <= goal)]


def measure_manager(env: dict[str, str], runs: int, hall_counters: int = 0) -> list[Row]:
    """The manager view's slowest filter change, p95, on a counter's year (or the hall view
    over `hall_counters` counters' years): benchmarks/bench_manager.py on this display."""
    env = dict(env, PYTHONPATH=str(ROOT))
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_manager.py"), "--runs",
               str(runs)]
    if hall_counters:
        command += ["--hall-counters", str(hall_counters)]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"bench_manager.py gave no result (exit {proc.returncode})\n"
                           f"{proc.stderr[-3000:]}")
    result = json.loads(line.removeprefix("RESULT "))
    worst, goal = result["worst_p95_ms"], result["goal_ms"]
    what = (f"the hall view, {hall_counters} counters' years" if hall_counters
            else "a counter's year")
    return [Row(f"manager view, slowest filter change ({result['worst_step']}), {what} "
                f"({result['transactions']} transactions), p95", f"{worst:.0f} ms", "", "",
                f"≤ {goal:.0f} ms", worst <= goal)]


#: goals of "Fast and finished" this run does not measure, and where each is measured
#: head office's ingest goals ("Fast and finished"): end to end and server side, × raw
INGEST_E2E_GOAL, INGEST_SERVER_GOAL = 5.0, 3.0


def measure_ingest(runs: int) -> list[Row]:
    """A counter's 60 days synced to head office on SQLite and PostgreSQL, and 16 counters at
    once to `counter-hq serve --workers 2` (PostgreSQL): benchmarks/bench_sync.py, each
    figure against the driver's raw executemany of the same rows in the same run."""
    command = [sys.executable, str(ROOT / "benchmarks" / "bench_sync.py"), "--runs", str(runs),
               "--concurrent", "16", "--workers", "2"]
    proc = subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"bench_sync.py gave no result (exit {proc.returncode})\n"
                           f"{proc.stderr[-3000:]}")
    result = json.loads(line.removeprefix("RESULT "))
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        db = result[name]
        us = 1e6 / db["events"]
        raw = f"{db['raw_s'] * us:.1f} µs/event raw executemany"
        what = f"a counter's {result['days']} days ({db['events']:,} events), {name}"
        server, e2e = db["server_s"] / db["raw_s"], db["end_to_end_s"] / db["raw_s"]
        rows.append(Row(f"ingest server side (Store.ingest of the uploads), {what}",
                        f"{db['server_s'] * us:.1f} µs/event", raw, f"{server:.1f}×",
                        f"≤ {INGEST_SERVER_GOAL:.0f}×", server <= INGEST_SERVER_GOAL))
        rows.append(Row(f"ingest end to end (counter-app sync --now to counter-hq serve), {what}",
                        f"{db['end_to_end_s'] * us:.1f} µs/event", raw, f"{e2e:.1f}×",
                        f"≤ {INGEST_E2E_GOAL:.0f}×" if name == "SQLite" else "",
                        e2e <= INGEST_E2E_GOAL if name == "SQLite" else None))
    many = result["concurrent"]
    cores = many["server_cpu_s"] / many["seconds"]
    rows.append(Row(
        f"{many['counters']} counters syncing at once, counter-hq serve --workers "
        f"{many['workers']}, {many['database']} ({many['events']:,} events)",
        f"{many['seconds']:.2f} s, server {cores:.2f} cores busy",
        f"{many['raw_s']:.2f} s raw; {many['cores']} cores shared with the {many['counters']} "
        "counters", f"{many['seconds'] / many['raw_s']:.1f}×", "not bound by one core",
        None))
    return rows


def measure_bundle_size(bundle: Path | None) -> list[Row]:
    """The PyInstaller bundle's size on disk (the folder scripts/build_bundle.sh writes)."""
    if bundle is None:
        return [Row("PyInstaller bundle size", "not measured",
                    "bash scripts/build_bundle.sh first (CI builds it)", "", "≤ 160 MB", None)]
    folder = bundle.parent
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    where = str(folder.relative_to(ROOT)) if folder.is_relative_to(ROOT) else str(folder)
    return [Row("PyInstaller bundle size (bytes of its files)",
                f"{size / 1e6:.0f} MB ({size / 2**20:.0f} MiB)", where, "", "≤ 160 MB",
                size <= 160e6)]


NOT_MEASURED = (
    ("head office ingest and pages at scale, ratios", "p95 ≤ 300 ms",
     "benchmarks/bench_hq_scale.py (PostgreSQL, hours of demo data)"),
)


def not_measured() -> list[Row]:
    return [Row(figure, "not measured", where, "", goal, None)
            for figure, goal, where in NOT_MEASURED]


# ---- output -----------------------------------------------------------------------------------

STEPS = ("start", "start-year", "latency", "wal", "manager", "cpu", "accuracy",
         "accuracy-loaded", "hall-cpu", "hall-view", "ingest", "bundle")
HEADER = ["figure", "value", "baseline (same run)", "ratio", "goal", "met"]


def table(rows: list[Row]) -> str:
    lines = [HEADER, *[r.cells() for r in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="3-minute timer-accuracy runs, 20 s CPU windows, a 120 s hall "
                             "hour (about 12 minutes; the default takes about 4)")
    parser.add_argument("--quick", action="store_true",
                        help="the default (20 s timer runs, 10 s CPU windows): kept for scripts")
    parser.add_argument("--platform", choices=("auto", "xvfb", "offscreen"), default="auto")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--markdown", type=Path, help="also write the table here as Markdown")
    parser.add_argument("--only", nargs="+", choices=STEPS, help="measure only these figures")
    parser.add_argument("--bundle", type=Path,
                        default=ROOT / "dist" / "counter-app" / "counter-app",
                        help="the built bundle's executable, measured too when it exists "
                             "(default: dist/counter-app/counter-app)")
    args = parser.parse_args()
    if not Path("/proc/self/stat").exists():
        sys.exit("benchmarks/run.py reads /proc: run it on Linux")
    accuracy_s = 190.0 if args.full else 20.0  # the full run goes 10 s into overtime
    cpu_s = 20.0 if args.full else 10.0
    cpu_runs = 3 if args.full else 1
    bundle = args.bundle if args.bundle.is_file() else None
    began = time.monotonic()
    with display(args.platform) as (env, where):
        print(f"Counter App benchmarks on {where}, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores{' (full)' if args.full else ''}", flush=True)
        rows: list[Row] = []
        work = {
            "start": lambda: measure_start(env, args.runs, bundle),
            "start-year": lambda: measure_start_year(env, args.runs),
            "latency": lambda: measure_latency(env, args.runs, 40),
            "cpu": lambda: measure_cpu(env, cpu_runs, cpu_s),
            "accuracy": lambda: measure_accuracy(env, accuracy_s, loaded=False),
            "accuracy-loaded": lambda: measure_accuracy(env, accuracy_s, loaded=True),
            "wal": lambda: measure_wal(200 if args.full else 60),
            "hall-cpu": lambda: measure_hall_cpu(120.0 if args.full else 30.0),
            "manager": lambda: measure_manager(env, 20),
            "ingest": lambda: measure_ingest(3),
            "bundle": lambda: measure_bundle_size(bundle),
            # 15 counters' years of demo data take minutes to write: in the full run only
            "hall-view": lambda: measure_manager(env, 10, 15) if args.full else [
                Row("manager view, the hall view over 15 counters' years, p95", "not measured",
                    "--full (writes 15 years of demo data)", "", "≤ 200 ms", None)],
        }
        for step in args.only or STEPS:
            print(f"… {step}", file=sys.stderr, flush=True)
            try:
                measured = work[step]()
            except Exception as exc:  # one broken step is a row of the table, not the end
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:80]
                measured = [Row(f"{step}: FAILED", first, "", "", "", False)]
            for row in measured:
                print("   ", " | ".join(row.cells()), file=sys.stderr, flush=True)
            rows += measured
    if not args.only:
        rows += not_measured()
    print(table(rows))
    print(f"({time.monotonic() - began:.0f} s in all)")
    if args.markdown:
        args.markdown.write_text(markdown(rows) + "\n", encoding="utf-8")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
