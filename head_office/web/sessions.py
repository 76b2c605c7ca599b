"""Server-side sessions, CSRF tokens, the client's address, and the slowing of failed logins.

The cookie `hq_session` holds a random token (secrets.token_urlsafe(32)); the sessions table
holds only its SHA-256, the login, the session's CSRF token and its times. A session ends
after `idle_s` without a request (30 minutes by default, `serve --session-idle-min`), after
`ABSOLUTE_S` (12 hours) in any case, at logout, when its login is disabled, and when the
password changes (but the session changing it).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from starlette.requests import Request

from head_office.schema import sessions, users
from head_office.store import hash_token

COOKIE = "hq_session"
LOGIN_CSRF_COOKIE = "hq_login_csrf"
IDLE_S = 30 * 60.0
ABSOLUTE_S = 12 * 3600.0
#: failed logins: the n-th failure in a row (per login, per client address) makes the next
#: attempt wait 2**(n-1) seconds before it is answered, at most MAX_DELAY_S
MAX_DELAY_S = 30.0
#: a run of failures is forgotten this long after its last failure
FAILURE_MEMORY_S = 15 * 60.0
_MAX_TRACKED = 10_000


@dataclass(frozen=True)
class WebSettings:
    """How `counter-hq serve` was told to run the web pages."""

    idle_s: float = IDLE_S
    absolute_s: float = ABSOLUTE_S
    audit_retention_days: int = 200
    #: staff-level pages show no name of a clerk disabled longer than this (None: no limit)
    staff_retention_days: int | None = 365
    #: proxies whose X-Forwarded-For is believed (serve --trusted-proxy)
    trusted_proxies: tuple[str, ...] = ()
    #: serve --close-grace-days: days after a month's end before an hq login may close it
    close_grace_days: int = 5
    #: the monthly report PDF's CJK font (serve --pdf-font, else a well-known path); None:
    #: the PDF answers the API's error shape `no_pdf_font`
    pdf_font: Path | None = None


@dataclass(frozen=True)
class Session:
    id: int
    login: str
    csrf: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str, offered: str | None) -> bool:
    return (
        bool(expected)
        and offered is not None
        and hmac.compare_digest(expected.encode(), offered.encode())
    )


def open_session(
    engine: Engine, login: str, ip: str, now: float | None = None
) -> tuple[str, Session]:
    """A new session for the login: the cookie's token, and the session."""
    now = time.time() if now is None else now
    token, csrf = new_token(), new_token()
    with engine.begin() as conn:
        # ended sessions are cleared as new ones begin
        conn.execute(delete(sessions).where(sessions.c.created_s < now - 2 * ABSOLUTE_S))
        result = conn.execute(
            sessions.insert().values(
                token_hash=hash_token(token),
                login=login,
                csrf=csrf,
                created_s=now,
                seen_s=now,
                ip=ip[:64],
            )
        )
        key = result.inserted_primary_key
        assert key is not None
    return token, Session(int(key[0]), login, csrf)


def find_session(
    engine: Engine, token: str, settings: WebSettings, now: float | None = None
) -> Session | None:
    """The live session of the cookie's token (its idle clock restarted), None if there is
    none, it timed out (then it is deleted) or its login is disabled."""
    if not token or len(token) > 200:
        return None
    now = time.time() if now is None else now
    with engine.begin() as conn:
        row = conn.execute(
            select(sessions, users.c.disabled_at)
            .join(users, users.c.login == sessions.c.login)
            .where(sessions.c.token_hash == hash_token(token))
        ).one_or_none()
        if row is None:
            return None
        if (
            now - row.seen_s > settings.idle_s
            or now - row.created_s > settings.absolute_s
            or row.disabled_at is not None
        ):
            conn.execute(delete(sessions).where(sessions.c.id == row.id))
            return None
        conn.execute(sessions.update().where(sessions.c.id == row.id).values(seen_s=now))
    return Session(row.id, row.login, row.csrf)


def close_session(engine: Engine, session_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.id == session_id))


def client_ip(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address from the socket; through a trusted proxy, the last address of
    X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [
        part.strip()
        for part in ",".join(request.headers.getlist("x-forwarded-for")).split(",")
        if part.strip()
    ]
    for address in reversed(forwarded):
        if address in trusted_proxies:
            continue
        try:
            return str(ipaddress.ip_address(address))
        except ValueError:
            return peer  # a forged or broken header: the proxy is what we know
    return peer


def is_https(request: Request, trusted_proxies: tuple[str, ...]) -> bool:
    """Whether the browser reached us over TLS (ours, or a trusted proxy's)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return peer in trusted_proxies and request.headers.get("x-forwarded-proto") == "https"


@dataclass
class _Run:
    failures: int
    last_s: float


@dataclass
class LoginThrottle:
    """Failed logins in a row, per login and per client address (in memory: a restart forgets
    them); the wait before the next attempt is answered grows 1, 2, 4 … up to MAX_DELAY_S."""

    clock: Callable[[], float] = time.monotonic
    _runs: OrderedDict[str, _Run] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _keys(login: str, ip: str) -> tuple[str, str]:
        return f"login:{login.casefold()[:64]}", f"ip:{ip}"

    def delay(self, login: str, ip: str) -> float:
        """Seconds the attempt waits before it is answered."""
        now = self.clock()
        with self._lock:
            worst = 0
            for key in self._keys(login, ip):
                run = self._runs.get(key)
                if run is not None and now - run.last_s > FAILURE_MEMORY_S:
                    del self._runs[key]
                elif run is not None:
                    worst = max(worst, run.failures)
        return 0.0 if worst == 0 else min(MAX_DELAY_S, 2.0 ** (worst - 1))

    def failed(self, login: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(login, ip):
                run = self._runs.pop(key, None) or _Run(0, now)
                run.failures, run.last_s = run.failures + 1, now
                self._runs[key] = run
            while len(self._runs) > _MAX_TRACKED:
                self._runs.popitem(last=False)

    def succeeded(self, login: str, ip: str) -> None:
        with self._lock:
            for key in self._keys(login, ip):
                self._runs.pop(key, None)
