"""The data folder, opened once the same way for everyone: lock, check, open, say if damaged.

`open_data_folder(data_dir)` takes the folder's writer lock (one writer per database: a second
app or admin command on the same folder is refused), checks the database, sets a damaged one
aside, opens and migrates it. `open_data_folder(data_dir, readonly=True)` takes no lock (readers
are welcome while the counter runs) and refuses a missing or damaged database instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import sqlite_utils
from filelock import FileLock, Timeout

from counter_app import paths
from counter_app.storage.db import DatabaseError, connect, open_counter_db, quick_check


class DataFolderLocked(DatabaseError):
    """Another Counter App (or admin command) holds the data folder's writer lock."""


class DatabaseMissing(DatabaseError):
    """A read-only open found no database in the data folder."""


class DatabaseDamaged(DatabaseError):
    """A read-only open found a database that fails its check (a writer sets it aside)."""


@dataclass(frozen=True)
class Damage:
    """A database that failed its integrity check at opening: moved to `set_aside`."""

    set_aside: Path
    problem: str


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

    Writer (default): lock the folder (DataFolderLocked when taken), check the database, move
    a damaged one aside (reported in `.damaged`, never deleted), open and migrate. A refused
    open lets go of the lock.

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
    lock = lock_data_dir(data_dir)
    try:
        opened = open_counter_db(path)
    except BaseException:
        lock.release()  # a refused open must not leave the folder locked
        raise
    damaged = (Damage(opened.set_aside, opened.problem or "")
               if opened.set_aside is not None else None)
    return OpenFolder(data_dir, opened.db, lock, damaged)
