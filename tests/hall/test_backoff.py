"""The streamer's timing without a network: exponential backoff capped at 30 s (a long
Retry-After too), no wait while events are left, and the commit hook that wakes it."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import pytest

from counter_app.storage.events import add_commit_listener, remove_commit_listener
from counter_app.sync.hall_stream import MAX_BACKOFF_S, HallStreamer
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus
from counter_app.sync.uploader import LocalLog
from counter_core.periods import utc_now
from tests.helpers.counter import CounterService


@contextlib.contextmanager
def no_log() -> Iterator[LocalLog]:
    raise OSError("the database is busy")
    yield  # pragma: no cover


def no_client() -> HeadOfficeClient:
    raise AssertionError("not reached")


def test_failures_back_off_exponentially_up_to_30_s() -> None:
    recorded: list[SyncStatus] = []
    streamer = HallStreamer(no_log, no_client, record=recorded.append, rng=random.Random(3))
    waits = []
    for _ in range(10):
        status = streamer.run_once()
        assert not status.ok and "busy" in (status.error or "")
        waits.append(streamer.next_wait(status))
    assert streamer.failures == 10
    assert waits[0] <= 1.0 and waits[3] > waits[0]
    assert max(waits) <= MAX_BACKOFF_S and waits[-1] >= MAX_BACKOFF_S / 2
    assert len(recorded) == 1  # the same failure again is not written again
    long_wait = SyncStatus(ok=False, finished_at=utc_now(), retry_after=86400.0)
    assert streamer.next_wait(long_wait) == MAX_BACKOFF_S


def test_no_wait_while_events_are_left_and_the_interval_when_all_went_up() -> None:
    streamer = HallStreamer(no_log, no_client, interval_s=1.0)
    left = SyncStatus(ok=True, finished_at=utc_now(), acked_seq=500, local_seq=800)
    done = SyncStatus(ok=True, finished_at=utc_now(), acked_seq=800, local_seq=800)
    assert streamer.next_wait(left) == 0.0
    assert streamer.next_wait(done) == 1.0


@pytest.mark.parametrize("nested", [False, True])
def test_a_commit_wakes_the_listener_after_commit_only(
    service: CounterService, nested: bool
) -> None:
    seen: list[bool] = []
    listener = lambda: seen.append(service.db.conn.in_transaction)  # noqa: E731
    add_commit_listener(listener)
    try:
        if nested:  # a staff change: the event is written inside the staff row's transaction
            service.staff.add("1099", "Test", "staff", "1234")
        else:
            service.sign_in("1001", "1234")
    finally:
        remove_commit_listener(listener)
    # never called inside an open transaction: what it is told of is committed
    assert seen == ([] if nested else [False])
