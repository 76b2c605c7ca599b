"""The data folder, opened once the same way for everyone: lock, check, open, say if damaged.

`open_data_folder(data_dir)` takes the folder's writer lock (one writer per database: a second
app or admin command on the same folder is refused), checks the database, sets a damaged one
aside, opens and migrates it. `open_data_folder(data_dir, readonly=True)` takes no lock (readers
are welcome while the counter runs) and refuses a missing or damaged database instead.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlite_utils
from filelock import FileLock, Timeout

from counter_app import paths
from counter_app.storage.db import (
    CheckNotRun,
    DatabaseError,
    cause,
    connect,
    open_counter_db,
    quick_check,
)

__all__ = [
    "CheckNotRun",
    "Damage",
    "DataFolderLocked",
    "DataFolderReadOnly",
    "DatabaseDamaged",
    "DatabaseMissing",
    "OpenFolder",
    "lock_data_dir",
    "open_data_folder",
]


class DataFolderLocked(DatabaseError):
    """Another Counter App (or admin command) holds the data folder's writer lock."""


class DatabaseMissing(DatabaseError):
    """A read-only open found no database in the data folder."""


class DatabaseDamaged(DatabaseError):
    """A read-only open found a database that fails its check (a writer sets it aside)."""


class DataFolderReadOnly(DatabaseError):
    """The writer cannot write in the data folder (read-only, not allowed, full disk)."""


@dataclass(frozen=True)
class Damage:
    """A database that failed its integrity check at opening: moved to `set_aside`."""

    set_aside: Path
    problem: str


def check_writable(data_dir: Path) -> None:
    """DataFolderReadOnly unless a file can be created in `data_dir` (a probe, removed again).

    A read-only folder is reported as read-only, before any check could take it for damage.
    """
    probe = data_dir / f".write-probe-{os.getpid()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        probe.unlink(missing_ok=True)  # left by a crash of this same pid number
        return
    except OSError as exc:
        raise DataFolderReadOnly(
            f"cannot write in the data folder {data_dir}: {cause(exc)}. The counter database "
            "was not touched; make the folder writable (or free disk space) and start again."
        ) from exc
    os.close(fd)
    probe.unlink(missing_ok=True)


def lock_data_dir(data_dir: Path) -> FileLock:
    """The folder's writer lock, taken at once or refused with DataFolderLocked."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / "counter.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DataFolderLocked(
            f"another Counter App is using {data_dir}; close it first"
        ) from None
    return lock


class OpenFolder:
    """An opened data folder: its database, the lock (when a writer) and any damage found.

    Use it as a context manager, or call `close()`: the connection closes and the lock goes.
    """

    def __init__(self, data_dir: Path, db: sqlite_utils.Database, lock: FileLock | None,
                 damaged: Damage | None = None) -> None:
        self.data_dir = data_dir
        self.db = db
        self.damaged = damaged
        self._lock = lock

    @property
    def readonly(self) -> bool:
        return self._lock is None

    @property
    def database_path(self) -> Path:
        return paths.database_path(self.data_dir)

    def close(self) -> None:
        try:
            self.db.conn.close()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> OpenFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def open_data_folder(data_dir: Path, *, readonly: bool = False,
                     check: bool = True) -> OpenFolder:
    """Open the counter database of `data_dir`.

    Writer (default): refuse a folder it cannot write in (DataFolderReadOnly), lock the folder
    (DataFolderLocked when taken), check the database, move a damaged one aside (reported in
    `.damaged`, never deleted), open and migrate. A check that could not run (disk full, I/O
    error, locked) is CheckNotRun and moves nothing. A refused open lets go of the lock.

    `readonly=True`: no lock and no migration; DatabaseMissing when there is no database,
    DatabaseDamaged when it fails `PRAGMA quick_check` (skipped with `check=False`).
    """
    path = paths.database_path(data_dir)
    if readonly:
        if not path.exists():
            raise DatabaseMissing(f"no counter database at {path}")
        if check:
            problem = quick_check(path)
            if problem is not None:
                raise DatabaseDamaged(f"{path} is damaged: {problem}")
        return OpenFolder(data_dir, connect(path, readonly=True), None)
    check_writable(data_dir)
    lock = lock_data_dir(data_dir)
    try:
        opened = open_counter_db(path)
    except sqlite3.Error as exc:  # open_counter_db names most; any other, still as a refusal
        lock.release()
        raise DatabaseError(f"cannot open the counter database {path}: {cause(exc)}") from exc
    except BaseException:
        lock.release()  # a refused open must not leave the folder locked
        raise
    damaged = (Damage(opened.set_aside, opened.problem or "")
               if opened.set_aside is not None else None)
    return OpenFolder(data_dir, opened.db, lock, damaged)
