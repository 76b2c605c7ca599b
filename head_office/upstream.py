"""A hall server's upstream: head office's roster, settings and calendar for the hall.

`counter-hq serve --upstream URL --upstream-token-file FILE --upstream-key KEY` (at the hall
server) pulls, every `--upstream-interval` seconds and at start, with `If-None-Match`:

- `GET /api/v1/hall/settings` and `GET /api/v1/hall/roster` with the token head office enrolled
  for the hall (`counter-hq enroll --kind desk` there): each document must verify with head
  office's public key (`counter-hq signing-key create` prints it) and name the same hall; the
  settings must pass the counter's own rules. A verified document is kept verbatim, signature
  included (`relayed_documents`), and the hall server serves it as it came, so the hall's
  counters verify head office's signature themselves (`[hall_server] signing_key` = head
  office's key): a hall server can relay head office's accounts and targets, never forge them;
- `GET /api/v1/calendar`: stored as the hall server's working-day calendar (head_office.calendar),
  which the desks and counters fetch from it.

Anything refused (unsigned, another key, altered, another hall, unreadable) is logged in words
and what was relayed before stays. While the hall's roster is relayed, the hall server's own
roster commands are refused for that hall (head office manages it), and so is `settings set`.
HTTP is urllib's in a worker thread, as the webhooks' (head office takes no HTTP client).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from counter_core import settings as hall_settings
from counter_core.periods import utc_now
from counter_core.signed import SignatureError, verify_document
from counter_core.workdays import CalendarError, WorkCalendar
from head_office.calendar import set_calendar
from head_office.schema import relayed_documents as table
from head_office.store import Store, database_errors

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger(__name__)

SETTINGS, ROSTER = "settings", "roster"
#: what is pulled, and from where under the API
DOCUMENTS = ((SETTINGS, "/hall/settings"), (ROSTER, "/hall/roster"))
DEFAULT_INTERVAL_S = 300.0
TIMEOUT_S = 20.0
MAX_BODY_BYTES = 8 * 1024 * 1024


class UpstreamError(Exception):
    """A pull refused or failed, in words (what was relayed before stays)."""


@dataclass(frozen=True)
class Upstream:
    """Where head office is and how a hall server talks to it."""

    url: str  # head office's base URL, e.g. https://hq.example.com (…/api/v1 is added)
    token: str
    key: Ed25519PublicKey
    ca_file: str | None = None
    interval_s: float = DEFAULT_INTERVAL_S


@dataclass(frozen=True)
class Relayed:
    hall: str
    kind: str
    etag: str
    document: dict[str, Any]
    pulled_at: str


# ---- what is relayed ---------------------------------------------------------------------


def relayed(store: Store, hall: str, kind: str) -> Relayed | None:
    """Head office's document of this kind for the hall, as pulled (None: not relayed)."""
    with database_errors(), store.reader.connect() as conn:
        row = conn.execute(
            select(table).where(table.c.hall == hall, table.c.kind == kind)
        ).one_or_none()
    if row is None:
        return None
    return Relayed(row.hall, row.kind, row.etag, json.loads(row.document), row.pulled_at)


def relay_refusal(conn: Connection, hall: str, kind: str) -> str | None:
    """Why a change of the hall's `kind` is refused here: it comes from head office through
    this hall server (None: it does not, the change may go ahead)."""
    found = conn.execute(
        select(table.c.kind).where(table.c.hall == hall, table.c.kind == kind)
    ).first()
    if found is None:
        return None
    what = "staff roster comes" if kind == ROSTER else "settings come"
    return (f"hall {hall}'s {what} from head office (serve --upstream): change it at head "
            "office, which this hall server relays")


def keep(store: Store, hall: str, kind: str, etag: str, document: Mapping[str, Any]) -> None:
    text = json.dumps(dict(document), ensure_ascii=False, sort_keys=True)
    with database_errors(), store.engine.begin() as conn:
        conn.execute(delete(table).where(table.c.hall == hall, table.c.kind == kind))
        conn.execute(table.insert().values(hall=hall, kind=kind, etag=etag, document=text,
                                           pulled_at=utc_now()))


def roster_accounts(found: Relayed) -> list[Mapping[str, Any]]:
    accounts = found.document.get("accounts")
    return [a for a in accounts if isinstance(a, Mapping)] if isinstance(accounts, list) else []


def roster_version(found: Relayed) -> tuple[int, str]:
    version = found.document.get("version")
    if isinstance(version, Mapping):
        return int(version.get("seq", 0)), str(version.get("hash", ""))
    return 0, ""


# ---- checking what head office sent ------------------------------------------------------


def checked(kind: str, data: Any, key: Ed25519PublicKey, hall: str | None) -> dict[str, Any]:
    """The document when head office's key signed it and it is a readable `kind` for `hall`
    (None: the first document names the hall); UpstreamError in words otherwise."""
    try:
        verify_document(data, key)
    except SignatureError as exc:
        raise UpstreamError(f"head office sent {kind} that does not verify ({exc}): refused, "
                            "what was relayed before stays") from None
    document = dict(data)
    named = document.get("hall")
    if not isinstance(named, str) or not named:
        raise UpstreamError(f"head office sent {kind} naming no hall")
    if hall is not None and named != hall:
        raise UpstreamError(f"head office sent the {kind} of hall {named[:40]!r}, not this "
                            f"hall server's hall {hall!r}: refused")
    if kind == SETTINGS:
        try:
            hall_settings.parse(document.get("settings"))
        except hall_settings.SettingsError as exc:
            raise UpstreamError(f"head office's settings are refused: {exc}") from None
        version = document.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise UpstreamError(f"head office sent settings with version {str(version)[:20]!r}")
    else:
        accounts, version = document.get("accounts"), document.get("version")
        if not isinstance(accounts, list) or not all(
                isinstance(a, Mapping) and isinstance(a.get("number"), str)
                and isinstance(a.get("pin_hash"), str) for a in accounts):
            raise UpstreamError("head office sent a roster whose accounts cannot be read")
        if not isinstance(version, Mapping) or not isinstance(version.get("seq"), int):
            raise UpstreamError("head office sent a roster with no version")
    return document


# ---- pulling -----------------------------------------------------------------------------

#: (status, ETag, parsed JSON or None) of one GET
Answer = tuple[int, str | None, Any]
Fetch = Callable[[str, str | None], Answer]


def http_fetch(upstream: Upstream) -> Fetch:
    """GET `path` under head office's API with the hall's token (and If-None-Match)."""
    base = upstream.url.rstrip("/") + "/api/v1"
    context = ssl.create_default_context(cafile=upstream.ca_file) \
        if base.startswith("https:") else None

    def fetch(path: str, etag: str | None) -> Answer:
        headers = {"Authorization": f"Bearer {upstream.token}", "Accept": "application/json",
                   "User-Agent": "counter-hq-upstream"}
        if etag:
            headers["If-None-Match"] = etag
        request = urllib.request.Request(base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S, context=context) as answer:
                body = answer.read(MAX_BODY_BYTES + 1)
                if len(body) > MAX_BODY_BYTES:
                    raise UpstreamError(f"head office's answer to {path} is too large")
                return answer.status, answer.headers.get("ETag"), json.loads(body)
        except urllib.error.HTTPError as exc:
            with contextlib.suppress(OSError):
                exc.read()
            if exc.code in (304, 404):
                return exc.code, exc.headers.get("ETag"), None
            raise UpstreamError(f"head office answered {path} with HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise UpstreamError(f"head office is unreachable ({reason})") from None
        except ValueError:
            raise UpstreamError(f"head office's answer to {path} is not JSON") from None

    return fetch


class UpstreamPuller:
    """Pulls head office's documents for the hall into `store` (see the module's text)."""

    def __init__(self, store: Store, upstream: Upstream, fetch: Fetch | None = None) -> None:
        self._store = store
        self._upstream = upstream
        self._fetch = fetch or http_fetch(upstream)
        self.last_error: str | None = None
        self._calendar_etag: str | None = None

    def _hall(self) -> str | None:
        """The hall this server relays for, as the first document named it."""
        with database_errors(), self._store.reader.connect() as conn:
            halls = set(conn.execute(select(table.c.hall).distinct()).scalars())
        return next(iter(halls)) if len(halls) == 1 else None

    def pull_once(self) -> list[str]:
        """One round; the kinds that changed. UpstreamError for the first refusal (the other
        documents are still pulled)."""
        changed: list[str] = []
        problems: list[str] = []
        hall = self._hall()
        for kind, path in DOCUMENTS:
            old = relayed(self._store, hall, kind) if hall else None
            try:
                status, etag, data = self._fetch(path, old.etag if old else None)
                if status in (304, 404):
                    continue  # unchanged, or head office has none yet
                document = checked(kind, data, self._upstream.key, hall)
            except UpstreamError as exc:
                problems.append(str(exc))
                continue
            hall = str(document["hall"])
            keep(self._store, hall, kind, etag or "", data)
            changed.append(kind)
        try:
            if self._pull_calendar():
                changed.append("calendar")
        except UpstreamError as exc:
            problems.append(str(exc))
        if problems:
            raise UpstreamError("; ".join(problems))
        return changed

    def _pull_calendar(self) -> bool:
        status, etag, data = self._fetch("/calendar", self._calendar_etag)
        if status != 200 or not isinstance(data, Mapping):
            return False
        self._calendar_etag = etag
        if not data.get("calendar"):
            return False  # head office has set none: the hall server's own stays
        try:
            calendar = WorkCalendar.from_mapping(data)
        except (CalendarError, ValueError, TypeError) as exc:
            raise UpstreamError(f"head office's calendar is refused: {exc}") from None
        set_calendar(self._store, calendar)
        return True

    def round(self) -> None:
        """pull_once, logged: each change at info, a new problem once as a warning."""
        try:
            changed = self.pull_once()
        except UpstreamError as exc:
            if str(exc) != self.last_error:
                log.warning("upstream: %s", exc)
            self.last_error = str(exc)
            return
        except Exception:
            log.exception("upstream: the pull failed; it runs again in %g s",
                          self._upstream.interval_s)
            return
        if self.last_error is not None:
            log.info("upstream: head office reached again")
        self.last_error = None
        if changed:
            log.info("upstream: relayed head office's %s", ", ".join(changed))

    async def run(self) -> None:
        while True:
            await asyncio.to_thread(self.round)
            await asyncio.sleep(self._upstream.interval_s)
