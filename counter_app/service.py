"""CounterService: a counter's configuration, database, staff and state machine, wired."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock, Timeout

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.db import DatabaseError, backup_if_due, open_counter_db
from counter_app.storage.events import EventStore
from counter_app.storage.staff import StaffDirectory
from counter_core.chain import Event
from counter_core.timer import Clock, monotonic
from counter_core.transaction import CounterMachine, Draft, Staff

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = (
    ("1001", "王芳", "staff", "1234"),
    ("1002", "李强", "staff", "1234"),
    ("1003", "张敏", "staff", "1234"),
    ("9001", "陈经理", "manager", "9999"),
)


class CounterService:
    """Everything one running counter needs, in plain Python; the UI only calls into it."""

    def __init__(self, config: Config, data_dir: Path, *, clock: Clock = monotonic,
                 demo_accounts: bool | None = None, backup_now: bool = True) -> None:
        self.config = config
        self.data_dir = data_dir
        self._lock = lock_data_dir(data_dir)
        try:
            self._open(clock, demo_accounts)
            if backup_now:
                self.backup_if_due()
        except BaseException:
            self._lock.release()  # a refused start must not leave the folder locked
            raise

    def _open(self, clock: Clock, demo_accounts: bool | None) -> None:
        config, data_dir = self.config, self.data_dir
        opened = open_counter_db(paths.database_path(data_dir))
        self.db = opened.db
        #: set when the database failed its integrity check and was moved aside: say it loudly
        self.damaged: tuple[Path, str] | None = (
            (opened.set_aside, opened.problem or "") if opened.set_aside else None
        )
        self.store = EventStore(self.db, config.hall_id, config.counter_id)
        self.staff = StaffDirectory(self.db)
        if config.is_demo if demo_accounts is None else demo_accounts:
            ensure_demo_accounts(self.staff)
        #: events written at start for what a crash left open (shown to staff once)
        self.recovered: list[Event] = self.store.recover_interrupted()
        self.machine = CounterMachine(
            types=config.types,
            record=self._record,
            default_type=config.default_type,
            rating_window_s=config.rating_window_s,
            void_grace_s=config.void_grace_s,
            clock=clock,
        )

    def _record(self, drafts: Sequence[Draft]) -> None:
        self.store.append(drafts)

    def sign_in(self, number: str, pin: str) -> Staff:
        staff = self.staff.sign_in(number, pin)
        self.machine.sign_in(staff)
        return staff

    def heartbeat(self) -> None:
        """Note the running transaction's time so far, for recovery after a crash."""
        run = self.machine.running
        if run is not None:
            self.store.heartbeat(run.txn, run.timer.elapsed_s())

    def backup_if_due(self) -> Path | None:
        try:
            return backup_if_due(self.db, paths.backups_dir(self.data_dir), dt.date.today())
        except Exception as exc:  # a failed backup must never stop the counter
            log.error("daily backup failed: %s", exc)
            return None

    def staff_name(self, number: str) -> str:
        return self.staff.names().get(number, number)

    def close(self) -> None:
        self.db.conn.close()
        self._lock.release()


def lock_data_dir(data_dir: Path) -> FileLock:
    """One writer per database: a second app (or admin command) on the same folder is refused."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / "counter.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DatabaseError(
            f"another Counter App is using {data_dir}; close it first"
        ) from None
    return lock


def ensure_demo_accounts(directory: StaffDirectory) -> None:
    """A fresh demo data folder gets the demo accounts README lists."""
    if directory.is_empty():
        for number, name, role, pin in DEMO_ACCOUNTS:
            directory.add(number, name, role, pin)
