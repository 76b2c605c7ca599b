"""When to sync: a nightly window, a per-counter offset in it, catch-up, backoff with jitter.

Plain Python over given times, so it is tested without waiting and used by the Qt runner and
by `counter-app sync` alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
from dataclasses import dataclass, field

from counter_app.sync.state import MAX_STORED_WAIT_S, SyncStatus, parse_utc

_WINDOW = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
#: the offsets use the first part of the window, so retries still fit inside it
OFFSET_SHARE = 0.75


@dataclass(frozen=True)
class SyncWindow:
    """The nightly window in local time, e.g. 01:00-05:00; it may run past midnight."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> SyncWindow:
        match = _WINDOW.match(text.strip())
        if not match:
            raise ValueError(f"expected a window HH:MM-HH:MM, got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(dt.time(h1, m1), dt.time(h2, m2))

    @property
    def length(self) -> dt.timedelta:
        start = self.start.hour * 60 + self.start.minute
        end = self.end.hour * 60 + self.end.minute
        return dt.timedelta(minutes=(end - start) % (24 * 60) or 24 * 60)


def counter_offset(hall: str, counter: str, window: SyncWindow) -> dt.timedelta:
    """A stable offset into the window for this counter, spreading counters evenly."""
    digest = hashlib.sha256(f"{hall}\x1f{counter}".encode()).digest()
    span = int(window.length.total_seconds() * OFFSET_SHARE)
    return dt.timedelta(seconds=int.from_bytes(digest[:8], "big") % max(span, 1))


def backoff_delay(failures: int, *, base_s: float = 60.0, cap_s: float = 3600.0,
                  rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: between half and all of min(cap, base · 2^(n-1))."""
    # the exponent is bounded: 2.0 ** 1023 is the largest power a float holds
    ceiling: float = min(cap_s, base_s * 2.0 ** min(max(failures - 1, 0), 64))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


@dataclass
class SyncSchedule:
    """Decides the next sync time for one counter from its window and its last status."""

    window: SyncWindow
    offset: dt.timedelta
    base_s: float = 60.0
    cap_s: float = 3600.0
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def for_counter(cls, hall: str, counter: str, window: str, **kwargs: object) -> SyncSchedule:
        parsed = SyncWindow.parse(window)
        return cls(parsed, counter_offset(hall, counter, parsed), **kwargs)  # type: ignore[arg-type]

    def slot(self, night: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
        """This counter's sync time in the window that opens on `night` (local)."""
        return dt.datetime.combine(night, self.window.start, tzinfo=tz) + self.offset

    def last_slot(self, now: dt.datetime) -> dt.datetime:
        """The latest slot at or before `now` (an aware local time)."""
        today = self.slot(now.date(), now.tzinfo)
        return today if today <= now else self.slot(now.date() - dt.timedelta(days=1), now.tzinfo)

    def next_slot(self, now: dt.datetime) -> dt.datetime:
        """The first slot after `now`."""
        today = self.slot(now.date(), now.tzinfo)
        return today if today > now else self.slot(now.date() + dt.timedelta(days=1), now.tzinfo)

    def is_due(self, now: dt.datetime, status: SyncStatus | None) -> bool:
        return self.next_run(now, status) <= now

    def next_run(self, now: dt.datetime, status: SyncStatus | None) -> dt.datetime:
        """When to sync next: now when a night's slot has passed without a success (catch-up),
        later after a failure (backoff, Retry-After; a refusal waits for the next night)."""
        last_success = parse_utc(status.last_success_at) if status else None
        owed = last_success is None or last_success < self.last_slot(now)
        if status is None or status.ok or status.failures == 0:
            return now if owed else self.next_slot(now)
        attempted = parse_utc(status.finished_at) or now
        if status.permanent:
            return max(self.next_slot(attempted.astimezone(now.tzinfo)), now)
        delay = backoff_delay(status.failures, base_s=self.base_s, cap_s=self.cap_s, rng=self.rng)
        # a stored wait is never believed beyond a day (from_json refuses longer ones)
        delay = max(delay, min(status.retry_after or 0.0, MAX_STORED_WAIT_S))
        try:
            retry = (attempted + dt.timedelta(seconds=delay)).astimezone(now.tzinfo)
        except OverflowError:  # an attempt "finished" near year 9999: try now
            return now
        if not owed:
            # the failure was of an extra "Sync now"; the nightly slot still comes first
            return min(retry, self.next_slot(now))
        return max(retry, now)
