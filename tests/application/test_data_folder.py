"""storage.folder.open_data_folder: the one way to lock, open and check a data folder."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.storage.db import SCHEMA_VERSION, DatabaseError
from counter_app.storage.folder import (
    DatabaseDamaged,
    DatabaseMissing,
    DataFolderLocked,
    lock_data_dir,
    open_data_folder,
)


def test_the_writer_holds_the_lock_until_closed(data_dir: Path) -> None:
    with open_data_folder(data_dir) as folder:
        assert not folder.readonly and folder.damaged is None
        assert folder.database_path == paths.database_path(data_dir)
        assert "events" in folder.db.table_names()
        with pytest.raises(DataFolderLocked, match="another Counter App is using"):
            open_data_folder(data_dir)
        with open_data_folder(data_dir, readonly=True) as reader:  # readers are welcome
            assert reader.readonly and "events" in reader.db.table_names()
    lock_data_dir(data_dir).release()  # closing let go of the lock


def test_the_folder_lock_is_refused_to_another_process_and_dies_with_its_holder(
        data_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from counter_app.storage.folder import "
         "lock_data_dir; lock_data_dir(Path(sys.argv[1])); print('held', flush=True); "
         "sys.stdin.read()", str(data_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DataFolderLocked, match="another Counter App is using"):
            lock_data_dir(data_dir)
    finally:
        holder.kill()  # no release: the system drops the lock of a process that dies
        holder.wait(timeout=30)
    lock = lock_data_dir(data_dir)
    lock.release()
    lock.release()  # a second release does nothing
    assert (data_dir / "counter.lock").exists()


def test_a_refused_open_lets_go_of_the_lock(data_dir: Path) -> None:
    open_data_folder(data_dir).close()
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer than this app"):
        open_data_folder(data_dir)
    lock_data_dir(data_dir).release()


def test_a_damaged_database_is_set_aside_and_reported(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    paths.database_path(data_dir).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(DatabaseDamaged, match="is damaged"):
        open_data_folder(data_dir, readonly=True)
    with open_data_folder(data_dir) as folder:
        assert folder.damaged is not None and folder.damaged.problem
        assert folder.damaged.set_aside.is_dir()
        assert (folder.damaged.set_aside / "counter.sqlite").exists()  # moved, never deleted
        assert "events" in folder.db.table_names()  # a fresh database was started


def test_a_reader_needs_a_database(data_dir: Path) -> None:
    with pytest.raises(DatabaseMissing, match="no counter database at"):
        open_data_folder(data_dir, readonly=True)
