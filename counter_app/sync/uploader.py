"""Upload the events head office has not acknowledged, in batches, resuming where it stands.

Runs on any thread: it only READS the counter database (through its own read-only connection)
and returns a SyncStatus; the writer thread records that status and mark afterwards.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from counter_app.storage.db import Database
from counter_app.storage.events import EventStore, recorded_breaks, stored_events
from counter_app.sync.protocol import (
    EMPTY_BATCH_BYTES,
    MAX_BODY_BYTES,
    MAX_EVENTS,
    HeadOfficeClient,
    Refused,
    SyncError,
    Unavailable,
    UploadAnswer,
    batch_body,
    encode_event,
)
from counter_app.sync.scheduler import backoff_delay
from counter_app.sync.state import SyncStatus
from counter_core.chain import ChainBreak, Event
from counter_core.periods import utc_now

log = logging.getLogger(__name__)

T = TypeVar("T")


class Cancelled(SyncError):
    """The app is closing: stop between requests."""


@dataclass
class RetryPolicy:
    """Retries of one request within a sync run; the scheduler retries whole runs later."""

    attempts: int = 6
    base_s: float = 1.0
    cap_s: float = 60.0
    max_wait_s: float = 300.0  # a longer Retry-After ends the run; the scheduler comes back
    rng: random.Random = field(default_factory=random.Random)


class LocalLog:
    """Read-only view of the counter's event log for uploading, through the event store's
    reading methods (it never appends: the connection may well be read-only)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # hall and counter only label appended events; reading does not use them
        self._store = EventStore(db, hall="", counter="")

    def last_seq(self) -> int:
        return self._store.last_seq()

    def hash_at(self, seq: int) -> str | None:
        if seq < 1:
            return None
        found = next(self._store.events(after_seq=seq - 1, limit=1), None)
        return found.hash if found is not None and found.seq == seq else None

    def after(self, seq: int, limit: int) -> list[Event]:
        # a damaged payload (not even JSON) is still uploaded, as the evidence it is
        return stored_events(self.db, seq, limit)

    def breaks(self, after_seq: int = 0) -> list[ChainBreak]:
        """The breaks the counter recorded (`chain_break_detected`) after `after_seq`."""
        return recorded_breaks(self.db, after_seq)


def encode_fitting(events: Sequence[Event], max_bytes: int = MAX_BODY_BYTES) -> list[bytes]:
    """The encodings (`encode_event`) of the longest prefix of the events whose upload body
    stays within `max_bytes` (at least one event, when there is one); each event is encoded
    once, and encoding stops at the first that does not fit."""
    encoded: list[bytes] = []
    total = EMPTY_BATCH_BYTES
    for ev in events:
        part = encode_event(ev)
        total += len(part) + (1 if encoded else 0)  # and the comma before it
        if total > max_bytes and encoded:
            break
        encoded.append(part)
    return encoded


def fit_batch(events: list[Event], max_bytes: int = MAX_BODY_BYTES) -> list[Event]:
    """The longest prefix whose upload body stays within `max_bytes` (at least one event)."""
    return events[:len(encode_fitting(events, max_bytes))]


@dataclass(frozen=True)
class _Batch:
    """A batch read from the log and encoded: the mark it continues, its last sequence and
    its upload body (before gzip)."""

    after: int
    last: int
    body: bytes


class Uploader:
    """One sync run: ask head office where it stands, then upload the rest in batches."""

    def __init__(
        self,
        log_: LocalLog,
        client: HeadOfficeClient,
        *,
        batch_events: int = MAX_EVENTS,
        max_bytes: int = MAX_BODY_BYTES,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.local = log_
        self.client = client
        self.batch_events = batch_events
        self.max_bytes = max_bytes
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.cancelled = cancelled
        self.on_progress = on_progress
        #: this run's events head office marked invalid and reviews it held pending
        self.marked_invalid = 0
        self.held_pending = 0

    def run(self) -> SyncStatus:
        """Never raises for sync problems: the returned status says what happened."""
        self.marked_invalid = self.held_pending = 0
        local_seq = self.local.last_seq()
        acked: int | None = None
        start: int | None = None
        try:
            mark = self._with_retries(self.client.status)
            acked = start = mark.seq
            self._check_same_history(mark.seq, mark.hash, local_seq)
            breaks = self.local.breaks(acked)
            # one upload in flight at a time, sent from this thread pool; meanwhile this thread
            # (which owns the database connection) reads and encodes the next batch
            with ThreadPoolExecutor(1, thread_name_prefix="sync-upload") as sender:
                ready: _Batch | None = None
                while acked < local_seq:
                    if self.cancelled():
                        raise Cancelled("sync stopped: the app is closing")
                    brk = _next_break(breaks, acked)
                    if brk is not None and acked >= brk.last_good_seq:
                        # head office holds the good prefix: the broken span goes up as
                        # evidence with the break event that accounts for it
                        acked = self._upload_broken_span(brk, acked)
                        continue
                    batch = ready if ready is not None and ready.after == acked \
                        else self._prepare(acked, brk)
                    sending = sender.submit(self._with_retries,
                                            functools.partial(self.client.upload_body,
                                                              batch.body))
                    ready = self._prepare_next(batch, breaks, local_seq)
                    answer = sending.result()
                    self._note_marks(answer)
                    if answer.conflicts:
                        raise Refused(409, f"head office holds different events at sequence "
                                           f"{', '.join(map(str, answer.conflicts[:5]))}; "
                                           "it has recorded the conflict for head office staff")
                    if answer.high_water.seq <= acked:
                        raise SyncError(f"head office did not move past sequence {acked}")
                    acked = answer.high_water.seq
                    if self.on_progress:
                        self.on_progress(acked)
        except SyncError as exc:
            log.warning("sync failed: %s", exc)
            return SyncStatus(
                ok=False, finished_at=utc_now(), sent=_sent(start, acked), acked_seq=acked,
                local_seq=local_seq, error=str(exc), permanent=isinstance(exc, Refused),
                retry_after=exc.retry_after if isinstance(exc, Unavailable) else None,
                marked_invalid=self.marked_invalid, held_pending=self.held_pending,
            )
        return SyncStatus(ok=True, finished_at=utc_now(), sent=_sent(start, acked),
                          acked_seq=acked, local_seq=local_seq,
                          marked_invalid=self.marked_invalid, held_pending=self.held_pending)

    def _prepare(self, acked: int, brk: ChainBreak | None) -> _Batch:
        """The batch after `acked`: as many events as fit, stopping before a broken span;
        each event encoded once, the body put together from those bytes."""
        limit = self.batch_events
        if brk is not None:  # stop before the broken span
            limit = min(limit, brk.last_good_seq - acked)
        events = self.local.after(acked, limit)
        encoded = encode_fitting(events, self.max_bytes)
        return _Batch(acked, events[len(encoded) - 1].seq if encoded else acked,
                      batch_body(encoded))

    def _prepare_next(self, batch: _Batch, breaks: Sequence[ChainBreak],
                      local_seq: int) -> _Batch | None:
        """The batch after `batch`, should head office take it whole (it is used only if so):
        None when there is none, or when a broken span comes next."""
        if batch.last >= local_seq or batch.last <= batch.after:
            return None
        brk = _next_break(breaks, batch.last)
        if brk is not None and batch.last >= brk.last_good_seq:
            return None
        return self._prepare(batch.last, brk)

    def _note_marks(self, answer: UploadAnswer) -> None:
        """Log what head office marked in its answer and count it; never stops the upload
        (the events are stored and the mark moved past them)."""
        for marked in answer.invalid:
            log.warning("head office marked event %d (%s) invalid: %s", marked.seq,
                        marked.kind, marked.reason)
        for seq in answer.pending:
            log.info("head office holds event %d pending: a review of a transaction it does "
                     "not hold yet", seq)
        self.marked_invalid += len(answer.invalid)
        self.held_pending += len(answer.pending)

    def _upload_broken_span(self, brk: ChainBreak, acked: int) -> int:
        """Send the events from the last good one to the break event, in parts each carrying
        the break event (so head office can tell evidence from a broken chain); the mark
        head office answers with."""
        (event,) = self.local.after(brk.break_seq - 1, 1)
        event_bytes = encode_event(event)
        room = self.max_bytes - len(batch_body([event_bytes]))
        cursor = max(acked, brk.last_good_seq)
        high = acked
        while True:
            if self.cancelled():
                raise Cancelled("sync stopped: the app is closing")
            span = self.local.after(cursor, min(self.batch_events - 1, brk.break_seq - 1 - cursor))
            encoded = encode_fitting(span, room)
            part = span[:len(encoded)]
            answer = self._with_retries(functools.partial(
                self.client.upload_body, batch_body([*encoded, event_bytes])))
            self._note_marks(answer)
            if answer.conflicts:
                raise Refused(409, f"head office holds different events at sequence "
                                   f"{', '.join(map(str, answer.conflicts[:5]))}; "
                                   "it has recorded the conflict for head office staff")
            high = max(high, answer.high_water.seq)
            if high < brk.break_seq:
                raise SyncError(f"head office did not accept the chain break recorded at "
                                f"sequence {brk.break_seq}")
            if not part or part[-1].seq >= brk.break_seq - 1:
                return high
            cursor = part[-1].seq

    def _check_same_history(self, seq: int, hash_: str, local_seq: int) -> None:
        if seq == 0:
            return
        if seq > local_seq or self.local.hash_at(seq) != hash_:
            raise Refused(409, f"head office holds a different history for this counter (up to "
                               f"sequence {seq}; this counter has {local_seq}): was the counter "
                               "database replaced? Head office can enrol the counter again with "
                               "`counter-hq enroll --new-history`.")

    def _with_retries(self, call: Callable[[], T]) -> T:
        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            try:
                return call()
            except Unavailable as exc:
                if attempt == policy.attempts:
                    raise
                wait = max(backoff_delay(attempt, base_s=policy.base_s, cap_s=policy.cap_s,
                                         rng=policy.rng), exc.retry_after or 0.0)
                if wait > policy.max_wait_s:
                    raise
                if self.cancelled():
                    raise Cancelled("sync stopped: the app is closing") from None
                log.info("head office unavailable (%s); retry %d in %.1f s", exc, attempt, wait)
                self.sleep(wait)
                if self.cancelled():
                    raise Cancelled("sync stopped: the app is closing") from None
        raise AssertionError("unreachable")


def _next_break(breaks: Sequence[ChainBreak], acked: int) -> ChainBreak | None:
    """The first recorded break after the mark `acked`."""
    return next((b for b in breaks if b.break_seq > acked), None)


def _sent(start: int | None, acked: int | None) -> int:
    return 0 if start is None or acked is None else max(0, acked - start)
