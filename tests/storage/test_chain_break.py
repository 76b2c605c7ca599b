"""A silently damaged event found at start: verified-through mark, recorded break, new segment."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from counter_app import cli, paths
from counter_app.config import Config
from counter_app.storage.events import (
    VERIFIED_KEY,
    read_verified_mark,
    recorded_breaks,
    verify,
    verify_at_start,
)
from counter_core import events as kinds
from counter_core.chain import SegmentWalker
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import day_drafts


def damage(data_dir: Path, seq: int, payload: str | None = None) -> None:
    """Change one stored event behind the app's back (the integrity check still passes)."""
    conn = sqlite3.connect(paths.database_path(data_dir))
    try:
        conn.execute("DROP TRIGGER events_no_update")
        if payload is None:
            row = conn.execute("SELECT payload FROM events WHERE seq = ?", [seq]).fetchone()
            body = json.loads(row[0])
            body["tampered"] = True
            payload = json.dumps(body, sort_keys=True, separators=(",", ":"))
        conn.execute("UPDATE events SET payload = ? WHERE seq = ?", [payload, seq])
        conn.commit()
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def counter_with_history(config: Config, data_dir: Path, clock: FakeClock,
                         transactions: int = 12) -> int:
    """A counter that has written a day of events and closed; returns its last seq."""
    service = CounterService(config, data_dir, clock=clock)
    try:
        service.store.append_timed(day_drafts(transactions))
        return service.store.last_seq()
    finally:
        service.close()


def test_start_detects_a_damaged_event_and_records_the_break(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    head = counter_with_history(demo_config, data_dir, clock)
    damage(data_dir, 10)

    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        brk = service.chain_break
        assert brk is not None
        assert (brk.last_good_seq, brk.first_bad_seq, brk.break_seq) == (9, 10, head + 1)
        assert brk.last_bad_seq == head
        (event,) = service.store.events(after_seq=head, limit=1)
        assert event.kind == kinds.CHAIN_BREAK_DETECTED
        nine = next(service.store.events(after_seq=8, limit=1))
        assert event.payload["last_good_seq"] == 9
        assert event.payload["last_good_hash"] == nine.hash
        assert event.payload["first_bad_seq"] == 10
        assert event.prev_hash == next(service.store.events(after_seq=head - 1)).hash
        # the counter goes on: a new segment that verifies from the break event on
        service.store.append_timed(day_drafts(3, seed=11))
        report = verify(service.db)
        assert report.chain_problem is None
        assert [b.break_seq for b in report.breaks] == [head + 1]
        assert not report.ok
        mark = read_verified_mark(service.db)
        assert mark is not None and mark.seq == event.seq and mark.hash == event.hash
        last = service.store.last_seq()
    finally:
        service.close()

    again = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert again.chain_break is None  # recorded once, not at every start
        assert [b.break_seq for b in recorded_breaks(again.db)] == [head + 1]
        assert again.store.last_seq() >= last
        assert sum(1 for e in again.store.events() if e.kind == kinds.CHAIN_BREAK_DETECTED) == 1
    finally:
        again.close()


def test_start_walks_only_the_events_after_the_mark(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter_with_history(demo_config, data_dir, clock)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        before = read_verified_mark(service.db)
        assert before is not None
        service.store.append_timed(day_drafts(2, seed=5))
        check = verify_at_start(service.store)
        assert check.start == before
        assert check.checked == service.store.last_seq() - before.seq
        assert check.head.seq == service.store.last_seq() and check.recorded is None
    finally:
        service.close()


def test_damage_below_the_mark_is_not_walked_again_but_a_false_mark_is_not_trusted(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter_with_history(demo_config, data_dir, clock)
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute("UPDATE meta SET value = ? WHERE key = ?",
                 [json.dumps({"seq": 5, "hash": "f" * 64, "chain_format": 1}), VERIFIED_KEY])
    conn.commit()
    conn.close()
    damage(data_dir, 3)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        # the mark names a hash its event does not have: the walk starts at the genesis
        assert service.chain_break is not None
        assert service.chain_break.first_bad_seq == 3
    finally:
        service.close()


def test_a_payload_that_is_not_json_is_a_recorded_break_not_a_failed_start(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter_with_history(demo_config, data_dir, clock)
    damage(data_dir, 7, payload='{"txn": "t1", "rat')
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert service.chain_break is not None
        assert service.chain_break.first_bad_seq == 7
    finally:
        service.close()


def test_a_deleted_event_is_a_break_too(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter_with_history(demo_config, data_dir, clock)
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE seq = 6")
    conn.commit()
    conn.close()
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        brk = service.chain_break
        assert brk is not None and (brk.last_good_seq, brk.first_bad_seq) == (5, 6)
        walked = SegmentWalker().walk(service.store.events())
        assert walked.problem is None and len(walked.breaks) == 1
    finally:
        service.close()


def test_verify_command_names_the_recorded_break(
    demo_config: Config, data_dir: Path, clock: FakeClock, capsys: object
) -> None:
    head = counter_with_history(demo_config, data_dir, clock)
    damage(data_dir, 10)
    CounterService(demo_config, data_dir, clock=clock).close()
    code = cli.main(["verify", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert code == 1
    assert "recorded" in out and f"10–{head}" in out and not out.startswith("OK")


def test_an_event_damaged_after_it_was_verified_but_before_upload_is_found(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter_with_history(demo_config, data_dir, clock)
    CounterService(demo_config, data_dir, clock=clock).close()  # verified through the head
    damage(data_dir, 20)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        mark = read_verified_mark(service.db)
        assert mark is not None and mark.seq > 20
        assert service.chain_break is None  # no head office: the mark alone decides
        check = verify_at_start(service.store, uploaded_through=15)  # head office holds 15
        assert check.recorded is not None and check.recorded.first_bad_seq == 20
        assert check.start.seq == 15
    finally:
        service.close()
