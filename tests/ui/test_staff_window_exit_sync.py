"""The sync on the way out: it sends what head office lacks, within a bound that a dead
network cannot stretch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from counter_app.config import Config
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.ui.sync_runner import SyncRunner
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer, counter_config, day_drafts


class DeadTransport(httpx.BaseTransport):
    """A network that never answers (until the test ends)."""

    def __init__(self) -> None:
        self.released = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.released.wait(60)
        raise httpx.ConnectTimeout("no answer", request=request)


@pytest.fixture
def counter(hq_sqlite: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock,
            request: pytest.FixtureRequest) -> Iterator[CounterService]:
    name = request.node.name[-20:]
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll("SH-0001", name),
                            counter=name)
    service = CounterService(config, tmp_path / "data", clock=clock)
    service.store.append_timed(day_drafts(20))
    yield service
    service.close()


def client_with(counter: CounterService, transport: httpx.BaseTransport | None) -> Any:
    config = counter.config
    return lambda: HeadOfficeClient(config.head_office.url or "", config.head_office.token or "",
                                    transport=transport)


def test_the_exit_sync_sends_what_head_office_lacks(qtbot: Any, counter: CounterService) -> None:
    runner = SyncRunner(counter, make_client=client_with(counter, None))
    status = runner.sync_on_exit(10.0)
    assert status is not None and status.ok, status
    assert status.sent > 0 and status.acked_seq == counter.last_seq()
    recorded = counter.sync_status()
    assert recorded is not None and recorded.ok


def test_a_dead_network_does_not_hold_the_exit(qtbot: Any, counter: CounterService) -> None:
    transport = DeadTransport()
    runner = SyncRunner(counter, make_client=client_with(counter, transport))
    started = time.monotonic()
    try:
        assert runner.sync_on_exit(1.0) is None
        assert time.monotonic() - started < 2.0
    finally:
        transport.released.set()


def test_no_exit_sync_without_a_head_office(qtbot: Any, service: CounterService) -> None:
    assert SyncRunner(service).sync_on_exit(10.0) is None
