"""The hall board's data: each counter's presence and today's figures, and what a tile shows.

Plain Python (no Qt): `BoardSource` is what the board reads (a fake in tests, the hall server
over HTTP in the desk), `tile_state` decides what one counter's tile shows at a monotonic
instant of the desk. Times a tile ticks by are the hall server's own (`received_at` against
its `now`) plus the desk's monotonic clock since the answer arrived, so no wall clock of the
desk or of the counter enters a live timer.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from counter_app.config import Config
from counter_app.sync.hall_client import hall_client, hall_config
from counter_app.sync.protocol import HeadOfficeClient, SyncError, resolve_token
from counter_core import periods
from counter_core.figures import exceeds_target

#: a signed-in counter whose last presence is older than this is "not reporting"
SILENT_AFTER_S = 30.0
#: how often the board asks for presence, and for today's figures
PRESENCE_EVERY_S = 1.0
FIGURES_EVERY_S = 30.0


class BoardUnavailable(Exception):
    """The hall server could not be read; the message says why, for a log line."""


@dataclass(frozen=True)
class CounterPresence:
    """One counter's latest presence, as the hall server holds it."""

    counter: str
    phase: str  # signed_out, idle, serving, rating, away
    staff: str | None = None
    type: str | None = None
    elapsed_s: float | None = None
    target_s: float | None = None
    back_at: str | None = None
    #: seconds between the hall server receiving it and answering the board
    age_s: float = 0.0


@dataclass(frozen=True)
class HallPresence:
    hall: str
    counters: tuple[CounterPresence, ...] = ()

    def by_counter(self) -> dict[str, CounterPresence]:
        return {c.counter: c for c in self.counters}


@dataclass(frozen=True)
class Figures:
    """Today's served count, service level and satisfaction (fractions 0–1, None: no data)."""

    served: int = 0
    service_level: float | None = None
    satisfaction: float | None = None


@dataclass(frozen=True)
class HallFigures:
    """Today's figures for the hall and per counter, and the hall's enrolled counters."""

    total: Figures = field(default_factory=Figures)
    by_counter: Mapping[str, Figures] = field(default_factory=dict)
    counters: tuple[str, ...] = ()
    #: the hall's poor ratings whose follow-up is past its 好差评 deadline (any day's)
    overdue_follow_ups: int = 0


class BoardSource(Protocol):
    """What the hall board reads; each call may raise BoardUnavailable."""

    def presence(self) -> HallPresence: ...

    def today(self) -> HallFigures: ...


class TileKind(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    SERVING = "serving"
    OVERTIME = "overtime"
    RATING = "rating"
    AWAY = "away"
    NOT_REPORTING = "not_reporting"


@dataclass(frozen=True)
class TileState:
    counter: str
    kind: TileKind
    staff: str | None = None
    type: str | None = None
    elapsed_s: float | None = None
    target_s: float | None = None
    back_at: str | None = None


def tile_state(counter: str, seen: CounterPresence | None, since_s: float) -> TileState:
    """What the tile of `counter` shows, `since_s` desk seconds after `seen` arrived (None:
    no presence ever: closed)."""
    if seen is None or seen.phase == "signed_out":
        return TileState(counter, TileKind.CLOSED)
    age = seen.age_s + max(0.0, since_s)
    if age > SILENT_AFTER_S:
        return TileState(counter, TileKind.NOT_REPORTING, staff=seen.staff)
    if seen.phase == "serving":
        elapsed = (seen.elapsed_s or 0.0) + age
        kind = TileKind.OVERTIME if exceeds_target(elapsed, seen.target_s) else TileKind.SERVING
        return TileState(counter, kind, staff=seen.staff, type=seen.type, elapsed_s=elapsed,
                         target_s=seen.target_s)
    if seen.phase == "rating":
        return TileState(counter, TileKind.RATING, staff=seen.staff)
    if seen.phase == "away":
        return TileState(counter, TileKind.AWAY, staff=seen.staff, back_at=seen.back_at)
    return TileState(counter, TileKind.OPEN, staff=seen.staff)


def clock_text(seconds: float) -> str:
    """mm:ss (h:mm:ss from an hour) of a non-negative duration."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"


# ---- the hall server over HTTP -------------------------------------------------------------------

def _parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def presence_from(answer: Mapping[str, Any]) -> HallPresence:
    """The `GET /hall/presence` answer as a HallPresence (unreadable rows are left out)."""
    now = _parse_time(answer.get("now"))
    rows = []
    for row in answer.get("counters") or ():
        if not isinstance(row, Mapping) or not isinstance(row.get("counter"), str):
            continue
        received = _parse_time(row.get("received_at"))
        age = max(0.0, (now - received).total_seconds()) if now and received else 0.0
        rows.append(CounterPresence(
            counter=row["counter"], phase=str(row.get("phase") or "signed_out"),
            staff=_text(row.get("staff")), type=_text(row.get("type")),
            elapsed_s=_float(row.get("elapsed_s")), target_s=_float(row.get("target_s")),
            back_at=_text(row.get("back_at")), age_s=age))
    return HallPresence(str(answer.get("hall") or ""), tuple(rows))


def _figures(row: Mapping[str, Any] | None) -> Figures:
    if not row:
        return Figures()
    served = row.get("completed")
    return Figures(served=int(served) if isinstance(served, int) else 0,
                   service_level=_float(row.get("service_level")),
                   satisfaction=_float(row.get("satisfaction_rate")))


def figures_from(answer: Mapping[str, Any]) -> HallFigures:
    """The `GET /hall?day=` answer as HallFigures: the enrolled counters are those synced."""
    by_counter = {str(r["counter"]): _figures(r) for r in answer.get("by_counter") or ()
                  if isinstance(r, Mapping) and r.get("counter") is not None}
    enrolled = [str(c["counter"]) for c in answer.get("counters_synced") or ()
                if isinstance(c, Mapping) and c.get("counter") is not None]
    counters = tuple(sorted(set(enrolled) | set(by_counter)))
    total = answer.get("total")
    overdue = answer.get("overdue_follow_ups")
    return HallFigures(_figures(total if isinstance(total, Mapping) else None), by_counter,
                       counters, overdue if isinstance(overdue, int) and overdue > 0 else 0)


class HttpBoardSource:
    """The board's source over HTTP: the hall server of `[hall_server]`, read with its token
    (a desk's or the hall's reader token), through the protocol client."""

    def __init__(self, make_client: Callable[[], HeadOfficeClient], *,
                 today: Callable[[], dt.date] = dt.date.today, tz: str | None = None) -> None:
        self._make_client = make_client
        self._today = today
        self._tz = tz
        self._client: HeadOfficeClient | None = None
        self._lock = threading.Lock()  # presence and figures are read on pool threads

    @classmethod
    def from_config(cls, config: Config) -> HttpBoardSource:
        """From `[hall_server]` (url, token or token_file, TLS); BoardUnavailable when none."""
        try:
            token = resolve_token(hall_config(config))
        except SyncError as exc:
            raise BoardUnavailable(str(exc)) from None
        zone = config.time_zone
        return cls(lambda: hall_client(config, reader_token=token), tz=zone,
                   today=lambda: dt.datetime.now(periods.zone(zone)).date())

    def _call(self, read: Callable[[HeadOfficeClient], dict[str, Any]]) -> dict[str, Any]:
        try:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
                client = self._client
            return read(client)
        except SyncError as exc:
            raise BoardUnavailable(str(exc)) from None

    def presence(self) -> HallPresence:
        return presence_from(self._call(lambda c: c.hall_presence()))

    def today(self) -> HallFigures:
        day = self._today()
        return figures_from(self._call(lambda c: c.hall(day=day, tz=self._tz)))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


