"""Durability: SIGKILL mid-transaction, a full disk, and a corrupt database file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.db import open_counter_db, quick_check
from counter_app.storage.events import verify
from counter_core.transaction import CounterError, Phase
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from counter_app import config
    from tests.helpers.counter import CounterService

    class Clock:
        now = 5000.0
        def __call__(self):
            return self.now

    clock = Clock()
    svc = CounterService(config.load(), Path(sys.argv[1]), clock=clock)
    svc.sign_in("1001", "1234")
    m = svc.machine
    done = {}
    for n, (seconds, rating) in enumerate([(61.5, 5), (190.25, 2), (33.0, None)]):
        m.start()
        txn = m.running.txn
        clock.now += seconds
        m.complete()
        if rating is not None:
            m.rate(rating)
        if m.overtime_reason_for:
            m.give_overtime_reason("complex")
        clock.now += 31.0  # the rating window (fixed from Done) is waited out
        done[txn] = {"duration_s": seconds, "rating": rating}
    m.start()
    open_txn = m.running.txn
    clock.now += 40.0
    svc.heartbeat()
    clock.now += 12.5
    svc.heartbeat()
    print(json.dumps({"done": done, "open": open_txn}))
    print("READY", flush=True)
    time.sleep(600)
    """
)


def test_sigkill_mid_transaction_loses_nothing(demo_config: Config, data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        assert child.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == "READY":
                break
        assert lines[-1:] == ["READY"], child.stderr.read() if child.stderr else lines
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    told: dict[str, Any] = json.loads(lines[-2])

    svc = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        assert svc.damaged is None
        rows = {r["txn"]: r for r in svc.db.query("SELECT * FROM transactions")}
        assert set(rows) == {*told["done"], told["open"]}
        for txn, want in told["done"].items():
            row = rows[txn]
            assert row["status"] == "completed"
            assert row["duration_s"] == want["duration_s"]
            assert row["rating"] == want["rating"]
        overtime = [r for r in rows.values() if (r["overtime_s"] or 0) > 0]
        assert [r["overtime_reason"] for r in overtime] == ["complex"]
        unrated = next(t for t, w in told["done"].items() if w["rating"] is None)
        assert rows[unrated]["rating_status"] == "not_rated"

        open_row = rows[told["open"]]
        assert open_row["status"] == "interrupted"
        assert open_row["duration_s"] == 52.5  # the last heartbeat

        assert [(e.kind, dict(e.payload)) for e in svc.recovered] == [
            ("interrupted", {"txn": told["open"], "elapsed_s": 52.5, "overtime_s": 0.0}),
            ("signed_out", {"staff": "1001", "reason": "interrupted"}),
        ]
        assert svc.store.signed_in_staff() is None
        assert svc.machine.phase is Phase.SIGNED_OUT
        assert verify(svc.db).ok
        assert list(svc.db.query("SELECT * FROM heartbeat")) == []
        # the counter works on: the same staff signs in and serves
        svc.sign_in("1001", "1234")
        svc.machine.start()
        svc.machine.complete()
        assert verify(svc.db).ok
    finally:
        svc.close()

    svc = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        assert [e.kind for e in svc.recovered] == ["rating_timed_out", "signed_out"]
    finally:
        svc.close()


# ---- full disk ----------------------------------------------------------------------------------

def machine_state(svc: CounterService) -> tuple[Any, ...]:
    m = svc.machine
    return (m.phase, m.running.txn if m.running else None, m.rating and m.rating.txn,
            m.overtime_reason_for, m.customer_view())


def test_full_disk_refuses_clearly_and_keeps_everything(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    svc = CounterService(demo_config, data_dir, clock=clock)
    try:
        svc.sign_in("1001", "1234")
        pages = svc.db.execute("PRAGMA page_count").fetchone()[0]
        svc.db.execute(f"PRAGMA max_page_count = {pages}")
        m = svc.machine
        failure: Exception | None = None
        for _ in range(300):  # serve until the database has no room for the next event
            stored = list(svc.db.query("SELECT * FROM events ORDER BY seq"))
            action = m.complete if m.running else m.start
            clock.advance(31)  # Done + the rating window (30 s) has passed
            before = machine_state(svc)
            try:
                action()
            except sqlite3.OperationalError as exc:
                failure = exc
                break
        assert failure is not None, "the database never filled up"
        assert "full" in str(failure)
        assert not isinstance(failure, CounterError)
        assert machine_state(svc) == before  # the screens stay where they were
        assert list(svc.db.query("SELECT * FROM events ORDER BY seq")) == stored
        assert not svc.db.conn.in_transaction
        assert verify(svc.db).ok
        # space is freed: the same action now goes through
        svc.db.execute(f"PRAGMA max_page_count = {pages * 1000}")
        action()
        assert machine_state(svc) != before
        assert verify(svc.db).ok
    finally:
        svc.close()


# ---- corrupt database file ----------------------------------------------------------------------

def serve_some(svc: CounterService, clock: FakeClock, count: int) -> None:
    svc.sign_in("1001", "1234")
    for _ in range(count):
        svc.machine.start()
        clock.advance(50)
        svc.machine.complete()
        svc.machine.rate(4)
        clock.advance(31)  # the rating window (fixed from Done) is waited out
    svc.machine.sign_out()


def damage_header(data: bytearray) -> None:
    data[0:64] = os.urandom(64)


def damage_middle(data: bytearray) -> None:
    page = 4096
    for start in range(2 * page, len(data) - page, 2 * page):
        data[start + 8:start + page - 8] = b"\xff" * (page - 16)


@pytest.mark.parametrize("damage", [damage_header, damage_middle], ids=["header", "mid-file"])
def test_corrupt_database_is_set_aside_and_a_fresh_one_started(
    demo_config: Config, data_dir: Path, clock: FakeClock, damage: Any
) -> None:
    svc = CounterService(demo_config, data_dir, clock=clock)
    serve_some(svc, clock, 60)
    svc.close()
    backups = list(paths.backups_dir(data_dir).glob("counter-*.sqlite"))
    assert len(backups) == 1
    backup_bytes = backups[0].read_bytes()
    path = paths.database_path(data_dir)
    assert not path.with_name(path.name + "-wal").exists() or \
        path.with_name(path.name + "-wal").stat().st_size == 0
    data = bytearray(path.read_bytes())
    damage(data)
    path.write_bytes(bytes(data))
    assert quick_check(path) is not None

    svc = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert svc.damaged is not None
        folder, problem = svc.damaged
        assert problem
        assert folder.parent == data_dir and folder.name.startswith("damaged-")
        assert (folder / path.name).read_bytes() == bytes(data)  # kept, byte for byte
        # the fresh log holds only its opening record (app version, chain format) and the
        # demo accounts of the new demo folder
        assert [r[0] for r in svc.db.execute("SELECT kind FROM events")] == [
            "log_opened", *["staff_added"] * 4]
        assert svc.recovered == []
        svc.sign_in("1001", "1234")  # the demo accounts are back on the fresh database
        svc.machine.start()
        svc.machine.complete()
        assert verify(svc.db).ok
        # today's backup, taken before the damage, is not replaced by the empty database
        assert list(paths.backups_dir(data_dir).glob("counter-*.sqlite")) == backups
        assert backups[0].read_bytes() == backup_bytes
    finally:
        svc.close()

    svc = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert svc.damaged is None  # said once, for the damaged file only
    finally:
        svc.close()


# ---- killed in the middle of a commit -----------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from counter_core.transaction import Draft
    from counter_app.storage.db import open_counter_db
    from counter_app.storage.events import EventStore

    store = EventStore(open_counter_db(Path(sys.argv[1])).db, "SH-0001", "03")
    print("READY", flush=True)
    n = 0
    while True:  # each batch: a whole transaction, so a half-written one shows as running
        n += 1
        txn = f"t{n}"
        store.append([
            Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0}),
            Draft("completed", {"txn": txn, "duration_s": 1.0, "target_s": 180.0,
                                "overtime_s": 0.0}),
            Draft("rated", {"txn": txn, "rating": 5, "pad": "x" * (n % 3000)}),
        ])
    """
)


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.9])
def test_sigkill_while_committing_leaves_whole_batches(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "counter.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                             text=True, cwd=REPO, env=env)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "READY"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert quick_check(path) is None
    conn = sqlite3.connect(path)
    try:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM events ORDER BY seq")]
        statuses = {s for (s,) in conn.execute("SELECT DISTINCT status FROM transactions")}
    finally:
        conn.close()
    assert kinds, "the writer committed nothing before it was killed"
    assert len(kinds) % 3 == 0
    assert kinds == ["started", "completed", "rated"] * (len(kinds) // 3)
    assert statuses == {"completed"}
    opened = open_counter_db(path)
    try:
        assert opened.set_aside is None
        assert verify(opened.db).ok
    finally:
        opened.db.conn.close()


# ---- a start that fails lets go of the data folder --------------------------------------------

def test_failed_start_releases_the_data_folder(demo_config: Config, data_dir: Path) -> None:
    """A database from a newer app is refused; the refusal must not leave the folder locked,
    or every admin command then blames 'another Counter App'."""
    from counter_app.storage.db import SCHEMA_VERSION, DatabaseError
    from counter_app.storage.folder import lock_data_dir

    CounterService(demo_config, data_dir, clock=FakeClock()).close()
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this app") as info:
        CounterService(demo_config, data_dir, clock=FakeClock())
    # the app still holds the error (to show it in a dialog) when the admin runs a command
    assert info.value is not None
    lock = lock_data_dir(data_dir)
    lock.release()


# ---- another program holds the write lock -------------------------------------------------------

def test_locked_database_refuses_clearly_and_changes_nothing(
    demo_config: Config, data_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin's sqlite3 shell sits in a write transaction: the counter waits busy_timeout,
    then the action fails without moving the screens; once the lock goes it works."""
    from counter_app.storage import db as db_module

    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 200)
    svc = CounterService(demo_config, data_dir, clock=clock)
    try:
        svc.sign_in("1001", "1234")
        intruder = sqlite3.connect(paths.database_path(data_dir), isolation_level=None)
        intruder.execute("BEGIN IMMEDIATE")
        before = machine_state(svc)
        events = svc.store.last_seq()
        began = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            svc.machine.start()
        assert time.monotonic() - began >= 0.15  # it waited for the lock first
        assert machine_state(svc) == before
        intruder.execute("ROLLBACK")
        intruder.close()
        svc.machine.start()
        assert svc.store.last_seq() == events + 1
        assert verify(svc.db).ok
    finally:
        svc.close()
