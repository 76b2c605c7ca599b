"""The hall's one roster at the counter (`[roster] managed_by = "hall_server"`).

Who keeps the staff accounts, in this order: head office when it manages the hall's roster
(`managed_by = "head_office"`, not served yet), else the hall server (`"hall_server"`), else the
counter's own data folder (`"counter"`: the staff commands). `authority_of` names it.

Under the hall server, `RosterPuller` pulls `GET /api/v1/hall/roster` at start and every
`ROSTER_INTERVAL_S` on a daemon thread of its own (never the UI's, never on the path to the
first window), with `If-None-Match`, so an unchanged roster costs a 304. The counter checks
that the answer is its own hall's, and keeps the newest roster until the writer's thread takes
it (`take`) and caches it in the staff table (counter_app.storage.staff). A manager's sign-in
is asked of the hall server first (`check_sign_in`, at most SIGN_IN_TIMEOUT_S), the cache when
it cannot answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from counter_app.config import Config
from counter_app.sync.hall_stream import hall_config
from counter_app.sync.protocol import (
    API,
    USER_AGENT,
    Refused,
    SyncError,
    Unavailable,
    resolve_token,
    tls_context,
)
from counter_core import events

log = logging.getLogger(__name__)

#: the authorities, first match wins (head office's comes with "Head office on the web")
HEAD_OFFICE, HALL_SERVER, COUNTER = "head_office", "hall_server", "counter"
ROSTER_INTERVAL_S = 300.0
#: after a failed pull, the next one comes sooner than the interval
RETRY_S = 30.0
#: a manager's sign-in waits at most this for the hall server, then uses the cache
SIGN_IN_TIMEOUT_S = 2.0
#: its phases: 1 s to connect (TLS included), 1 s for the answer; the request is a few bytes
SIGN_IN_TIMEOUT = httpx.Timeout(1.0, connect=1.0, write=0.5, pool=0.5)
PULL_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
SIGN_IN_RESULTS = frozenset({"ok", "wrong", "disabled", "throttled"})


def authority_of(config: Config) -> str:
    """Who keeps the counter's staff accounts: HEAD_OFFICE, HALL_SERVER or COUNTER."""
    if config.roster_managed_by == HEAD_OFFICE:
        return HEAD_OFFICE
    if config.roster_managed_by == HALL_SERVER and config.hall_server is not None:
        return HALL_SERVER
    return COUNTER


@dataclass(frozen=True)
class HallAccount:
    """One account as the hall server keeps it (the salted PIN hash for offline sign-in)."""

    number: str
    name: str
    role: str
    pin_hash: str
    disabled: bool
    photo: str | None = None


@dataclass(frozen=True)
class HallRoster:
    """The hall's accounts at a version of the hall server's roster log."""

    hall: str
    seq: int
    hash: str
    accounts: tuple[HallAccount, ...]

    @property
    def etag(self) -> str:
        return f'"{self.seq}-{self.hash}"'


def parse_roster(data: Any, hall: str) -> HallRoster:
    """The roster of an answer, checked: SyncError when it is not this hall's, or an account
    is not one this counter can cache (its number, role or PIN hash scheme)."""
    if not isinstance(data, Mapping):
        raise SyncError("the hall server sent a roster this counter cannot read")
    if data.get("hall") != hall:
        raise SyncError(
            f"the hall server sent the roster of hall {str(data.get('hall'))[:40]!r}, "
            f"not this counter's hall {hall!r}: nothing was cached"
        )
    try:
        version = data["version"]
        seq, head = int(version["seq"]), str(version["hash"])
        accounts = tuple(_account(a) for a in data["accounts"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncError(f"the hall server sent a roster this counter cannot read ({exc})") from None
    if len({a.number for a in accounts}) != len(accounts):
        raise SyncError("the hall server's roster names a staff number twice")
    return HallRoster(hall, seq, head, accounts)


def _account(raw: Any) -> HallAccount:
    if not isinstance(raw, Mapping):
        raise ValueError("an account is not an object")
    number, role, pin_hash = raw["number"], raw["role"], raw["pin_hash"]
    if not isinstance(number, str) or not events.is_staff_number(number):
        raise ValueError(f"staff number {str(number)[:40]!r}")
    if role not in events.ROLES:
        raise ValueError(f"role {str(role)[:20]!r} of staff {number}")
    if (
        raw.get("pin_scheme") != "scrypt"
        or not isinstance(pin_hash, str)
        or not pin_hash.startswith("scrypt$")
        or pin_hash.count("$") != 5
    ):
        raise ValueError(f"the PIN hash of staff {number} is not one this counter checks")
    photo = raw.get("photo")
    return HallAccount(
        number,
        str(raw["name"]),
        role,
        pin_hash,
        bool(raw["disabled"]),
        photo if isinstance(photo, str) else None,
    )


HttpFactory = Callable[[float | httpx.Timeout], httpx.Client]


def http_factory(config: Config) -> HttpFactory:
    """httpx clients for the hall server: its token, its TLS rules (never unverified)."""
    hall = hall_config(config)
    token = resolve_token(hall)
    url = str(hall.head_office.url).rstrip("/")
    tls = tls_context(hall.head_office)

    def make(timeout: float | httpx.Timeout) -> httpx.Client:
        return httpx.Client(
            base_url=url,
            timeout=timeout,
            verify=tls,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
        )

    return make


def _refused(response: httpx.Response) -> Refused:
    try:
        data = response.json()
    except ValueError:
        data = {}
    detail = data.get("detail") if isinstance(data, dict) else None
    code = data.get("code") if isinstance(data, dict) else None
    return Refused(
        response.status_code, str(detail or response.reason_phrase)[:300], str(code or "")
    )


class RosterPuller:
    """Pulls the hall's roster on its own daemon thread and keeps the newest for the writer."""

    def __init__(
        self,
        hall: str,
        make_http: HttpFactory,
        *,
        interval_s: float = ROSTER_INTERVAL_S,
        etag: str | None = None,
        on_pulled: Callable[[], object] | None = None,
    ) -> None:
        self.hall = hall
        self._make_http = make_http
        self.interval_s = interval_s
        self._etag = etag
        self._on_pulled = on_pulled
        self._lock = threading.Lock()
        self._pending: HallRoster | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        #: the last pull's failure in words (None: the last pull succeeded)
        self.last_error: str | None = None
        self.pulls = 0

    # ---- the pull -------------------------------------------------------------------------

    def pull_once(self) -> HallRoster | None:
        """Ask the hall server; the roster when it changed since the last one (kept for
        `take`), None when it did not (304). SyncError when it cannot be had."""
        headers = {"If-None-Match": self._etag} if self._etag else {}
        try:
            with self._make_http(PULL_TIMEOUT) as http:
                response = http.get(
                    f"{API}/hall/roster", params={"hall": self.hall}, headers=headers
                )
        except httpx.RequestError as exc:
            raise Unavailable(f"hall server unreachable: {type(exc).__name__}: {exc}") from None
        self.pulls += 1
        if response.status_code == 304:
            return None
        if response.status_code >= 400:
            raise _refused(response)
        try:
            data = response.json()
        except ValueError:
            raise SyncError("the hall server sent a roster this counter cannot read") from None
        found = parse_roster(data, self.hall)
        with self._lock:
            self._pending = found
            self._etag = found.etag
        return found

    def take(self) -> HallRoster | None:
        """The roster pulled since the last take (None: nothing new); the writer's thread."""
        with self._lock:
            found, self._pending = self._pending, None
        return found

    def set_etag(self, etag: str | None) -> None:
        """The version the cache holds (None: the next pull fetches the whole roster)."""
        with self._lock:
            self._etag = etag

    # ---- a manager's sign-in ----------------------------------------------------------------

    def check_sign_in(self, number: str, pin: str) -> tuple[str, float | None, str] | None:
        """The hall server's answer to a sign-in: (ok | wrong | disabled | throttled, seconds
        to wait when throttled, the roster's etag), or None when it cannot answer within
        SIGN_IN_TIMEOUT_S (the cache decides). The PIN goes to the hall server only."""
        try:
            with self._make_http(SIGN_IN_TIMEOUT) as http:
                response = http.post(f"{API}/hall/sign-in", json={"number": number, "pin": pin})
            if response.status_code != 200:
                log.warning(
                    "the hall server refused a sign-in check (%s): the cache decides",
                    response.status_code,
                )
                return None
            data = response.json()
            result = data["result"]
            version = data["version"]
            etag = f'"{int(version["seq"])}-{version["hash"]}"'
            wait = data.get("wait_s")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.info(
                "the hall server did not answer a sign-in check (%s): the cache decides",
                type(exc).__name__,
            )
            return None
        if result not in SIGN_IN_RESULTS:
            return None
        return str(result), float(wait) if isinstance(wait, int | float) else None, etag

    @property
    def etag(self) -> str | None:
        with self._lock:
            return self._etag

    # ---- the thread ---------------------------------------------------------------------------

    def start(self) -> RosterPuller:
        self._thread = threading.Thread(target=self._run, name="roster-pull", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Pull now (the roster is known to have changed)."""
        self._wake.set()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.interval_s
            try:
                if self.pull_once() is not None and self._on_pulled is not None:
                    self._on_pulled()
                self.last_error = None
            except SyncError as exc:
                self.last_error = str(exc)
                log.warning("roster pull failed (the cache stays): %s", exc)
                wait = min(self.interval_s, RETRY_S)
            except Exception:
                self.last_error = "roster pull failed"
                log.exception("roster pull failed (the cache stays)")
                wait = min(self.interval_s, RETRY_S)
            self._wake.wait(wait)
            self._wake.clear()


def start_roster_pull(
    config: Config,
    *,
    etag: str | None = None,
    on_pulled: Callable[[], object] | None = None,
    interval_s: float = ROSTER_INTERVAL_S,
    make_http: HttpFactory | None = None,
    start: bool = True,
) -> RosterPuller | None:
    """The puller for a counter whose roster the hall server keeps (None otherwise)."""
    if authority_of(config) != HALL_SERVER:
        return None
    puller = RosterPuller(
        config.hall_id,
        make_http or http_factory(config),
        interval_s=interval_s,
        etag=etag,
        on_pulled=on_pulled,
    )
    return puller.start() if start else puller
