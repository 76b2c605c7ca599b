"""A damaged event not yet uploaded: the counter records the break at start, uploads everything,
and a real head office stores the valid events before and after and records the incident."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.db import connect
from counter_app.storage.events import stored_event_from_row
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from counter_core import events as kinds
from head_office import reports
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer, counter_config, day_drafts
from tests.storage.test_chain_break import damage

FAST_RETRY = RetryPolicy(attempts=20, base_s=0.01, cap_s=0.05, rng=random.Random(3))


def sync(service: CounterService, **kwargs: Any) -> SyncStatus:
    reader = connect(paths.database_path(service.data_dir), readonly=True)
    config = service.config
    try:
        with HeadOfficeClient(config.head_office.url or "", config.head_office.token or "",
                              timeout=10) as client:
            status = Uploader(LocalLog(reader), client, retry=FAST_RETRY, **kwargs).run()
    finally:
        reader.conn.close()
    return record_status(service.db, status)


@pytest.fixture
def counter_id(request: pytest.FixtureRequest) -> str:
    return f"b{abs(hash(request.node.nodeid)) % 10**8}"


def raw_events(service: CounterService) -> list[dict[str, Any]]:
    return [stored_event_from_row(r).as_dict()
            for r in service.db.query("SELECT * FROM events ORDER BY seq")]


@pytest.mark.parametrize("batch_events", [500, 4])
def test_a_recorded_break_uploads_everything_and_head_office_records_the_incident(
    hq_server: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock,
    counter_id: str, batch_events: int,
) -> None:
    config = counter_config(demo_config, hq_server.url, hq_server.enroll("SH-0001", counter_id),
                            counter=counter_id)
    data_dir = tmp_path / "data"
    service = CounterService(config, data_dir, clock=clock)
    service.store.append_timed(day_drafts(4))
    assert sync(service).ok
    uploaded = service.store.last_seq()
    service.store.append_timed(day_drafts(6, seed=9))
    head = service.store.last_seq()
    service.close()
    CounterService(config, data_dir, clock=clock).close()  # a start verifies through the head
    first_bad = uploaded + 3  # verified, but not yet uploaded
    damage(data_dir, first_bad)

    service = CounterService(config, data_dir, clock=clock)
    try:
        brk = service.chain_break
        assert brk is not None and brk.first_bad_seq == first_bad
        service.store.append_timed(day_drafts(2, seed=13))  # the new segment goes on
        status = sync(service, batch_events=batch_events)
        assert status.ok, status.error
        local = raw_events(service)
        last = service.store.last_seq()
    finally:
        service.close()

    store = hq_server.store
    who = store.counter("SH-0001", counter_id)
    assert who is not None and who.hw_seq == last
    held = [ev.as_dict() for ev in store.events(who)]
    span = range(first_bad, brk.break_seq)
    # the valid events before and after the span are stored, byte for byte
    assert held == [ev for ev in local if ev["seq"] not in span]
    assert held[first_bad - 2]["seq"] == first_bad - 1
    assert held[first_bad - 1]["kind"] == kinds.CHAIN_BREAK_DETECTED
    assert store.verify(who) is None
    (incident,) = store.chain_breaks(who)
    assert (incident["first_bad_seq"], incident["last_bad_seq"], incident["break_seq"]) == (
        first_bad, head, brk.break_seq)
    assert incident["last_good_seq"] == first_bad - 1
    assert incident["last_good_hash"] == held[first_bad - 2]["hash"]
    # the damaged events' raw bodies are the evidence
    evidence = [json.loads(e["offered"]) for e in incident["evidence"]]
    assert evidence == [ev for ev in local if ev["seq"] in span]
    assert evidence[0]["payload"]["tampered"] is True
    assert store.counts(who)["conflicts"] == 0
    rows = [r for r in reports.incidents(store, hall="SH-0001")
            if r["counter"] == counter_id]
    assert [(r["incident"], r["seq"], r["last_seq"]) for r in rows] == [
        ("chain_break", first_bad, head)]
    assert rows[0]["evidence"] == f"{len(span)} of {len(span)} events"
    (chain,) = [r for r in reports.chains(store, hall="SH-0001") if r["counter"] == counter_id]
    # open until an operator explains it (counter-hq incident explain --id N)
    assert chain["chain"].startswith(f"1 open incident(s), chain_break at {first_bad}")
    assert "stored chain ok around 1 recorded chain break" in chain["chain"]


def test_without_a_recorded_break_head_office_keeps_refusing_the_broken_chain(
    hq_server: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock,
    counter_id: str,
) -> None:
    config = counter_config(demo_config, hq_server.url, hq_server.enroll("SH-0001", counter_id),
                            counter=counter_id)
    data_dir = tmp_path / "data"
    service = CounterService(config, data_dir, clock=clock)
    service.store.append_timed(day_drafts(4))
    assert sync(service).ok
    uploaded = service.store.last_seq()
    service.store.append_timed(day_drafts(3, seed=9))
    try:
        conn = service.db.conn
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET payload = '{\"txn\":\"x\"}' WHERE seq = ?",
                     [uploaded + 2])
        status = sync(service)  # no restart: nothing has recorded the break
    finally:
        service.close()
    assert not status.ok and status.permanent
    assert f"sequence {uploaded + 2}" in (status.error or "")
    who = hq_server.store.counter("SH-0001", counter_id)
    assert who is not None and who.hw_seq == uploaded
    assert hq_server.store.chain_breaks(who) == []


def test_damage_to_an_uploaded_event_is_recorded_and_head_office_keeps_its_intact_copy(
    hq_server: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock,
    counter_id: str,
) -> None:
    config = counter_config(demo_config, hq_server.url, hq_server.enroll("SH-0001", counter_id),
                            counter=counter_id)
    data_dir = tmp_path / "data"
    service = CounterService(config, data_dir, clock=clock)
    service.store.append_timed(day_drafts(4))
    assert sync(service).ok
    uploaded = service.store.last_seq()
    service.close()
    damage(data_dir, 5)  # already at head office
    service = CounterService(config, data_dir, clock=clock)
    try:
        assert service.chain_break is not None
        assert sync(service).ok
        last = service.store.last_seq()
    finally:
        service.close()
    who = hq_server.store.counter("SH-0001", counter_id)
    assert who is not None and who.hw_seq == last
    assert hq_server.store.verify(who) is None
    (incident,) = hq_server.store.chain_breaks(who)
    assert (incident["first_bad_seq"], incident["last_bad_seq"]) == (5, uploaded)
    assert "intact" in incident["reason"] and incident["evidence"] == []
    (fifth,) = hq_server.store.events(who, after_seq=4, limit=1)
    assert "tampered" not in fifth.payload
