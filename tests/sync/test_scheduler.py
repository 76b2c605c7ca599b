"""The sync's plain-Python parts: window, offsets, catch-up, backoff, retries, recorded status."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_app.storage.db import Database, connect, migrate
from counter_app.sync.protocol import (
    HeadOfficeClient,
    Refused,
    Unavailable,
    encode_batch,
    retry_after_seconds,
)
from counter_app.sync.scheduler import SyncSchedule, SyncWindow, backoff_delay, counter_offset
from counter_app.sync.state import SyncStatus, read_acked_seq, read_status, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader, fit_batch
from counter_core.chain import Event
from tests.helpers.hq import chained, day_drafts

TZ = dt.timezone(dt.timedelta(hours=8))


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_window_parsing_and_length() -> None:
    assert SyncWindow.parse("01:00-05:00").length == dt.timedelta(hours=4)
    assert SyncWindow.parse("23:30-02:00").length == dt.timedelta(hours=2, minutes=30)
    assert SyncWindow.parse("03:00-03:00").length == dt.timedelta(hours=24)
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        SyncWindow.parse("1am-5am")


def test_offsets_are_stable_inside_the_window_and_spread_1500_counters() -> None:
    window = SyncWindow.parse("01:00-05:00")
    assert counter_offset("SH-0001", "03", window) == counter_offset("SH-0001", "03", window)
    offsets = [counter_offset(f"SH-{h:04}", f"{c:02}", window)
               for h in range(150) for c in range(10)]
    assert all(dt.timedelta(0) <= o < window.length * 0.75 for o in offsets)
    per_5_min = Counter(int(o.total_seconds() // 300) for o in offsets)
    assert len(per_5_min) == 36  # every 5 minutes of the first three hours gets some
    assert max(per_5_min.values()) < 2.5 * 1500 / 36  # and none a stampede


def schedule() -> SyncSchedule:
    return SyncSchedule(SyncWindow.parse("01:00-05:00"), dt.timedelta(minutes=37),
                        rng=random.Random(1))


def test_first_start_syncs_at_once_then_nightly_at_the_counters_slot() -> None:
    s = schedule()
    assert s.next_run(local(10, 14), None) == local(10, 14)
    ok = SyncStatus(ok=True, finished_at=utc(local(10, 14))).after(None)
    assert s.next_run(local(10, 15), ok) == local(11, 1, 37)
    tonight = SyncStatus(ok=True, finished_at=utc(local(11, 1, 38))).after(ok)
    assert s.next_run(local(11, 9), tonight) == local(12, 1, 37)


def test_a_missed_night_is_caught_up_at_start() -> None:
    s = schedule()
    last = SyncStatus(ok=True, finished_at=utc(local(8, 1, 37))).after(None)
    # the PC was off for two nights: at 08:00 on the 10th, sync right away
    assert s.next_run(local(10, 8), last) == local(10, 8)
    assert s.is_due(local(10, 8), last)
    # ... but on the 8th at 20:00 that night's sync had happened
    assert not s.is_due(local(8, 20), last)


def test_failures_back_off_with_jitter_and_honour_retry_after() -> None:
    s = schedule()
    ok = SyncStatus(ok=True, finished_at=utc(local(9, 1, 37))).after(None)
    failed = SyncStatus(ok=False, finished_at=utc(local(10, 1, 37)), error="down").after(ok)
    assert failed.failures == 1 and failed.last_success_at == ok.finished_at
    first = s.next_run(local(10, 1, 37), failed)
    assert local(10, 1, 37, ) + dt.timedelta(seconds=30) <= first <= local(10, 1, 38)
    worse = SyncStatus(ok=False, finished_at=utc(local(10, 2)), error="down").after(
        SyncStatus(ok=False, finished_at="", failures=4, last_success_at=ok.finished_at))
    assert worse.failures == 5
    later = s.next_run(local(10, 2), worse)
    assert local(10, 2, 8) <= later <= local(10, 2, 16)  # 16 min · [½, 1]
    busy = SyncStatus(ok=False, finished_at=utc(local(10, 2)), retry_after=7200,
                      failures=1, last_success_at=ok.finished_at)
    assert s.next_run(local(10, 2), busy) == local(10, 4)
    refused = SyncStatus(ok=False, finished_at=utc(local(10, 2)), permanent=True, failures=1,
                         last_success_at=ok.finished_at)
    assert s.next_run(local(10, 2), refused) == local(11, 1, 37)  # not before the next night


@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**32))
def test_backoff_stays_between_half_and_all_of_its_capped_ceiling(failures: int, seed: int) -> None:
    delay = backoff_delay(failures, base_s=60, cap_s=3600, rng=random.Random(seed))
    ceiling = min(3600, 60 * 2 ** (failures - 1))
    assert ceiling / 2 <= delay <= ceiling


def test_retry_after_as_seconds_or_http_date() -> None:
    now = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Tue, 10 Nov 2026 12:01:30 GMT", now) == 90
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


# ---- the client and uploader against a scripted head office ------------------------------

class ScriptedHeadOffice:
    """An httpx transport answering like counter-hq, with scripted failures first."""

    def __init__(self, failures: list[httpx.Response | Exception]) -> None:
        self.failures = failures
        self.stored: list[dict[str, object]] = []
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json=self._mark())
        import gzip

        batch = json.loads(gzip.decompress(request.content))["events"]
        for item in batch:
            if item["seq"] == len(self.stored) + 1:
                self.stored.append(item)
        return httpx.Response(200, json={**self._mark(), "stored": len(batch), "duplicates": 0,
                                         "conflicts": []})

    def _mark(self) -> dict[str, object]:
        last = self.stored[-1] if self.stored else {"seq": 0, "hash": "0" * 64}
        return {"high_water": {"seq": last["seq"], "hash": last["hash"]}}


@pytest.fixture
def counter_db(tmp_path: Path) -> Iterator[Database]:
    db = connect(tmp_path / "counter.sqlite")
    migrate(db)
    from counter_app.storage.events import EventStore

    EventStore(db, "SH-0001", "03").append_timed(day_drafts(40))
    yield db
    db.conn.close()


def run(db: Database, office: ScriptedHeadOffice, attempts: int = 6,
        sleeps: list[float] | None = None) -> SyncStatus:
    client = HeadOfficeClient("http://hq.test", "t", transport=httpx.MockTransport(office))
    waits = sleeps if sleeps is not None else []
    return Uploader(LocalLog(db), client, batch_events=25,
                    retry=RetryPolicy(attempts=attempts, base_s=1, cap_s=8,
                                      rng=random.Random(2)), sleep=waits.append).run()


def test_uploader_retries_busy_and_unreachable_head_office(counter_db: Database) -> None:
    office = ScriptedHeadOffice([
        httpx.ConnectError("refused"),
        httpx.Response(429, headers={"Retry-After": "20"}, json={"detail": "slow down"}),
        httpx.Response(503, json={"detail": "restarting"}),
        httpx.ReadTimeout("timed out"),
    ])
    sleeps: list[float] = []
    status = run(counter_db, office, sleeps=sleeps)
    assert status.ok, status
    assert len(office.stored) == status.local_seq == status.sent == status.acked_seq
    assert len(sleeps) == 4 and sleeps[1] == 20  # Retry-After honoured
    assert 0.5 <= sleeps[0] <= 1 and 2 <= sleeps[3] <= 8


def test_uploader_does_not_retry_a_refusal(counter_db: Database) -> None:
    office = ScriptedHeadOffice([httpx.Response(
        422, json={"detail": "broken chain at sequence 1", "code": "broken_chain", "seq": 1})])
    sleeps: list[float] = []
    status = run(counter_db, office, sleeps=sleeps)
    assert not status.ok and status.permanent and sleeps == []
    assert "broken chain at sequence 1" in (status.error or "")
    assert office.calls == 1


def test_uploader_gives_up_after_its_attempts_and_says_so(counter_db: Database) -> None:
    office = ScriptedHeadOffice([httpx.Response(500, text="oops")] * 3)
    status = run(counter_db, office, attempts=3)
    assert not status.ok and not status.permanent and status.acked_seq is None
    assert "500" in (status.error or "")


def test_uploader_stops_when_head_office_holds_another_history(counter_db: Database) -> None:
    office = ScriptedHeadOffice([])
    office.stored = [e.as_dict() for e in chained("SH-0001", "03", day_drafts(3, seed=99))]
    status = run(counter_db, office)
    assert not status.ok and status.permanent
    assert "different history" in (status.error or "")


def test_client_maps_answers_to_errors() -> None:
    def answer(status: int, **kwargs: Any) -> HeadOfficeClient:
        response = httpx.Response(status, **kwargs)
        return HeadOfficeClient("http://hq.test", "t",
                                transport=httpx.MockTransport(lambda _r: response))

    with pytest.raises(Refused, match="unknown token") as refused:
        answer(401, json={"detail": "unknown token", "code": "bad_token"}).status()
    assert refused.value.status == 401 and refused.value.code == "bad_token"
    with pytest.raises(Unavailable) as busy:
        answer(429, headers={"Retry-After": "5"}).status()
    assert busy.value.retry_after == 5
    with pytest.raises(Unavailable, match="cannot read"):
        answer(200, text="<html>captive portal</html>").status()


def test_batches_are_cut_to_the_byte_limit() -> None:
    events: list[Event] = chained("H", "C", day_drafts(40))
    cut = fit_batch(events, max_bytes=5000)
    assert 0 < len(cut) < len(events)
    assert len(encode_batch(cut)) <= 5000 < len(encode_batch(events[: len(cut) + 1]))
    assert fit_batch(events[:1], max_bytes=10) == events[:1]  # never an empty batch


def test_status_and_mark_are_recorded_in_meta(counter_db: Database, tmp_path: Path) -> None:
    first = record_status(counter_db, SyncStatus(
        ok=True, finished_at="2026-11-10T17:37:00.000Z", sent=40, acked_seq=40, local_seq=40))
    assert first.last_success_at == "2026-11-10T17:37:00.000Z"
    failed = record_status(counter_db, SyncStatus(
        ok=False, finished_at="2026-11-11T17:37:00.000Z", error="down", local_seq=45))
    assert failed.failures == 1 and failed.last_success_at == first.last_success_at
    reader = connect(tmp_path / "counter.sqlite", readonly=True)
    assert read_status(reader) == failed
    assert read_acked_seq(reader) == 40  # a failure without an answer keeps the mark
    reader.conn.close()


def test_sync_and_head_office_need_no_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, counter_app.cli, counter_app.sync.uploader, head_office.cli, "
            "head_office.api; counter_app.cli.build_full_parser(); "
            "print(any(m.startswith('PySide6') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
