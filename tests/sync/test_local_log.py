"""The uploader's view of the event log reads through the event store, on a read-only
connection, and agrees with the store row for row."""

from __future__ import annotations

from pathlib import Path

from counter_app import paths
from counter_app.storage.db import connect, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.sync.state import parse_utc
from counter_app.sync.uploader import LocalLog
from counter_core.periods import format_utc
from counter_core.transaction import Draft


def write_events(data_dir: Path, count: int) -> list[str]:
    opened = open_counter_db(paths.database_path(data_dir))
    store = EventStore(opened.db, "SH-0001", "03")
    stored = store.append([Draft("signed_in", {"staff": f"{1000 + i}"}) for i in range(count)])
    opened.db.conn.close()
    return [ev.hash for ev in stored]


def test_local_log_reads_what_the_store_wrote(data_dir: Path) -> None:
    hashes = write_events(data_dir, 7)
    reader = connect(paths.database_path(data_dir), readonly=True)
    try:
        log = LocalLog(reader)
        assert log.last_seq() == 7
        assert [log.hash_at(seq) for seq in range(1, 8)] == hashes
        assert log.hash_at(0) is None and log.hash_at(8) is None
        batch = log.after(2, 3)
        assert [ev.seq for ev in batch] == [3, 4, 5]
        assert batch == list(EventStore(reader, "SH-0001", "03").events(2, 3))
        assert batch[0].hall == "SH-0001" and batch[0].counter == "03"  # as stored
        assert log.after(7, 10) == []
    finally:
        reader.conn.close()


def test_local_log_of_an_empty_database(data_dir: Path) -> None:
    write_events(data_dir, 0)
    reader = connect(paths.database_path(data_dir), readonly=True)
    try:
        log = LocalLog(reader)
        assert log.last_seq() == 0 and log.hash_at(1) is None and log.after(0, 5) == []
    finally:
        reader.conn.close()


def test_parse_utc_is_the_core_parser_and_keeps_none() -> None:
    assert parse_utc(None) is None and parse_utc("") is None
    moment = parse_utc("2026-11-10T17:37:00.000Z")
    assert moment is not None and format_utc(moment) == "2026-11-10T17:37:00.000Z"
