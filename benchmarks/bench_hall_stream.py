"""Commit → visible at the hall server: the live stream's latency over loopback.

A real `counter-hq serve` on SQLite as the hall server; a counter data folder streaming to it
(`HallStreamer`, woken at each commit); 200 events committed through the application layer,
each timed from just before its commit until the hall server's mark holds it. The baseline is
the raw upload round trip of one event with the protocol client (no database read at the
counter, no status request). Also printed: the server process's CPU share over the run
(from /proc).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_hall_stream.py [--commits 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from counter_app.application.sync import start_streaming  # noqa: E402
from counter_app.config import HallServer  # noqa: E402
from counter_app.config import load as load_config  # noqa: E402
from counter_app.sync.protocol import HeadOfficeClient  # noqa: E402
from tests.helpers.clock import FakeClock  # noqa: E402
from tests.helpers.counter import CounterService  # noqa: E402
from tests.helpers.hq import chained, day_drafts, running_server  # noqa: E402

HALL = "SH-0001"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, \
            running_server(f"sqlite:///{Path(tmp) / 'hall.sqlite'}") as server:
        assert server.process is not None
        # baseline: one event per upload, straight from memory
        raw_token = server.enroll(HALL, "raw")
        events = chained(HALL, "raw", day_drafts(args.commits // 3 + 10))[: args.commits]
        raw: list[float] = []
        with HeadOfficeClient(server.url, raw_token, timeout=10) as client:
            for ev in events:
                began = time.perf_counter()
                client.upload([ev])
                raw.append(time.perf_counter() - began)

        token = server.enroll(HALL, "01")
        clock = FakeClock()
        config = dataclasses.replace(load_config(), hall_id=HALL, counter_id="01",
                                     hall_server=HallServer(server.url, token))
        service = CounterService(config, Path(tmp) / "data", clock=clock)
        streamer = start_streaming(service.data_dir, config)
        assert streamer is not None
        store = server.store

        def held() -> int:
            found = store.counter(HALL, "01")
            return 0 if found is None else found.hw_seq

        while held() < service.store.last_seq():  # the opening events
            time.sleep(0.01)
        latencies: list[float] = []

        def timed(action: object) -> None:
            began = time.perf_counter()
            action()  # type: ignore[operator]
            head = service.store.last_seq()
            while held() < head:
                time.sleep(0.001)
            latencies.append(time.perf_counter() - began)

        cpu_before, wall_before = cpu_seconds(server.process.pid), time.perf_counter()
        timed(lambda: service.sign_in("1001", "1234"))
        while len(latencies) < args.commits:
            timed(service.start_transaction)
            clock.advance(40)
            timed(service.complete)
            timed(lambda: service.rate(5))
            clock.advance(31)
            service.expire()
        cpu = cpu_seconds(server.process.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        streamer.stop()
        service.close()

    ms = [s * 1000 for s in latencies[: args.commits]]
    base = [s * 1000 for s in raw]
    print(f"commit → visible at the hall server, {len(ms)} commits over loopback: "
          f"p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
          f"max {max(ms):.1f} ms")
    print(f"baseline, raw upload of one event (protocol client), {len(base)} uploads: "
          f"p50 {statistics.median(base):.1f} ms, p99 {percentile(base, 0.99):.1f} ms")
    print(f"hall server process CPU over the streamed run: {cpu:.2f} s in {wall:.1f} s "
          f"= {100 * cpu / wall:.0f} % of one core")


if __name__ == "__main__":
    main()
