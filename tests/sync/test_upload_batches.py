"""The upload's batches: cut at the byte limit from each event's one encoding, gzipped, and the
next one read and encoded while head office stores the one in flight."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from counter_app.storage.db import Database, connect, migrate
from counter_app.storage.events import EventStore
from counter_app.sync import uploader
from counter_app.sync.protocol import HeadOfficeClient, encode_batch, encode_event
from counter_app.sync.uploader import LocalLog, Uploader
from counter_core.chain import Event
from tests.helpers.hq import day_drafts


class Office:
    """Head office over a mock transport: keeps what continues its mark, at most `take` events
    of a batch (all by default), and calls `during_upload` while it holds a request."""

    def __init__(self, take: int | None = None,
                 during_upload: Callable[[], None] = lambda: None) -> None:
        self.take = take
        self.during_upload = during_upload
        self.stored: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []  # as sent, gzipped

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            self.bodies.append(request.content)
            self.during_upload()
            batch = json.loads(gzip.decompress(request.content))["events"]
            kept = [e for e in batch if e["seq"] > len(self.stored)][:self.take]
            for item in kept:
                assert item["seq"] == len(self.stored) + 1
                self.stored.append(item)
            return httpx.Response(200, json={**self._mark(), "stored": len(kept),
                                             "duplicates": 0, "conflicts": []})
        return httpx.Response(200, json=self._mark())

    def _mark(self) -> dict[str, object]:
        last = self.stored[-1] if self.stored else {"seq": 0, "hash": "0" * 64}
        return {"high_water": {"seq": last["seq"], "hash": last["hash"]}}

    def sent(self) -> list[list[int]]:
        """The sequences of each upload, in order."""
        return [[e["seq"] for e in json.loads(gzip.decompress(b))["events"]]
                for b in self.bodies]


class CountingLog(LocalLog):
    """The counter's log, counting its batch reads."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reads: list[int] = []  # the mark each read continues from

    def after(self, seq: int, limit: int) -> list[Event]:
        self.reads.append(seq)
        return super().after(seq, limit)


@pytest.fixture
def counter_db(tmp_path: Path) -> Iterator[Database]:
    db = connect(tmp_path / "counter.sqlite")
    migrate(db)
    EventStore(db, "SH-0001", "03").append_timed(day_drafts(60))
    yield db
    db.conn.close()


def sync(db: Database, office: Office, log: LocalLog | None = None, **kwargs: Any) -> Any:
    client = HeadOfficeClient("http://hq.test", "t", transport=httpx.MockTransport(office))
    with client:
        return Uploader(log or LocalLog(db), client, **kwargs).run()


def test_batches_split_at_the_byte_limit_each_event_encoded_once(
        counter_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[int] = []

    def counting(ev: Event) -> bytes:
        encoded.append(ev.seq)
        return encode_event(ev)

    monkeypatch.setattr(uploader, "encode_event", counting)
    office = Office()
    status = sync(counter_db, office, max_bytes=8000)
    events = LocalLog(counter_db).after(0, 10_000)
    assert status.ok and status.acked_seq == len(events)
    sent = office.sent()
    assert len(sent) > 3  # the byte limit, not the 500 events, cut the batches
    assert [seq for batch in sent for seq in batch] == [ev.seq for ev in events]
    for body, seqs in zip(office.bodies, sent, strict=True):
        plain = gzip.decompress(body)
        assert len(plain) <= 8000
        # the body is the batch's one encoding, and the next event would not have fitted
        assert plain == encode_batch(events[seqs[0] - 1:seqs[-1]])
        if seqs[-1] < len(events):
            assert len(encode_batch(events[seqs[0] - 1:seqs[-1] + 1])) > 8000
    # each event encoded once, but for the one a batch stopped before (read again next time)
    assert len(encoded) == len(events) + len(sent) - 1


def test_the_next_batch_is_read_while_the_upload_is_in_flight(counter_db: Database) -> None:
    log = CountingLog(counter_db)
    overlapped: list[bool] = []

    def hold() -> None:
        # head office is "storing" upload k (k batches read so far): the counter reads
        # batch k + 1 meanwhile, or (the last upload) there is none and this gives up
        deadline = time.monotonic() + 2
        while len(log.reads) <= len(office.bodies) and time.monotonic() < deadline:
            time.sleep(0.005)
        overlapped.append(len(log.reads) > len(office.bodies))

    office = Office(during_upload=hold)
    status = sync(counter_db, office, log, batch_events=30)
    assert status.ok
    assert len(office.bodies) >= 4
    # every upload but the last had the next batch read while head office held it
    assert overlapped[:-1] == [True] * (len(overlapped) - 1)
    assert log.reads == [0, *(batch[-1] for batch in office.sent()[:-1])]


def test_a_batch_taken_in_part_is_followed_from_the_answered_mark(counter_db: Database) -> None:
    office = Office(take=20)
    status = sync(counter_db, office, batch_events=50)
    total = len(LocalLog(counter_db).after(0, 10_000))
    assert status.ok and status.acked_seq == total
    sent = office.sent()
    # the batch read ahead (from 50) was dropped: each upload starts where head office stood
    assert [batch[0] for batch in sent] == list(range(1, total + 1, 20))
    assert [e["seq"] for e in office.stored] == list(range(1, total + 1))


def test_uploads_are_gzipped_at_a_fast_level(counter_db: Database) -> None:
    office = Office()
    assert sync(counter_db, office).ok
    body = office.bodies[0]
    assert body[:2] == b"\x1f\x8b" and body[8] == 4  # gzip; XFL 4: the fastest compression
