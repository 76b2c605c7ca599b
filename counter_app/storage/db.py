"""Opening the counter database safely: pragmas, integrity check, migrations, backups."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 5000
BACKUPS_KEPT = 7


class DatabaseError(Exception):
    """The database cannot be used; the message says why and what was done about it."""


class CheckNotRun(DatabaseError):
    """The integrity check could not run (disk full, I/O error, read-only, locked): nothing
    is known about the database, so nothing was moved, created or replaced."""


#: SQLite primary result codes that mean "the file is damaged", as opposed to "the check
#: could not be carried out" (I/O error, full disk, read-only, locked, cannot open, …)
_DAMAGED_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_CAUSES = {
    3: "permission denied", 5: "the database is locked by another program",
    6: "the database is locked by another program", 7: "out of memory",
    8: "the data folder or database is read-only", 10: "disk I/O error",
    13: "the disk is full", 14: "the database file cannot be opened", 23: "permission denied",
}


def cause(exc: BaseException) -> str:
    """What stopped a database operation, in words (the disk is full, read-only, …)."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if isinstance(code, int) and (code & 0xFF) in _CAUSES:
            return f"{_CAUSES[code & 0xFF]} ({exc})"
        return str(exc)
    if isinstance(exc, OSError):
        words = {errno.ENOSPC: "the disk is full", errno.EROFS: "the data folder is read-only",
                 errno.EACCES: "the data folder is read-only or not allowed",
                 errno.EPERM: "the data folder is read-only or not allowed",
                 errno.EIO: "disk I/O error"}
        what = words.get(exc.errno or 0)
        detail = exc.strerror or str(exc)
        return f"{what} ({detail})" if what else detail
    return str(exc)


def is_damage(exc: sqlite3.Error) -> bool:
    """True only when SQLite says the file itself is damaged (not when it could not look)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and (code & 0xFF) in _DAMAGED_CODES


Params = Sequence[Any] | dict[str, Any]


class Database:
    """A sqlite3 connection with the few helpers the counter uses (the subset of
    sqlite-utils' `Database` it used to call: `conn`, `execute`, `executescript`, `query`,
    `table_names`), on the standard library alone: sqlite-utils cost ~65 ms and 15 MiB of
    every start (click, dateutil, pluggy), for four one-line methods.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Params | None = None) -> sqlite3.Cursor:
        if parameters is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql, parameters)

    def executescript(self, sql: str) -> sqlite3.Cursor:
        """Several `;`-separated statements; inside a transaction they join it (sqlite3's own
        `executescript` would COMMIT it first: a migration would no longer roll back whole)."""
        if not self.conn.in_transaction:
            return self.conn.executescript(sql)
        cursor = self.conn.cursor()
        statement = ""
        for piece in sql.split(";"):
            statement += piece + ";"
            if sqlite3.complete_statement(statement):  # not inside a trigger body or a string
                if statement.strip(" \t\n;"):
                    cursor.execute(statement)
                statement = ""
        return cursor

    def query(self, sql: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Run `sql` now; its rows, fetched as iterated, as dicts keyed by column name."""
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError("query() is for statements that return rows: use execute()")
        keys = [column[0] for column in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def table_names(self) -> list[str]:
        return [row[0] for row in
                self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def connect(path: Path | str, *, readonly: bool = False) -> Database:
    """A connection with the pragmas every connection needs.

    Only the one writer connection (owned by one thread) may write or checkpoint; others pass
    `readonly=True`.
    """
    if readonly:
        conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
            check_same_thread=False,
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal" and str(path) != ":memory:":
            raise DatabaseError(f"{path}: could not switch to WAL journal mode (got {mode})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    # as sqlite-utils set it on every connection: a REPLACE that deletes a row fires its
    # delete triggers
    conn.execute("PRAGMA recursive_triggers = ON")
    return Database(conn)


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` … `COMMIT`: the one way anything writes to a counter database.

    On an exception it rolls back only while a transaction is still open (SQLITE_FULL and some
    I/O errors roll back by themselves, and a ROLLBACK then would hide the real error).

    Inside another write_transaction it joins that one (the outer one commits or rolls back
    everything): a staff table row and its event are written together this way.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN` … `COMMIT` around reads that must agree: in WAL mode every statement inside sees
    the same commits, however many the counter or the hall's mirror adds meanwhile. Inside a
    transaction already, that one's view."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# ---- migrations -----------------------------------------------------------------------------

#: The kinds every transaction writes (counter_core.events STARTED, COMPLETED, RATED): no
#: query looks events up by these kinds, so the kind index leaves them out (one page less per
#: commit). A query by kind adds `AND {RARE_KINDS}` word for word (`rare_kinds_only`): SQLite
#: uses a partial index only when the query carries the index's own condition.
HOT_KINDS = ("started", "completed", "rated")
RARE_KINDS = "kind NOT IN ('started', 'completed', 'rated')"


def rare_kinds_only(*kinds: str) -> str:
    """`RARE_KINDS`, for a query by `kinds`, after checking that none of them is hot (such a
    query would find nothing through the index's condition)."""
    hot = set(kinds) & set(HOT_KINDS)
    if hot:
        raise ValueError(f"events are not looked up by kind {sorted(hot)}: no index has them")
    return RARE_KINDS


def _v1(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            uuid TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            hall TEXT NOT NULL,
            counter TEXT NOT NULL,
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correcting event'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correcting event'); END;

        CREATE TABLE transactions (
            txn TEXT PRIMARY KEY,
            hall TEXT NOT NULL,
            counter TEXT NOT NULL,
            staff TEXT NOT NULL,
            type TEXT NOT NULL,
            target_s REAL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            duration_s REAL,
            overtime_s REAL,
            status TEXT NOT NULL
                CHECK (status IN ('running', 'completed', 'voided', 'interrupted')),
            rating INTEGER CHECK (rating BETWEEN 1 AND 5),
            rating_reason TEXT,
            rating_status TEXT CHECK (rating_status IN ('pending', 'rated', 'not_rated')),
            overtime_reason TEXT,
            started_seq INTEGER NOT NULL REFERENCES events(seq),
            last_seq INTEGER NOT NULL REFERENCES events(seq)
        );
        CREATE INDEX transactions_started_at ON transactions(started_at);
        CREATE INDEX transactions_staff_started_at ON transactions(staff, started_at);
        CREATE INDEX transactions_status ON transactions(status);

        CREATE TABLE staff (
            number TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('staff', 'manager')),
            pin_hash TEXT NOT NULL,
            photo TEXT,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until REAL NOT NULL DEFAULT 0
        );

        -- progress of the running transaction, so a crash leaves "the time known so far"
        CREATE TABLE heartbeat (
            txn TEXT PRIMARY KEY REFERENCES transactions(txn),
            elapsed_s REAL NOT NULL
        );

        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        """
    )


def _v2(db: Database) -> None:
    """The manager's projections (reviews, confirmed stars) and indexes for the manager view."""
    db.executescript(
        """
        -- latest overtime review / poor-rating follow-up per transaction (events supersede)
        CREATE TABLE reviews (
            txn TEXT NOT NULL REFERENCES transactions(txn),
            subject TEXT NOT NULL CHECK (subject IN ('overtime', 'rating')),
            cause TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            called_back INTEGER,
            resolved INTEGER,
            manager TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES events(seq),
            PRIMARY KEY (txn, subject)
        );
        CREATE TABLE stars (
            month TEXT PRIMARY KEY,
            staff TEXT NOT NULL,
            score REAL,
            manager TEXT NOT NULL,
            confirmed_at TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES events(seq)
        );
        -- the review queue: overtime and poor ratings only, by time
        CREATE INDEX transactions_overtime_started_at ON transactions(started_at)
            WHERE overtime_s > 0;
        CREATE INDEX transactions_poor_started_at ON transactions(started_at)
            WHERE rating <= 2;
        -- hours signed in per month
        CREATE INDEX events_kind_at ON events(kind, at);
        """
    )


def _v3(db: Database) -> None:
    """Start-up recovery looks for pending ratings: index them with the status."""
    db.executescript(
        """
        DROP INDEX transactions_status;
        CREATE INDEX transactions_status ON transactions(status, rating_status);
        """
    )


def _v4(db: Database) -> None:
    """The KPI tab reads a period's completed transactions from an index alone.

    Through transactions_started_at each of a year's 50,000 rows is also looked up in the
    table; this index carries every column storage.queries.completed_facts reads.
    """
    db.executescript(
        """
        CREATE INDEX transactions_kpi ON transactions(
            started_at, status, staff, type, duration_s, target_s, overtime_s, rating);
        """
    )


def _v5(db: Database) -> None:
    """Staff accounts can be disabled (`staff_disabled` / `staff_enabled` events): every
    existing account stays enabled."""
    db.execute("ALTER TABLE staff ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0"
               " CHECK (disabled IN (0, 1))")


def _v6_appeals(db: Database) -> None:
    """Appeals (申诉) of poor ratings: one row per appealed transaction, its decision when
    made (counter_core.appeals.APPEAL_COLUMNS); logs before it hold no appeal events."""
    db.executescript(
        """
        CREATE TABLE appeals (
            txn TEXT PRIMARY KEY,
            staff TEXT NOT NULL,
            reason TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            appealed_at TEXT NOT NULL,
            appeal_seq INTEGER NOT NULL,
            upheld INTEGER CHECK (upheld IN (0, 1)),
            decided_by TEXT,
            decision_note TEXT,
            decided_at TEXT,
            decided_seq INTEGER
        );
        CREATE INDEX appeals_staff ON appeals(staff);
        """
    )


def _v7_lean_indexes(db: Database) -> None:
    """Only the indexes queries use, so each commit rewrites fewer pages.

    transactions_started_at is the leading column of transactions_kpi, which serves every
    range of days as well; transactions_status served only the start-up recovery's two
    look-ups (running, rating pending), which a scan of transactions_kpi answers in a few
    milliseconds at a year's rows, while the index cost a page on every commit.
    """
    db.executescript(
        f"""
        DROP INDEX IF EXISTS transactions_started_at;
        DROP INDEX IF EXISTS transactions_status;
        DROP INDEX IF EXISTS transactions_staff_started_at;
        DROP INDEX IF EXISTS events_kind_at;
        CREATE INDEX events_rare_kind_at ON events(kind, at) WHERE {RARE_KINDS};

        -- the running transaction's heartbeat (every 5 s) in one B-tree: one page a write
        CREATE TABLE heartbeat_lean (
            txn TEXT PRIMARY KEY REFERENCES transactions(txn),
            elapsed_s REAL NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO heartbeat_lean (txn, elapsed_s) SELECT txn, elapsed_s FROM heartbeat;
        DROP TABLE heartbeat;
        ALTER TABLE heartbeat_lean RENAME TO heartbeat;
        """
    )


MIGRATIONS: tuple[Callable[[Database], None], ...] = (
    _v1, _v2, _v3, _v4, _v5, _v6_appeals, _v7_lean_indexes,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Database) -> None:
    """Bring the schema to SCHEMA_VERSION, each step in its own transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"database schema version {version} is newer than this app ({SCHEMA_VERSION}); "
            "install the newer Counter App"
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with write_transaction(db.conn):
            step(db)
            db.execute(f"PRAGMA user_version = {number}")


# ---- integrity ------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenResult:
    db: Database
    set_aside: Path | None = None  # where a database that failed its check was moved
    problem: str | None = None


def quick_check(path: Path) -> str | None:
    """None when `PRAGMA quick_check` passes, else what it (or opening) reported as damage.

    CheckNotRun when the check could not run (disk I/O error, full disk, read-only, locked,
    cannot open): then nothing is known about the database and the caller must not treat it
    as damaged (a full disk used to send a healthy database to the "damaged" folder).
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if is_damage(exc):
            return str(exc)
        raise CheckNotRun(
            f"cannot check the counter database {path}: {cause(exc)}. Nothing was changed; "
            "fix this (free disk space, make the folder writable, close other programs) "
            "and start again."
        ) from exc
    except OSError as exc:
        raise CheckNotRun(f"cannot check the counter database {path}: {cause(exc)}. "
                          "Nothing was changed.") from exc
    return None if rows == ["ok"] else "; ".join(rows[:5])


def _stamp(path: Path) -> tuple[tuple[int, int, int] | None, ...]:
    """(inode, size, mtime) of the database and of its WAL when that holds frames: what a
    change to either moves. An empty WAL counts as none (the check's own read-only
    connection creates one)."""
    stamps: list[tuple[int, int, int] | None] = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            st = part.stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((st.st_ino, st.st_size, st.st_mtime_ns) if st.st_size else None)
    return tuple(stamps)


class EarlyCheck:
    """`quick_check` of a database begun on a thread ahead of the open that needs its answer.

    The counter's start begins it before Qt and the windows' modules load: a year's database
    (86 MB) takes about 0.2 s to check, and SQLite checks without holding the GIL, so on two
    cores the check is done by the time the folder is opened. The answer is the same as the
    open's own check: `answer` checks again when the file changed since (or the thread could
    not tell), and raises the check's CheckNotRun.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = _stamp(path)
        self._problem: str | None = None
        self._not_run: CheckNotRun | None = None
        self._done = False
        self._thread = threading.Thread(target=self._run, name="counter-db-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._problem = quick_check(self.path)
        except CheckNotRun as exc:
            self._not_run = exc
        except BaseException:  # anything else: the open checks again and meets it there
            return
        self._done = True

    def answer(self, path: Path) -> str | None:
        """What `quick_check(path)` says now (None: it passes): the thread's answer when it
        checked this file as it still is, else a check made here."""
        self._thread.join()
        if not self._done or path != self.path or _stamp(path) != self._stamp:
            return quick_check(path)
        if self._not_run is not None:
            raise self._not_run
        return self._problem


def begin_check(path: Path) -> EarlyCheck | None:
    """An `EarlyCheck` of the database at `path`, or None when there is none to check (a new
    data folder): the one `open_counter_db` would make."""
    try:
        if path.stat().st_size == 0:
            return None
    except OSError:
        return None
    return EarlyCheck(path)


def open_counter_db(path: Path, early: EarlyCheck | None = None) -> OpenResult:
    """Check, set aside if damaged, open, migrate. A damaged file is moved, never deleted.

    Only a check that ran and found damage moves a database aside; a check that could not
    run raises CheckNotRun, and a refusal to open or migrate (full disk, read-only, I/O) is
    a DatabaseError naming the cause: never a new empty database in place of one that is
    there. `early`: the check begun ahead (`begin_check`), whose answer is used.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot use the data folder {path.parent}: {cause(exc)}") from exc
    set_aside = problem = None
    if path.exists() and path.stat().st_size > 0:
        problem = early.answer(path) if early is not None else quick_check(path)
        if problem is not None:
            set_aside = _set_aside(path)
    try:
        db = connect(path)
    except (sqlite3.Error, OSError) as exc:
        raise DatabaseError(f"cannot open the counter database {path}: {cause(exc)}") from exc
    try:
        migrate(db)
    except (sqlite3.Error, OSError) as exc:
        db.conn.close()
        raise DatabaseError(f"cannot update the counter database {path}: {cause(exc)}") from exc
    except BaseException:
        db.conn.close()
        raise
    return OpenResult(db, set_aside, problem)


def _set_aside(path: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = path.parent / f"damaged-{stamp}"
    n = 1
    while folder.exists():  # a second damaged start within the same second
        n += 1
        folder = path.parent / f"damaged-{stamp}-{n}"
    folder.mkdir()
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            shutil.move(str(part), folder / part.name)
    return folder


# ---- backups --------------------------------------------------------------------------------

def backup_if_due(db: Database, folder: Path, today: dt.date) -> Path | None:
    """Once a day, `VACUUM INTO` a dated copy (never a file copy of a live database)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"counter-{today.isoformat()}.sqlite"
    if target.exists():
        return None
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db.execute("VACUUM INTO ?", [str(partial)])
    partial.replace(target)
    for old in sorted(folder.glob("counter-*.sqlite"))[:-BACKUPS_KEPT]:
        old.unlink()
    return target
