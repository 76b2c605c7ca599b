"""The live stream to the hall server (`[hall_server]`): every committed event goes up within
seconds, and a lossy presence signal says what the counter is doing right now.

`HallStreamer` runs on daemon threads of its own, never the UI's. It only READS the counter
database (through the read-only connections `open_log` gives) and keeps its own mark, apart
from the nightly head-office sync's: the mark and status it learns are handed to `record`,
which the app runs on the writer's thread (`Counter.record_hall_status`) as `hall.acked_seq`
and `hall.status` in the meta table. Each run asks the hall server where it stands and
uploads from there (`Uploader`), so a rebuilt, empty hall server gets everything again from
sequence 1, whatever mark the counter remembers.

It is woken at every commit (`counter_app.storage.events.add_commit_listener`) and also looks
every `interval_s` seconds; a failure backs off exponentially up to `MAX_BACKOFF_S`, and the
next success catches up on everything committed meanwhile. Anchors go to the hall server too.

Presence is state, never an event: the latest snapshot is sent every `PRESENCE_INTERVAL_S`
and at once when it changes; a send that fails is dropped, never queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any

from counter_app.config import Config
from counter_app.storage.db import Database, write_transaction
from counter_app.storage.events import add_commit_listener, remove_commit_listener
from counter_app.sync.anchors import DEFAULT_INTERVAL_S, try_send_anchor
from counter_app.sync.hall_client import hall_client
from counter_app.sync.protocol import API, HeadOfficeClient, SyncError
from counter_app.sync.scheduler import backoff_delay
from counter_app.sync.state import SyncStatus
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from counter_core.periods import format_utc, utc_now
from counter_core.transaction import Phase, Running, Staff

log = logging.getLogger(__name__)

ACKED_KEY = "hall.acked_seq"
STATUS_KEY = "hall.status"
#: the longest wait after failures (the LAN is back within this of its return)
MAX_BACKOFF_S = 30.0
BACKOFF_BASE_S = 1.0
PRESENCE_INTERVAL_S = 3.0
#: while nothing new is committed, the hall server is asked where it stands this often (not
#: at every look): a hall server rebuilt empty, or restored from an older backup, is found
#: and filled within it; a commit is streamed at once whatever this says
CONFIRM_INTERVAL_S = 30.0
#: the hall server takes no elapsed time over a day (head_office.routes.presence)
MAX_PRESENCE_S = 86400.0
OpenLog = Callable[[], AbstractContextManager[LocalLog]]
ClientFactory = Callable[[], HeadOfficeClient]


# ---- the mark, on the writer's connection ---------------------------------------------------

def read_hall_status(db: Database) -> SyncStatus | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [STATUS_KEY]).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return SyncStatus.from_json(row[0])
    except (ValueError, TypeError, OverflowError) as exc:
        log.warning("ignoring the stored hall stream status (%s)", exc)
        return None


def read_hall_acked_seq(db: Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [ACKED_KEY]).fetchone()
    text = None if row is None else row[0]
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else 0


def record_hall_status(db: Database, status: SyncStatus) -> SyncStatus:
    """Keep a stream run's outcome as `hall.*` (never `sync.*`); the WRITER's thread only.

    The mark is the hall server's answer, also when it is below the one kept (a rebuilt
    hall server): the stream starts again from where the server stands."""
    stored = status.after(read_hall_status(db))
    with write_transaction(db.conn) as conn:
        if stored.acked_seq is not None:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                         [ACKED_KEY, str(stored.acked_seq)])
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [STATUS_KEY, stored.to_json()])
    return stored


# ---- presence ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Presence:
    """The counter's state at one monotonic instant (`taken_mono`); `body()` brings the
    elapsed time of a running transaction up to the moment of sending."""

    phase: str
    txn: str | None = None
    started_at: str | None = None
    elapsed_s: float | None = None
    target_s: float | None = None
    staff: str | None = None
    type: str | None = None  # serving: the transaction type's code
    back_at: str | None = None  # phase "away": the return time the clerk picked (UTC)
    taken_mono: float = 0.0

    def body(self, now_mono: float) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items()
               if k != "taken_mono" and not (k in ("back_at", "type") and v is None)}
        if self.elapsed_s is not None:
            elapsed = self.elapsed_s + max(0.0, now_mono - self.taken_mono)
            out["elapsed_s"] = round(min(elapsed, MAX_PRESENCE_S), 3)
        return out

    def same_state(self, other: Presence | None) -> bool:
        """Whether `other` shows the same phase, transaction, type, target, staff and return
        time."""
        return other is not None and (
            self.phase, self.txn, self.type, self.target_s, self.staff, self.back_at) == (
            other.phase, other.txn, other.type, other.target_s, other.staff, other.back_at)


def presence_of(phase: Phase | str, running: Running | None, staff: Staff | None,
                now_mono: float, *, back_at: str | None = None) -> Presence:
    """The presence of a counter in `phase` (a Phase, or the board's phase name: "rating",
    "away") with `running` (its own monotonic clock)."""
    name = phase.value if isinstance(phase, Phase) else phase
    if running is None:
        return Presence(name, staff=staff.number if staff else None, taken_mono=now_mono,
                        back_at=back_at if name == "away" else None)
    elapsed = running.timer.elapsed_s()
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=elapsed)
    return Presence(
        name, txn=running.txn, type=running.type.code, started_at=format_utc(started),
        elapsed_s=elapsed, target_s=running.timer.target_s,
        staff=staff.number if staff else None, taken_mono=now_mono)


def send_presence(client: HeadOfficeClient, presence: Presence,
                  now_mono: float | None = None) -> bool:
    """POST /presence once; False (dropped, logged at debug) when it did not get through."""
    try:
        client._call("POST", f"{API}/presence",  # the protocol client's one request path
                     json=presence.body(time.monotonic() if now_mono is None else now_mono))
    except SyncError as exc:
        log.debug("presence dropped: %s", exc)
        return False
    return True


# ---- the streamer -----------------------------------------------------------------------------

class HallStreamer:
    """Streams the counter's events and presence to the hall server, on daemon threads."""

    def __init__(self, open_log: OpenLog, make_client: ClientFactory, *,
                 interval_s: float = 1.0,
                 record: Callable[[SyncStatus], object] | None = None,
                 anchor_interval_s: float = DEFAULT_INTERVAL_S,
                 presence_interval_s: float = PRESENCE_INTERVAL_S,
                 confirm_interval_s: float = CONFIRM_INTERVAL_S,
                 max_backoff_s: float = MAX_BACKOFF_S,
                 rng: random.Random | None = None) -> None:
        self._open_log = open_log
        self._make_client = make_client
        self.interval_s = interval_s
        self._record = record
        self.anchor_interval_s = anchor_interval_s
        self.presence_interval_s = presence_interval_s
        self.confirm_interval_s = confirm_interval_s
        self.max_backoff_s = max_backoff_s
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake_stream = threading.Event()
        self._wake_presence = threading.Event()
        self._threads: list[threading.Thread] = []
        self._presence: Presence | None = None
        self._presence_lock = threading.Lock()
        #: consecutive failed runs; the wait before the next is backoff_delay(failures)
        self.failures = 0
        #: the last run's outcome and the hall server's mark as last learnt
        self.status: SyncStatus | None = None
        self.acked_seq: int | None = None
        self.runs = 0
        #: looks that found nothing new since the hall server's last answer: no request
        self.quiet_looks = 0
        self._last_answer = -float("inf")  # monotonic time of the last successful run
        self.presence_sent = 0
        self._last_anchor = -float("inf")
        self._recorded: tuple[bool, int | None, str | None] | None = None
        #: the stream's client, kept from one run to the next while they succeed: a client
        #: is a TLS context (the system's trust store, ~50 ms of CPU to load) and a connection
        self._client: HeadOfficeClient | None = None

    # -- control ---------------------------------------------------------------------------

    def start(self) -> HallStreamer:
        if not self._threads:
            add_commit_listener(self.wake)
            for name, target in (("hall-stream", self._stream),
                                 ("hall-presence", self._send_presence)):
                thread = threading.Thread(target=target, name=name, daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop between requests; one still in flight is left to its daemon thread (the
        client's timeouts end it), and what it did not send goes at the next start."""
        remove_commit_listener(self.wake)
        self._stop.set()
        self._wake_stream.set()
        self._wake_presence.set()
        for thread in self._threads:
            thread.join(timeout_s)
        if not any(thread.is_alive() for thread in self._threads):
            self._drop_client()  # else the run in flight still uses it
        self._threads = []

    def wake(self) -> None:
        """An event was committed: stream now (any thread; never blocks)."""
        self._wake_stream.set()

    def set_presence(self, presence: Presence) -> None:
        """The counter's current state; sent at once when it changed, else at the next tick."""
        with self._presence_lock:
            changed = not presence.same_state(self._presence)
            self._presence = presence
        if changed:
            self._wake_presence.set()

    # -- the event stream ---------------------------------------------------------------------

    def run_once(self) -> SyncStatus:
        """One look: ask the hall server where it stands and upload the rest (never raises).

        A look that finds nothing committed since the hall server last said it holds
        everything sends nothing (15 counters asking every second were most of an idle hall
        server's CPU), unless `confirm_interval_s` has passed since that answer or an anchor
        is due."""
        try:
            with self._open_log() as local:
                quiet = self._quiet_answer(local.last_seq())
            if quiet is not None:
                self.quiet_looks += 1
                return quiet
            with self._open_log() as local:
                client = self._client = self._client or self._make_client()
                status = Uploader(local, client, retry=RetryPolicy(attempts=1),
                                  cancelled=self._stop.is_set, sleep=lambda _s: None).run()
                due = time.monotonic() - self._last_anchor >= self.anchor_interval_s
                if status.ok and due and try_send_anchor(local, client):
                    self._last_anchor = time.monotonic()
        except Exception as exc:  # the configuration, the database: next time
            status = SyncStatus(ok=False, finished_at=utc_now(), error=f"hall stream: {exc}")
        if not status.ok:
            # a fresh client next time: a new token file, TLS settings or connection
            self._drop_client()
        self.runs += 1
        self.status = status
        if status.acked_seq is not None:
            self.acked_seq = status.acked_seq
        if status.ok:
            self._last_answer = time.monotonic()
        self.failures = 0 if status.ok else self.failures + 1
        # kept when it says something new (a run a second must not mean a write a second)
        news = (status.ok, status.acked_seq, status.error)
        if self._record is not None and news != self._recorded:
            self._recorded = news
            try:
                self._record(status)
            except Exception as exc:  # the status is a convenience; the stream goes on
                log.warning("could not record the hall stream status: %s", exc)
        return status

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception as exc:  # closing a broken connection: nothing left to do
                log.debug("hall stream: closing the client: %s", exc)

    def _quiet_answer(self, head: int) -> SyncStatus | None:
        """The last run's status when the hall server said, recently enough, that it holds
        everything up to `head` and no anchor is due; None when it must be asked."""
        now = time.monotonic()
        status = self.status
        if (status is not None and status.ok and self.acked_seq == head
                and now - self._last_answer < self.confirm_interval_s
                and now - self._last_anchor < self.anchor_interval_s):
            return status
        return None

    def next_wait(self, status: SyncStatus) -> float:
        """Seconds until the next look: none while events are left, the interval when all
        went up, an exponential backoff (capped) after a failure."""
        if status.ok:
            return 0.0 if (status.pending or 0) > 0 else self.interval_s
        wait = backoff_delay(self.failures, base_s=BACKOFF_BASE_S, cap_s=self.max_backoff_s,
                             rng=self._rng)
        return min(max(wait, status.retry_after or 0.0), self.max_backoff_s)

    def _stream(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake_stream.clear()
                status = self.run_once()
                wait = self.next_wait(status)
                if not status.ok:
                    log.info("hall server unavailable (%s); next try in %.1f s", status.error,
                             wait)
                    # a commit does not cut a backoff short: the LAN is down either way
                    self._stop.wait(wait)
                elif wait > 0:
                    self._wake_stream.wait(wait)
        finally:
            self._drop_client()

    # -- presence -------------------------------------------------------------------------------

    def _send_presence(self) -> None:
        client: HeadOfficeClient | None = None
        try:
            while not self._stop.is_set():
                self._wake_presence.clear()
                with self._presence_lock:
                    presence = self._presence
                if presence is not None:
                    try:
                        client = client or self._make_client()
                        self.presence_sent += send_presence(client, presence)
                    except Exception as exc:  # lossy: dropped, never queued
                        log.debug("presence dropped: %s", exc)
                self._wake_presence.wait(self.presence_interval_s)
        finally:
            if client is not None:
                client.close()


def start_hall_stream(config: Config, open_log: OpenLog, *,
                      record: Callable[[SyncStatus], object] | None = None,
                      make_client: ClientFactory | None = None) -> HallStreamer | None:
    """Start streaming to `[hall_server]`, or None when the configuration names none."""
    if config.hall_server is None:
        return None
    streamer = HallStreamer(open_log, make_client or (lambda: hall_client(config)),
                            interval_s=config.hall_server.stream_interval_s, record=record,
                            anchor_interval_s=config.hall_server.anchor_interval_s)
    return streamer.start()

