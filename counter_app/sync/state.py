"""What the counter remembers about sync, in its `meta` table: the acknowledged mark and status."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from counter_app.storage.db import Database, write_transaction
from counter_core import periods

log = logging.getLogger(__name__)

ACKED_KEY = "sync.acked_seq"
STATUS_KEY = "sync.status"
#: a stored wait longer than this (a day, protocol.MAX_RETRY_AFTER_S) is not believed
MAX_STORED_WAIT_S = 86400.0
#: more consecutive failures than this is not a history a counter can have had (one a minute
#: for years); such a status is not believed either
MAX_STORED_FAILURES = 10**6


def parse_utc(text: str | None) -> dt.datetime | None:
    """A stored UTC time, or None when none is stored (counter_core.periods.parse_utc)."""
    return periods.parse_utc(text) if text else None


@dataclass(frozen=True)
class SyncStatus:
    """The outcome of the last sync attempt, and what the scheduler needs to plan the next."""

    ok: bool
    finished_at: str  # UTC ISO
    sent: int = 0  # events head office newly acknowledged during the attempt
    acked_seq: int | None = None  # head office's high-water mark, when it was learnt
    local_seq: int = 0  # the counter's last sequence number at the time
    error: str | None = None
    permanent: bool = False  # refused (4xx): retrying before the next night will not help
    retry_after: float | None = None  # seconds head office asked us to wait
    failures: int = 0  # consecutive failed attempts, this one included
    last_success_at: str | None = None
    #: events head office has marked invalid (its answer's `invalid`), over every attempt
    marked_invalid: int = 0
    #: reviews head office has held pending (its answer's `pending`), over every attempt
    held_pending: int = 0

    @property
    def pending(self) -> int | None:
        """Events head office had not acknowledged at the end of the attempt."""
        return None if self.acked_seq is None else max(0, self.local_seq - self.acked_seq)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SyncStatus:
        """The stored status; ValueError when it is not one this app could have written.

        A status is read at every start and before every scheduled sync: one whose times do
        not parse, whose wait is absurd (a Retry-After of 999999999999 s) or whose fields have
        the wrong types must never reach the scheduler.
        """
        data: dict[str, Any] = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the stored sync status is not an object")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        status = cls(**known)
        status._check()
        return status

    def _check(self) -> None:
        def fail(what: str) -> None:
            raise ValueError(f"stored sync status: {what}")

        if not isinstance(self.ok, bool) or not isinstance(self.permanent, bool):
            fail("ok/permanent are not booleans")
        for name in ("sent", "local_seq", "failures", "marked_invalid", "held_pending"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                fail(f"{name} is not a count")
        if self.failures > MAX_STORED_FAILURES:
            fail("an absurd failure count")
        if self.acked_seq is not None and (not isinstance(self.acked_seq, int)
                                           or isinstance(self.acked_seq, bool)):
            fail("acked_seq is not a number")
        if self.error is not None and not isinstance(self.error, str):
            fail("error is not text")
        wait = self.retry_after
        if wait is not None and (not isinstance(wait, int | float) or isinstance(wait, bool)
                                 or not math.isfinite(wait) or not 0 <= wait <= MAX_STORED_WAIT_S):
            fail(f"an absurd retry_after {wait!r}")
        for name in ("finished_at", "last_success_at"):
            value = getattr(self, name)
            if value is None and name == "last_success_at":
                continue
            if not isinstance(value, str):
                fail(f"{name} is not text")
            if value:
                try:
                    parse_utc(value)
                except (ValueError, OverflowError):
                    fail(f"{name} is not a time")

    def after(self, previous: SyncStatus | None) -> SyncStatus:
        """This attempt's status with the history (failure count, last success, what head
        office marked invalid or held pending) carried on."""
        marked = replace(
            self,
            marked_invalid=self.marked_invalid + (previous.marked_invalid if previous else 0),
            held_pending=self.held_pending + (previous.held_pending if previous else 0),
        )
        if self.ok:
            return replace(marked, failures=0, last_success_at=self.finished_at)
        return replace(
            marked,
            failures=(previous.failures if previous else 0) + 1,
            last_success_at=previous.last_success_at if previous else None,
        )


def _meta(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def read_status(db: Database) -> SyncStatus | None:
    """The last recorded status; works on a read-only connection."""
    text = _meta(db, STATUS_KEY)
    if not text:
        return None
    try:
        return SyncStatus.from_json(text)
    except (ValueError, TypeError, OverflowError) as exc:
        # unreadable or absurd: behave as if never synced (a harmless re-upload); the next
        # attempt overwrites it
        log.warning("ignoring the stored sync status (%s): %.200r", exc, text)
        return None


def read_acked_seq(db: Database) -> int:
    text = _meta(db, ACKED_KEY)
    return int(text) if isinstance(text, str) and text.isascii() and text.isdigit() else 0


def record_status(db: Database, status: SyncStatus) -> SyncStatus:
    """Write an attempt's status (and mark) on the WRITER connection; returns what was stored.

    Call this only from the thread that owns the counter's writer connection.
    """
    stored = status.after(read_status(db))
    with write_transaction(db.conn) as conn:
        if stored.acked_seq is not None:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                         [ACKED_KEY, str(stored.acked_seq)])
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [STATUS_KEY, stored.to_json()])
    return stored
