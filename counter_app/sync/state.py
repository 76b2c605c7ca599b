"""What the counter remembers about sync, in its `meta` table: the acknowledged mark and status."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

import sqlite_utils

from counter_app.storage.db import write_transaction
from counter_core import periods

ACKED_KEY = "sync.acked_seq"
STATUS_KEY = "sync.status"


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

    @property
    def pending(self) -> int | None:
        """Events head office had not acknowledged at the end of the attempt."""
        return None if self.acked_seq is None else max(0, self.local_seq - self.acked_seq)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SyncStatus:
        data: dict[str, Any] = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def after(self, previous: SyncStatus | None) -> SyncStatus:
        """This attempt's status with the history (failure count, last success) carried on."""
        if self.ok:
            return replace(self, failures=0, last_success_at=self.finished_at)
        return replace(
            self,
            failures=(previous.failures if previous else 0) + 1,
            last_success_at=previous.last_success_at if previous else None,
        )


def _meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def read_status(db: sqlite_utils.Database) -> SyncStatus | None:
    """The last recorded status; works on a read-only connection."""
    text = _meta(db, STATUS_KEY)
    if not text:
        return None
    try:
        return SyncStatus.from_json(text)
    except (ValueError, TypeError):
        return None  # unreadable: behave as if never synced (a harmless re-upload)


def read_acked_seq(db: sqlite_utils.Database) -> int:
    text = _meta(db, ACKED_KEY)
    return int(text) if text and text.isdigit() else 0


def record_status(db: sqlite_utils.Database, status: SyncStatus) -> SyncStatus:
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
