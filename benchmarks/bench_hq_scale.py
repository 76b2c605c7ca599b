"""Benchmark: head office's web pages on a large history, on PostgreSQL.

    python benchmarks/bench_hq_scale.py [--halls 30] [--counters 10] [--days 60]
                                        [--budget-s 1200] [--requests 40] [--sqlite]

Generates demo history at head office through the normal ingest path (`Store.ingest`, the
function `POST /api/v1/events` calls, in the counters' 500-event batches; no counter processes),
day by day across every counter until the days are done or the ingest budget is spent, and
prints the scale it reached. Then it starts a real `counter-hq serve` on that database, signs in
through the login form as an `hq` login, and measures the overview, a hall and the stars pages
(p50, p95, max over `--requests` requests each, goal p95 ≤ 300 ms); their figures add up the
per-day aggregates the ingest keeps (head_office.schema.daily_figures). The baseline, measured in
the same run against the same server and session, is the cheapest signed-in page
(`/account`): the ratio says what the figures cost above the HTTP, session and template path.
Last, the ingest rate and the database's size per event give the estimate for 300 halls × 10
counters × a year.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from counter_core.chain import GENESIS_HASH, Event  # noqa: E402
from head_office.store import Counter, Store  # noqa: E402
from head_office.web import users  # noqa: E402
from tests.helpers.hq import chained, day_drafts, postgres_cluster, running_server  # noqa: E402
from tests.web.support import login  # noqa: E402

TXN_PER_DAY = 62  # ≈ 200 events a counter-day, as in bench_sync.py
FIRST_DAY = dt.date(2026, 9, 1)
PASSWORD = "Bench-scale-2026"
GOAL_P95_MS = 300.0
FULL_SCALE = (300, 10, 365)  # halls, counters per hall, days


class Chain:
    """One counter's chain as it grows day by day."""

    def __init__(self, store: Store, hall: str, counter: str, seed: int) -> None:
        store.enroll(hall, counter)
        who = store.counter(hall, counter)
        assert who is not None
        self.who: Counter = who
        self.hall, self.counter, self.seed = hall, counter, seed
        self.next_seq, self.head = 1, GENESIS_HASH

    def day(self, day: dt.date) -> list[Event]:
        drafts = day_drafts(TXN_PER_DAY, day, seed=self.seed * 1000 + day.toordinal() % 1000)
        events = chained(
            self.hall,
            self.counter,
            drafts,
            first_seq=self.next_seq,
            prev_hash=self.head,
            seed=self.seed * 7919 + day.toordinal(),
        )
        self.next_seq += len(events)
        self.head = events[-1].hash
        return events


def generate(
    store: Store, halls: int, counters: int, days: int, budget_s: float
) -> tuple[int, int, float]:
    """Ingest day after day for every counter; (days done, events, seconds spent ingesting)."""
    chains = [
        Chain(store, f"H{h:03}", f"H{h:03}-C{c:02}", h * 100 + c)
        for h in range(halls)
        for c in range(counters)
    ]
    events = 0
    spent = 0.0
    done = 0
    for n in range(days):
        day = FIRST_DAY + dt.timedelta(days=n)
        for chain in chains:
            batch = chain.day(day)
            start = time.perf_counter()
            for i in range(0, len(batch), 500):
                result = store.ingest(chain.who, batch[i : i + 500])
                assert not result.invalid, result.invalid
            spent += time.perf_counter() - start
            events += len(batch)
        done = n + 1
        print(f"  day {done}/{days}: {events:,} events, {spent:.0f} s ingesting", flush=True)
        if spent * (done + 1) / done > budget_s:  # the next day would overrun the budget
            break
    return done, events, spent


def timed(client: httpx.Client, path: str, requests: int) -> list[float]:
    client.get(path).raise_for_status()  # warm: templates compiled, caches filled
    out = []
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return out


def p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[18]
        if len(values) >= 2
        else values[0]
    )


def database_bytes(store: Store) -> int:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            return int(
                conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            )
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
        size = conn.execute(text("PRAGMA page_size")).scalar_one()
        return int(pages) * int(size)


@contextlib.contextmanager
def database(use_sqlite: bool, folder: Path) -> Iterator[str]:
    if use_sqlite:
        yield f"sqlite:///{folder / 'hq.sqlite'}"
        return
    with postgres_cluster(fsync=True) as cluster:
        yield cluster.new_database("scale")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--halls", type=int, default=30)
    parser.add_argument("--counters", type=int, default=10, help="counters per hall")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--budget-s",
        type=float,
        default=1200.0,
        help="seconds of ingest at most (default 1200: 20 minutes)",
    )
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument(
        "--only",
        action="append",
        choices=("overview", "a hall", "stars"),
        help="measure only these pages (repeatable)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, database(args.sqlite, Path(tmp)) as url:
        store = Store(url)
        print(
            f"generating up to {args.halls} halls × {args.counters} counters × {args.days} days "
            f"through Store.ingest ({'SQLite' if args.sqlite else 'PostgreSQL'})",
            flush=True,
        )
        days, events, spent = generate(store, args.halls, args.counters, args.days, args.budget_s)
        size = database_bytes(store)
        with store.engine.connect() as conn:
            daily_rows = int(conn.execute(text("SELECT count(*) FROM daily_figures")).scalar_one())
        users.add(store.engine, "bench-hq", "hq", (), PASSWORD)
        store.close()
        last = FIRST_DAY + dt.timedelta(days=days - 1)
        month = f"{last.year}-{last.month:02}"
        print(
            f"scale reached: {args.halls} halls × {args.counters} counters × {days} days = "
            f"{events:,} events, {daily_rows:,} daily_figures rows, {size / 2**20:,.0f} MiB; "
            f"ingest {events / spent:,.0f} events/s (per-day aggregates kept in the same "
            "transaction)"
        )

        with (
            running_server(url) as server,
            httpx.Client(base_url=server.url, timeout=120, follow_redirects=False) as client,
        ):
            answer = login(client, "bench-hq", PASSWORD)
            assert answer.status_code == 303, answer.text
            pages = {
                "baseline /account": "/account",
                "overview": f"/?month={month}",
                "a hall": f"/halls/H000?month={month}",
                "stars": f"/stars?month={month}",
            }
            pages = {
                name: path
                for name, path in pages.items()
                if args.only is None or name in args.only or name.startswith("baseline")
            }
            results = {name: timed(client, path, args.requests) for name, path in pages.items()}

        base = statistics.median(results["baseline /account"])
        print(f"\n{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'p50 / base':>12}  goal")
        for name, values in results.items():
            verdict = "met" if p95(values) <= GOAL_P95_MS else "MISSED"
            goal = "" if name.startswith("baseline") else f"p95 ≤ {GOAL_P95_MS:.0f} ms: {verdict}"
            print(
                f"{name:<20}{statistics.median(values):>9.1f}{p95(values):>9.1f}"
                f"{max(values):>9.1f}{statistics.median(values) / base:>11.1f}×  {goal}"
            )

        halls, counters, full_days = FULL_SCALE
        full_events = events / (args.halls * args.counters * days) * halls * counters * full_days
        print(
            f"\nestimate for {halls} halls × {counters} counters × {full_days} days: "
            f"{full_events / 1e6:,.0f} M events, "
            f"{daily_rows / (args.halls * days) * halls * full_days / 1e6:,.1f} M daily rows, "
            f"{size / events * full_events / 2**30:,.0f} GiB, "
            f"{full_events / (events / spent) / 3600:,.1f} h of ingest at this rate "
            f"({full_events / full_days / (events / spent) / 60:,.0f} min a night)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
