"""The data folder, opened once the same way for everyone: lock, check, open, say if damaged.

`open_data_folder(data_dir)` takes the folder's writer lock (one writer per database: a second
app or admin command on the same folder is refused), checks the database, sets a damaged one
aside, opens and migrates it. `open_data_folder(data_dir, readonly=True)` takes no lock (readers
are welcome while the counter runs) and refuses a missing or damaged database instead.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from counter_app import paths
from counter_app.storage.db import (
    CheckNotRun,
    Database,
    DatabaseError,
    EarlyCheck,
    cause,
    connect,
    open_counter_db,
    quick_check,
    write_transaction,
)

__all__ = [
    "COUNTER_FOLDER",
    "DESK_FOLDER",
    "CheckNotRun",
    "Damage",
    "DataFolderLocked",
    "DataFolderReadOnly",
    "DatabaseDamaged",
    "DatabaseMissing",
    "FolderLock",
    "FolderOfAnotherCounter",
    "OpenFolder",
    "claim_folder",
    "claim_identity",
    "folder_identity",
    "folder_kind",
    "lock_data_dir",
    "make_private",
    "open_data_folder",
]

#: meta keys: the hall and counter a data folder belongs to, written once when first opened
HALL_KEY = "folder.hall"
COUNTER_KEY = "folder.counter"
#: meta key: what the folder was first opened as, a counter's or the manager desk's
FOLDER_KIND_KEY = "folder.kind"
DESK_FOLDER, COUNTER_FOLDER = "desk", "counter"


class DataFolderLocked(DatabaseError):
    """Another Counter App (or admin command) holds the data folder's writer lock."""


class DatabaseMissing(DatabaseError):
    """A read-only open found no database in the data folder."""


class DatabaseDamaged(DatabaseError):
    """A read-only open found a database that fails its check (a writer sets it aside)."""


class FolderOfAnotherCounter(DatabaseError):
    """The data folder belongs to another hall or counter than the configuration names."""


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


def folder_identity(db: Database) -> tuple[str, str] | None:
    """(hall, counter) the data folder recorded when first opened, else those its first event
    names (a folder from before the record), else None (a new folder)."""
    values = {r["key"]: r["value"] for r in db.query(
        "SELECT key, value FROM meta WHERE key IN (?, ?)", [HALL_KEY, COUNTER_KEY])}
    if values.get(HALL_KEY) is not None and values.get(COUNTER_KEY) is not None:
        return str(values[HALL_KEY]), str(values[COUNTER_KEY])
    row = db.execute("SELECT hall, counter FROM events ORDER BY seq LIMIT 1").fetchone()
    return (str(row[0]), str(row[1])) if row else None


def claim_identity(db: Database, hall: str, counter: str, *,
                   data_dir: Path | None = None) -> None:
    """Record (once) that the folder is hall `hall`'s counter `counter`; refuse another.

    A folder already recorded, or holding events, for another hall or counter raises
    FolderOfAnotherCounter naming both: its chain must never get a second counter's events.
    """
    found = folder_identity(db)
    where = f"the data folder {data_dir}" if data_dir is not None else "this data folder"
    if found is not None and found != (hall, counter):
        raise FolderOfAnotherCounter(
            f"{where} belongs to hall {found[0]} counter {found[1]}, but the configuration "
            f"names hall {hall} counter {counter}. Nothing was changed: start with the "
            "configuration of that counter, or give this one its own data folder "
            "(--data-dir); see docs/data_folder.md")
    recorded = db.execute("SELECT COUNT(*) FROM meta WHERE key IN (?, ?)",
                          [HALL_KEY, COUNTER_KEY]).fetchone()[0]
    if recorded < 2:
        with write_transaction(db.conn):
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)",
                       [HALL_KEY, hall, COUNTER_KEY, counter])


def make_private(data_dir: Path) -> None:
    """The folder for its owner only (0700) and its files 0600, where the system has modes;
    on Windows, best effort: the folder's access list is left to `icacls` (docs/data_folder.md).
    """
    if os.name != "posix":
        return
    folders = [data_dir, data_dir / "backups", *data_dir.glob("damaged-*")]
    files = [*data_dir.glob("counter.*"), *data_dir.glob("counter.sqlite-*"),
             *(data_dir / "backups").glob("counter-*"),
             *(f for d in data_dir.glob("damaged-*") for f in d.glob("counter.*"))]
    for path, private in [*((d, 0o700) for d in folders), *((f, 0o600) for f in files)]:
        try:
            if path.exists() and path.stat().st_mode & 0o777 & ~private:
                path.chmod(private)
        except OSError:
            pass  # not ours to change: what this app creates is still owner-only (umask)


class FolderLock:
    """An exclusive lock on a file, held while its descriptor is open: `flock` (POSIX) or
    `msvcrt.locking` of its first byte (Windows). Both conflict with another descriptor of
    the same process too, as with another process, and the system drops the lock when the
    process dies. (filelock did the same with 7.5 MiB and 18 ms of every start.)"""

    #: what the system says when another descriptor holds the lock
    _HELD = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK})

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock at once: True, or False when another holder has it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in self._HELD:
                return False
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go of the lock (nothing when not held); the file stays."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def lock_data_dir(data_dir: Path) -> FolderLock:
    """The folder's writer lock, taken at once or refused with DataFolderLocked."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FolderLock(data_dir / "counter.lock")
    if not lock.acquire():
        raise DataFolderLocked(f"another Counter App is using {data_dir}; close it first")
    return lock


class OpenFolder:
    """An opened data folder: its database, the lock (when a writer) and any damage found.

    Use it as a context manager, or call `close()`: the connection closes and the lock goes.
    """

    def __init__(self, data_dir: Path, db: Database, lock: FolderLock | None,
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
                     check: bool = True,
                     identity: tuple[str, str] | None = None,
                     early: EarlyCheck | None = None) -> OpenFolder:
    """Open the counter database of `data_dir`.

    Writer (default): refuse a folder it cannot write in (DataFolderReadOnly), lock the folder
    (DataFolderLocked when taken), check the database, move a damaged one aside (reported in
    `.damaged`, never deleted), open and migrate. A check that could not run (disk full, I/O
    error, locked) is CheckNotRun and moves nothing. A refused open lets go of the lock.

    `readonly=True`: no lock and no migration; DatabaseMissing when there is no database,
    DatabaseDamaged when it fails `PRAGMA quick_check` (skipped with `check=False`).

    `identity` (hall, counter): the configuration's; a writer records it in a new folder and
    refuses a folder of another hall or counter (FolderOfAnotherCounter), a reader refuses too.
    What a writer creates is private: the folder 0700, its files 0600 (docs/data_folder.md).
    `early`: the writer's check begun ahead (`storage.db.begin_check`), whose answer it uses.
    """
    path = paths.database_path(data_dir)
    if readonly:
        if not path.exists():
            raise DatabaseMissing(f"no counter database at {path}")
        if check:
            problem = quick_check(path)
            if problem is not None:
                raise DatabaseDamaged(f"{path} is damaged: {problem}")
        db = connect(path, readonly=True)
        if identity is not None:
            found = folder_identity(db)
            if found is not None and found != identity:
                db.conn.close()
                raise FolderOfAnotherCounter(
                    f"the data folder {data_dir} belongs to hall {found[0]} counter "
                    f"{found[1]}, not hall {identity[0]} counter {identity[1]} as the "
                    "configuration says")
        return OpenFolder(data_dir, db, None)
    previous = os.umask(0o077)  # the folder, the database and its journals: owner only
    try:
        check_writable(data_dir)
        lock = lock_data_dir(data_dir)
        try:
            opened = open_counter_db(path, early)
            if identity is not None:
                try:
                    claim_identity(opened.db, *identity, data_dir=data_dir)
                except BaseException:
                    opened.db.conn.close()
                    raise
        except sqlite3.Error as exc:  # open_counter_db names most; any other, a refusal too
            lock.release()
            raise DatabaseError(
                f"cannot open the counter database {path}: {cause(exc)}") from exc
        except BaseException:
            lock.release()  # a refused open must not leave the folder locked
            raise
    finally:
        os.umask(previous)
    make_private(data_dir)
    damaged = (Damage(opened.set_aside, opened.problem or "")
               if opened.set_aside is not None else None)
    return OpenFolder(data_dir, opened.db, lock, damaged)


def folder_kind(db: Database) -> str | None:
    """What the data folder was first opened as: "counter", "desk", or None (never said)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [FOLDER_KIND_KEY]).fetchone()
    return None if row is None else str(row[0])


def claim_folder(db: Database, kind: str) -> None:
    """Record once what the folder is, so the other program refuses it."""
    with write_transaction(db.conn):
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                   [FOLDER_KIND_KEY, kind])
