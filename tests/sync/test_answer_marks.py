"""The counter's side of head office's answer: the events head office marked invalid and the
reviews it held pending are logged with their sequence (and reason), counted in the sync status
and shown in the sync panel, and never stall the upload (a real counter-hq on SQLite and
PostgreSQL; the panel with pytest-qt)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from counter_app.config import Config
from counter_app.storage.db import connect, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.sync.protocol import HeadOfficeClient, Marked
from counter_app.sync.state import SyncStatus, read_status, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from counter_app.ui.sync_panel import SyncPanel
from counter_app.ui.sync_runner import SyncRunner
from counter_core.chain import Event, seal
from counter_core.transaction import Draft
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer, counter_config, day_drafts

FAST = RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01)
NOW = "2026-11-25T09:00:00.000Z"


def slip_in(store: EventStore, draft: Draft) -> Event:
    """An event chained to the head but never checked (what an older writer could leave)."""
    seq = store.last_seq()
    (head,) = list(store.events(seq - 1, 1))
    ev = seal(Event(seq=seq + 1, uuid=str(uuid.uuid4()), kind=draft.kind,
                    at="2026-11-25T08:30:00.000Z", hall=store.hall, counter=store.counter,
                    payload=draft.payload, prev_hash=head.hash), store.chain_format())
    store._insert(ev)  # bypasses append's checks on purpose
    return ev


def started(txn: str) -> Draft:
    return Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180})


def completed(txn: str, duration: float) -> Draft:
    return Draft("completed", {"txn": txn, "duration_s": duration, "target_s": 180,
                               "overtime_s": max(0.0, duration - 180)})


def odd_log(store: EventStore) -> tuple[list[Event], list[Event]]:
    """A log with two events head office marks invalid and one review it holds pending,
    among honest events; (the invalid ones, the pending ones)."""
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1"),
                  completed("t1", 100.0)])
    bad = [slip_in(store, Draft("rated", {"txn": "t1", "rating": 999}))]
    store.append([Draft("rated", {"txn": "t1", "rating": 4}), started("t2")])
    bad.append(slip_in(store, completed("t2", -5000.0)))
    held = [slip_in(store, Draft("overtime_reviewed", {
        "txn": f"elsewhere-{uuid.uuid4().hex[:8]}", "cause": "complex_request",
        "note": "", "manager": "9001"}))]
    store.append([completed("t2", 90.0), Draft("signed_out", {"staff": "1001"})])
    return bad, held


def test_the_counter_logs_and_counts_what_head_office_marked(
    hq_server: HqServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hall, counter = f"M-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    path = tmp_path / "counter.sqlite"
    opened = open_counter_db(path)
    store = EventStore(opened.db, hall, counter, version="0.2.0")
    bad, held = odd_log(store)
    local = store.last_seq()
    reader = connect(path, readonly=True)
    try:
        with caplog.at_level(logging.INFO, logger="counter_app.sync.uploader"), \
                HeadOfficeClient(hq_server.url, token, timeout=10) as client:
            status = Uploader(LocalLog(reader), client, batch_events=3, retry=FAST).run()
    finally:
        reader.conn.close()
    # never stalled: head office holds everything, the counter knows it
    assert status.ok, status.error
    assert (status.acked_seq, status.pending) == (local, 0)
    assert (status.marked_invalid, status.held_pending) == (2, 1)
    logged = [r.getMessage() for r in caplog.records if r.name == "counter_app.sync.uploader"]
    for ev in bad:
        (line,) = [m for m in logged if m.startswith(f"head office marked event {ev.seq} ")]
        assert f"({ev.kind}) invalid: " in line and len(line) > 40
    assert any(m.startswith("head office marked event") and "999" in m for m in logged)
    (line,) = [m for m in logged if m.startswith(f"head office holds event {held[0].seq} ")]
    assert "pending" in line
    # recorded: the counts add up over the attempts (a later sync uploads nothing new)
    stored = record_status(opened.db, status)
    assert (stored.marked_invalid, stored.held_pending) == (2, 1)
    again = record_status(opened.db, SyncStatus(ok=True, finished_at=NOW, acked_seq=local,
                                                local_seq=local))
    assert (again.marked_invalid, again.held_pending) == (2, 1)
    assert read_status(opened.db) == again
    opened.db.conn.close()


def test_an_answer_with_odd_marks_is_read_not_refused() -> None:
    """The marks are for the log only: an entry the counter cannot read is skipped."""
    answer = {"high_water": {"seq": 7, "hash": "ab" * 32}, "stored": 7, "duplicates": 0,
              "conflicts": [],
              "invalid": [{"seq": 3, "kind": "rated", "reason": "r" * 5000}, {"seq": "x"},
                          "nonsense", {"kind": "rated"}, {"seq": True}],
              "pending": [5, "6", None, 7.5, False, 6]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answer).encode())

    with HeadOfficeClient("http://hq.test", "t", transport=httpx.MockTransport(handler)) as c:
        got = c.upload([])
    assert got.high_water.seq == 7
    assert got.invalid == (Marked(3, "rated", "r" * 500),)
    assert got.pending == (5, 6)
    # an old head office says nothing of either
    del answer["invalid"], answer["pending"]
    with HeadOfficeClient("http://hq.test", "t", transport=httpx.MockTransport(handler)) as c:
        got = c.upload([])
    assert (got.invalid, got.pending) == ((), ())


def test_a_stored_status_without_marks_reads_and_absurd_marks_do_not() -> None:
    old = json.dumps({"ok": True, "finished_at": NOW, "sent": 1, "acked_seq": 1,
                      "local_seq": 1})
    assert SyncStatus.from_json(old).marked_invalid == 0
    with pytest.raises(ValueError, match="marked_invalid"):
        SyncStatus.from_json(json.dumps({"ok": True, "finished_at": NOW, "marked_invalid": -1}))
    with pytest.raises(ValueError, match="held_pending"):
        SyncStatus.from_json(json.dumps({"ok": True, "finished_at": NOW, "held_pending": "2"}))


# ---- the sync panel -----------------------------------------------------------------------

@pytest.fixture
def counter(hq_sqlite: HqServer, demo_config: Config, tmp_path: Path,
            clock: FakeClock) -> Iterator[CounterService]:
    name = f"marks-{uuid.uuid4().hex[:8]}"
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll("SH-0001", name),
                            counter=name)
    service = CounterService(config, tmp_path / "data", clock=clock)
    service.store.append_timed(day_drafts(3))
    yield service
    service.close()


def test_the_sync_panel_says_what_head_office_marked(qtbot: QtBot,
                                                     counter: CounterService) -> None:
    bad, held = odd_log(counter.store)
    runner = SyncRunner(counter, retry=FAST)
    panel = SyncPanel(runner)
    qtbot.addWidget(panel)
    assert panel.marks.text() == ""
    with qtbot.waitSignal(runner.status_changed, timeout=20000):
        runner.sync_now()
    status = runner.status
    assert status is not None and status.ok, status
    assert status.acked_seq == counter.store.last_seq()  # the upload went to the end
    assert panel.marks.text() == (
        f"Head office marked {len(bad)} events invalid: see the log\n"
        f"Head office held {len(held)} reviews pending until their transaction arrives: "
        "see the log")
    assert "OK" in panel.state.text()
    runner.shutdown()


def test_the_sync_panel_shows_the_marks_of_a_failed_sync_too(qtbot: QtBot,
                                                             counter: CounterService) -> None:
    runner = SyncRunner(counter)
    panel = SyncPanel(runner)
    qtbot.addWidget(panel)
    panel.show_status(SyncStatus(ok=False, finished_at=NOW, error="head office is down",
                                 marked_invalid=1))
    assert panel.marks.text() == "Head office marked 1 events invalid: see the log"
    panel.show_status(SyncStatus(ok=True, finished_at=NOW, acked_seq=3, local_seq=3))
    assert panel.marks.text() == ""
    runner.shutdown()
