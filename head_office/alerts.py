"""The hall server's alerts (docs/alerts.md): raised from presence and uploaded events, kept in
the `alerts` table, put in the webhook outbox (`alert_deliveries`, sent by head_office.webhooks)
and read by the manager views (`GET /api/v1/hall/alerts`).

Three kinds:

- overtime: a running transaction past its target, judged from the counter's own elapsed
  seconds in its latest presence plus the time since that presence arrived, measured on the
  server's monotonic clock (never the server's wall clock against the counter's start time:
  the two clocks may disagree by minutes). One alert per transaction.
- poor_rating: an uploaded `rated` event with a rating at or under the threshold (1 or 2). One
  per transaction.
- not_reporting: a counter whose latest presence had staff signed in and which has sent
  nothing since, for longer than the threshold. One per silence (its last presence).

Plain Python and SQLAlchemy Core: no HTTP here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from counter_core import events as kinds
from counter_core import periods
from head_office import schema
from head_office.store import Store, database_errors, mark_acknowledged

OVERTIME, POOR_RATING, NOT_REPORTING = "overtime", "poor_rating", "not_reporting"
ALERT_KINDS = (OVERTIME, POOR_RATING, NOT_REPORTING)
LANGUAGES = ("zh", "en")
#: quiet reasons (the `quiet` column): the alert is listed but not sent to webhooks
QUIET_HOURS, HOURLY_CAP, STALE = "quiet_hours", "hourly_cap", "stale"
#: how long an acknowledged alert stays in the manager views' list
RECENT_S = 24 * 3600
MAX_LISTED = 500


class AlertConfigError(ValueError):
    """The alert configuration file cannot be used; the message says where and why."""


# ---- configuration -----------------------------------------------------------------------


@dataclass(frozen=True)
class QuietSpan:
    """A daily span of local time ("12:00-13:30"; "22:00-06:00" crosses midnight)."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> QuietSpan:
        try:
            first, second = text.split("-")
            start, end = dt.time.fromisoformat(first.strip()), dt.time.fromisoformat(second.strip())
        except ValueError:
            raise AlertConfigError(
                f"quiet hours {text!r}: expected HH:MM-HH:MM, such as 12:00-13:30"
            ) from None
        if start == end:
            raise AlertConfigError(f"quiet hours {text!r}: the span is empty")
        return cls(start, end)

    def contains(self, moment: dt.time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class KindRule:
    """One kind's rule: on or off, its threshold (overtime: seconds past target;
    not_reporting: seconds of silence; poor_rating: the highest rating that alerts), and its
    quiet rules (at most N per counter per hour; quiet hours in the hall's time zone)."""

    enabled: bool = True
    threshold: float = 0.0
    max_per_counter_per_hour: int | None = None
    quiet_hours: tuple[QuietSpan, ...] = ()
    #: poor_rating: a rating older than this (its event's time against the server's clock)
    #: when it arrives, as from a counter that was offline, is listed but not sent
    max_age_s: float | None = None


DEFAULT_RULES: dict[str, KindRule] = {
    OVERTIME: KindRule(threshold=0.0),
    POOR_RATING: KindRule(threshold=2, max_age_s=3600.0),
    NOT_REPORTING: KindRule(threshold=30.0),
}
_THRESHOLD_KEY = {OVERTIME: "threshold_s", POOR_RATING: "max_rating", NOT_REPORTING: "threshold_s"}


@dataclass(frozen=True)
class DeliveryConfig:
    """How the outbox sends: per-attempt timeout, backoff (doubling with jitter, capped), and
    the group robots' rate limit (WeCom and DingTalk allow 20 messages a minute)."""

    timeout_s: float = 10.0
    backoff_s: float = 2.0
    backoff_cap_s: float = 300.0
    robot_per_minute: int = 20


@dataclass(frozen=True)
class AlertConfig:
    rules: Mapping[str, KindRule] = field(default_factory=lambda: dict(DEFAULT_RULES))
    #: the language of each alert's `text`
    language: str = "zh"
    #: the halls' zone for quiet hours; None: the server's --time-zone
    time_zone: str | None = None
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    #: webhooks from the file (`[[webhook]]` tables), as head_office.webhooks reads them
    webhooks: tuple[Mapping[str, Any], ...] = ()

    def rule(self, kind: str) -> KindRule:
        return self.rules[kind]


def _number(where: str, value: Any, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise AlertConfigError(f"{where}: expected a number of at least {minimum:g}, got {value!r}")
    return float(value)


def _known(where: str, table: Mapping[str, Any], keys: Sequence[str]) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise AlertConfigError(
            f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(keys)}"
        )


def parse_config(data: Mapping[str, Any]) -> AlertConfig:
    """The configuration from a parsed TOML document (AlertConfigError when it is wrong)."""
    _known(
        "the alert configuration",
        data,
        ("language", "time_zone", "delivery", "webhook", *ALERT_KINDS),
    )
    language = data.get("language", "zh")
    if language not in LANGUAGES:
        raise AlertConfigError(f"language: expected zh or en, got {language!r}")
    time_zone = data.get("time_zone")
    if time_zone is not None:
        if not isinstance(time_zone, str):
            raise AlertConfigError(f"time_zone: expected an IANA name, got {time_zone!r}")
        try:
            periods.zone(time_zone)
        except periods.PeriodError as exc:
            raise AlertConfigError(f"time_zone: {exc}") from None
    rules = dict(DEFAULT_RULES)
    for kind in ALERT_KINDS:
        table = data.get(kind, {})
        if not isinstance(table, dict):
            raise AlertConfigError(f"[{kind}]: expected a table")
        key = _THRESHOLD_KEY[kind]
        allowed = ["enabled", key, "max_per_counter_per_hour", "quiet_hours"]
        _known(f"[{kind}]", table, [*allowed, "max_age_s"] if kind == POOR_RATING else allowed)
        rule = rules[kind]
        if "enabled" in table:
            if not isinstance(table["enabled"], bool):
                raise AlertConfigError(f"[{kind}] enabled: expected true or false")
            rule = replace(rule, enabled=table["enabled"])
        if key in table:
            value = _number(f"[{kind}] {key}", table[key], minimum=1 if kind == POOR_RATING else 0)
            if kind == POOR_RATING and (value != int(value) or value > 5):
                raise AlertConfigError(f"[{kind}] {key}: expected a whole number 1 to 5")
            rule = replace(rule, threshold=value)
        if "max_age_s" in table:
            rule = replace(
                rule, max_age_s=_number(f"[{kind}] max_age_s", table["max_age_s"], minimum=1)
            )
        if "max_per_counter_per_hour" in table:
            cap = table["max_per_counter_per_hour"]
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise AlertConfigError(
                    f"[{kind}] max_per_counter_per_hour: expected a whole "
                    f"number of at least 1, got {cap!r}"
                )
            rule = replace(rule, max_per_counter_per_hour=cap)
        if "quiet_hours" in table:
            spans = table["quiet_hours"]
            if isinstance(spans, str):
                spans = [spans]
            if not isinstance(spans, list) or not all(isinstance(s, str) for s in spans):
                raise AlertConfigError(
                    f'[{kind}] quiet_hours: expected a list such as ["12:00-13:30"]'
                )
            try:
                rule = replace(rule, quiet_hours=tuple(QuietSpan.parse(s) for s in spans))
            except AlertConfigError as exc:
                raise AlertConfigError(f"[{kind}] {exc}") from None
        rules[kind] = rule
    delivery = data.get("delivery", {})
    if not isinstance(delivery, dict):
        raise AlertConfigError("[delivery]: expected a table")
    _known("[delivery]", delivery, ("timeout_s", "backoff_s", "backoff_cap_s", "robot_per_minute"))
    sending = DeliveryConfig()
    seconds = {
        key: _number(f"[delivery] {key}", delivery[key], minimum=0.01)
        for key in ("timeout_s", "backoff_s", "backoff_cap_s")
        if key in delivery
    }
    sending = replace(
        sending,
        timeout_s=seconds.get("timeout_s", sending.timeout_s),
        backoff_s=seconds.get("backoff_s", sending.backoff_s),
        backoff_cap_s=seconds.get("backoff_cap_s", sending.backoff_cap_s),
    )
    if "robot_per_minute" in delivery:
        per = delivery["robot_per_minute"]
        if isinstance(per, bool) or not isinstance(per, int) or per < 1:
            raise AlertConfigError(
                "[delivery] robot_per_minute: expected a whole number of at least 1"
            )
        sending = replace(sending, robot_per_minute=per)
    hooks = data.get("webhook", [])
    if not isinstance(hooks, list) or not all(isinstance(h, dict) for h in hooks):
        raise AlertConfigError('webhook: expected [[webhook]] tables with url = "…"')
    return AlertConfig(
        rules=rules, language=language, time_zone=time_zone, delivery=sending, webhooks=tuple(hooks)
    )


def load_config(path: str | Path) -> AlertConfig:
    """The configuration in a TOML file (AlertConfigError: unreadable or wrong)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AlertConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AlertConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise AlertConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return parse_config(data)
    except AlertConfigError as exc:
        raise AlertConfigError(f"{path}: {exc}") from None


# ---- the pure parts ------------------------------------------------------------------------


def alert_id(*parts: str) -> str:
    """The alert's stable id: the same parts always give the same id."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def overtime_due(
    elapsed_s: float, target_s: float, since_received_s: float, threshold_s: float
) -> bool:
    """Whether a running transaction is past its target: the counter's own elapsed seconds
    plus the server's monotonic seconds since that presence arrived."""
    return elapsed_s + max(0.0, since_received_s) > target_s + threshold_s


def quiet_reason(
    rule: KindRule, local: dt.time, raised_last_hour: int, age_s: float | None = None
) -> str | None:
    """Why the rule keeps a new alert from the webhooks, or None: stale (`age_s`: how old what
    it reports was when it arrived), the counter's hourly cap (`raised_last_hour`: the kind's
    alerts of the counter in the past hour), then quiet hours."""
    if rule.max_age_s is not None and age_s is not None and age_s > rule.max_age_s:
        return STALE
    if (
        rule.max_per_counter_per_hour is not None
        and raised_last_hour >= rule.max_per_counter_per_hour
    ):
        return HOURLY_CAP
    if any(span.contains(local) for span in rule.quiet_hours):
        return QUIET_HOURS
    return None


def alert_text(
    kind: str, language: str, hall: str, counter: str, staff: str | None, detail: Mapping[str, Any]
) -> str:
    """The alert as one sentence in the hall's language."""
    who = staff or "-"
    if language == "en":
        if kind == OVERTIME:
            return (
                f"Hall {hall} counter {counter}: transaction over its target "
                f"({detail['elapsed_s']:.0f} s of {detail['target_s']:.0f} s), staff {who}"
            )
        if kind == POOR_RATING:
            return (
                f"Hall {hall} counter {counter}: the customer rated {detail['rating']} of "
                f"5, staff {who}"
            )
        return (
            f"Hall {hall} counter {counter}: no signal for {detail['silent_s']:.0f} s "
            f"while staff {who} is signed in"
        )
    if kind == OVERTIME:
        return (
            f"{hall} 大厅 {counter} 号柜台：业务超时（已用 {detail['elapsed_s']:.0f} 秒，"
            f"目标 {detail['target_s']:.0f} 秒），员工 {who}"
        )
    if kind == POOR_RATING:
        return (
            f"{hall} 大厅 {counter} 号柜台：客户评分 {detail['rating']} 分（满分 5 分），员工 {who}"
        )
    return (
        f"{hall} 大厅 {counter} 号柜台：员工 {who} 已登录，但 {detail['silent_s']:.0f} 秒未收到信号"
    )


# ---- raising -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """An alert the rules found; raised once per id."""

    id: str
    kind: str
    hall: str
    counter: str
    staff: str | None
    txn: str | None
    detail: Mapping[str, Any]
    #: when what it reports happened, by the counter's clock (a rating's event time)
    occurred_at: str | None = None


@dataclass
class _Seen:
    state: dict[str, Any]
    received_at: str
    monotonic: float


class AlertEngine:
    """Raises alerts into the database; `presence` is told each presence as it arrives,
    `evaluate` runs the rules (the server's alert loop calls it every second, in a thread).

    `webhooks`: the labels and kinds of the configured webhooks (a new alert gets one outbox
    row per webhook that takes its kind, unless a quiet rule holds it back)."""

    def __init__(
        self,
        store: Store,
        config: AlertConfig,
        time_zone: str,
        webhooks: Sequence[tuple[str, frozenset[str]]] = (),
    ) -> None:
        self.store = store
        self.config = config
        self.time_zone = config.time_zone or time_zone
        self.webhooks = tuple(webhooks)
        self._lock = threading.Lock()
        self._presence: dict[tuple[str, str], _Seen] = {}
        self._raised: set[str] = set()
        self._marks: dict[int, int] = {}

    def presence(self, hall: str, counter: str, state: Mapping[str, Any], received_at: str) -> None:
        with self._lock:
            self._presence[hall, counter] = _Seen(dict(state), received_at, time.monotonic())

    def evaluate(self, now_monotonic: float | None = None) -> list[str]:
        """Raise what the rules find now; the ids newly raised. The marks of the events read
        move only once their alerts are recorded: a crash in between raises them again, with
        the same ids."""
        rated, moved = self._from_ratings()
        found = [
            *self._from_presence(time.monotonic() if now_monotonic is None else now_monotonic),
            *rated,
        ]
        raised = self.raise_alerts(found)
        self._save_marks(moved)
        return raised

    def _from_presence(self, now: float) -> list[Candidate]:
        with self._lock:
            seen = list(self._presence.items())
        overtime, silent = self.config.rule(OVERTIME), self.config.rule(NOT_REPORTING)
        out: list[Candidate] = []
        for (hall, counter), s in seen:
            state, since = s.state, now - s.monotonic
            staff = state.get("staff")
            elapsed, target, txn = state.get("elapsed_s"), state.get("target_s"), state.get("txn")
            if (
                overtime.enabled
                and state.get("phase") == "serving"
                and txn
                and elapsed is not None
                and target
                and overtime_due(elapsed, target, since, overtime.threshold)
            ):
                out.append(
                    Candidate(
                        alert_id(hall, counter, txn, OVERTIME),
                        OVERTIME,
                        hall,
                        counter,
                        staff,
                        txn,
                        {"elapsed_s": round(elapsed + since, 1), "target_s": target},
                    )
                )
            if (
                silent.enabled
                and staff
                and state.get("phase") != "signed_out"
                and since > silent.threshold
            ):
                out.append(
                    Candidate(
                        alert_id(hall, counter, s.received_at, NOT_REPORTING),
                        NOT_REPORTING,
                        hall,
                        counter,
                        staff,
                        state.get("txn"),
                        {"silent_s": round(since, 1), "last_presence_at": s.received_at},
                    )
                )
        return out

    def _from_ratings(self) -> tuple[list[Candidate], dict[int, int]]:
        """Poor ratings in the events uploaded since the loop's mark of each counter."""
        rule = self.config.rule(POOR_RATING)
        c, m, e = schema.counters, schema.alert_marks, schema.events
        out: list[Candidate] = []
        moved: dict[int, int] = {}
        with database_errors(), self.store.reader.connect() as conn:
            rows = conn.execute(
                select(c.c.id, c.c.hall, c.c.counter, c.c.hw_seq, m.c.seq).select_from(
                    c.outerjoin(m, m.c.counter_id == c.c.id)
                )
            ).all()
            for cid, hall, counter, hw, mark in rows:
                mark = max(mark or 0, self._marks.get(cid, 0))
                if hw <= mark:
                    continue
                moved[cid] = hw
                if not rule.enabled:
                    continue
                rated = (
                    conn.execute(
                        select(e.c.body)
                        .where(
                            e.c.counter_id == cid,
                            e.c.seq > mark,
                            e.c.seq <= hw,
                            e.c.kind == kinds.RATED,
                        )
                        .order_by(e.c.seq)
                    )
                    .scalars()
                    .all()
                )
                for body in rated:
                    event = json.loads(body)
                    payload = event.get("payload") or {}
                    rating, txn = payload.get("rating"), payload.get("txn")
                    if not isinstance(rating, int) or rating > rule.threshold or not txn:
                        continue
                    staff = conn.execute(
                        select(schema.transactions.c.staff).where(
                            schema.transactions.c.counter_id == cid,
                            schema.transactions.c.txn == txn,
                        )
                    ).scalar_one_or_none()
                    out.append(
                        Candidate(
                            alert_id(hall, counter, txn, POOR_RATING),
                            POOR_RATING,
                            hall,
                            counter,
                            staff,
                            txn,
                            {"rating": rating, "rated_at": event.get("at")},
                            occurred_at=event.get("at"),
                        )
                    )
        return out, moved

    def _save_marks(self, moved: dict[int, int]) -> None:
        if not moved:
            return
        m = schema.alert_marks
        with database_errors(), self.store.engine.begin() as conn:
            for cid, seq in moved.items():
                if (
                    conn.execute(m.update().where(m.c.counter_id == cid).values(seq=seq)).rowcount
                    == 0
                ):
                    conn.execute(m.insert().values(counter_id=cid, seq=seq))
        self._marks.update(moved)

    def raise_alert(self, found: Candidate, now: dt.datetime | None = None) -> bool:
        """Record the alert and its outbox rows, unless it is already recorded; True when new."""
        return bool(self.raise_alerts([found], now))

    def raise_alerts(self, found: Sequence[Candidate], now: dt.datetime | None = None
                     ) -> list[str]:
        """Record the alerts and their outbox rows, each unless it is already recorded, in one
        transaction (a night's upload brings hundreds of old poor ratings: one commit and two
        inserts, not a transaction each); the ids newly recorded."""
        fresh = [c for c in found if c.id not in self._raised]
        if not fresh:
            return []
        moment = now or dt.datetime.now(dt.UTC)
        try:
            with database_errors(), self.store.engine.begin() as conn:
                raised = self._record(conn, fresh, moment)
        except IntegrityError:
            # some were raised meanwhile by another process on the same database: one by one,
            # each in its own savepoint, so the others are still recorded
            raised = []
            with database_errors(), self.store.engine.begin() as conn:
                for candidate in fresh:
                    try:
                        with conn.begin_nested():
                            raised += self._record(conn, [candidate], moment)
                    except IntegrityError:
                        pass
        self._raised.update(c.id for c in fresh)
        return raised

    def _record(self, conn: Connection, found: Sequence[Candidate], moment: dt.datetime
                ) -> list[str]:
        """Insert the alerts not recorded yet (each quiet or not by its rule, the hourly cap
        counting the ones before it) and their outbox rows; their ids."""
        a, d = schema.alerts, schema.alert_deliveries
        ids = sorted({c.id for c in found})
        held: set[str] = set()
        for start in range(0, len(ids), 500):
            held.update(conn.execute(
                select(a.c.id).where(a.c.id.in_(ids[start:start + 500]))).scalars())
        at = periods.format_utc(moment)
        local = moment.astimezone(periods.zone(self.time_zone)).time()
        hour_ago = periods.format_utc(moment - dt.timedelta(hours=1))
        recent: dict[tuple[str, str, str], int] = {}
        alert_rows: list[dict[str, Any]] = []
        delivery_rows: list[dict[str, Any]] = []
        for found_one in found:
            if found_one.id in held:
                continue
            held.add(found_one.id)
            key = (found_one.hall, found_one.counter, found_one.kind)
            if key not in recent:
                recent[key] = conn.execute(
                    select(func.count()).select_from(a).where(and_(
                        a.c.hall == found_one.hall, a.c.counter == found_one.counter,
                        a.c.kind == found_one.kind, a.c.at > hour_ago))).scalar_one()
            quiet = quiet_reason(self.config.rule(found_one.kind), local, recent[key],
                                 _age_s(found_one.occurred_at, moment))
            recent[key] += 1
            alert_rows.append({
                "id": found_one.id, "kind": found_one.kind, "hall": found_one.hall,
                "counter": found_one.counter, "staff": found_one.staff,
                "staff_name": found_one.staff, "txn": found_one.txn, "at": at,
                "text": alert_text(found_one.kind, self.config.language, found_one.hall,
                                   found_one.counter, found_one.staff, found_one.detail),
                "detail": json.dumps(dict(found_one.detail), ensure_ascii=False),
                "quiet": quiet})
            if quiet is None:
                delivery_rows.extend(
                    {"alert_id": found_one.id, "webhook": label, "attempts": 0,
                     "next_at": moment.timestamp()}
                    for label, hook_kinds in self.webhooks if found_one.kind in hook_kinds)
        if alert_rows:
            conn.execute(a.insert(), alert_rows)
        if delivery_rows:
            conn.execute(d.insert(), delivery_rows)
        return [row["id"] for row in alert_rows]


def _age_s(occurred_at: str | None, moment: dt.datetime) -> float | None:
    if not occurred_at:
        return None
    try:
        return (moment - periods.parse_utc(occurred_at)).total_seconds()
    except (ValueError, TypeError):
        return None


# ---- reading and acknowledging -------------------------------------------------------------


def alert_dict(row: Any) -> dict[str, Any]:
    out = {
        name: getattr(row, name)
        for name in (
            "seq",
            "id",
            "kind",
            "hall",
            "counter",
            "staff",
            "staff_name",
            "txn",
            "at",
            "text",
            "quiet",
            "acknowledged_by",
            "acknowledged_desk",
            "acknowledged_at",
        )
    }
    out["detail"] = json.loads(row.detail)
    return out


#: an alert's id, as `alert_id` makes it
ID_PATTERN = r"^[0-9a-f]{32}$"
#: a UTC time as `?since=` takes it (the records' own form, or any ISO 8601 offset)
TIME_PATTERN = (
    r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


class UnknownAlert(LookupError):
    """An alert id the hall does not have."""


def list_alerts(
    store: Store, hall: str, since: str | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The hall's open alerts and those of the past day, oldest first; after `since` (an
    alert's id, or a UTC time) only the alerts raised after it. UnknownAlert: `since` is an
    id of no alert of this hall; ValueError: it is neither an id nor a time."""
    a = schema.alerts
    moment = now or dt.datetime.now(dt.UTC)
    recent = periods.format_utc(moment - dt.timedelta(seconds=RECENT_S))
    query = select(a).where(a.c.hall == hall)
    when = None
    if since is not None and not re.fullmatch(ID_PATTERN, since):
        if not re.fullmatch(TIME_PATTERN, since):
            raise ValueError("neither an alert id nor a UTC time")
        when = periods.format_utc(periods.parse_utc(since))  # ValueError: no such day
    with database_errors(), store.reader.connect() as conn:
        if when is not None:
            query = query.where(a.c.at > when)
        elif since is not None:
            after = conn.execute(
                select(a.c.seq).where(a.c.hall == hall, a.c.id == since)
            ).scalar_one_or_none()
            if after is None:
                raise UnknownAlert(since)
            query = query.where(a.c.seq > after)
        else:
            query = query.where((a.c.acknowledged_at.is_(None)) | (a.c.at > recent))
        rows = conn.execute(query.order_by(a.c.seq).limit(MAX_LISTED)).all()
    return [alert_dict(r) for r in rows]


def acknowledge(
    store: Store, hall: str, alert: str, staff: str, desk: str
) -> dict[str, Any] | None:
    """Record who acknowledged the alert (the first acknowledgement stands); None when the
    hall has no such alert."""
    with database_errors(), store.engine.begin() as conn:
        row = mark_acknowledged(conn, hall, alert, staff, desk)
    return None if row is None else alert_dict(row)
