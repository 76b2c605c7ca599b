"""Benchmark: a counter's history synced to head office, against a raw executemany of its rows.

    python benchmarks/bench_sync.py [--days 60] [--runs 3] [--skip-postgres]
    python benchmarks/bench_sync.py --concurrent 16 --workers 2 [--concurrent-days 5]

For SQLite and for PostgreSQL (a throwaway cluster, fsync on), in the same run and place:

- **raw**: the very rows head office stores for the events (`events` columns, the canonical
  text as body) inserted by the driver itself — `sqlite3` / `psycopg` `executemany` — into a
  bare table with the same columns and primary key, 500 rows per transaction (a batch), with
  head office's pragmas on SQLite (WAL, `synchronous=FULL`). No SQLAlchemy, no checks.
- **server side**: what `POST /events` does with each gzipped body the counter sends (gunzip,
  `parse_batch`, `Store.ingest`: chain check, anchors, validation, projection, one
  transaction), in this process, batch after batch; also the CPU the `counter-hq serve`
  process spent per event during the end-to-end run.
- **end to end**: what `counter-app sync --now` runs, in this process (the anchor, then
  `Uploader.run()` reading the counter's own SQLite database), against `counter-hq serve` in a
  subprocess on loopback — everything but the interpreter's start.

`--concurrent N --workers W`: N counters (`--concurrent-days` days each) sync at once, each
in its own process, to `counter-hq serve --workers W` (PostgreSQL; SQLite takes one worker):
wall time against the raw insert of all their rows, and how many cores the server used.
Each figure is the best of `--runs`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import Column, MetaData, Table  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402
from sqlalchemy.schema import CreateTable  # noqa: E402

from counter_app.storage.db import connect, migrate  # noqa: E402
from counter_app.storage.events import EventStore, stored_events  # noqa: E402
from counter_app.sync.anchors import code_hash, try_send_anchor  # noqa: E402
from counter_app.sync.protocol import (  # noqa: E402
    GZIP_LEVEL,
    MAX_EVENTS,
    HeadOfficeClient,
    batch_body,
)
from counter_app.sync.uploader import LocalLog, Uploader, encode_fitting  # noqa: E402
from counter_core.chain import Event  # noqa: E402
from head_office import schema  # noqa: E402
from head_office.api import parse_batch  # noqa: E402
from head_office.store import Store, event_body  # noqa: E402
from tests.helpers.hq import PgCluster, day_drafts, postgres_cluster, running_server  # noqa: E402

TXN_PER_DAY = 62  # ≈ 200 events a counter-day with sign-ins, ratings and reasons
FIRST_DAY = dt.date(2026, 1, 5)
RECEIVED_AT = "2026-11-03T17:00:00.000Z"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- the counter's side ---------------------------------------------------------------------

def counter_log(path: Path, hall: str, counter: str, days: int, seed: int = 0) -> list[Event]:
    """A counter database with `days` days of work, as the app writes it (its `log_opened`
    first, so RFC 8785 hashes); its events as the sync reads them."""
    db = connect(path)
    migrate(db)
    store = EventStore(db, hall, counter, record_opening=True,
                       now=lambda: f"{FIRST_DAY.isoformat()}T00:00:00.000Z")
    for day in range(days):
        store.append_timed(day_drafts(TXN_PER_DAY, FIRST_DAY + dt.timedelta(days=day),
                                      seed=seed * 1000 + day))
    events = stored_events(db, 0, 10**9)
    db.conn.close()
    return events


def bodies(events: list[Event]) -> list[bytes]:
    """The gzipped bodies the Uploader sends for the events: its batches, its encoding."""
    out: list[bytes] = []
    start = 0
    while start < len(events):
        encoded = encode_fitting(events[start:start + MAX_EVENTS])
        out.append(gzip.compress(batch_body(encoded), compresslevel=GZIP_LEVEL))
        start += len(encoded)
    return out


def rows(events: list[Event], counter_id: int = 1) -> list[tuple[Any, ...]]:
    """The events' rows as head office stores them (the columns of `events`, in order)."""
    return [(counter_id, ev.seq, ev.uuid, ev.kind, ev.at, ev.prev_hash, ev.hash, event_body(ev),
             RECEIVED_AT, None) for ev in events]


# ---- raw: the driver's executemany ----------------------------------------------------------

def _bare_ddl(dialect: Any) -> str:
    """A bare copy of head office's `events` table: the same columns and primary key."""
    bare = Table("raw_events", MetaData(), *(
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
               autoincrement=False) for c in schema.events.columns))
    return str(CreateTable(bare).compile(dialect=dialect))


def raw_sqlite(path: Path, batch_rows: list[list[tuple[Any, ...]]]) -> float:
    """Seconds for sqlite3's executemany of the rows, a transaction per batch."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(_bare_ddl(sqlite.dialect()))
    insert = f"INSERT INTO raw_events VALUES ({', '.join('?' * 10)})"
    start = time.perf_counter()
    for batch in batch_rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took


def raw_postgres(cluster: PgCluster, batch_rows: list[list[tuple[Any, ...]]]) -> float:
    """Seconds for psycopg's executemany of the rows, a transaction per batch."""
    import psycopg

    name = cluster.new_database("raw").split("@/", 1)[1].split("?")[0]
    with psycopg.connect(host=str(cluster.socket_dir), port=cluster.port, user="postgres",
                         dbname=name) as conn:
        conn.execute(_bare_ddl(postgresql.dialect()))  # type: ignore[no-untyped-call]
        conn.commit()
        insert = f"INSERT INTO raw_events VALUES ({', '.join(['%s'] * 10)})"
        start = time.perf_counter()
        for batch in batch_rows:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(insert, batch)
        return time.perf_counter() - start


# ---- head office --------------------------------------------------------------------------

def server_side(url: str, hall: str, counter: str, gz: list[bytes]) -> float:
    """Seconds for what `POST /events` does with each body, here, in a fresh database."""
    store = Store(url)
    store.enroll(hall, counter)
    who = store.counter(hall, counter)
    assert who is not None
    start = time.perf_counter()
    for body in gz:
        result = store.ingest(who, parse_batch(gzip.decompress(body)))
        who = store.counter(hall, counter)  # as the next request's token lookup finds it
        assert who is not None and result.stored > 0, result
    took = time.perf_counter() - start
    store.close()
    return took


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the process and its live descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += ticks.get(current, 0)
        todo.extend(p for p, parent in parents.items() if parent == current)
    return total / CLK_TCK


def sync_counter(url: str, token: str, path: Path) -> int:
    """`counter-app sync --now`'s work: the anchor, then the upload; events sent."""
    reader = connect(path, readonly=True)
    try:
        with HeadOfficeClient(url, token) as client:
            try_send_anchor(LocalLog(reader), client)
            status = Uploader(LocalLog(reader), client).run()
    finally:
        reader.conn.close()
    assert status.ok, status
    return status.sent


@dataclass
class EndToEnd:
    seconds: float
    server_cpu: float
    client_cpu: float  # this process's (the counter's side)


def end_to_end(url: str, hall: str, counter: str, path: Path) -> EndToEnd:
    with running_server(url) as server:
        assert server.process is not None
        token = server.enroll(hall, counter)
        cpu, mine = tree_cpu(server.process.pid), time.process_time()
        start = time.perf_counter()
        sync_counter(server.url, token, path)
        took = time.perf_counter() - start
        return EndToEnd(took, tree_cpu(server.process.pid) - cpu, time.process_time() - mine)


def _one_of_many(job: tuple[str, str, str]) -> float:
    url, token, path = job
    start = time.perf_counter()
    sync_counter(url, token, Path(path))
    return time.perf_counter() - start


def _started(_: int) -> None:
    time.sleep(0.2)


def concurrent(url: str, workers: int, logs: list[tuple[str, Path]]) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) for the counters' syncs, all at once."""
    with running_server(url, "--workers", str(workers)) as server:
        assert server.process is not None
        jobs = [(server.url, server.enroll("BENCH", name), str(path)) for name, path in logs]
        with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
            pool.map(_started, range(len(jobs)))  # the pool's processes up before the clock
            cpu = tree_cpu(server.process.pid)
            start = time.perf_counter()
            pool.map(_one_of_many, jobs, chunksize=1)
            took = time.perf_counter() - start
        return took, tree_cpu(server.process.pid) - cpu


# ---- the run --------------------------------------------------------------------------------

@contextlib.contextmanager
def databases(skip_postgres: bool, folder: Path
              ) -> Iterator[list[tuple[str, Callable[[], str], Any]]]:
    made = iter(range(1000))
    targets: list[tuple[str, Callable[[], str], Any]] = [
        ("SQLite", lambda: f"sqlite:///{folder / f'hq{next(made)}.sqlite'}", None)]
    if skip_postgres:
        yield targets
        return
    with postgres_cluster(fsync=True) as cluster:
        targets.append(("PostgreSQL", lambda: cluster.new_database("bench"), cluster))
        yield targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60, help="days of one counter (60)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, best kept (3)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--concurrent", type=int, default=0, metavar="N",
                        help="also sync N counters at once (e.g. 16)")
    parser.add_argument("--workers", type=int, default=1, metavar="W",
                        help="counter-hq serve --workers for --concurrent (PostgreSQL)")
    parser.add_argument("--concurrent-days", type=int, default=5, metavar="D",
                        help="days of each of the --concurrent counters (5)")
    args = parser.parse_args()
    began = time.perf_counter()
    result: dict[str, Any] = {"days": args.days, "runs": args.runs}
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    code_hash()  # the app computes it once per run, at start
    with tempfile.TemporaryDirectory() as tmp, databases(args.skip_postgres, Path(tmp)) as dbs:
        folder = Path(tmp)
        hall, counter = "BENCH", "c01"
        log_path = folder / "counter.sqlite"
        events = counter_log(log_path, hall, counter, args.days)
        gz = bodies(events)
        batch_rows = [rows(events[i:i + MAX_EVENTS]) for i in range(0, len(events), MAX_EVENTS)]
        n = len(events)
        print(f"one counter, {args.days} days: {n:,} events in {len(gz)} batches "
              f"({sum(map(len, gz)) / 1024:.0f} KiB gzipped); best of {args.runs} runs")
        for name, new_url, cluster in dbs:
            raws = [raw_sqlite(folder / f"raw{run}.sqlite", batch_rows) if cluster is None
                    else raw_postgres(cluster, batch_rows) for run in range(args.runs)]
            raw = min(raws)
            server = min(server_side(new_url(), hall, counter, gz) for _ in range(args.runs))
            e2e = [end_to_end(new_url(), hall, counter, log_path) for _ in range(args.runs)]
            wall = min(r.seconds for r in e2e)
            cpu = min(r.server_cpu for r in e2e)
            client = min(r.client_cpu for r in e2e)
            us = 1e6 / n
            result[name] = {"events": n, "raw_s": raw, "server_s": server, "server_cpu_s": cpu,
                            "client_cpu_s": client, "end_to_end_s": wall}
            print(f"\n[{name}] raw executemany      {raw:6.3f} s  {raw * us:6.1f} µs/event")
            print(f"[{name}] server side (in-proc) {server:6.3f} s  {server * us:6.1f} µs/event"
                  f"  = {server / raw:4.1f}× raw")
            print(f"[{name}] server CPU in e2e     {cpu:6.3f} s  {cpu * us:6.1f} µs/event"
                  f"  = {cpu / raw:4.1f}× raw")
            print(f"[{name}] counter CPU in e2e    {client:6.3f} s  {client * us:6.1f} µs/event"
                  f"  = {client / raw:4.1f}× raw")
            print(f"[{name}] end to end            {wall:6.3f} s  {wall * us:6.1f} µs/event"
                  f"  = {wall / raw:4.1f}× raw")
        if args.concurrent:
            name, new_url, cluster = dbs[-1]
            logs = []
            for i in range(args.concurrent):
                path = folder / f"many{i}.sqlite"
                logs.append((f"m{i:02}", path))
                counter_log(path, "BENCH", f"m{i:02}", args.concurrent_days, seed=i + 1)
            all_rows = [rows(stored_events(connect(p, readonly=True), 0, 10**9), i + 1)
                        for i, (_, p) in enumerate(logs)]
            batches = [r[j:j + MAX_EVENTS] for r in all_rows for j in range(0, len(r), MAX_EVENTS)]
            total = sum(map(len, all_rows))
            raw = (raw_sqlite(folder / "raw_many.sqlite", batches) if cluster is None
                   else raw_postgres(cluster, batches))
            took, cpu = concurrent(new_url(), args.workers, logs)
            result["concurrent"] = {"database": name, "counters": args.concurrent,
                                    "workers": args.workers, "events": total, "seconds": took,
                                    "raw_s": raw, "server_cpu_s": cpu,
                                    "cores": os.cpu_count()}
            print(f"\n[{name}] {args.concurrent} counters at once ({total:,} events), "
                  f"--workers {args.workers}: {took:.2f} s ({total / took:,.0f} events/s) = "
                  f"{took / raw:.1f}× raw ({raw:.2f} s); server CPU {cpu:.2f} s = "
                  f"{cpu / took:.2f} cores busy")
    print("RESULT " + json.dumps(result), flush=True)  # for benchmarks/run.py
    print(f"\ntotal benchmark time {time.perf_counter() - began:.0f} s; load average at the "
          f"end: {os.getloadavg()[0]:.1f} (a figure measured on a busy machine waits its turn)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
