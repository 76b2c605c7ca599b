"""Alert webhooks (docs/alerts.md): what `--alert-webhook` names, the body of each format, the
DingTalk signature, and the outbox worker that sends every alert at least once.

An alert is delivered only on the service's own success: HTTP 2xx for a generic webhook; HTTP
200 with JSON `errcode == 0` for a WeCom or DingTalk group robot (they answer 200 with an error
code when they refuse). Anything else (a refusal, a timeout, a connection dropped after the
body was read) is retried, with the same alert id, after a backoff that doubles from
`backoff_s` with jitter up to `backoff_cap_s`; a robot gets at most `robot_per_minute` messages
a minute. HTTP is urllib's, in a worker thread (head office takes no HTTP client library).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from counter_core import periods
from head_office import schema
from head_office.alerts import ALERT_KINDS, AlertConfigError, DeliveryConfig, alert_dict
from head_office.store import Store, database_errors

log = logging.getLogger(__name__)

GENERIC, WECOM, DINGTALK = "generic", "wecom", "dingtalk"
FORMATS = (GENERIC, WECOM, DINGTALK)
#: what the worker reads of the outbox at a time, per webhook
BATCH = 20
IDLE_S = 0.5


@dataclass(frozen=True)
class Webhook:
    """One `--alert-webhook`: where to POST, which kinds, in which format, with which
    signing secret (DingTalk's "加签"; WeCom robots carry their key in the URL)."""

    url: str
    kinds: frozenset[str] = frozenset(ALERT_KINDS)
    format: str = GENERIC
    secret: str | None = None

    @property
    def label(self) -> str:
        """The webhook's name in the outbox: its address without query or secret, and a digest
        of the whole URL (a robot's key sits in its query)."""
        parts = urllib.parse.urlsplit(self.url)
        digest = hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:12]
        return f"{parts.scheme}://{parts.netloc}{parts.path}"[:180] + f"~{digest}"


def parse_webhook(
    spec: str, *, default_format: str = GENERIC, default_secret: str | None = None
) -> Webhook:
    """`URL#kinds=overtime,poor_rating&format=wecom&secret=SEC…`: the fragment (never sent)
    says which kinds (default all), the format (default `default_format`) and DingTalk's
    signing secret (default `default_secret`). AlertConfigError when it makes no sense."""
    url, _, fragment = spec.strip().partition("#")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AlertConfigError(f"webhook {_shown(url)!r}: expected an http:// or https:// URL")
    options = urllib.parse.parse_qs(fragment, keep_blank_values=True) if fragment else {}
    unknown = sorted(set(options) - {"kinds", "format", "secret"})
    if unknown:
        raise AlertConfigError(
            f"webhook {_shown(url)}: unknown option {unknown[0]!r} after #; "
            "expected kinds=, format= or secret="
        )
    values = {key: value[-1] for key, value in options.items()}
    fmt = values.get("format", default_format)
    return make_webhook(
        url,
        kinds=values.get("kinds"),
        format=fmt,
        secret=values.get("secret", default_secret if fmt == DINGTALK else None),
    )


def make_webhook(
    url: str,
    *,
    kinds: str | Sequence[str] | None = None,
    format: str = GENERIC,
    secret: str | None = None,
) -> Webhook:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AlertConfigError(f"webhook {_shown(url)!r}: expected an http:// or https:// URL")
    if kinds is None:
        chosen = frozenset(ALERT_KINDS)
    else:
        names = kinds.split(",") if isinstance(kinds, str) else list(kinds)
        chosen = frozenset(k.strip() for k in names if k.strip())
        wrong = sorted(chosen - set(ALERT_KINDS))
        if wrong or not chosen:
            raise AlertConfigError(
                f"webhook {_shown(url)}: kinds: expected some of "
                f"{', '.join(ALERT_KINDS)}, got {','.join(wrong) or 'none'}"
            )
    if format not in FORMATS:
        raise AlertConfigError(
            f"webhook {_shown(url)}: format: expected one of {', '.join(FORMATS)}, got {format!r}"
        )
    if secret is not None and format != DINGTALK:
        raise AlertConfigError(
            f"webhook {_shown(url)}: a signing secret is for the dingtalk "
            "format only (a WeCom robot's key is in its URL)"
        )
    return Webhook(url, chosen, format, secret or None)


def webhooks_from_config(tables: Sequence[Mapping[str, Any]]) -> list[Webhook]:
    """The `[[webhook]]` tables of the alert configuration file."""
    out = []
    for table in tables:
        unknown = sorted(set(table) - {"url", "kinds", "format", "secret"})
        if unknown or not isinstance(table.get("url"), str):
            raise AlertConfigError(
                f'[[webhook]]: expected url = "…" and optionally kinds, '
                f"format, secret; got {', '.join(sorted(table)) or 'nothing'}"
            )
        kinds = table.get("kinds")
        if kinds is not None and not (
            isinstance(kinds, list) and all(isinstance(k, str) for k in kinds)
        ):
            raise AlertConfigError('[[webhook]] kinds: expected a list such as ["overtime"]')
        out.append(
            make_webhook(
                table["url"],
                kinds=kinds,
                format=table.get("format", GENERIC),
                secret=table.get("secret"),
            )
        )
    return out


def _shown(url: str) -> str:
    """The URL without query (a robot's key) for messages."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else url[:60]


# ---- what is sent --------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, Base64,
    URL-encoded."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(hook: Webhook, timestamp_ms: int) -> str:
    """The URL to POST to: a DingTalk robot with a secret gets `timestamp` and `sign`."""
    if hook.format != DINGTALK or not hook.secret:
        return hook.url
    joiner = "&" if urllib.parse.urlsplit(hook.url).query else "?"
    sign = dingtalk_sign(hook.secret, timestamp_ms)
    return f"{hook.url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def generic_body(alert: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: alert[key]
        for key in (
            "id",
            "kind",
            "hall",
            "counter",
            "staff",
            "staff_name",
            "txn",
            "at",
            "text",
            "detail",
        )
    }


def robot_content(alert: Mapping[str, Any]) -> str:
    """A robot's message: the text, and the alert id so that a repeat is recognisable."""
    return f"{alert['text']} [{alert['kind']} {alert['id']}]"


def body_of(hook: Webhook, alert: Mapping[str, Any]) -> dict[str, Any]:
    if hook.format == GENERIC:
        return generic_body(alert)
    return {"msgtype": "text", "text": {"content": robot_content(alert)}}


def succeeded(fmt: str, status: int, body: bytes) -> tuple[bool, str]:
    """Whether the service took the message, and if not why (its own success code counts,
    not a bare HTTP 200)."""
    if fmt == GENERIC:
        return 200 <= status < 300, f"HTTP {status}"
    if status != 200:
        return False, f"HTTP {status}"
    try:
        answer = json.loads(body)
    except ValueError:
        return False, "HTTP 200 without a JSON answer"
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code == 0:
        return True, "ok"
    message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
    return False, f"errcode {code!r} {str(message)[:200]}".strip()


def send(hook: Webhook, alert: Mapping[str, Any], timeout_s: float) -> tuple[bool, str]:
    """POST the alert once (blocking); whether it was delivered, and what happened."""
    data = json.dumps(body_of(hook, alert), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        signed_url(hook, int(time.time() * 1000)),
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "counter-hq-alerts",
            "X-Alert-Id": str(alert["id"]),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return succeeded(hook.format, response.status, response.read(65536))
    except urllib.error.HTTPError as exc:
        with contextlib.suppress(OSError):
            exc.read()
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"{type(exc).__name__}: {reason}"[:300]


# ---- pacing --------------------------------------------------------------------------------


def backoff_s(attempts: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """The wait after the `attempts`-th failure: base, doubling, capped, with jitter (a half
    to the whole of it), so that many failed alerts do not come back all at once."""
    ceiling = min(cap_s, base_s * 2.0 ** max(0, attempts - 1))
    return ceiling * (0.5 + 0.5 * rng.random())


class RateLimit:
    """At most `limit` sends in any `window_s` (a sliding window)."""

    def __init__(self, limit: int | None, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._sent: collections.deque[float] = collections.deque()

    def wait_s(self, now: float) -> float:
        """How long until one more may be sent (0: now)."""
        if self.limit is None:
            return 0.0
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()
        if len(self._sent) < self.limit:
            return 0.0
        return self._sent[0] + self.window_s - now

    def note(self, now: float) -> None:
        self._sent.append(now)


# ---- the outbox worker ---------------------------------------------------------------------


class Outbox:
    """Sends the outbox's due rows to each webhook, one webhook per asyncio task."""

    def __init__(
        self,
        store: Store,
        hooks: Sequence[Webhook],
        delivery: DeliveryConfig,
        *,
        seed: int | None = None,
    ) -> None:
        self.store = store
        self.hooks = tuple(hooks)
        self.delivery = delivery
        self.rng = random.Random(seed)
        self.limits = {
            h.label: RateLimit(None if h.format == GENERIC else delivery.robot_per_minute)
            for h in self.hooks
        }

    def due(self, hook: Webhook, now: float) -> list[tuple[dict[str, Any], int]]:
        a, d = schema.alerts, schema.alert_deliveries
        with database_errors(), self.store.reader.connect() as conn:
            rows = conn.execute(
                select(a, d.c.attempts)
                .select_from(d.join(a, a.c.id == d.c.alert_id))
                .where(d.c.webhook == hook.label, d.c.delivered_at.is_(None), d.c.next_at <= now)
                .order_by(d.c.next_at, a.c.seq)
                .limit(BATCH)
            ).all()
        return [(alert_dict(r), int(r.attempts)) for r in rows]

    def record(self, hook: Webhook, alert: str, attempts: int, ok: bool, note: str) -> None:
        d = schema.alert_deliveries
        values: dict[str, Any] = {"attempts": attempts + 1, "last_error": None if ok else note}
        if ok:
            values["delivered_at"] = periods.utc_now()
        else:
            values["next_at"] = time.time() + backoff_s(
                attempts + 1, self.delivery.backoff_s, self.delivery.backoff_cap_s, self.rng
            )
        with database_errors(), self.store.engine.begin() as conn:
            conn.execute(
                d.update().where(d.c.alert_id == alert, d.c.webhook == hook.label).values(**values)
            )

    async def run(self, hook: Webhook) -> None:
        """Deliver to one webhook until cancelled."""
        limit = self.limits[hook.label]
        while True:
            try:
                due = await asyncio.to_thread(self.due, hook, time.time())
            except Exception:
                log.exception("alert outbox: cannot read the outbox")
                due = []
            if not due:
                await asyncio.sleep(IDLE_S)
                continue
            for alert, attempts in due:
                wait = limit.wait_s(time.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                limit.note(time.monotonic())
                ok, note = await asyncio.to_thread(send, hook, alert, self.delivery.timeout_s)
                if not ok:
                    log.warning(
                        "alert %s to %s not delivered (attempt %d): %s",
                        alert["id"],
                        _shown(hook.url),
                        attempts + 1,
                        note,
                    )
                try:
                    await asyncio.to_thread(self.record, hook, alert["id"], attempts, ok, note)
                except Exception:
                    log.exception("alert outbox: cannot record a delivery")
