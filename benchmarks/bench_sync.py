"""Benchmark: one counter-day synced end to end, and head office ingest of 1,500 counters' nights.

    python benchmarks/bench_sync.py [--scale 1.0] [--skip-postgres] [--skip-http]

Scale 1.0 is 1,500 counters × ~200 events (≈300,000 events). Each ingest rate is printed with
its ratio to a raw bulk insert of the same rows into a bare table in the same database and run.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Column, MetaData, Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from hq_support import chained, day_drafts, postgres_cluster, running_server  # noqa: E402

from counter_app.storage.db import connect, migrate  # noqa: E402
from counter_app.storage.events import EventStore  # noqa: E402
from counter_app.sync.protocol import HeadOfficeClient  # noqa: E402
from counter_app.sync.uploader import LocalLog, Uploader  # noqa: E402
from counter_core.chain import Event  # noqa: E402
from head_office import schema  # noqa: E402
from head_office.store import Store, event_body  # noqa: E402

TXN_PER_DAY = 62  # ≈ 200 events a counter-day with sign-ins, ratings and reasons


def night(counters: int) -> list[list[Event]]:
    """Each counter's day, chained as the counters would upload it."""
    return [chained(f"H{n // 10:04}", f"{n % 10:02}", day_drafts(TXN_PER_DAY, seed=n), seed=n)
            for n in range(counters)]


def raw_bulk_insert(store: Store, days: list[list[Event]]) -> float:
    """Seconds to insert the same event rows into a bare copy of the events table."""
    bare = Table("bench_raw_events", MetaData(),
                 *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                   for c in schema.events.columns))
    bare.drop(store.engine, checkfirst=True)
    bare.create(store.engine)
    rows = [{"counter_id": n, "seq": e.seq, "uuid": e.uuid, "kind": e.kind, "at": e.at,
             "prev_hash": e.prev_hash, "hash": e.hash, "body": event_body(e),
             "received_at": "2026-11-03T17:00:00.000Z"}
            for n, day in enumerate(days) for e in day]
    start = time.perf_counter()
    with store.engine.begin() as conn:
        for i in range(0, len(rows), 10_000):
            conn.execute(bare.insert(), rows[i:i + 10_000])
    elapsed = time.perf_counter() - start
    bare.drop(store.engine)
    return elapsed


def ingest(store: Store, days: list[list[Event]]) -> float:
    """Seconds for head office to take each counter's night as one checked batch."""
    who = []
    for day in days:
        store.enroll(day[0].hall, day[0].counter)
        counter = store.counter(day[0].hall, day[0].counter)
        assert counter is not None
        who.append(counter)
    start = time.perf_counter()
    for counter, day in zip(who, days, strict=True):
        for i in range(0, len(day), 500):
            store.ingest(counter, day[i:i + 500])
    return time.perf_counter() - start


def http_ingest(url: str, store: Store, days: list[list[Event]], workers: int = 8) -> float:
    """Seconds for all counters to upload their night over HTTP, `workers` at a time."""
    tokens = [store.enroll(day[0].hall, day[0].counter) for day in days]

    def upload(i: int) -> None:
        with HeadOfficeClient(url, tokens[i]) as client:
            client.status()
            for j in range(0, len(days[i]), 500):
                client.upload(days[i][j:j + 500])

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(upload, range(len(days))))
    return time.perf_counter() - start


def counter_day_end_to_end(url: str, store: Store, folder: Path,
                           runs: int = 5) -> tuple[int, list[float]]:
    """Seconds for `Uploader.run()` to sync one fresh counter-day from its SQLite database."""
    times: list[float] = []
    size = 0
    for run in range(runs):
        counter = f"e2e{run}"
        token = store.enroll("BENCH", counter)
        path = folder / f"{counter}.sqlite"
        db = connect(path)
        migrate(db)
        EventStore(db, "BENCH", counter).append_timed(day_drafts(TXN_PER_DAY, seed=run))
        reader = connect(path, readonly=True)
        start = time.perf_counter()
        with HeadOfficeClient(url, token) as client:
            status = Uploader(LocalLog(reader), client).run()
        times.append(time.perf_counter() - start)
        assert status.ok, status
        size = status.sent
        reader.conn.close()
        db.conn.close()
    return size, times


@contextlib.contextmanager
def databases(skip_postgres: bool, folder: Path) -> Iterator[list[tuple[str, Callable[[], str]]]]:
    made = iter(range(1000))
    targets: list[tuple[str, Callable[[], str]]] = [
        ("SQLite", lambda: f"sqlite:///{folder / f'hq{next(made)}.sqlite'}")]
    if skip_postgres:
        yield targets
        return
    with postgres_cluster(fsync=True) as cluster:
        targets.append(("PostgreSQL", lambda: cluster.new_database("bench")))
        yield targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="share of 1,500 counters' nights to ingest (default 1.0)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-http", action="store_true",
                        help="skip the ingest over HTTP of a fifth of the counters")
    args = parser.parse_args()
    counters = max(1, round(1500 * args.scale))
    start = time.perf_counter()
    days = night(counters)
    events = sum(len(d) for d in days)
    print(f"generated {counters} counter-days, {events:,} events "
          f"({events / counters:.0f} per counter-day) in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp, databases(args.skip_postgres, Path(tmp)) as dbs:
        folder = Path(tmp)
        for name, new_url in dbs:
            url = new_url()
            with running_server(url) as server:
                (folder / name).mkdir()
                size, e2e = counter_day_end_to_end(server.url, server.store, folder / name)
                print(f"\n[{name}] one counter-day ({size} events) synced end to end over "
                      "HTTP (status, read, gzip, upload, answer): median "
                      f"{statistics.median(e2e) * 1000:.0f} ms (min {min(e2e) * 1000:.0f}, "
                      f"max {max(e2e) * 1000:.0f}, {len(e2e)} runs)")
            store = Store(new_url())
            raw = raw_bulk_insert(store, days)
            took = ingest(store, days)
            print(f"[{name}] raw bulk insert of {events:,} rows: {raw:.1f} s "
                  f"({events / raw:,.0f} rows/s)")
            print(f"[{name}] head office ingest (checked, projected, one transaction per "
                  f"counter-night): {took:.1f} s ({events / took:,.0f} events/s) = "
                  f"{took / raw:.1f}× the raw bulk insert")
            store.close()
            if not args.skip_http:
                sample = days[: max(1, len(days) // 5)]  # a fifth keeps the run short
                sent = sum(len(d) for d in sample)
                with running_server(new_url()) as server:
                    took = http_ingest(server.url, server.store, sample)
                print(f"[{name}] over HTTP, {len(sample)} counters 8 at a time ({sent:,} events):"
                      f" {took:.1f} s ({sent / took:,.0f} events/s) = "
                      f"{took / (raw * sent / events):.1f}× the raw bulk insert's time per row")
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
