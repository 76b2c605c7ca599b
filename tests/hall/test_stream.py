"""The live stream to a hall server, with real processes: a real `counter-hq serve` on its own
SQLite as the hall server, a counter data folder whose configuration has `[hall_server]`, and
events committed through the application layer while the streamer runs.

Each committed event reaches the hall server within 5 s; a hall server killed and restarted
gets everything committed meanwhile (catch-up), with the head-office mark untouched; a rebuilt,
empty hall server gets everything again; presence is read by a desk, refused to a counter and
to another hall's reader, and never stored as an event.
"""

from __future__ import annotations

import dataclasses
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from counter_app.application.sync import _log_opener, start_streaming
from counter_app.config import Config, HallServer
from counter_app.sync.hall_client import hall_client
from counter_app.sync.hall_stream import HallStreamer, read_hall_acked_seq, start_hall_stream
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus, read_acked_seq, record_status
from head_office import schema
from head_office.access import enroll_desk, enroll_reader
from tests.hall.support import COUNTER, HALL, WITHIN_S, Hall, wait_for
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


@dataclasses.dataclass
class Running:
    service: CounterService
    streamer: HallStreamer
    statuses: queue.Queue[SyncStatus]
    token_file: Path

    def record(self) -> None:
        """What the app does on the writer's thread: keep each run's status and mark."""
        while True:
            try:
                self.service.record_hall_status(self.statuses.get_nowait())
            except queue.Empty:
                return

    def hall_mark(self) -> int:
        self.record()
        return read_hall_acked_seq(self.service.db)


def enrolled(hall: Hall, demo_config: Config, tmp_path: Path) -> tuple[Config, Path]:
    """The counter's configuration with the hall server, and its token file (enrolled)."""
    token_file = tmp_path / "hall.token"
    token_file.write_text(hall.server.enroll(HALL, COUNTER) + "\n", encoding="utf-8")
    return dataclasses.replace(
        demo_config, hall_id=HALL, counter_id=COUNTER,
        hall_server=HallServer(hall.server.url, token_file=str(token_file))), token_file


@pytest.fixture
def counter(hall: Hall, demo_config: Config, tmp_path: Path,
            clock: FakeClock) -> Iterator[Running]:
    config, token_file = enrolled(hall, demo_config, tmp_path)
    service = CounterService(config, tmp_path / "data", clock=clock)
    # the nightly head-office sync's mark, which the stream must leave alone
    record_status(service.db, SyncStatus(ok=True, finished_at="2026-11-02T20:00:00.000Z",
                                         acked_seq=1, local_seq=1))
    statuses: queue.Queue[SyncStatus] = queue.Queue()
    streamer = start_streaming(service.data_dir, config, record=statuses.put)
    assert streamer is not None
    try:
        yield Running(service, streamer, statuses, token_file)
    finally:
        streamer.stop()
        service.close()


def serve_one(counter: Running, clock: FakeClock,
              after: Callable[[], None] | None = None) -> None:
    """Start, Done after 40 s, a rating, the rating window's end; `after` each commit."""
    service = counter.service

    def done() -> None:
        clock.advance(40)
        service.complete()

    for action in (service.start_transaction, done, lambda: service.rate(5)):
        action()
        if after is not None:
            after()
    clock.advance(31)
    service.expire()


def stored_hashes(hall: Hall) -> list[tuple[int, str]]:
    who = hall.server.store.counter(HALL, COUNTER)
    assert who is not None
    return [(ev.seq, ev.hash) for ev in hall.server.store.events(who)]


def local_hashes(service: CounterService) -> list[tuple[int, str]]:
    return [(ev.seq, ev.hash) for ev in service.store.events()]


def test_every_commit_reaches_the_hall_server_within_5_s_and_catches_up_after_an_outage(
    hall: Hall, counter: Running, clock: FakeClock
) -> None:
    service = counter.service
    latencies: list[float] = []

    def arrived() -> None:
        head = service.store.last_seq()
        latencies.append(wait_for(lambda: hall.held() >= head, WITHIN_S))

    wait_for(lambda: hall.held() >= service.store.last_seq(), WITHIN_S)  # the opening events
    service.sign_in("1001", "1234")
    arrived()
    for _ in range(3):
        serve_one(counter, clock, after=arrived)
    assert len(latencies) == 10 and max(latencies) < WITHIN_S
    assert stored_hashes(hall) == local_hashes(service)
    wait_for(lambda: counter.hall_mark() == service.store.last_seq(), WITHIN_S)

    # the LAN goes: the hall server dies; the counter goes on working
    hall.server.stop(kill=True)
    before = service.store.last_seq()
    serve_one(counter, clock)
    serve_one(counter, clock)
    time.sleep(2.5)  # failures meanwhile: the streamer backs off
    assert counter.streamer.failures >= 1
    assert service.store.last_seq() > before
    hall.server.start()  # back, on the same address and database
    wait_for(lambda: hall.held() == service.store.last_seq(), 35.0)  # backoff ≤ 30 s
    assert stored_hashes(hall) == local_hashes(service)  # nothing lost, nothing changed
    wait_for(lambda: counter.hall_mark() == service.store.last_seq(), WITHIN_S)
    # the nightly sync's own mark is another thing altogether
    assert read_acked_seq(service.db) == 1
    # the hall server keeps the anchors, as head office does
    with hall.server.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.anchors)).scalar()


def test_the_stream_keeps_one_client_while_runs_succeed_and_a_fresh_one_after_a_failure(
    hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    """A client is a TLS context (the system's trust store: ~50 ms of CPU to load) and a
    connection: not made again for every commit's run, but made anew after a failed one."""
    config, token_file = enrolled(hall, demo_config, tmp_path)
    service = CounterService(config, tmp_path / "data", clock=clock)
    made: list[HeadOfficeClient] = []

    def counted() -> HeadOfficeClient:
        made.append(hall_client(config))
        return made[-1]

    streamer = start_hall_stream(config, _log_opener(service.data_dir), make_client=counted)
    assert streamer is not None
    try:
        service.sign_in("1001", "1234")
        def arrived() -> None:
            wait_for(lambda: hall.held() == service.store.last_seq(), WITHIN_S)

        arrived()
        serve_one(Running(service, streamer, queue.Queue(), token_file), clock, after=arrived)
        # a run counts itself once the hall has answered it: the last may still be counting
        wait_for(lambda: streamer.runs >= 4, WITHIN_S)
        assert streamer.runs >= 4 and len(made) == 1  # a run for each commit, one client

        hall.server.stop(kill=True)
        service.start_transaction()
        wait_for(lambda: streamer.failures >= 1, WITHIN_S)
        hall.server.start()
        wait_for(lambda: hall.held() == service.store.last_seq(), 35.0)  # backoff ≤ 30 s
        assert len(made) >= 2  # the failed run's client was dropped
        again, runs = len(made), streamer.runs
        clock.advance(40)
        service.complete()
        wait_for(lambda: hall.held() == service.store.last_seq(), WITHIN_S)
        wait_for(lambda: streamer.runs > runs, WITHIN_S)
        assert len(made) == again
        assert stored_hashes(hall) == local_hashes(service)
    finally:
        streamer.stop()
        service.close()


def test_a_rebuilt_empty_hall_server_gets_everything_again(
    hall: Hall, counter: Running, clock: FakeClock
) -> None:
    service = counter.service
    service.sign_in("1001", "1234")
    serve_one(counter, clock)
    wait_for(lambda: counter.hall_mark() == service.store.last_seq() > 0, WITHIN_S)
    ahead = counter.hall_mark()

    # the hall PC's disk died: a new database, the counter enrolled again under its own name
    hall.rebuild()
    assert hall.held() == 0
    counter.token_file.write_text(hall.server.enroll(HALL, COUNTER), encoding="utf-8")
    serve_one(counter, clock)
    # the counter's mark was ahead of the empty server: it starts again from the server's 0
    wait_for(lambda: hall.held() == service.store.last_seq(), 35.0)
    assert stored_hashes(hall) == local_hashes(service)
    assert stored_hashes(hall)[0][0] == 1
    wait_for(lambda: counter.hall_mark() == service.store.last_seq() > ahead, WITHIN_S)
    assert read_acked_seq(service.db) == 1


def presence(where: Hall, token: str, **params: str) -> httpx.Response:
    return httpx.get(f"{where.server.url}/api/v1/hall/presence", params=params, timeout=10,
                     headers={"Authorization": f"Bearer {token}"})


def test_presence_is_read_by_a_desk_refused_to_others_and_never_an_event(
    hall: Hall, counter: Running, clock: FakeClock
) -> None:
    service = counter.service
    desk = enroll_desk(hall.server.store, HALL, "desk")
    elsewhere = enroll_reader(hall.server.store, "SH-0002")
    counter_token = counter.token_file.read_text(encoding="utf-8").strip()

    def mine() -> dict[str, Any] | None:
        answer = presence(hall, desk)
        assert answer.status_code == 200, answer.text
        rows = [r for r in answer.json()["counters"] if r["counter"] == COUNTER]
        return rows[0] if rows else None

    service.sign_in("1001", "1234")
    counter.streamer.set_presence(service.presence())
    wait_for(lambda: (mine() or {}).get("phase") == "idle", WITHIN_S)
    service.start_transaction()
    counter.streamer.set_presence(service.presence())  # a phase change: sent at once
    wait_for(lambda: (mine() or {}).get("phase") == "serving", 2.0)
    clock.advance(12)
    row = mine()
    assert row is not None and row["staff"] == "1001" and row["target_s"] == 180.0
    assert row["txn"] and row["started_at"] and row["received_at"]
    first = row["received_at"]
    # sent again every few seconds, lossy and unqueued: the latest state replaces the last
    wait_for(lambda: (mine() or {}).get("received_at") != first, 5.0)

    refused = presence(hall, counter_token)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert presence(hall, elsewhere, hall=HALL).status_code == 403
    other = presence(hall, elsewhere)
    assert other.status_code == 200 and other.json()["counters"] == []

    # bad presence is refused in the one error shape, never a traceback
    bad = httpx.post(f"{hall.server.url}/api/v1/presence", timeout=10,
                     json={"phase": "dancing", "elapsed_s": -1},
                     headers={"Authorization": f"Bearer {counter_token}"})
    assert bad.status_code == 400 and set(bad.json()) == {"detail", "code", "seq"}

    # presence is state, never an event: the hall server's events are the counter's own
    wait_for(lambda: hall.held() == service.store.last_seq(), WITHIN_S)
    with hall.server.store.engine.connect() as conn:
        kinds = set(conn.execute(sa.select(schema.events.c.kind)).scalars())
    assert stored_hashes(hall) == local_hashes(service)
    assert not any("presence" in kind for kind in kinds)


def test_a_quiet_counter_asks_the_hall_server_only_every_confirm_interval(
    hall: Hall, counter: Running, clock: FakeClock
) -> None:
    """Nothing committed: the looks every second send nothing (an idle hall of 15 counters
    asking every second was most of its server's CPU); a commit is streamed at once."""
    service = counter.service
    counter.streamer.interval_s = 0.5  # a look every half second (shipped: every 4 s)
    service.sign_in("1001", "1234")
    serve_one(counter, clock)
    wait_for(lambda: hall.held() == service.store.last_seq(), WITHIN_S)
    # a quiet look: the last run's answer is in
    looked = counter.streamer.quiet_looks
    wait_for(lambda: counter.streamer.quiet_looks > looked, WITHIN_S)
    runs, quiet = counter.streamer.runs, counter.streamer.quiet_looks
    time.sleep(3.0)  # five or so looks
    assert counter.streamer.runs == runs
    assert counter.streamer.quiet_looks >= quiet + 3
    began = time.monotonic()
    service.start_transaction()  # a commit: streamed at once, not at the next confirmation
    wait_for(lambda: hall.held() == service.store.last_seq(), WITHIN_S)
    assert time.monotonic() - began < 3.0
    # the run that sent it counts itself once it has read the hall server's answer, a moment
    # after the hall server holds the events
    wait_for(lambda: counter.streamer.runs > runs, WITHIN_S)


def test_a_hall_server_rebuilt_while_the_counter_is_quiet_is_filled_within_the_interval(
    hall: Hall, counter: Running, clock: FakeClock
) -> None:
    service = counter.service
    counter.streamer.confirm_interval_s = 3.0  # the shipped 30 s, shortened for the test
    service.sign_in("1001", "1234")
    serve_one(counter, clock)
    wait_for(lambda: hall.held() == service.store.last_seq() > 0, WITHIN_S)
    hall.rebuild()  # nothing is committed after this: only the confirmation finds it
    assert hall.held() == 0
    counter.token_file.write_text(hall.server.enroll(HALL, COUNTER), encoding="utf-8")
    wait_for(lambda: hall.held() == service.store.last_seq(), 3.0 + WITHIN_S)
    assert stored_hashes(hall) == local_hashes(service)
