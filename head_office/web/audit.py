"""The audit trail: who (login), did what (action, target, detail), when (UTC), from where
(the client's address; "local" for the command line). Entries older than the retention
(at least MIN_RETENTION_DAYS, about six months) are purged at start and then once a day."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from counter_core.periods import format_utc, utc_now
from head_office.schema import audit

log = logging.getLogger(__name__)

LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
EXPORT = "export"
ADMIN_CHANGE = "admin_change"
PAGE_VIEW_STAFF = "page_view_staff"
ACTIONS = (LOGIN, LOGIN_FAILED, LOGOUT, EXPORT, ADMIN_CHANGE, PAGE_VIEW_STAFF)

COLUMNS = ("id", "at", "login", "action", "target", "ip", "detail")
MIN_RETENTION_DAYS = 183
DEFAULT_RETENTION_DAYS = 200
PURGE_EVERY_S = 24 * 3600.0


def clean(text: str, limit: int) -> str:
    """The text as every database stores it: control characters (NUL included) and what UTF-8
    cannot carry shown as U+FFFD, at most `limit` characters."""
    text = text[:limit].encode("utf-8", "replace").decode("utf-8")
    return "".join("\ufffd" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in text)


def record(
    engine: Engine, login: str, action: str, target: str = "", *, ip: str, detail: str = ""
) -> None:
    """One entry, at the current UTC time (texts as typed, `clean`ed)."""
    assert action in ACTIONS, action
    with engine.begin() as conn:
        conn.execute(
            audit.insert().values(
                at=utc_now(),
                login=clean(login, 64),
                action=action,
                target=clean(target, 500),
                ip=clean(ip, 64),
                detail=clean(detail, 2000),
            )
        )


def purge(engine: Engine, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete the entries older than the retention; how many went."""
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(f"the audit trail is kept at least {MIN_RETENTION_DAYS} days")
    now = now or dt.datetime.now(dt.UTC)
    cutoff = format_utc(now - dt.timedelta(days=retention_days))
    with engine.begin() as conn:
        return int(conn.execute(delete(audit).where(audit.c.at < cutoff)).rowcount)


@dataclass
class DailyPurge:
    """Purges when asked at most once per PURGE_EVERY_S (asked at start and at each entry)."""

    engine: Engine
    retention_days: int
    _last: float = -PURGE_EVERY_S
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def maybe(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < PURGE_EVERY_S:
                return
            self._last = now
        try:
            purge(self.engine, self.retention_days)
        except SQLAlchemyError as exc:  # a database down now: the next entry tries again
            log.warning("audit purge failed: %s", exc)
            with self._lock:
                self._last = -PURGE_EVERY_S


def entries(
    engine: Engine, *, login: str | None = None, action: str | None = None, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """The entries, newest first, optionally of one login or action."""
    query = select(audit).order_by(audit.c.id.desc())
    if login:
        query = query.where(audit.c.login == clean(login, 64))
    if action:
        query = query.where(audit.c.action == action)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        yield dict(row._mapping)
