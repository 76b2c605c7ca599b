"""The running counter's use cases: sign in, serve, rate, back up, in plain Python.

`Counter` owns the data folder (its lock and the one writer connection), the staff accounts
and the state machine. Callers (the Qt UI) call its use cases and read the machine's state
through `Counter.state`; they never reach the database, the event store or the machine.
Storage failures come out as the application's own exceptions (`application.errors`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from counter_app import paths
from counter_app.application.calendar import cached_calendar
from counter_app.application.errors import (
    ApplicationError,
    CannotOpen,
    DataFolderBusy,
    PinChangeRequired,
    PinNotChanged,
    SignInRefused,
    StorageFailed,
)
from counter_app.application.hall_view import (
    COUNTER_FOLDER,
    DESK_FOLDER,
    claim_folder,
    counter_hall_session,
    folder_kind,
    stop_counter_puller,
)
from counter_app.application.manager import LocalManager, LocalManagerData, ManagerSession
from counter_app.application.roster import RosterCache
from counter_app.config import Config
from counter_app.storage import queries
from counter_app.storage.counts import completed_since, is_demo_log
from counter_app.storage.db import DatabaseError, backup_if_due
from counter_app.storage.events import EventStore, StartCheck, app_version, verify_at_start
from counter_app.storage.folder import (
    Damage,
    DataFolderLocked,
    OpenFolder,
    open_data_folder,
)
from counter_app.storage.staff import PinChangeRequired as PinTooShort
from counter_app.storage.staff import (
    SignInError,
    StaffDirectory,
    ensure_demo_accounts,
)
from counter_app.sync.hall_stream import Presence, presence_of, read_hall_status, record_hall_status
from counter_app.sync.roster_pull import HALL_SERVER, authority_of
from counter_app.sync.state import SyncStatus, read_acked_seq, read_status, record_status
from counter_core import appeals, periods
from counter_core import events as kinds
from counter_core.chain import CURRENT_FORMAT, ChainBreak, Event
from counter_core.timer import Clock, TimerReading, monotonic
from counter_core.transaction import (
    Away,
    CounterError,
    CounterMachine,
    CustomerView,
    Draft,
    PendingRating,
    Phase,
    Running,
    Staff,
    TransactionType,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class NotACounterFolder(CannotOpen):
    """The data folder is a manager desk's: the counter never writes into it."""


class AppealRefused(ApplicationError):
    """An appeal (申诉) that cannot be recorded as given: not signed in, not one's own poor
    rating of an earlier day, already appealed, no reason chosen…"""


@contextmanager
def storage_errors() -> Iterator[None]:
    """sqlite3 errors inside become StorageFailed (the record was not saved)."""
    try:
        yield
    except sqlite3.Error as exc:
        log.exception("the database refused the record")
        raise StorageFailed.not_saved(exc) from exc


def open_folder(data_dir: Path, identity: tuple[str, str] | None = None) -> OpenFolder:
    """The data folder opened as its writer, refusals as the application's exceptions.

    `identity` (hall, counter): recorded in a new folder, a folder of another one refused."""
    try:
        return open_data_folder(data_dir, identity=identity)
    except DataFolderLocked as exc:
        raise DataFolderBusy(str(exc)) from None
    except DatabaseError as exc:
        raise CannotOpen(str(exc)) from exc
    except (sqlite3.Error, OSError) as exc:
        raise CannotOpen(f"cannot open the counter database in {data_dir}: {exc}") from exc


class CounterState:
    """What the screens show of the state machine, read-only."""

    def __init__(self, machine: CounterMachine) -> None:
        self._machine = machine

    @property
    def phase(self) -> Phase:
        return self._machine.phase

    @property
    def staff(self) -> Staff | None:
        return self._machine.staff

    @property
    def types(self) -> tuple[TransactionType, ...]:
        return tuple(self._machine.types)

    @property
    def selected_type(self) -> TransactionType:
        return self._machine.selected_type

    @property
    def running(self) -> Running | None:
        return self._machine.running

    @property
    def rating(self) -> PendingRating | None:
        return self._machine.rating

    @property
    def last_reading(self) -> TimerReading | None:
        return self._machine.last_reading

    @property
    def overtime_reason_for(self) -> str | None:
        return self._machine.overtime_reason_for

    @property
    def away(self) -> Away | None:
        """Back soon (暂离): the return time the clerk picked, None while not away."""
        return self._machine.away

    def rating_time_left(self) -> float | None:
        """Seconds left of the fixed rating window (None: none open); the same whatever the
        customer pressed, so the staff window can show it."""
        return self._machine.rating_time_left()

    def current_outcome(self) -> str | None:
        """"voided" or "not_rated" for a few seconds after it happened."""
        return self._machine.current_outcome()

    def reading(self) -> TimerReading | None:
        return self._machine.reading()

    def customer_view(self) -> CustomerView:
        return self._machine.customer_view()

    def can_void(self) -> bool:
        return self._machine.can_void()

    def next_deadline(self) -> float | None:
        return self._machine.next_deadline()

    def clock(self) -> float:
        return self._machine.clock()


class Counter:
    """Everything one running counter does, as use cases; the UI only calls into it."""

    def __init__(self, config: Config, data_dir: Path, *, clock: Clock = monotonic,
                 demo_accounts: bool | None = None, backup_now: bool = True,
                 pull_roster: bool = True) -> None:
        """`pull_roster`: under `[roster] managed_by = "hall_server"`, pull the hall's roster
        on a background thread now and every 5 minutes (False: only `pull_roster_now`)."""
        self._config = config
        self._data_dir = data_dir
        self._roster: RosterCache | None = None
        self._folder = open_folder(data_dir, (config.hall_id, config.counter_id))
        try:
            with storage_errors():
                self._open(clock, demo_accounts)
            if backup_now:
                self.backup_if_due()
            self._start_roster(pull_roster)
        except BaseException:
            self._folder.close()  # a refused start must not leave the folder locked
            raise

    def _open(self, clock: Clock, demo_accounts: bool | None) -> None:
        config = self._config
        self._db = self._folder.db
        kind = folder_kind(self._db)
        if kind == DESK_FOLDER:
            raise NotACounterFolder(
                f"{self._data_dir} is a manager desk's data folder: open it with "
                "`counter-app manager --config FILE`, or give the counter a data folder of "
                "its own (--data-dir)")
        if kind is None:
            claim_folder(self._db, COUNTER_FOLDER)
        self._store = EventStore(self._db, config.hall_id, config.counter_id)
        # the chain from the last verified point to the head (only the new events); a break
        # is recorded (chain_break_detected) so later events form a new verifiable segment
        # (and again from head office's acknowledged mark: what is not uploaded yet is
        # walked at every start, so a damaged event is found before head office refuses it)
        uploads = config.head_office.url is not None
        self._start_check: StartCheck = verify_at_start(
            self._store, uploaded_through=read_acked_seq(self._db) if uploads else None)
        # every start under a new app version or chain format records it (log_opened): the
        # chain says which version wrote what, and from where on it is hashed in RFC 8785
        self._store.record_opening(app_version(), CURRENT_FORMAT)
        # the log's first event decides once: nothing can make a log demo (or not) later
        self._is_demo = is_demo_log(self._db)
        self._staff = StaffDirectory(self._db, self._store)
        self._staff.record_existing()  # accounts from before staff events: recorded once
        hall_roster = authority_of(config) == HALL_SERVER
        if (config.is_demo if demo_accounts is None else demo_accounts) and not hall_roster:
            ensure_demo_accounts(self._staff)
        self._recovered: list[Event] = self._store.recover_interrupted()
        self._machine = CounterMachine(
            types=config.types,
            record=self._record,
            default_type=config.default_type,
            rating_window_s=config.rating_window_s,
            void_grace_s=config.void_grace_s,
            clock=clock,
        )
        self._state = CounterState(self._machine)

    def _record(self, drafts: Sequence[Draft]) -> None:
        self._store.append(drafts)

    # ---- the hall's roster (`[roster] managed_by = "hall_server"`) ------------------------

    def _start_roster(self, background: bool) -> None:
        """The hall server keeps the roster: pull it off the path to the first window."""
        self._roster = RosterCache.start(self._config, self._staff, background=background)

    def apply_pulled_roster(self) -> bool:
        """Cache the roster the background pull brought, if any (the writer's thread); True
        when the staff table changed. Also done at every sign-in."""
        return False if self._roster is None else self._roster.apply_pulled()

    def pull_roster_now(self) -> bool:
        """Pull the hall's roster on this thread and cache it; True when the staff table
        changed, False when it did not (or the roster is not the hall server's). SyncError
        when the hall server cannot be asked or its answer is refused."""
        return False if self._roster is None else self._roster.pull_now()

    # ---- what the counter is --------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    @property
    def database_path(self) -> Path:
        return paths.database_path(self._data_dir)

    @property
    def state(self) -> CounterState:
        """The state machine's state, read-only (phase, staff, running transaction, …)."""
        return self._state

    @property
    def is_demo(self) -> bool:
        """The data folder holds demo data (`counter-app demo-data`; its log's first event is
        the demo marker): both windows say "demo data"."""
        return self._is_demo

    @property
    def damaged(self) -> tuple[Path, str] | None:
        """Where a database that failed its check at start was moved, and what was wrong."""
        damage: Damage | None = self._folder.damaged
        return (damage.set_aside, damage.problem) if damage else None

    @property
    def chain_break(self) -> ChainBreak | None:
        """The break in the event chain found and recorded at this start, or None.

        Something changed stored events behind the app's back: the staff window and the
        manager view say so loudly. The events of the broken span are still uploaded, and
        head office records them as an incident."""
        return self._start_check.recorded

    @property
    def recovered(self) -> list[Event]:
        """Events written at start for what a crash left open (shown to staff once)."""
        return list(self._recovered)

    @property
    def interrupted_at_start(self) -> int:
        """Running transactions a crash left open, recorded as interrupted at start."""
        return sum(1 for e in self._recovered if e.kind == kinds.INTERRUPTED)

    # ---- the clerk's use cases --------------------------------------------------------------

    def sign_in(self, number: str, pin: str) -> Staff:
        """The signed-in staff member; SignInRefused, CounterError or StorageFailed.

        PinChangeRequired (a SignInRefused) when the PIN was right but is a manager's PIN
        shorter than six digits: nobody is signed in until `change_pin` has replaced it.
        """
        self._pin_change_for: str | None = None
        self.apply_pulled_roster()
        with storage_errors():
            try:
                staff = self._staff.sign_in(number, pin)
            except PinTooShort as exc:
                self._pin_change_for = exc.number
                raise PinChangeRequired(str(exc), exc.number) from None
            except SignInError as exc:
                raise SignInRefused(str(exc)) from None
            self._machine.sign_in(staff)
        return staff

    @property
    def pin_change_for(self) -> str | None:
        """The staff number whose last sign-in was refused only because its PIN must be
        changed first (PinChangeRequired), else None."""
        return getattr(self, "_pin_change_for", None)

    def change_pin(self, number: str, old: str, new: str) -> None:
        """Replace the account's PIN (recorded as an event); PinNotChanged when `old` does
        not sign in (counted like a wrong sign-in) or `new` does not suit the role."""
        with storage_errors():
            try:
                self._staff.change_pin(number, old, new)
            except SignInError as exc:
                raise PinNotChanged(str(exc)) from None
            except ValueError as exc:
                raise PinNotChanged(str(exc)) from None
        self._pin_change_for = None

    def sign_out(self) -> None:
        self._act(self._machine.sign_out)

    def start_transaction(self) -> None:
        self._act(self._machine.start)

    def complete(self) -> TimerReading:
        return self._act(self._machine.complete)

    def void(self) -> None:
        self._act(self._machine.void)

    def next_type(self) -> None:
        self._act(self._machine.next_type)

    def step_away(self, back_at: str) -> None:
        """Back soon (暂离) until `back_at` (a UTC record time); Start is refused until back."""
        self._act(lambda: self._machine.step_away(back_at))

    def come_back(self) -> None:
        """"I'm back": ends the absence."""
        self._act(self._machine.come_back)

    def change_type(self, code: str) -> None:
        self._act(lambda: self._machine.select_type(code))

    def give_overtime_reason(self, code: str) -> None:
        self._act(lambda: self._machine.give_overtime_reason(code))

    def rate(self, value: int) -> bool:
        return self._act(lambda: self._machine.rate(value))

    def give_rating_reason(self, code: str) -> bool:
        return self._act(lambda: self._machine.give_rating_reason(code))

    def set_order_number(self, order_no: str) -> str:
        """Record `order_number_set`: the business order number (typed or scanned) of the
        running transaction, else of the one whose rating window is open; its id. Never
        required; CounterError when there is no such transaction or the text is refused
        (a phone number above all: none is ever stored)."""
        run, rating = self._machine.running, self._machine.rating
        txn = run.txn if run is not None else (rating.txn if rating is not None else None)
        if txn is None:
            raise CounterError("Start a transaction first: the order number belongs to the "
                               "transaction being served")
        text = order_no.strip()
        problem = kinds.order_number_problem(text)
        if problem is not None:
            raise CounterError(f"The order number {problem}")
        with storage_errors():
            try:
                self._store.append([Draft(kinds.ORDER_NUMBER_SET,
                                          {"txn": txn, "order_no": text})])
            except kinds.InvalidEvent as exc:
                raise CounterError(exc.reason) from None
        return txn

    def expire(self) -> bool:
        """Close what has timed out (the rating window, the thank-you page)."""
        return self._act(self._machine.expire)

    def close_counter(self, reason: str = "closed") -> bool:
        """The app is closing: a running transaction is recorded as interrupted with its time
        so far (`reason` "closed" by the clerk, "shutdown" by the OS), an open rating window
        ends unrated, the clerk is signed out. True when anything was open."""
        was_open = self._machine.staff is not None or self._machine.running is not None
        self._act(lambda: self._machine.close_counter(reason))
        return was_open

    # ---- appeals (申诉): the clerk's own poor ratings of earlier days ---------------------------

    def _appellant(self) -> str:
        staff = self._machine.staff
        if staff is None:
            raise AppealRefused("Sign in first: only your own ratings can be appealed")
        if self._machine.phase is not Phase.IDLE:
            raise AppealRefused("Finish the current customer first")
        return staff.number

    def my_ratings(self) -> list[appeals.MyRating]:
        """The signed-in clerk's poor ratings (1–2) of earlier days (never today's: the
        customer may still be in the hall), by date only, newest first, with the appeal's
        state."""
        staff = self._appellant()
        tz = self._config.time_zone
        today = periods.today(tz)
        with storage_errors():
            rows = queries.my_poor_ratings(self._db, staff, periods.local_midnight_utc(today, tz))
        return appeals.my_ratings(rows, staff, today, lambda at: periods.local_date(at, tz))

    def appeal(self, txn: str, reason: str, note: str = "") -> None:
        """Record `rating_appealed`: the signed-in clerk appeals their own poor rating of an
        earlier day, once; a manager other than them decides it."""
        staff = self._appellant()
        if not any(r.txn == txn and r.state == appeals.NOT_APPEALED for r in self.my_ratings()):
            raise AppealRefused("Only your own poor ratings of earlier days can be appealed, "
                                "once each")
        try:
            draft = appeals.appeal(txn, staff, reason, note)
        except appeals.AppealError as exc:
            raise AppealRefused(str(exc)) from None
        try:
            self._act(lambda: self._store.append([draft]))
        except kinds.InvalidEvent as exc:
            raise AppealRefused(exc.reason) from None

    def _act(self, action: Callable[[], T]) -> T:
        with storage_errors():
            return action()

    def heartbeat(self) -> None:
        """Note the running transaction's time so far, for recovery after a crash (and
        cache a roster the background pull brought)."""
        self.apply_pulled_roster()
        run = self._machine.running
        if run is not None:
            with storage_errors():
                self._store.heartbeat(run.txn, run.timer.elapsed_s())

    # ---- upkeep and reads -------------------------------------------------------------------

    def backup_if_due(self) -> Path | None:
        """Today's backup when none was taken yet; a failure is logged, never raised."""
        try:
            # dated by the PC's own calendar: a file-keeping matter, not a business day
            return backup_if_due(self._db, paths.backups_dir(self._data_dir), dt.date.today())
        except Exception as exc:  # a failed backup must never stop the counter
            log.error("daily backup failed: %s", exc)
            return None

    def staff_name(self, number: str) -> str:
        return self._staff.names().get(number, number)

    def staff_names(self) -> dict[str, str]:
        with storage_errors():
            return self._staff.names()

    def served_today(self) -> int:
        """Transactions completed today (the hall's local day)."""
        today = periods.today(self._config.time_zone)
        with storage_errors():
            return completed_since(self._db,
                                   periods.local_midnight_utc(today, self._config.time_zone))

    def last_seq(self) -> int:
        """The sequence number of the newest event (the manager view notices new records)."""
        return self._store.last_seq()

    def manager(self, manager: str | None = None) -> ManagerSession:
        """The duty manager's reads and decisions on this counter's own database, or with
        `[hall_server]` on the hall mirror (application.hall_view: every counter of the hall).

        Decisions are recorded under `manager`, by default the signed-in manager's number
        (a neutral "manager" when nobody is).
        """
        signed_in = self._machine.staff
        number = manager or (signed_in.number if signed_in is not None
                             and signed_in.is_manager else "manager")
        hall = counter_hall_session(self._config, self.data_dir, self._db, number)
        if hall is not None:  # [hall_server]: the whole hall, from the mirror
            return hall
        data = LocalManagerData(self._db, self._config.time_zone,
                                calendar=cached_calendar(self._data_dir),
                                follow_up_days=self._config.follow_up_working_days)
        return ManagerSession(self._config, data, LocalManager(self._store, number))

    # ---- the nightly sync's bookkeeping -------------------------------------------------------

    def sync_status(self) -> SyncStatus | None:
        with storage_errors():
            return read_status(self._db)

    def record_sync_status(self, status: SyncStatus) -> SyncStatus:
        """Keep the sync's outcome (only the writer records it, on its own thread)."""
        with storage_errors():
            return record_status(self._db, status)

    def hall_status(self) -> SyncStatus | None:
        """The hall stream's last outcome (`hall.status`), apart from the nightly sync's."""
        with storage_errors():
            return read_hall_status(self._db)

    def record_hall_status(self, status: SyncStatus) -> SyncStatus:
        """Keep the hall stream's outcome and mark (`hall.*`), on the writer's thread."""
        with storage_errors():
            return record_hall_status(self._db, status)

    def presence(self) -> Presence:
        """What the counter is doing now, for the hall server's presence board."""
        machine = self._machine
        return presence_of(machine.presence_phase, machine.running, machine.staff, monotonic(),
                           back_at=machine.away.back_at if machine.away else None)

    def close(self) -> None:
        """Stop this counter's threads (the roster pull, the hall view's puller), then release
        the data folder."""
        if self._roster is not None:
            self._roster.stop()
        stop_counter_puller(self.data_dir)
        self._folder.close()
