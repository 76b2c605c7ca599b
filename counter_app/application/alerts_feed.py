"""The hall's alerts for a manager view: what the hall server raised (head_office.alerts), read
through the protocol client, and the new ones since the last read.

`AlertFeed.poll()` remembers the last alert seen (its id; the server answers `?since=ID` with
those raised after it) and answers with the alerts the view lists and the ones that are new to
it. The first poll after opening reads the past hour only and counts as new only the alerts of
that hour nobody has acknowledged: a desk opened in the afternoon does not ring for the
morning. Plain Python: the view calls it off the UI thread.

Acknowledging is an event of the chain where it is made (`alert_acknowledged`, recorded by
the `recorder`: the hall view's HallManager.acknowledge_alert, on the thread that owns the
chain's writer), streamed to the hall server at once, which marks the alert when it ingests
it. The feed shows the alert acknowledged at once and keeps it so until the hall server says
so too (one acknowledgement: the event's). Without a recorder (a client of its own) it posts
the acknowledgement to the hall server (`POST …/ack`), which keeps the first one as well.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from counter_app.application.hall_view import hall_reading_config
from counter_app.config import Config
from counter_app.sync.hall_client import hall_client, hall_config
from counter_app.sync.protocol import HeadOfficeClient, Refused, SyncError, resolve_token

#: the first poll after opening reaches back this far
FIRST_WINDOW_S = 3600.0
#: every this many polls the whole window is read again: acknowledgements made at another desk
#: show within 30 s (at the tab's 2 s polls)
REREAD_EVERY = 15
KINDS = ("overtime", "poor_rating", "not_reporting")


class AlertsUnavailable(Exception):
    """The hall server could not be read or refused (the message says why)."""


@dataclass(frozen=True)
class Alert:
    seq: int
    id: str
    kind: str
    counter: str
    staff: str | None
    #: when head office raised it (UTC, ISO 8601)
    at: str
    text: str
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    txn: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_by is not None

    @classmethod
    def from_answer(cls, row: Mapping[str, Any]) -> Alert:
        def text(key: str) -> str | None:
            value = row.get(key)
            return None if value is None else str(value)

        return cls(
            seq=int(row.get("seq") or 0),
            id=str(row.get("id") or ""),
            kind=str(row.get("kind") or ""),
            counter=str(row.get("counter") or ""),
            staff=text("staff"),
            at=str(row.get("at") or ""),
            text=str(row.get("text") or ""),
            acknowledged_by=text("acknowledged_by"),
            acknowledged_at=text("acknowledged_at"),
            txn=text("txn"),
        )


@dataclass(frozen=True)
class FeedUpdate:
    #: the alerts to list: unacknowledged first, then the newest first
    alerts: tuple[Alert, ...]
    #: the ones this view has not seen before (oldest first): notify them
    new: tuple[Alert, ...]


class AlertReader(Protocol):
    """What the feed reads through: `HeadOfficeClient` has both."""

    def hall_alerts(self, since: str | None = None) -> dict[str, Any]: ...

    def ack_alert(self, alert: str, staff: str) -> dict[str, Any]: ...


#: records an acknowledgement (the alert, the manager's staff number) as an event of the chain
Recorder = Callable[["Alert", str], None]


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def display_order(alerts: list[Alert]) -> tuple[Alert, ...]:
    return tuple(sorted(alerts, key=lambda a: (a.acknowledged, -a.seq)))


class AlertFeed:
    """The last id seen and the alerts of the window; `poll` and `acknowledge` may run on a
    worker thread (one at a time is enough; a lock keeps them apart)."""

    def __init__(
        self,
        make_client: Callable[[], AlertReader],
        *,
        can_ack: bool = True,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        window_s: float = FIRST_WINDOW_S,
        recorder: Recorder | None = None,
    ) -> None:
        self._make_client = make_client
        self._client: AlertReader | None = None
        self.recorder = recorder
        self.can_ack = can_ack or recorder is not None
        #: acknowledged here, not yet by the hall server's answer: id → the alert as shown
        self._pending: dict[str, Alert] = {}
        self._now = now
        self._window_start = utc_text(now() - dt.timedelta(seconds=window_s))
        self._alerts: dict[str, Alert] = {}
        self.last_id: str | None = None
        self._last_seq = 0
        self._polls = 0
        #: a poll has been answered: later ones announce every new alert
        self._primed = False
        self._lock = threading.Lock()

    @classmethod
    def from_config(
        cls, config: Config, *, can_ack: bool, recorder: Recorder | None = None
    ) -> AlertFeed:
        """From `[hall_server]` (its token: a desk's or the hall's reader token)."""
        try:
            token = resolve_token(hall_config(config))
        except SyncError as exc:
            raise AlertsUnavailable(str(exc)) from None
        return cls(
            lambda: hall_client(config, reader_token=token), can_ack=can_ack, recorder=recorder
        )

    @classmethod
    def for_hall_view(cls, config: Config, recorder: Recorder | None = None) -> AlertFeed:
        """The hall view's feed: read with the token that reads the hall (hall_reading_config).
        With a `recorder` (the hall view's decisions) an acknowledgement is an event of the
        desk's or counter's own chain; without one only a desk's own token acknowledges (a
        counter's hall view reads with the hall's reader token, which cannot post)."""
        reading = hall_reading_config(config)
        return cls.from_config(reading, can_ack=reading is config, recorder=recorder)

    def _reader(self) -> AlertReader:
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def poll(self) -> FeedUpdate:
        """Read what was raised since the last alert seen (the whole window now and then)."""
        with self._lock:
            first = not self._primed
            reread = first or self.last_id is None or self._polls % REREAD_EVERY == 0
            self._polls += 1
            since = self._window_start if reread else self.last_id
            try:
                answer = self._reader().hall_alerts(since)
            except Refused as exc:
                if exc.status == 404 and not reread:  # the server lost that alert: read again
                    self.last_id, self._last_seq, self._primed = None, 0, False
                raise AlertsUnavailable(str(exc)) from None
            except SyncError as exc:
                raise AlertsUnavailable(str(exc)) from None
            rows = answer.get("alerts") if isinstance(answer, Mapping) else None
            found = [Alert.from_answer(r) for r in rows or () if isinstance(r, Mapping)]
            new = [a for a in found if a.seq > self._last_seq and a.id not in self._alerts]
            if first:
                new = [a for a in new if not a.acknowledged]
            self._primed = True
            for alert in found:
                held = self._pending.get(alert.id)
                if held is not None and not alert.acknowledged:
                    alert = dataclasses.replace(
                        alert,
                        acknowledged_by=held.acknowledged_by,
                        acknowledged_at=held.acknowledged_at,
                    )
                elif held is not None:
                    del self._pending[alert.id]  # the hall server has it now
                self._alerts[alert.id] = alert
            newest = max(self._alerts.values(), key=lambda a: a.seq, default=None)
            if newest is not None and newest.seq > self._last_seq:
                self._last_seq, self.last_id = newest.seq, newest.id
            return FeedUpdate(
                display_order(list(self._alerts.values())), tuple(sorted(new, key=lambda a: a.seq))
            )

    @property
    def records_here(self) -> bool:
        """Acknowledging records an event here: call `acknowledge` on the chain's thread."""
        return self.recorder is not None

    def acknowledge(self, alert: str, staff: str) -> Alert:
        """Acknowledge as `staff`: an `alert_acknowledged` event of this chain (with a
        recorder), else at the hall server; the alert as it now stands."""
        if not self.can_ack:
            raise AlertsUnavailable("alerts are acknowledged at the manager desk")
        if self.recorder is not None:
            return self._record(alert, staff)
        with self._lock:
            try:
                done = Alert.from_answer(self._reader().ack_alert(alert, staff))
            except SyncError as exc:
                raise AlertsUnavailable(str(exc)) from None
            self._alerts[done.id] = done
            return done

    def _record(self, alert: str, staff: str) -> Alert:
        with self._lock:
            known = self._alerts.get(alert)
        if known is None:
            raise AlertsUnavailable(f"no alert {alert[:40]} in the list: wait for the next read")
        if known.acknowledged:
            return known
        assert self.recorder is not None
        try:
            self.recorder(known, staff)
        except Exception as exc:  # the chain refused or the disk failed: say so
            raise AlertsUnavailable(str(exc)) from None
        done = dataclasses.replace(
            known, acknowledged_by=staff, acknowledged_at=utc_text(self._now())
        )
        with self._lock:
            self._pending[done.id] = done
            self._alerts[done.id] = done
        return done

    def alerts(self) -> tuple[Alert, ...]:
        with self._lock:
            return display_order(list(self._alerts.values()))

    def close(self) -> None:
        client, self._client = self._client, None
        if isinstance(client, HeadOfficeClient):
            client.close()
