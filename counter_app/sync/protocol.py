"""The head office protocol, client side: status, event upload and the hall view over HTTP."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter_app.config import Config, HeadOffice
from counter_app.sync.errors import Refused as Refused
from counter_app.sync.errors import SyncError as SyncError
from counter_app.sync.errors import Unavailable as Unavailable
from counter_app.sync.errors import Untrusted as Untrusted
from counter_core.chain import Event

if TYPE_CHECKING:  # httpx and ssl load with the first client, after the windows show
    import ssl

    import httpx

#: (connect, read, write, pool) seconds, as httpx.Timeout takes them (without importing it)
Timeouts = tuple[float, float, float, float]

API = "/api/v1"
MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "counter-app-sync/1"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HighWater:
    """Head office's contiguous high-water mark for this counter."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Marked:
    """An event head office stored and chained but marked invalid, and why."""

    seq: int
    kind: str
    reason: str


@dataclass(frozen=True)
class UploadAnswer:
    high_water: HighWater
    stored: int
    duplicates: int
    conflicts: tuple[int, ...]
    #: events head office stored but marked invalid (kept out of its reports)
    invalid: tuple[Marked, ...] = ()
    #: reviews head office holds pending until their transaction arrives (their sequences)
    pending: tuple[int, ...] = ()


def resolve_token(config: Config) -> str:
    """The token from `[head_office] token`, or read from `token_file` (beside the config)."""
    office = config.head_office
    if office.token:
        return office.token.strip()
    if office.token_file:
        return _token_file(config, office.token_file)
    raise SyncError("no head office token: set [head_office] token or token_file")


def resolve_reader_token(config: Config) -> str | None:
    """The hall's reader token (`[head_office] reader_token` or `reader_token_file`), if any."""
    office = config.head_office
    if office.reader_token:
        return office.reader_token.strip()
    if office.reader_token_file:
        return _token_file(config, office.reader_token_file)
    return None


def _token_file(config: Config, name: str) -> str:
    path = Path(name).expanduser()
    if not path.is_absolute() and not config.is_demo:
        path = Path(config.source).parent / path
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SyncError(f"cannot read the head office token file {path}: {exc}") from None


#: the longest wait head office may ask for; anything longer is taken as this (a day)
MAX_RETRY_AFTER_S = 86400.0


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), at most MAX_RETRY_AFTER_S.

    It comes from the network: garbage, negative or non-ASCII values are ignored (None), an
    absurd one (999999999999) is clamped to a day, never stored as it came.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    import email.utils  # an HTTP date: rare, and 1.6 MiB not spent at every start

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    except OverflowError:
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


#: gzip's level for upload bodies: level 1 makes a batch of events about as small as level 6
#: (their JSON repeats itself) in a fraction of the time
GZIP_LEVEL = 1
#: the bytes of an upload body around its events, and between two of them
_BATCH_OPEN, _BATCH_CLOSE, _BATCH_SEP = b'{"events":[', b"]}", b","
#: the length of an upload body with no events
EMPTY_BATCH_BYTES = len(_BATCH_OPEN) + len(_BATCH_CLOSE)


def encode_event(ev: Event) -> bytes:
    """One event as it stands in an upload body (compact JSON, UTF-8)."""
    return json.dumps(ev.as_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def batch_body(encoded: Sequence[bytes]) -> bytes:
    """The upload body (before gzip) of events each encoded once by `encode_event`: the same
    bytes as `encode_batch` of the events."""
    return _BATCH_OPEN + _BATCH_SEP.join(encoded) + _BATCH_CLOSE


def encode_batch(events: Sequence[Event]) -> bytes:
    """The upload body, before gzip."""
    return batch_body([encode_event(ev) for ev in events])


class HeadOfficeClient:
    """One counter's connection to counter-hq, authenticated by its token."""

    def __init__(self, url: str, token: str, *, timeout: float | Timeouts | httpx.Timeout = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 tls: ssl.SSLContext | None = None, reader_token: str | None = None) -> None:
        """`tls`: from tls_context (the system store when None); never unverified."""
        import httpx

        from counter_app.sync.tls import tls_context

        self._reader_token = reader_token
        self._http = httpx.Client(
            base_url=url.rstrip("/"), timeout=timeout, transport=transport,
            verify=tls or (tls_context(HeadOffice()) if transport is None else True),
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        )

    @classmethod
    def from_config(cls, config: Config, **kwargs: Any) -> HeadOfficeClient:
        if not config.head_office.url:
            raise SyncError("no head office configured: set [head_office] url in the "
                            "configuration")
        from counter_app.sync.tls import tls_context

        kwargs.setdefault("reader_token", resolve_reader_token(config))
        kwargs.setdefault("tls", tls_context(config.head_office))
        return cls(config.head_office.url, resolve_token(config), **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HeadOfficeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def status(self) -> HighWater:
        data = self._call("GET", f"{API}/status")
        return _high_water(data)

    def upload(self, events: Sequence[Event]) -> UploadAnswer:
        """Send one batch (gzip); head office has stored it when this returns."""
        return self.upload_body(encode_batch(events))

    def upload_body(self, body: bytes) -> UploadAnswer:
        """Send one batch already encoded (`batch_body`), gzipped; head office has stored it
        when this returns."""
        data = self._call("POST", f"{API}/events", content=gzip.compress(
            body, compresslevel=GZIP_LEVEL), headers={
            "Content-Type": "application/json", "Content-Encoding": "gzip"})
        try:
            answer = UploadAnswer(_high_water(data), int(data["stored"]),
                                  int(data["duplicates"]),
                                  tuple(int(s) for s in data.get("conflicts", ())))
        except (KeyError, TypeError, ValueError):
            raise Unavailable("head office sent an answer this counter cannot read") from None
        # what head office marked: for the log and the sync panel only, so an odd entry is
        # skipped, never a reason to stop (the events are stored; the mark moved past them)
        return replace(answer, invalid=_marked(data.get("invalid")),
                       pending=_sequences(data.get("pending")))

    def anchor(self, head: tuple[int, str], *, app_version: str, code_hash: str, clock: str,
               at_mark: tuple[int, str] | None = None) -> HighWater:
        """Report the chain head (no records) to head office, which keeps it as an anchor;
        `at_mark`: this counter's own hash at head office's mark, when it differs. Head
        office's mark comes back."""
        body: dict[str, Any] = {"head": {"seq": head[0], "hash": head[1]},
                                "app_version": app_version, "code_hash": code_hash,
                                "clock": clock}
        if at_mark is not None:
            body["at_mark"] = {"seq": at_mark[0], "hash": at_mark[1]}
        return _high_water(self._call("POST", f"{API}/anchor", json=body))

    def hall(self, *, month: str | None = None, day: dt.date | None = None,
             tz: str | None = None) -> dict[str, Any]:
        """Hall-wide figures as of each counter's last sync (the manager view's hall panel),
        read with the hall's reader token: the counter's own token reads its own status only."""
        if not self._reader_token:
            raise SyncError("the hall's figures need the hall's reader token: set [head_office] "
                            "reader_token_file (from `counter-hq enroll --hall HALL --reader`) "
                            "on the manager's PC")
        params = {k: v for k, v in (("month", month), ("day", day and day.isoformat()),
                                    ("tz", tz)) if v}
        return self._call("GET", f"{API}/hall", params=params,
                          headers={"Authorization": f"Bearer {self._reader_token}"})

    def hall_presence(self) -> dict[str, Any]:
        """Each counter's latest presence in the hall (`GET /hall/presence`), read with the
        hall's reader or desk token, as `hall()` is."""
        if not self._reader_token:
            raise SyncError("the hall's presence needs the hall's reader or desk token")
        return self._call("GET", f"{API}/hall/presence",
                          headers={"Authorization": f"Bearer {self._reader_token}"})

    def hall_alerts(self, since: str | None = None) -> dict[str, Any]:
        """The hall's alerts (`GET /hall/alerts`), oldest first: those after `since` (an alert's
        id or a UTC time), read with the hall's reader or desk token."""
        if not self._reader_token:
            raise SyncError("the hall's alerts need the hall's reader or desk token")
        return self._call("GET", f"{API}/hall/alerts",
                          params={} if since is None else {"since": since},
                          headers={"Authorization": f"Bearer {self._reader_token}"})

    def ack_alert(self, alert: str, staff: str) -> dict[str, Any]:
        """Acknowledge an alert as `staff` (`POST /hall/alerts/{id}/ack`; a desk's token only):
        the alert as it now stands."""
        if not self._reader_token:
            raise SyncError("acknowledging an alert needs a desk's token")
        return self._call("POST", f"{API}/hall/alerts/{alert}/ack", json={"staff": staff},
                          headers={"Authorization": f"Bearer {self._reader_token}"})

    def calendar(self, etag: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """Head office's working-day calendar (counter_core.workdays' mapping) and its ETag;
        None when `etag` is still the current one (304 Not Modified)."""
        import httpx

        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = self._http.request("GET", f"{API}/calendar", headers=headers)
        except httpx.RequestError as exc:
            raise Unavailable(f"head office unreachable: {type(exc).__name__}: {exc}") from None
        if response.status_code == 304:
            return None
        if response.status_code != 200 or not isinstance(_json(response), dict):
            raise Refused(response.status_code, _detail(response))
        return response.headers.get("etag", ""), dict(_json(response))

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        from counter_app.sync.tls import tls_failure

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.RequestError as exc:
            refused = tls_failure(exc)
            if refused is not None:
                raise refused from None
            raise Unavailable(f"head office unreachable: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status in (408, 429) or status >= 500:  # 408: the body stalled on the way
            raise Unavailable(f"head office busy or failing ({status}): {_detail(response)}",
                              retry_after_seconds(response.headers.get("retry-after")))
        if status >= 300:
            data = _json(response) or {}
            raise Refused(status, _detail(response), str(data.get("code", "")),
                          data.get("seq") if isinstance(data.get("seq"), int) else None)
        data = _json(response)
        if not isinstance(data, dict):
            raise Unavailable("head office sent an answer this counter cannot read")
        return data


def _json(response: httpx.Response) -> Any:
    import httpx

    try:
        return response.json()
    except (ValueError, httpx.HTTPError):
        return None


def _detail(response: httpx.Response) -> str:
    data = _json(response)
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return str(data["detail"])
    return (response.text or response.reason_phrase or "no details")[:300]


#: the longest reason from head office kept for the log
MAX_REASON_CHARS = 500


def _marked(value: Any) -> tuple[Marked, ...]:
    """The readable entries of the answer's `invalid` list (seq, kind, reason)."""
    out: list[Marked] = []
    for item in value if isinstance(value, list) else ():
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool):
            log.warning("head office marked an event invalid in a form this counter cannot "
                        "read: %.200r", item)
            continue
        out.append(Marked(seq, str(item.get("kind", ""))[:100],
                          str(item.get("reason", ""))[:MAX_REASON_CHARS]))
    return tuple(out)


def _sequences(value: Any) -> tuple[int, ...]:
    return tuple(s for s in (value if isinstance(value, list) else ())
                 if isinstance(s, int) and not isinstance(s, bool))


def _high_water(data: dict[str, Any]) -> HighWater:
    try:
        mark = data["high_water"]
        return HighWater(int(mark["seq"]), str(mark["hash"]))
    except (KeyError, TypeError, ValueError):
        raise Unavailable("head office sent an answer this counter cannot read") from None
