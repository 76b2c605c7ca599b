"""The hall's one roster at the counter (`[roster] managed_by = "hall_server"` or
`"head_office"`), and `DocumentPuller`, the one pulling thread (the central settings use it too:
counter_app.sync.settings_pull).

Who keeps the staff accounts, in this order: head office when it manages the hall's roster
(`managed_by = "head_office"`: its roster must verify with `[head_office] signing_key`), else
the hall server (`"hall_server"`; verified too when `[hall_server] signing_key` is set), else
the counter's own data folder (`"counter"`: the staff commands). `authority_of` names it.

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
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from counter_app.config import Config
from counter_app.sync.authority import COUNTER, HALL_SERVER, HEAD_OFFICE, authority_of
from counter_app.sync.hall_client import hall_config
from counter_app.sync.protocol import (
    API,
    USER_AGENT,
    Refused,
    SyncError,
    Timeouts,
    Unavailable,
    resolve_token,
)
from counter_core import events

if TYPE_CHECKING:  # the cryptography loads only where a key is configured, httpx at a pull
    import httpx
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)

ROSTER_INTERVAL_S = 300.0
#: after a failed pull, the next one comes sooner than the interval
RETRY_S = 30.0
#: a manager's sign-in waits at most this for the hall server, then uses the cache
SIGN_IN_TIMEOUT_S = 2.0
#: its phases: 1 s to connect (TLS included), 1 s for the answer; the request is a few bytes
SIGN_IN_TIMEOUT: Timeouts = (1.0, 1.0, 0.5, 0.5)  # connect, read, write, pool
PULL_TIMEOUT: Timeouts = (3.0, 10.0, 10.0, 10.0)
SIGN_IN_RESULTS = frozenset({"ok", "wrong", "disabled", "throttled"})


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


HttpFactory = Callable[[float | Timeouts], "httpx.Client"]
T = TypeVar("T")


def http_factory(config: Config, server: str = HALL_SERVER) -> HttpFactory:
    """httpx clients for the hall server (or, `server=HEAD_OFFICE`, head office): its token,
    its TLS rules (never unverified)."""
    target = hall_config(config) if server == HALL_SERVER else config
    token = resolve_token(target)
    url = str(target.head_office.url).rstrip("/")
    from counter_app.sync.tls import tls_context  # ssl with the first pull

    tls = tls_context(target.head_office)

    def make(timeout: float | Timeouts) -> httpx.Client:
        import httpx

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


def verified(data: Any, key: Ed25519PublicKey | None, source: str, what: str) -> Any:
    """The document when `key` signed it (or no key is configured); SyncError, in words,
    when it is unsigned, signed by another key or altered."""
    if key is None:
        return data
    from counter_core.signed import SignatureError, verify_document

    try:
        verify_document(data, key)
    except SignatureError as exc:
        raise SyncError(f"{source} sent {what} that does not verify ({exc}): refused, the "
                        "cache stays") from None
    return data


class DocumentPuller(Generic[T]):
    """Pulls one document of the counter's server (`GET /api/v1<path>?hall=`) on its own
    daemon thread, with `If-None-Match`, checks it (`parse`, and the signature when a key is
    given) and keeps the newest for the writer's thread (`take`)."""

    def __init__(
        self,
        hall: str,
        make_http: HttpFactory,
        *,
        path: str,
        parse: Callable[[Any], T],
        etag_of: Callable[[T], str],
        what: str,
        source: str = "the hall server",
        key: Ed25519PublicKey | None = None,
        absent_is_none: bool = False,
        interval_s: float = ROSTER_INTERVAL_S,
        etag: str | None = None,
        on_pulled: Callable[[], object] | None = None,
    ) -> None:
        self.hall = hall
        self._make_http = make_http
        self._path, self._parse, self._etag_of = path, parse, etag_of
        self.what, self.source, self.key = what, source, key
        #: a 404 means "none yet" (central settings before the first `settings set`)
        self._absent_is_none = absent_is_none
        self.interval_s = interval_s
        self._etag = etag
        self._on_pulled = on_pulled
        self._lock = threading.Lock()
        self._pending: T | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        #: the last pull's failure in words (None: the last pull succeeded)
        self.last_error: str | None = None
        self.pulls = 0

    # ---- the pull -------------------------------------------------------------------------

    def pull_once(self) -> T | None:
        """Ask the server; the document when it changed since the last one (kept for
        `take`), None when it did not (304). SyncError when it cannot be had or is refused."""
        import httpx

        headers = {"If-None-Match": self._etag} if self._etag else {}
        try:
            with self._make_http(PULL_TIMEOUT) as http:
                response = http.get(
                    f"{API}{self._path}", params={"hall": self.hall}, headers=headers
                )
        except httpx.RequestError as exc:
            raise Unavailable(
                f"{self.source.removeprefix('the ')} unreachable: {type(exc).__name__}: {exc}"
            ) from None
        self.pulls += 1
        if response.status_code == 304:
            return None
        if response.status_code == 404 and self._absent_is_none:
            return None
        if response.status_code >= 400:
            raise _refused(response)
        try:
            data = response.json()
        except ValueError:
            raise SyncError(f"{self.source} sent {self.what} this counter cannot read") from None
        found = self._parse(verified(data, self.key, self.source, self.what))
        with self._lock:
            self._pending = found
            self._etag = self._etag_of(found)
        return found

    def take(self) -> T | None:
        """The document pulled since the last take (None: nothing new); the writer's thread."""
        with self._lock:
            found, self._pending = self._pending, None
        return found

    def give_back(self, found: T) -> None:
        """A taken document the writer could not apply yet (kept unless a newer came)."""
        with self._lock:
            if self._pending is None:
                self._pending = found

    def set_etag(self, etag: str | None) -> None:
        """The version the cache holds (None: the next pull fetches the whole document)."""
        with self._lock:
            self._etag = etag

    @property
    def etag(self) -> str | None:
        with self._lock:
            return self._etag

    # ---- the thread ---------------------------------------------------------------------------

    def start(self) -> DocumentPuller[T]:
        self._thread = threading.Thread(
            target=self._run, name=f"{self._path.strip('/').replace('/', '-')}-pull",
            daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Pull now (the document is known to have changed)."""
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
                log.warning("%s pull failed (the cache stays): %s", self.what, exc)
                wait = min(self.interval_s, RETRY_S)
            except Exception:
                self.last_error = f"{self.what} pull failed"
                log.exception("%s pull failed (the cache stays)", self.what)
                wait = min(self.interval_s, RETRY_S)
            self._wake.wait(wait)
            self._wake.clear()


class RosterPuller(DocumentPuller[HallRoster]):
    """The hall's roster (`GET /hall/roster`), and a manager's sign-in checked at its server."""

    def __init__(
        self,
        hall: str,
        make_http: HttpFactory,
        *,
        interval_s: float = ROSTER_INTERVAL_S,
        etag: str | None = None,
        on_pulled: Callable[[], object] | None = None,
        key: Ed25519PublicKey | None = None,
        source: str = "the hall server",
    ) -> None:
        super().__init__(
            hall, make_http, path="/hall/roster", parse=lambda data: parse_roster(data, hall),
            etag_of=lambda found: found.etag, what="a roster", source=source, key=key,
            interval_s=interval_s, etag=etag, on_pulled=on_pulled)

    # ---- a manager's sign-in ----------------------------------------------------------------

    def check_sign_in(self, number: str, pin: str) -> tuple[str, float | None, str] | None:
        """The hall server's answer to a sign-in: (ok | wrong | disabled | throttled, seconds
        to wait when throttled, the roster's etag), or None when it cannot answer within
        SIGN_IN_TIMEOUT_S (the cache decides). The PIN goes to the hall server only."""
        import httpx

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


def signing_key_of(config: Config, server: str) -> Ed25519PublicKey | None:
    """The public key documents from `server` must verify with (HEAD_OFFICE: `[head_office]
    signing_key`, required by the configuration; HALL_SERVER: `[hall_server]`'s, if set)."""
    office = config.head_office if server == HEAD_OFFICE else config.hall_server
    text = office.signing_key if office is not None else None
    if not text:
        return None
    from counter_core.signed import load_public_key

    return load_public_key(text)


def start_roster_pull(
    config: Config,
    *,
    etag: str | None = None,
    on_pulled: Callable[[], object] | None = None,
    interval_s: float = ROSTER_INTERVAL_S,
    make_http: HttpFactory | None = None,
    start: bool = True,
) -> RosterPuller | None:
    """The puller for a counter whose roster the hall server or head office keeps (None
    under the counter's own); head office's roster must carry its signature."""
    authority = authority_of(config)
    if authority == COUNTER:
        return None
    puller = RosterPuller(
        config.hall_id,
        make_http or http_factory(config, authority),
        interval_s=interval_s,
        etag=etag,
        on_pulled=on_pulled,
        key=signing_key_of(config, authority),
        source="head office" if authority == HEAD_OFFICE else "the hall server",
    )
    if start:
        puller.start()
    return puller
