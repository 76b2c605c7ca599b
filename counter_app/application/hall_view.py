"""The hall view: the manager view over every counter of the hall, from the hall server.

A manager desk (`counter-app manager`) and a counter with `[hall_server]` keep a MIRROR of the
hall (counter_app.storage.mirror): `HallPuller` pulls every chain of the hall from the hall
server (`GET /api/v1/hall/chains`, `GET /api/v1/hall/events`) every few seconds on a thread of
its own, and `HallMirrorData` answers `ManagerReadModel` from it with the very queries the
counter's own view uses, so the review queue, KPIs, charts, monthly summary and star cover the
whole hall (a clerk who worked at three counters is one row, the star rule's hall mean is the
hall's).

Decisions go through `HallManager`: each is an event of the chain of the desk or counter where
it was decided (its own data folder, its own EventStore, streamed to the hall server at once
by the HallStreamer, to head office at night), naming the transaction by its id. When two
chains decide one case the later one wins (ties by chain id) and decisions minutes apart are
flagged "decided twice" (counter_core.reviews.merge_decisions; rows carry `decided_twice`).

`Desk` is the manager desk process's application: its data folder (recorded as a desk), its
chain, its staff table for the sign-in, the streamer, the puller and the mirror.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counter_app.application.calendar import cached_calendar, refresh_calendar
from counter_app.application.errors import CannotOpen, InvalidDecision, StorageFailed
from counter_app.application.manager import (
    LocalManager,
    LocalManagerData,
    ManagerSession,
    MonthReport,
)
from counter_app.application.roster import RosterCache
from counter_app.application.sync import start_streaming
from counter_app.config import Config
from counter_app.storage import queries
from counter_app.storage.db import Database, DatabaseError
from counter_app.storage.events import app_version
from counter_app.storage.folder import COUNTER_FOLDER as COUNTER_FOLDER
from counter_app.storage.folder import DESK_FOLDER as DESK_FOLDER
from counter_app.storage.folder import FOLDER_KIND_KEY as FOLDER_KIND_KEY
from counter_app.storage.folder import claim_folder as claim_folder
from counter_app.storage.folder import folder_kind as folder_kind
from counter_app.storage.folder import open_data_folder
from counter_app.storage.mirror import (
    APPEAL_SUBJECT,
    HallDecisionStore,
    HallMirror,
    decided_twice,
    mirror_path,
    open_mirror,
    open_mirror_readonly,
    transaction_row,
)
from counter_app.storage.staff import SignInError, StaffDirectory
from counter_app.sync.hall_client import hall_client
from counter_app.sync.hall_stream import HallStreamer, record_hall_status
from counter_app.sync.protocol import API, HeadOfficeClient, SyncError
from counter_app.sync.state import SyncStatus
from counter_core import appeals
from counter_core.chain import CURRENT_FORMAT, Event
from counter_core.events import ALERT_ACKNOWLEDGED, validate_payload
from counter_core.figures import StarRule
from counter_core.reviews import BulkReview, ReviewError, overtime_review
from counter_core.transaction import Draft, Staff
from counter_core.workdays import DEFAULT_FOLLOW_UP_WORKING_DAYS, WorkCalendar

log = logging.getLogger(__name__)

__all__ = [
    "COUNTER_FOLDER", "DESK_FOLDER", "Desk", "HallManager", "HallMirrorData", "HallPuller",
    "NotADesk", "SignInError", "claim_folder", "counter_hall_session", "folder_kind",
    "hall_session", "pull_once", "stop_counter_puller", "stop_counter_pullers",
]

#: how often the mirror asks the hall server for new events
PULL_INTERVAL_S = 2.0
#: how often the mirror's puller asks the hall server for the working-day calendar
CALENDAR_EVERY_S = 300.0
PAGE = 500
#: `meta` key recording that a data folder is a manager desk's, not a counter's


class NotADesk(CannotOpen):
    """The desk cannot run: no [hall_server], or a counter's data folder."""


# ---- reading the hall --------------------------------------------------------------------------

class HallMirrorData(LocalManagerData):
    """`ManagerReadModel` over the hall mirror: every counter of the hall.

    `names`: the desk's (or counter's) own staff table, for the names the events never carry.
    Each review-queue row also says whether two chains decided it minutes apart
    (`decided_twice`, and `decided_by`: who decided, the winner first).
    """

    def __init__(self, mirror: Database, time_zone: str,
                 names: Database | None = None, *,
                 calendar: WorkCalendar | None = None,
                 follow_up_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS) -> None:
        super().__init__(mirror, time_zone, calendar=calendar, follow_up_days=follow_up_days)
        self._names = names

    def _flag(self, rows: list[dict[str, Any]],
              subjects: tuple[str, ...] = ("overtime", "rating")) -> list[dict[str, Any]]:
        twice = decided_twice(self._db)
        for row in rows:
            found = [twice[key] for key in ((row["txn"], s) for s in subjects) if key in twice]
            row["decided_twice"] = bool(found)
            row["decided_by"] = [[f["winner"], *f["rivals"]] for f in found]
        return rows

    def _marked(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every queue row (the queue, a page of it, a fresh row) flagged."""
        return self._flag(rows)

    def overtime_log(self, period: Any) -> list[dict[str, Any]]:
        return self._flag(super().overtime_log(period))

    def appeal_queue(self) -> list[dict[str, Any]]:
        """Every appeal of the hall; `decided_twice` when two chains decided it minutes
        apart (the later decision is the row's)."""
        return self._flag(super().appeal_queue(), (APPEAL_SUBJECT,))

    def month_report(self, month: str, rule: StarRule | None = None) -> MonthReport:
        """The month over the whole hall: one row per staff member whatever counters they
        worked at, the star rule's hall mean the hall's."""
        report = super().month_report(month, rule)
        return dataclasses.replace(report, names=self.staff_names())

    def star_decided_twice(self, month: str) -> bool:
        return (month,) in decided_twice(self._db)

    def star_deciders(self, month: str) -> list[dict[str, Any]]:
        """Who confirmed the month's star when two chains did it minutes apart, the one that
        counts first ({hall, counter, at, manager} each); [] otherwise."""
        found = decided_twice(self._db).get((month,))
        return [] if found is None else [found["winner"], *found["rivals"]]

    def staff_names(self) -> dict[str, str]:
        names = {k: v for k, v in super().staff_names().items() if v}
        if self._names is not None:
            names.update({k: v for k, v in queries.staff_names(self._names).items() if v})
        return names

    def counters(self) -> list[str]:
        """The counters whose transactions the mirror holds."""
        return [r[0] for r in self._db.execute(
            "SELECT DISTINCT counter FROM transactions ORDER BY counter")]


# ---- pulling the hall --------------------------------------------------------------------------

def _get(client: HeadOfficeClient, path: str, **params: Any) -> dict[str, Any]:
    # the protocol client's one request path: its errors (Refused, Unavailable, Untrusted)
    return client._call("GET", f"{API}{path}", params=params)


def pull_once(client: HeadOfficeClient, mirror: HallMirror) -> int:
    """Bring the mirror up to the hall server: every chain of the hall, from where the mirror
    stands; the number of new events. SyncError (Refused, Unavailable, …) when it cannot."""
    listing = _get(client, "/hall/chains")
    hall = str(listing["hall"])
    marks = mirror.marks()
    added = 0
    for chain in listing.get("chains", []):
        counter, kind = str(chain["counter"]), str(chain.get("kind", "counter"))
        after = marks.get((hall, counter), 0)
        held = int(chain.get("high_water_seq", 0))
        if held < after:  # the server holds less than the mirror: ask it all again
            mirror.restart(hall, counter)
            after = 0
        if held <= after:
            continue
        while True:
            page = _get(client, "/hall/events", counter=counter, after=after, limit=PAGE)
            pulled = [Event.from_dict(e) for e in page.get("events", [])]
            next_after = int(page.get("next_after", after))
            added += mirror.add(hall, counter, kind, pulled, next_after)
            if not page.get("more") or next_after <= after:
                break
            after = next_after
    return added


class HallPuller:
    """Keeps the mirror current on a daemon thread (never the UI's): it owns the mirror's one
    writer connection. `on_new` is called on that thread after each pull that brought events
    (hand it to the UI thread); `last_error` says why the last pull failed (None: it worked).
    """

    def __init__(self, config: Config, path: Path, *,
                 make_client: Callable[[], HeadOfficeClient] | None = None,
                 interval_s: float = PULL_INTERVAL_S,
                 on_new: Callable[[int], object] | None = None) -> None:
        self._config = config
        self._path = path
        self._make_client = make_client or (lambda: hall_client(config))
        self.interval_s = interval_s
        self.on_new = on_new
        self.last_error: str | None = None
        self.pulled = 0
        self.runs = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._calendar_due = 0.0  # at the first pull, then every CALENDAR_EVERY_S

    def start(self) -> HallPuller:
        open_mirror(self._path).conn.close()  # exists with its schema before anyone reads
        self._thread = threading.Thread(target=self._run, name="hall-mirror", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Pull now (after a decision, so it comes back from the hall at once)."""
        self._wake.set()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        db = open_mirror(self._path)
        mirror = HallMirror(db)
        client: HeadOfficeClient | None = None
        try:
            while not self._stop.is_set():
                try:
                    if client is None:
                        client = self._make_client()
                    added = pull_once(client, mirror)
                    if time.monotonic() >= self._calendar_due:
                        # the working-day calendar follow-ups are due by, as the hall
                        # server has it from head office (a failure keeps the cached copy)
                        self._calendar_due = time.monotonic() + CALENDAR_EVERY_S
                        refresh_calendar(self._path.parent, client)
                    self.last_error = None
                    self.pulled += added
                    if added and self.on_new is not None:
                        self.on_new(added)
                except SyncError as exc:
                    self.last_error = str(exc)
                except Exception as exc:  # a bad answer or a full disk: say so, go on
                    log.warning("hall mirror: pull failed: %s", exc)
                    self.last_error = f"{type(exc).__name__}: {exc}"
                self.runs += 1
                self._wake.wait(self.interval_s)
                self._wake.clear()
        finally:
            if client is not None:
                client.close()
            db.conn.close()


# ---- deciding in the hall ----------------------------------------------------------------------

class HallManager(LocalManager):
    """`ManagerDesk` for the hall view: decisions in this desk's (or counter's) own chain,
    about any transaction of the hall (checked against the mirror)."""

    def __init__(self, store: HallDecisionStore, manager: str,
                 after: Callable[[], object] | None = None) -> None:
        super().__init__(store, manager)
        self._hall_store = store
        self._after = after

    def review_overtime(self, txn: str, cause: str, note: str, *,
                        accept_type_change: bool = False) -> None:
        self._refuse_own_case(txn)
        change = (queries.type_change(self._hall_store.db, txn)
                  or queries.type_change(self._hall_store.mirror, txn))
        self._record(lambda: overtime_review(txn, cause, note, self.manager,
                                             type_change=change,
                                             accept_type_change=accept_type_change))
        self._done()

    def follow_up_rating(self, txn: str, *, called_back: bool, cause: str, resolved: bool,
                         note: str) -> None:
        super().follow_up_rating(txn, called_back=called_back, cause=cause,
                                 resolved=resolved, note=note)
        self._done()

    def confirm_star(self, month: str, staff: str, score: float | None) -> None:
        super().confirm_star(month, staff, score)
        self._done()

    def decide_appeal(self, txn: str, *, upheld: bool, note: str) -> None:
        """Record `appeal_decided` in this chain about any appeal of the hall: the
        transaction, its clerk and the appellant read from the mirror when this chain does
        not hold them; never by the appellant nor the transaction's clerk."""
        self._refuse_own_case(txn)
        appellant = self._hall_store.appellant(txn)

        def make() -> Draft:
            try:
                return appeals.decision(txn, upheld=upheld, by=self.manager, note=note,
                                        appellant=appellant)
            except appeals.AppealError as exc:
                raise ReviewError(str(exc)) from None

        self._record(make)
        self._done()

    def review_overtime_window(self, start_utc: str, end_utc: str, cause: str,
                               note: str) -> BulkReview:
        bulk = super().review_overtime_window(start_utc, end_utc, cause, note)
        self._done()
        return bulk

    def _overtime_cases(self, start_utc: str, end_utc: str) -> list[dict[str, Any]]:
        """The whole hall's cases, from the mirror (this chain holds none of the others')."""
        return queries.overtime_log(self._hall_store.mirror, start_utc, end_utc)

    def hand_over(self, txns: list[str], to_manager: str, note: str) -> None:
        super().hand_over(txns, to_manager, note)
        self._done()

    def acknowledge_alert(self, alert: str, kind: str, counter: str,
                          txn: str | None) -> None:
        """Record `alert_acknowledged` in this chain (streamed to the hall server at once,
        which marks the alert acknowledged by this manager when it ingests it)."""
        payload: dict[str, Any] = {"alert": alert, "alert_kind": kind, "counter": counter,
                                   "by": self.manager}
        if txn:
            payload["txn"] = txn
        self._record(lambda: _checked_ack(Draft(ALERT_ACKNOWLEDGED, payload)))

    def _refuse_own_case(self, txn: str) -> None:
        row = (self._hall_store.transaction(txn)
               or transaction_row(self._hall_store.mirror, txn))
        if row is not None and row["staff"] == self.manager:
            raise InvalidDecision("This is your own case: another manager decides it")

    def _done(self) -> None:
        if self._after is not None:
            self._after()


def _checked_ack(draft: Draft) -> Draft:
    problem = validate_payload(draft.kind, draft.payload)
    if problem is not None:
        raise ReviewError(f"Cannot record the acknowledgement: {problem}")
    return draft


def hall_session(config: Config, db: Database, hall: str, counter: str,
                 manager: str, mirror: Database,
                 after: Callable[[], object] | None = None,
                 data_dir: Path | None = None) -> ManagerSession:
    """The manager's session over the hall mirror, deciding into the chain of `db` (the
    desk's or counter's own database, on its writer's thread); follow-ups are due by the
    working-day calendar cached in `data_dir` (else the shipped one)."""
    store = HallDecisionStore(db, hall, counter, mirror=mirror)
    data = HallMirrorData(mirror, config.time_zone, names=db, calendar=cached_calendar(data_dir),
                          follow_up_days=config.follow_up_working_days)
    return ManagerSession(config, data, HallManager(store, manager, after))


# ---- the manager desk --------------------------------------------------------------------------

class Desk:
    """The manager desk: a PC that is not a counter, showing the whole hall.

    Its own data folder (recorded as a desk's: `folder.kind = desk` in `meta`) holds its own
    chain, whose events are the decisions made here, and its staff table (the managers who may
    sign in). `[hall_server]` is required: the desk streams its chain to it and mirrors the
    hall from it.
    """

    def __init__(self, config: Config, data_dir: Path, *,
                 pull_interval_s: float = PULL_INTERVAL_S,
                 on_new: Callable[[int], object] | None = None) -> None:
        if config.hall_server is None or not config.hall_server.url:
            raise NotADesk(
                f"the manager desk needs the hall server: add a [hall_server] table (url and "
                f"token_file of the desk's token from `counter-hq enroll --kind desk`) to "
                f"{config.source}; see docs/hall.md")
        self.config = config
        self.data_dir = data_dir
        try:
            self._folder = open_data_folder(data_dir,
                                            identity=(config.hall_id, config.counter_id))
        except DatabaseError as exc:
            raise CannotOpen(str(exc)) from None
        try:
            self.db = self._folder.db
            self._claim_desk_folder()
            self.mirror_path = mirror_path(data_dir)
            self.puller = HallPuller(config, self.mirror_path, interval_s=pull_interval_s,
                                     on_new=on_new)
            self.puller.start()
            self.mirror = open_mirror_readonly(self.mirror_path)
            self.store = HallDecisionStore(self.db, config.hall_id, config.counter_id,
                                           mirror=self.mirror)
            self.store.record_opening(app_version(), CURRENT_FORMAT)
            self.staff = StaffDirectory(self.db, self.store)
            # under `[roster] managed_by = "hall_server"` the desk caches the hall's roster as
            # a counter does: every clerk's name in the hall view, the hall's managers sign in
            self.roster: RosterCache | None = RosterCache.start(config, self.staff)
            self._statuses: queue.Queue[SyncStatus] = queue.Queue()
            self.streamer: HallStreamer | None = start_streaming(
                data_dir, config, record=self._statuses.put)
        except BaseException:
            self._folder.close()
            raise

    def _claim_desk_folder(self) -> None:
        kind = folder_kind(self.db)
        if kind == DESK_FOLDER:
            return
        if kind == COUNTER_FOLDER or self.db.execute(
                "SELECT 1 FROM transactions LIMIT 1").fetchone():
            raise NotADesk(f"{self.data_dir} is a counter's data folder: give the desk a data "
                           "folder of its own (--data-dir)")
        claim_folder(self.db, DESK_FOLDER)

    def has_manager(self) -> bool:
        return self.staff.has_manager()

    def sign_in(self, number: str, pin: str) -> Staff:
        """The manager of this number and PIN (SignInError otherwise, with the counter's
        lockout and throttle)."""
        self.apply_pulled_roster()
        return self.staff.authorize_manager(number.strip(), pin)

    def session(self, manager: str) -> ManagerSession:
        return hall_session(self.config, self.db, self.config.hall_id, self.config.counter_id,
                            manager, self.mirror, after=self.puller.wake,
                            data_dir=self.data_dir)

    def apply_pulled_roster(self) -> bool:
        """Cache the roster the background pull brought (this, the writer's, thread)."""
        if self.roster is None:
            return False
        try:
            return self.roster.apply_pulled()
        except StorageFailed as exc:  # the cache is a convenience: the desk goes on
            log.warning("desk: cannot cache the hall roster: %s", exc)
            return False

    def record_statuses(self) -> None:
        """The stream's outcomes, kept as `hall.*` on this (the writer's) thread, and the
        roster the background pull brought."""
        self.apply_pulled_roster()
        while True:
            try:
                status = self._statuses.get_nowait()
            except queue.Empty:
                return
            try:
                record_hall_status(self.db, status)
            except Exception as exc:  # the status is advisory: never stop the desk for it
                log.warning("desk: cannot record the stream status: %s", exc)

    def close(self) -> None:
        if self.streamer is not None:
            self.streamer.stop()
        if self.roster is not None:
            self.roster.stop()
        self.puller.stop()
        with contextlib.suppress(Exception):
            self.mirror.conn.close()
        self._folder.close()


def hall_reading_config(config: Config) -> Config:
    """The configuration whose `[hall_server]` token reads the hall: at a counter the hall's
    reader token (its own token reads its own status only), at a desk the desk's token."""
    server = config.hall_server
    if server is None or not (server.reader_token or server.reader_token_file):
        return config
    reader = dataclasses.replace(server, token=server.reader_token,
                                 token_file=server.reader_token_file)
    return dataclasses.replace(config, hall_server=reader)


def counter_hall_session(config: Config, data_dir: Path, db: Database,
                         manager: str) -> ManagerSession | None:
    """The hall view for a manager at a counter with `[hall_server]` and the hall's reader
    token in it (`reader_token` or `reader_token_file`; None without them, and the view stays
    the counter's own): the mirror in the counter's data folder, kept by one puller per folder
    for the life of the process; decisions go into the counter's own chain."""
    if config.hall_server is None or not config.hall_server.url:
        return None
    server = config.hall_server
    if not (server.reader_token or server.reader_token_file):
        return None  # a counter's own token reads its own status only: the view stays local
    reading = hall_reading_config(config)
    path = mirror_path(data_dir)
    with _PULLERS_LOCK:
        puller = _PULLERS.get(path)
        if puller is None or not puller.alive:
            try:
                puller = HallPuller(reading, path).start()
            except DatabaseError as exc:
                raise StorageFailed(str(exc)) from exc
            _PULLERS[path] = puller
    mirror = open_mirror_readonly(path)
    return hall_session(config, db, config.hall_id, config.counter_id, manager, mirror,
                        after=puller.wake, data_dir=data_dir)


_PULLERS: dict[Path, HallPuller] = {}
_PULLERS_LOCK = threading.Lock()


def stop_counter_puller(data_dir: Path) -> None:
    """Stop the puller of this counter's mirror, if one runs (the counter's close)."""
    with _PULLERS_LOCK:
        puller = _PULLERS.pop(mirror_path(data_dir), None)
    if puller is not None:
        puller.stop()


def stop_counter_pullers() -> None:
    """Stop the counters' pullers (tests)."""
    with _PULLERS_LOCK:
        for puller in _PULLERS.values():
            puller.stop()
        _PULLERS.clear()

