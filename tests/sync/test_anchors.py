"""Anchors end to end against a real counter-hq: an idle counter reports its chain head, and a
tail rewritten and rehashed after an anchor (so that `verify` says OK) is refused at the next
upload, with the incident in `counter-hq report incidents` and the chain status."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from counter_app import paths
from counter_app.application.sync import start_anchors, upload_pending
from counter_app.config import Config
from counter_app.storage.db import connect
from counter_app.storage.events import verify
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy
from counter_core import projection
from counter_core.chain import INITIAL_FORMAT, Event, format_after, seal
from counter_core.periods import utc_now
from head_office import anchors, cli
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer, counter_config, day_drafts, free_port

HALL = "SH-0001"
FAST = RetryPolicy(attempts=2, base_s=0.01, cap_s=0.02)


def make_client(service: CounterService) -> HeadOfficeClient:
    office = service.config.head_office
    return HeadOfficeClient(office.url or "", office.token or "", timeout=10)


def sync(service: CounterService) -> Any:
    """One sync the way the app runs it (the application layer's use case)."""
    with make_client(service) as client:
        status = upload_pending(service.data_dir, client, retry=FAST, cancelled=lambda: False,
                                sleep=time.sleep)
    return record_status(service.db, status)


def rewrite_tail(data_dir: Path, seq: int, **payload: Any) -> None:
    """What anyone who knows the algorithm can do at the counter: drop the immutability
    trigger, edit an event's payload, rehash the chain from there and fix the projection."""
    conn = sqlite3.connect(paths.database_path(data_dir))
    try:
        rows = conn.execute("SELECT seq, uuid, kind, at, hall, counter, payload, prev_hash, hash "
                            "FROM events ORDER BY seq").fetchall()
        chain = [Event(seq=r[0], uuid=r[1], kind=r[2], at=r[3], hall=r[4], counter=r[5],
                       payload=json.loads(r[6]), prev_hash=r[7], hash=r[8]) for r in rows]
        conn.execute("DROP TRIGGER events_no_update")
        fmt, prev = INITIAL_FORMAT, chain[0].prev_hash
        out: list[Event] = []
        for ev in chain:
            fmt = format_after(fmt, ev.kind, ev.payload)
            if ev.seq >= seq:
                changed = {**ev.payload, **payload} if ev.seq == seq else ev.payload
                ev = seal(replace(ev, payload=changed, prev_hash=prev), fmt)
                conn.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? "
                             "WHERE seq = ?",
                             [json.dumps(ev.payload, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False), ev.prev_hash, ev.hash, ev.seq])
            out.append(ev)
            prev = ev.hash
        txn = out[seq - 1].payload["txn"]
        row = projection.rebuild(out)[txn]
        conn.execute("DELETE FROM transactions WHERE txn = ?", [txn])
        conn.execute(f"INSERT INTO transactions ({', '.join(projection.COLUMNS)}) VALUES "
                     f"({', '.join('?' * len(projection.COLUMNS))})",
                     [row[c] for c in projection.COLUMNS])
        conn.commit()
    finally:
        conn.close()


def hq_report(server: HqServer, kind: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["report", kind, "--db", server.db_url, "--hall", HALL]) == 0
    return out.getvalue()


def wait_for(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_idle_counter_anchors_and_a_rewritten_tail_is_refused_as_an_incident(
    hq_sqlite: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    counter = f"anchor-{time.monotonic_ns() % 10**8}"
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll(HALL, counter),
                            counter=counter)
    service = CounterService(config, tmp_path / "data", clock=clock)
    sender = None
    try:
        service.store.append_timed(day_drafts(4))
        assert sync(service).ok
        uploaded = service.store.last_seq()
        service.store.append_timed(day_drafts(6, seed=11))
        head = service.store.last_seq()
        who = hq_sqlite.store.counter(HALL, counter)
        assert who is not None
        # the counter idle, no sync: its head reaches head office anyway
        sender = start_anchors(service.data_dir, lambda: make_client(service), 0.2)
        wait_for(lambda: any(a["seq"] == head and a["times"] >= 2
                             for a in anchors.stored_anchors(hq_sqlite.store.engine, who)))
        sender.stop()
        assert hq_sqlite.store.counter(HALL, counter).hw_seq == uploaded  # type: ignore[union-attr]

        # ten minutes later the not-yet-uploaded tail is rewritten: 122 s becomes 59 s
        clock.advance(600)
        completed = next(ev for ev in service.store.events(after_seq=uploaded)
                         if ev.kind == "completed")
        service.close()
        rewrite_tail(tmp_path / "data", completed.seq, duration_s=59.0, overtime_s=0.0)
        reader = connect(paths.database_path(tmp_path / "data"), readonly=True)
        try:
            report = verify(reader)
            assert report.chain_problem is None and report.projection_problem is None
            assert LocalLog(reader).last_seq() == head
        finally:
            reader.conn.close()

        service = CounterService(config, tmp_path / "data", clock=clock)
        status = sync(service)
        assert not status.ok and status.permanent
        assert "409" in (status.error or "") and "anchor" in (status.error or "")
        assert hq_sqlite.store.counter(HALL, counter).hw_seq == uploaded  # type: ignore[union-attr]
        found = [i for i in anchors.counter_incidents(hq_sqlite.store.engine, who)
                 if i["kind"] == anchors.ANCHOR_CONTRADICTED]
        assert found and found[0]["seq"] == head and found[0]["status"] == "open"
        incidents = hq_report(hq_sqlite, "incidents")
        assert any(f",{counter},anchor_contradicted,{head}," in line
                   for line in incidents.splitlines()), incidents
        chains = hq_report(hq_sqlite, "chains")
        line = next(ln for ln in chains.splitlines() if f",{counter}," in ln)
        assert "open incident(s), anchor_contradicted at" in line
    finally:
        if sender is not None:
            sender.stop()
        service.close()


def test_a_counter_presenting_a_different_history_is_recorded_at_head_office(
    hq_sqlite: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    """The counter's database was replaced behind head office's back: the counter refuses to
    upload (409), and head office now records the conflict at its mark with the counter's
    hash there, instead of nothing."""
    counter = f"replaced-{time.monotonic_ns() % 10**8}"
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll(HALL, counter),
                            counter=counter)
    first = CounterService(config, tmp_path / "first", clock=clock)
    try:
        first.store.append_timed(day_drafts(3))
        assert sync(first).ok
        mark = first.store.last_seq()
        held = list(first.store.events())[mark - 1].hash
    finally:
        first.close()
    second = CounterService(config, tmp_path / "second", clock=clock)
    try:
        second.store.append_timed(day_drafts(6, seed=5))
        assert second.store.last_seq() > mark
        status = sync(second)
        assert not status.ok and status.permanent and "different history" in (status.error or "")
        who = hq_sqlite.store.counter(HALL, counter)
        assert who is not None
        (incident,) = anchors.counter_incidents(hq_sqlite.store.engine, who)
        ours = list(second.store.events())[mark - 1].hash
        assert (incident["kind"], incident["seq"]) == (anchors.HISTORY_CONFLICT, mark)
        assert (incident["expected_hash"], incident["offered_hash"]) == (held, ours)
        assert f",{counter},history_conflict,{mark}," in hq_report(hq_sqlite, "incidents")
    finally:
        second.close()


def test_the_anchor_interval_is_configured_and_checked(tmp_path: Path) -> None:
    import tomllib

    from counter_app import config as config_module

    data = tomllib.loads(config_module.demo_config_path().read_text(encoding="utf-8"))
    assert config_module.parse(data, "demo").head_office.anchor_interval_s == 300
    data["head_office"] = {**data.get("head_office", {}), "anchor_interval_s": 60}
    assert config_module.parse(data, "c.toml").head_office.anchor_interval_s == 60
    data["head_office"]["anchor_interval_s"] = 0
    with pytest.raises(config_module.ConfigError, match="anchor_interval_s: expected 1 to 3600"):
        config_module.parse(data, "c.toml")


def test_an_unreachable_head_office_never_raises_into_the_app(
    service: CounterService, tmp_path: Path
) -> None:
    """The sender keeps going when head office cannot be reached: nothing raises, the next
    round tries again."""
    service.store.append_timed(day_drafts(1))
    url = f"http://127.0.0.1:{free_port()}"
    tries: list[int] = []

    def client() -> HeadOfficeClient:
        tries.append(1)
        return HeadOfficeClient(url, "token", timeout=1)

    sender = start_anchors(service.data_dir, client, 0.05)
    try:
        wait_for(lambda: len(tries) >= 3)
    finally:
        sender.stop()
    assert sender.sent == 0


def test_the_running_app_sends_anchors_while_idle(
    qtbot: Any, hq_sqlite: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    """The app's SyncRunner starts the anchors with the app: nothing synced, nobody at the
    counter, and head office still learns the head, every anchor_interval_s."""
    from counter_app.ui.sync_runner import SyncRunner

    counter = f"idle-{time.monotonic_ns() % 10**8}"
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll(HALL, counter),
                            counter=counter)
    config = replace(config, head_office=replace(config.head_office, anchor_interval_s=1),
                     sync_window="01:00-01:01")
    service = CounterService(config, tmp_path / "data", clock=clock)
    # synced last night (nothing to send then): the next sync is tonight, not now
    record_status(service.db, SyncStatus(ok=True, finished_at=utc_now(), sent=0, acked_seq=0,
                                         local_seq=0))
    runner = SyncRunner(service)
    try:
        service.store.append_timed(day_drafts(2))
        runner.start()
        assert runner.next_run is not None and not runner.busy
        who = hq_sqlite.store.counter(HALL, counter)
        assert who is not None
        qtbot.waitUntil(lambda: any(
            a["seq"] == service.store.last_seq() and a["times"] >= 2
            for a in anchors.stored_anchors(hq_sqlite.store.engine, who)), timeout=15000)
        assert hq_sqlite.store.counter(HALL, counter).hw_seq == 0  # type: ignore[union-attr]
    finally:
        runner.shutdown()
        service.close()


def test_counter_app_sync_sends_an_anchor(hq_sqlite: HqServer, tmp_path: Path) -> None:
    from counter_app import cli as counter_cli
    from counter_app import config as config_module
    from tests.sync.test_e2e import write_config

    counter = f"clianchor{time.monotonic_ns() % 10**6}"
    config_path = write_config(tmp_path / "counter.toml", hq_sqlite.url,
                               hq_sqlite.enroll(HALL, counter))
    config_path.write_text(config_path.read_text().replace('id = "03"', f'id = "{counter}"'))
    service = CounterService(config_module.load(config_path), tmp_path / "data")
    service.store.append_timed(day_drafts(2))
    head = service.store.last_seq()
    service.close()
    assert counter_cli.main(["sync", "--config", str(config_path), "--data-dir",
                             str(tmp_path / "data"), "--now"]) == 0
    who = hq_sqlite.store.counter(HALL, counter)
    assert who is not None
    (kept,) = anchors.stored_anchors(hq_sqlite.store.engine, who)
    assert kept["seq"] == head and abs(kept["skew_s"]) < 60
