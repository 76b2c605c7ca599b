"""A counter log holding events that chain but say nonsense (written by an older app, or behind
its back) still syncs to the end: head office stores them marked invalid and its mark moves
past them, so the counter's uploader moves on instead of stopping its queue until the next
night (SQLite and PostgreSQL head office)."""

from __future__ import annotations

import uuid
from pathlib import Path

from counter_app.storage.db import connect, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from counter_core.chain import Event, seal
from counter_core.transaction import Draft
from tests.helpers.hq import HqServer

FAST = RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01)


def started(txn: str) -> Draft:
    return Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180})


def completed(txn: str, duration: float) -> Draft:
    return Draft("completed", {"txn": txn, "duration_s": duration, "target_s": 180,
                               "overtime_s": 0.0})


def slip_in(store: EventStore, draft: Draft) -> Event:
    """An event chained to the head but never checked (what an older writer could leave)."""
    seq = store.last_seq()
    (head,) = list(store.events(seq - 1, 1))
    ev = seal(Event(seq=seq + 1, uuid=str(uuid.uuid4()), kind=draft.kind,
                    at="2026-11-25T08:30:00.000Z", hall=store.hall, counter=store.counter,
                    payload=draft.payload, prev_hash=head.hash), store.chain_format())
    store._insert(ev)  # bypasses append's checks on purpose
    return ev


def test_the_uploader_moves_past_invalid_events(hq_server: HqServer, tmp_path: Path) -> None:
    hall, counter = f"S-{uuid.uuid4().hex[:8]}", "03"
    token = hq_server.enroll(hall, counter)
    path = tmp_path / "counter.sqlite"
    opened = open_counter_db(path)
    store = EventStore(opened.db, hall, counter, version="0.2.0")
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1"),
                  completed("t1", 100.0)])
    bad = [slip_in(store, Draft("rated", {"txn": "t1", "rating": 999}))]
    store.append([Draft("rated", {"txn": "t1", "rating": 4}), started("t2")])
    bad.append(slip_in(store, completed("t2", -5000.0)))
    bad.append(slip_in(store, Draft("rated", {"txn": "t1", "rating": 1})))
    store.append([completed("t2", 90.0), Draft("signed_out", {"staff": "1001"})])
    local = store.last_seq()
    opened.db.conn.close()
    reader = connect(path, readonly=True)
    try:
        for batch in (3, 500):  # bad events inside and at the end of batches
            with HeadOfficeClient(hq_server.url, token, timeout=10) as client:
                status = Uploader(LocalLog(reader), client, batch_events=batch,
                                  retry=FAST).run()
            assert status.ok, status.error
            assert status.acked_seq == local and status.pending == 0
    finally:
        reader.conn.close()
    who = hq_server.store.counter(hall, counter)
    assert who is not None and who.hw_seq == local
    assert sorted(hq_server.store.invalid_events(who)) == [ev.seq for ev in bad]
    assert hq_server.store.verify(who) is None
