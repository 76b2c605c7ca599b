"""Opening the database: pragmas on every connection, migrations, integrity check, backups."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from counter_app import paths
from counter_app.storage import db as db_module
from counter_app.storage.db import (
    SCHEMA_VERSION,
    Database,
    DatabaseError,
    backup_if_due,
    connect,
    migrate,
    open_counter_db,
    quick_check,
    write_transaction,
)
from counter_app.storage.events import EventStore, verify
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService


def pragmas(database: Database) -> dict[str, object]:
    return {
        name: database.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }


EXPECTED = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
            "busy_timeout": db_module.BUSY_TIMEOUT_MS}


def populated(path: Path, transactions: int = 3) -> None:
    opened = open_counter_db(path)
    store = EventStore(opened.db, "SH-0001", "03")
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    for n in range(transactions):
        store.append([Draft("started", {"txn": f"t{n}", "staff": "1001", "type": "payment",
                                        "target_s": 180.0, "note": "交费" * 20})])
        store.append([Draft("completed", {"txn": f"t{n}", "duration_s": 60.0 + n,
                                          "target_s": 180.0, "overtime_s": 0.0})])
    opened.db.conn.close()


# ---- pragmas ------------------------------------------------------------------------------------

def test_writer_connection_pragmas(tmp_path: Path) -> None:
    database = connect(tmp_path / "c.sqlite")
    assert pragmas(database) == EXPECTED
    assert db_module.BUSY_TIMEOUT_MS >= 1000


def test_every_new_connection_gets_the_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    opened = open_counter_db(path)
    assert pragmas(opened.db) == EXPECTED
    for _ in range(2):
        again = connect(path)
        assert pragmas(again) == EXPECTED
        again.conn.close()
    opened.db.conn.close()


def test_readonly_connection_pragmas_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    reader = connect(path, readonly=True)
    assert pragmas(reader) == EXPECTED
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    assert verify(reader).ok
    reader.conn.close()


def test_readonly_sees_writers_committed_events(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    opened = open_counter_db(path)
    reader = connect(path, readonly=True)
    store = EventStore(opened.db, "SH-0001", "03")
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    assert reader.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1
    reader.conn.close()
    opened.db.conn.close()


# ---- migrations ---------------------------------------------------------------------------------

def test_fresh_database_is_migrated_to_current_version(tmp_path: Path) -> None:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    assert opened.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert SCHEMA_VERSION == len(db_module.MIGRATIONS) >= 1
    assert {"events", "transactions", "staff", "heartbeat", "meta"} <= set(opened.db.table_names())
    assert opened.set_aside is None and opened.problem is None
    opened.db.conn.close()


def test_reopening_does_not_rerun_migrations_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    opened = open_counter_db(path)
    assert opened.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 7
    assert opened.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    migrate(opened.db)  # idempotent
    opened.db.conn.close()


def test_migrations_run_from_an_older_version(tmp_path: Path) -> None:
    database = connect(tmp_path / "c.sqlite")
    db_module.MIGRATIONS[0](database)
    database.execute("PRAGMA user_version = 1")
    migrate(database)
    assert database.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_4_database_gets_the_staff_disabled_column_all_enabled(
        tmp_path: Path) -> None:
    database = connect(tmp_path / "c.sqlite")
    for step in db_module.MIGRATIONS[:4]:
        step(database)
    database.execute("PRAGMA user_version = 4")
    database.execute("INSERT INTO staff (number, name, role, pin_hash) VALUES (?, ?, ?, ?)",
                     ["1001", "王芳", "staff", "x"])
    assert "disabled" not in {row["name"] for row in database.query("PRAGMA table_info(staff)")}
    migrate(database)
    assert database.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 5
    assert database.execute("SELECT disabled FROM staff").fetchall() == [(0,)]
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        database.execute("UPDATE staff SET disabled = 2")
    database.conn.close()


def test_failing_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(database: Database) -> None:
        database.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(db_module, "MIGRATIONS", (*db_module.MIGRATIONS, broken))
    database = connect(tmp_path / "c.sqlite")
    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(database)
    assert "half_done" not in database.table_names()
    assert database.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not database.conn.in_transaction


def test_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    raw.commit()
    raw.close()
    with pytest.raises(DatabaseError, match=rf"version {SCHEMA_VERSION + 5} is newer") as info:
        open_counter_db(path)
    assert "install the newer Counter App" in str(info.value)
    assert path.exists()  # refused, not set aside or replaced
    assert not list(tmp_path.glob("damaged-*"))


# ---- integrity ----------------------------------------------------------------------------------

def test_quick_check_passes_on_a_good_database(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    assert quick_check(path) is None


def test_damaged_header_is_set_aside_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    damaged = bytearray(path.read_bytes())
    damaged[:100] = b"\xde\xad\xbe\xef" * 25
    path.write_bytes(bytes(damaged))
    assert quick_check(path) is not None
    opened = open_counter_db(path)
    assert opened.set_aside is not None and opened.set_aside.parent == tmp_path
    assert opened.set_aside.name.startswith("damaged-")
    assert (opened.set_aside / "counter.sqlite").read_bytes() == bytes(damaged)
    assert opened.problem
    assert opened.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert pragmas(opened.db) == EXPECTED
    opened.db.conn.close()


def test_damaged_pages_mid_file_are_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path, transactions=200)
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    for start in range(2 * page, len(data) - page, 3 * page):  # every third page after the first
        data[start:start + page] = b"\x5a" * page
    path.write_bytes(bytes(data))
    problem = quick_check(path)
    assert problem is not None
    opened = open_counter_db(path)
    assert opened.set_aside is not None and opened.problem == problem
    assert (opened.set_aside / "counter.sqlite").read_bytes() == bytes(data)
    assert opened.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    opened.db.conn.close()


def test_empty_file_is_treated_as_new(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    path.write_bytes(b"")
    opened = open_counter_db(path)
    assert opened.set_aside is None
    assert opened.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    opened.db.conn.close()


# ---- backups ------------------------------------------------------------------------------------

def test_backup_once_a_day_is_a_valid_database(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    populated(path)
    opened = open_counter_db(path)
    folder = tmp_path / "backups"
    day = dt.date(2026, 11, 25)
    first = backup_if_due(opened.db, folder, day)
    assert first == folder / "counter-2026-11-25.sqlite"
    assert backup_if_due(opened.db, folder, day) is None  # once a day
    assert first.is_file()
    assert quick_check(first) is None
    copy = Database(sqlite3.connect(first))
    assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    report = verify(copy)
    assert report.ok and report.events == 7
    copy.conn.close()
    assert not list(folder.glob("*.partial"))
    assert backup_if_due(opened.db, folder, day + dt.timedelta(days=1)) is not None
    opened.db.conn.close()


def test_backup_includes_uncheckpointed_wal_content(tmp_path: Path) -> None:
    path = tmp_path / "counter.sqlite"
    opened = open_counter_db(path)
    EventStore(opened.db, "H", "C").append([Draft("signed_in", {"staff": "1", "role": "staff"})])
    assert path.with_name("counter.sqlite-wal").stat().st_size > 0
    target = backup_if_due(opened.db, tmp_path / "b", dt.date(2026, 1, 1))
    assert target is not None
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT kind FROM events").fetchall() == [("signed_in",)]
    copy.close()
    opened.db.conn.close()


def test_backups_keep_the_last_week(tmp_path: Path) -> None:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    folder = tmp_path / "backups"
    start = dt.date(2026, 11, 1)
    for offset in range(10):
        backup_if_due(opened.db, folder, start + dt.timedelta(days=offset))
    kept = sorted(p.name for p in folder.glob("counter-*.sqlite"))
    assert len(kept) == db_module.BACKUPS_KEPT == 7
    assert kept[0] == "counter-2026-11-04.sqlite" and kept[-1] == "counter-2026-11-10.sqlite"
    opened.db.conn.close()


def test_stale_partial_backup_is_replaced(tmp_path: Path) -> None:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "counter-2026-11-25.partial").write_bytes(b"half a backup")
    target = backup_if_due(opened.db, folder, dt.date(2026, 11, 25))
    assert target is not None and quick_check(target) is None
    assert not (folder / "counter-2026-11-25.partial").exists()
    opened.db.conn.close()


# ---- the same rules through the service and the command line ------------------------------------

def test_service_and_cli_connections_have_the_pragmas(service: CounterService,
                                                      data_dir: Path) -> None:
    from counter_app.cli import open_readonly

    assert pragmas(service.db) == EXPECTED
    reader = open_readonly(data_dir)
    assert pragmas(reader) == EXPECTED
    reader.conn.close()


def test_service_takes_one_backup_a_day(service: CounterService, data_dir: Path) -> None:
    backups = list(paths.backups_dir(data_dir).glob("counter-*.sqlite"))
    assert [b.name for b in backups] == [f"counter-{dt.date.today().isoformat()}.sqlite"]
    assert quick_check(backups[0]) is None
    before = backups[0].stat().st_mtime_ns, backups[0].read_bytes()
    assert service.backup_if_due() is None
    assert (backups[0].stat().st_mtime_ns, backups[0].read_bytes()) == before


def test_failed_backup_never_stops_the_counter(service: CounterService, data_dir: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    for backup in paths.backups_dir(data_dir).glob("*"):
        backup.unlink()
    paths.backups_dir(data_dir).rmdir()
    paths.backups_dir(data_dir).write_text("a file where the folder should be")
    assert service.backup_if_due() is None
    assert "backup failed" in caplog.text
    service.sign_in("1001", "1234")  # the counter works on
    assert service.machine.staff is not None


# ---- item 15: a check that could not run never moves a database aside --------------------

def _healthy(data_dir: Path) -> Path:
    from counter_app.storage.folder import open_data_folder

    with open_data_folder(data_dir) as folder:
        EventStore(folder.db, "SH-0001", "03").append([Draft("signed_in", {"staff": "1001"})])
    return paths.database_path(data_dir)


def _refuse_connect(monkeypatch: pytest.MonkeyPatch, message: str, code: int) -> None:
    """sqlite3.connect as quick_check calls it (read-only URI) fails like a full disk does."""
    real = sqlite3.connect

    def connect(database: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if str(database).endswith("?mode=ro"):
            error = sqlite3.OperationalError(message)
            error.sqlite_errorcode = code
            raise error
        opened: sqlite3.Connection = real(database, *args, **kwargs)
        return opened

    monkeypatch.setattr(sqlite3, "connect", connect)


@pytest.mark.parametrize("message, code, named", [
    ("disk I/O error", 10, "disk I/O error"),
    ("database or disk is full", 13, "the disk is full"),
    ("attempt to write a readonly database", 8, "read-only"),
    ("database is locked", 5, "locked"),
    ("unable to open database file", 14, "cannot be opened"),
])
def test_a_check_that_could_not_run_refuses_the_start_and_moves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, code: int,
        named: str) -> None:
    """The old code set the healthy database aside as "damaged" and started an empty one."""
    from counter_app.storage.db import CheckNotRun
    from counter_app.storage.folder import lock_data_dir, open_data_folder

    data_dir = tmp_path / "data"
    path = _healthy(data_dir)
    before = path.read_bytes()
    _refuse_connect(monkeypatch, message, code)
    with pytest.raises(CheckNotRun, match=named) as info:
        open_data_folder(data_dir)
    assert "Nothing was changed" in str(info.value)
    assert path.read_bytes() == before
    assert not list(data_dir.glob("damaged-*"))
    lock_data_dir(data_dir).release()  # the refusal let go of the lock
    monkeypatch.undo()
    with open_data_folder(data_dir) as folder:  # and the next start has the same database
        assert folder.damaged is None
        assert folder.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_the_readonly_open_also_refuses_a_check_that_could_not_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from counter_app.storage.db import CheckNotRun
    from counter_app.storage.folder import open_data_folder

    data_dir = tmp_path / "data"
    _healthy(data_dir)
    _refuse_connect(monkeypatch, "disk I/O error", 10)
    with pytest.raises(CheckNotRun, match="disk I/O error"):
        open_data_folder(data_dir, readonly=True)


def test_a_check_that_ran_and_failed_still_moves_the_database_aside(tmp_path: Path) -> None:
    from counter_app.storage.folder import open_data_folder

    data_dir = tmp_path / "data"
    path = _healthy(data_dir)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    with open_data_folder(data_dir) as folder:
        assert folder.damaged is not None and "not a database" in folder.damaged.problem
    assert len(list(data_dir.glob("damaged-*"))) == 1


def test_a_full_disk_while_opening_is_a_refusal_naming_it_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from counter_app.storage.db import DatabaseError
    from counter_app.storage.folder import open_data_folder

    data_dir = tmp_path / "data"
    path = _healthy(data_dir)
    before = path.read_bytes()

    def full(_db: Database) -> None:
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = 13
        raise error

    monkeypatch.setattr(db_module, "migrate", full)
    with pytest.raises(DatabaseError, match="the disk is full"):
        open_data_folder(data_dir)
    assert path.read_bytes() == before and not list(data_dir.glob("damaged-*"))


def test_a_read_only_data_folder_is_reported_as_read_only_not_damaged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not as root, a real chmod 0500 folder. As root (the CI here), where chmod does not stop
    writes, os.open fails for files created in the folder with EROFS, exactly what a read-only
    mount (a locked-down share, a write-protected USB stick) answers; the database itself is
    still readable, so the old code went on to open it."""
    import errno
    import os

    from counter_app.storage.folder import DataFolderReadOnly, open_data_folder

    data_dir = tmp_path / "data"
    path = _healthy(data_dir)
    before = path.read_bytes()
    if os.geteuid() == 0:
        real_open = os.open

        def read_only(file: str | os.PathLike[str], flags: int, *args: int,
                      **kwargs: object) -> int:
            if Path(file).parent == data_dir and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise OSError(errno.EROFS, "Read-only file system", str(file))
            return real_open(file, flags, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", read_only)
    else:
        data_dir.chmod(0o500)
    try:
        with pytest.raises(DataFolderReadOnly, match="read-only") as info:
            open_data_folder(data_dir)
    finally:
        data_dir.chmod(0o700)
    assert "damaged" not in str(info.value).lower()
    monkeypatch.undo()
    assert path.read_bytes() == before and not list(data_dir.glob("damaged-*"))


def test_the_database_wrapper_gives_rows_as_dicts_and_scripts_join_the_transaction(
        tmp_path: Path) -> None:
    database = connect(tmp_path / "c.sqlite")
    database.executescript("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x;y');")
    assert list(database.query("SELECT a, b FROM t WHERE a = ?", [1])) == [{"a": 1, "b": "x;y"}]
    assert database.table_names() == ["t"]
    with pytest.raises(ValueError, match="execute"):
        database.query("UPDATE t SET a = 2")
    with pytest.raises(RuntimeError), write_transaction(database.conn):
        database.executescript(
            "INSERT INTO t VALUES (2, 'in;side');"
            "CREATE TRIGGER t_no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;")
        raise RuntimeError("the migration fails after its script")
    assert database.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1  # all rolled back
    assert database.table_names() == ["t"]
    assert not database.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    database.conn.close()
