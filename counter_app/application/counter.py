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
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

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
from counter_app.application.roster import RosterCache
from counter_app.config import Config
from counter_app.storage.central import read_central_settings, write_central_settings
from counter_app.storage.counts import completed_since, is_demo_log
from counter_app.storage.db import DatabaseError, backup_if_due
from counter_app.storage.db import EarlyCheck as EarlyCheck  # for the UI's start (run_app)
from counter_app.storage.events import EventStore, StartCheck, app_version, verify_at_start
from counter_app.storage.folder import (
    COUNTER_FOLDER,
    DESK_FOLDER,
    Damage,
    DataFolderLocked,
    OpenFolder,
    claim_folder,
    folder_kind,
    open_data_folder,
)
from counter_app.storage.staff import PinChangeRequired as PinTooShort
from counter_app.storage.staff import (
    SignInError,
    StaffDirectory,
    ensure_demo_accounts,
)
from counter_app.sync.authority import COUNTER, authority_of, managed_centrally
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

if TYPE_CHECKING:  # the sync stack loads once a pull or the hall stream needs it; the
    # manager's reads once a manager signs in
    from counter_app.application.manager import ManagerSession
    from counter_app.sync.hall_stream import Presence
    from counter_app.sync.roster_pull import DocumentPuller
    from counter_app.sync.settings_pull import CentralSettings
    from counter_core.figures import OwnMonth

log = logging.getLogger(__name__)
#: the hall mirror's module, imported when a manager opens the hall view (not at start)
_HALL_VIEW = "counter_app.application.hall_view"
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


def open_folder(data_dir: Path, identity: tuple[str, str] | None = None,
                early: EarlyCheck | None = None) -> OpenFolder:
    """The data folder opened as its writer, refusals as the application's exceptions.

    `identity` (hall, counter): recorded in a new folder, a folder of another one refused.
    `early`: the database's check begun ahead (`storage.db.begin_check`)."""
    try:
        return open_data_folder(data_dir, identity=identity, early=early)
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

    def can_extend_rating(self) -> bool:
        """Whether "need more time" would lengthen the open rating window now."""
        return self._machine.can_extend_rating()

    @property
    def rating_extended(self) -> bool:
        """The open rating window was lengthened by "need more time"."""
        rating = self._machine.rating
        return rating is not None and bool(rating.extended_s)

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
                 pull_roster: bool = True, pull_settings: bool | None = None,
                 pull_later: bool = False, early_check: EarlyCheck | None = None) -> None:
        """`pull_roster`: under `[roster] managed_by = "hall_server"` (or "head_office"), pull
        the hall's roster on a background thread now and every 5 minutes (False: only
        `pull_roster_now`). `pull_settings` (default: as `pull_roster`): the same for head
        office's central settings under `[settings] managed_by = "head_office"`.
        `pull_later`: neither puller is made (nor httpx or cryptography loaded) until
        `start_pulls()`, which the app calls once its windows are shown. `early_check`: the
        database's integrity check begun ahead (`storage.db.begin_check`: the app's start
        runs it while Qt loads), whose answer the open uses."""
        self._config = config
        self._data_dir = data_dir
        self._roster: RosterCache | None = None
        self._settings: DocumentPuller[CentralSettings] | None = None
        #: the central settings version in force (None: the TOML's)
        self._settings_version: int | None = None
        self._folder = open_folder(data_dir, (config.hall_id, config.counter_id),
                                   early_check)
        try:
            with storage_errors():
                self._open(clock, demo_accounts)
            if backup_now:
                self.backup_if_due()
            if not pull_later:
                self._start_roster(pull_roster)
                self._start_settings(pull_roster if pull_settings is None else pull_settings)
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
        hall_roster = authority_of(config) != COUNTER
        if (config.is_demo if demo_accounts is None else demo_accounts) and not hall_roster:
            ensure_demo_accounts(self._staff)
        self._recovered: list[Event] = self._store.recover_interrupted()
        config = self._central_at_start(config)
        self._machine = CounterMachine(
            types=config.types,
            record=self._record,
            default_type=config.default_type,
            rating_window_s=config.rating_window_s,
            rating_extension_s=config.rating_extension_s,
            void_grace_s=config.void_grace_s,
            clock=clock,
            settings_version=self._settings_version,
        )
        self._state = CounterState(self._machine)

    def _record(self, drafts: Sequence[Draft]) -> None:
        self._store.append(drafts)

    # ---- head office's central settings (`[settings] managed_by = "head_office"`) ---------

    def _central_at_start(self, config: Config) -> Config:
        """The configuration with the cached central settings applied (verified again), or
        the TOML's as it is (no cache, or one that no longer verifies)."""
        if not managed_centrally(config):
            return config
        from counter_app.sync import settings_pull as central_settings

        cached = central_settings.from_cache(read_central_settings(self._db), config)
        if cached is None:
            return config
        self._settings_version = cached.version
        self._config = central_settings.apply(config, cached)
        log.info("central settings version %d applied (cached)", cached.version)
        return self._config

    def start_pulls(self) -> None:
        """The background pulls of roster and settings a `pull_later` start left for now."""
        if self._roster is None:
            self._start_roster(True)
        if self._settings is None:
            self._start_settings(True)

    def _start_settings(self, background: bool) -> None:
        """Pull head office's settings off the path to the first window."""
        if not managed_centrally(self._config):
            return
        from counter_app.sync.settings_pull import settings_puller

        etag = None if self._settings_version is None else f'"settings-{self._settings_version}"'
        self._settings = settings_puller(self._config, etag=etag, start=background)

    @property
    def settings_version(self) -> int | None:
        """The central settings version the counter runs under (None: its TOML's)."""
        return self._settings_version

    def apply_pulled_settings(self) -> bool:
        """Cache and apply the central settings the background pull brought, at an idle
        moment (no transaction running, no rating window open, no overtime reason owed);
        True when a new version took effect. Also done at every sign-in and heartbeat; a
        version that arrives mid-transaction waits for the next idle moment (or start)."""
        if self._settings is None:
            return False
        found = self._settings.take()
        if found is None:
            return False
        if not self._machine.is_idle:
            self._settings.give_back(found)
            return False
        if found.version == self._settings_version:
            return False
        from counter_app.sync import settings_pull as central_settings

        with storage_errors():
            write_central_settings(self._db, found.cache_text())
        self._config = central_settings.apply(self._config, found)
        self._machine.replace_types(self._config.types, self._config.default_type,
                                    found.version)
        self._settings_version = found.version
        log.info("central settings version %d applied: %d transaction types", found.version,
                 len(found.settings.types))
        return True

    def pull_settings_now(self) -> bool:
        """Pull head office's settings on this thread and apply them if idle; True when a new
        version took effect. SyncError when head office cannot be asked, or its document is
        refused (unsigned, altered, another hall's, against the rules): the cache stays."""
        if self._settings is None:
            return False
        self._settings.pull_once()
        return self.apply_pulled_settings()

    # ---- the hall's roster (`[roster] managed_by = "hall_server"`) ------------------------

    def _start_roster(self, background: bool) -> None:
        """The hall server or head office keeps the roster: pull it off the path to the first
        window."""
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
        self.apply_pulled_settings()
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

    def extend_rating(self) -> bool:
        """"Need more time" on the customer screen: the rating window lengthened, once."""
        return self._machine.extend_rating()

    def star_month(self, number: str) -> str | None:
        """The month (YYYY-MM, this one or the last, in the hall's zone) for which `number`
        was confirmed the hall's service star, the later one; None when neither. Read from
        the hall mirror when the counter keeps one (a star confirmed at the manager desk),
        else from the counter's own chain."""
        this = periods.today(self._config.time_zone).replace(day=1)
        months = [this.strftime("%Y-%m"), (this - dt.timedelta(days=1)).strftime("%Y-%m")]
        sources = [self._db]
        from counter_app.storage import queries  # the read models load when first asked
        from counter_app.storage.mirror import mirror_path, open_mirror_readonly

        mirror = mirror_path(self._data_dir)
        if mirror.exists():
            try:
                sources.insert(0, open_mirror_readonly(mirror))
            except DatabaseError:
                log.warning("hall mirror unreadable: the star comes from this counter only")
        try:
            with storage_errors():
                for month in months:
                    for db in sources:
                        star = queries.confirmed_star(db, month)
                        if star is not None:
                            if star["staff"] == number:
                                return month
                            break  # the first source that knows the month decides it
            return None
        finally:
            for db in sources[:-1]:
                db.conn.close()

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
        from counter_app.storage import queries

        staff = self._appellant()
        tz = self._config.time_zone
        today = periods.today(tz)
        with storage_errors():
            rows = queries.my_poor_ratings(self._db, staff, periods.local_midnight_utc(today, tz))
        return appeals.my_ratings(rows, staff, today, lambda at: periods.local_date(at, tz))

    def my_figures(self, now: dt.datetime | None = None) -> list[OwnMonth]:
        """The signed-in clerk's own figures for this month and last (the hall's months), from
        this counter's records; never another clerk's."""
        staff = self._machine.staff
        if staff is None:
            raise AppealRefused("Sign in first: only your own figures are shown")
        tz = self._config.time_zone
        this = periods.today(tz, now).replace(day=1)
        last = (this - dt.timedelta(days=1)).replace(day=1)
        from counter_app.storage import queries
        from counter_core import figures

        out = []
        for first in (this, last):
            month = first.strftime("%Y-%m")
            period = periods.month_period(month, tz)
            with storage_errors():
                rows = queries.kpi_rows(self._db, period.start_utc, period.end_utc,
                                        staff=staff.number)
            out.append(figures.own_month(rows, staff.number, month))
        return out

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
        cache a roster, and apply settings, the background pulls brought)."""
        self.apply_pulled_roster()
        self.apply_pulled_settings()
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
        from counter_app.application.hall_view import counter_hall_session  # the hall mirror
        from counter_app.application.manager import LocalManager, LocalManagerData, ManagerSession

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
        from counter_app.sync.hall_stream import read_hall_status

        with storage_errors():
            return read_hall_status(self._db)

    def record_hall_status(self, status: SyncStatus) -> SyncStatus:
        """Keep the hall stream's outcome and mark (`hall.*`), on the writer's thread."""
        from counter_app.sync.hall_stream import record_hall_status

        with storage_errors():
            return record_hall_status(self._db, status)

    def presence(self) -> Presence:
        """What the counter is doing now, for the hall server's presence board."""
        from counter_app.sync.hall_stream import presence_of

        machine = self._machine
        return presence_of(machine.presence_phase, machine.running, machine.staff, monotonic(),
                           back_at=machine.away.back_at if machine.away else None)

    def close(self) -> None:
        """Stop this counter's threads (the roster pull, the hall view's puller), then release
        the data folder."""
        if self._roster is not None:
            self._roster.stop()
        if self._settings is not None:
            self._settings.stop()
        if _HALL_VIEW in sys.modules:  # never imported: no mirror puller can be running
            sys.modules[_HALL_VIEW].stop_counter_puller(self.data_dir)
        self._folder.close()
