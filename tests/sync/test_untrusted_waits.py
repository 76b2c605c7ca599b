"""Item 16: what comes from the network (Retry-After) or from a stored status never stops the app.

A head office answer `Retry-After: 999999999999` used to be stored as it came; every start and
every scheduled sync then crashed with OverflowError computing the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter_app.storage.db import Database, connect, migrate, write_transaction
from counter_app.sync.protocol import (
    MAX_RETRY_AFTER_S,
    HeadOfficeClient,
    Unavailable,
    retry_after_seconds,
)
from counter_app.sync.scheduler import SyncSchedule, backoff_delay
from counter_app.sync.state import STATUS_KEY, SyncStatus, read_status, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 10, 2, 0, tzinfo=TZ)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = connect(tmp_path / "counter.sqlite")
    migrate(database)
    yield database
    database.conn.close()


def schedule() -> SyncSchedule:
    return SyncSchedule.for_counter("SH-0001", "03", "01:00-05:00", rng=random.Random(1))


def store_raw(db: Database, text: str) -> None:
    with write_transaction(db.conn) as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [STATUS_KEY, text])


@pytest.mark.parametrize("header, expected", [
    ("999999999999", MAX_RETRY_AFTER_S),
    ("86401", MAX_RETRY_AFTER_S),
    ("120", 120.0),
    ("0", 0.0),
    ("-5", None),
    ("1e9", None),
    ("inf", None),
    ("NaN", None),
    ("١٢٣", None),  # Arabic-Indic digits: str.isdigit() says yes, HTTP says no
    ("soon", None),
    ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_S),
    ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    ("Mon, 99 Zzz 2026 99:99:99 GMT", None),
])
def test_retry_after_from_the_network_is_clamped_to_a_day_or_ignored(
        header: str, expected: float | None) -> None:
    now = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(header, now) == expected


def test_an_absurd_retry_after_is_stored_clamped_and_the_next_run_is_within_a_day(
        db: Database) -> None:
    """The whole path: 429 with Retry-After 999999999999 → stored status → next start."""
    answer = httpx.Response(429, headers={"Retry-After": "999999999999"})
    client = HeadOfficeClient("http://hq.test", "t",
                              transport=httpx.MockTransport(lambda _r: answer))
    with pytest.raises(Unavailable) as busy:
        client.status()
    assert busy.value.retry_after == MAX_RETRY_AFTER_S
    status = Uploader(LocalLog(db), client, retry=RetryPolicy(attempts=1),
                      sleep=lambda _s: None).run()
    assert not status.ok and status.retry_after == MAX_RETRY_AFTER_S
    record_status(db, status)
    stored = read_status(db)
    assert stored is not None
    now = dt.datetime.now(TZ)
    when = schedule().next_run(now, stored)  # raised OverflowError before
    assert now <= when <= now + dt.timedelta(days=1, minutes=1)


@pytest.mark.parametrize("change", [
    {"retry_after": 999999999999},
    {"retry_after": -3},
    {"retry_after": "soon"},
    {"retry_after": float("inf")},
    {"failures": 10**12},
    {"failures": -1},
    {"failures": "many"},
    {"finished_at": "yesterday"},
    {"finished_at": 17},
    {"last_success_at": "not a time"},
    {"ok": "yes"},
    {"acked_seq": "40"},
])
def test_an_absurd_or_corrupt_stored_status_is_no_status_and_is_logged(
        db: Database, change: dict[str, object], caplog: pytest.LogCaptureFixture) -> None:
    good = SyncStatus(ok=False, finished_at="2026-11-09T17:37:00.000Z", error="busy",
                      retry_after=60, failures=1, last_success_at="2026-11-08T17:37:00.000Z")
    data = {**json.loads(good.to_json()), **change}
    store_raw(db, json.dumps(data))
    with caplog.at_level(logging.WARNING, logger="counter_app.sync.state"):
        status = read_status(db)
    assert status is None
    assert "ignoring the stored sync status" in caplog.text
    assert schedule().next_run(NOW, status) == NOW  # never synced: catch up now


@pytest.mark.parametrize("text", ["{", "[]", "null", '"text"', "{\"ok\": true}"])
def test_unreadable_stored_status_is_no_status(db: Database, text: str) -> None:
    store_raw(db, text)
    assert read_status(db) is None


def test_a_good_stored_status_still_reads_back(db: Database) -> None:
    good = SyncStatus(ok=False, finished_at="2026-11-09T17:37:00.000Z", error="busy",
                      retry_after=MAX_RETRY_AFTER_S, failures=3,
                      last_success_at="2026-11-08T17:37:00.000Z")
    store_raw(db, good.to_json())
    assert read_status(db) == good


def test_the_scheduler_itself_never_overflows_on_a_status_built_in_code() -> None:
    """Defence in depth: a status that did not come through from_json."""
    wild = SyncStatus(ok=False, finished_at="9999-12-31T23:00:00.000Z", retry_after=1e12,
                      failures=10**6)
    assert schedule().next_run(NOW, wild) == NOW
    assert backoff_delay(10**6, base_s=60, cap_s=3600, rng=random.Random(1)) <= 3600
