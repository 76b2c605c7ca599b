"""Head office's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL, and migrations."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine

from counter_core.projection import COLUMNS as TRANSACTION_COLUMNS

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, nullable=False),
)

#: the kinds of `counters.kind`
COUNTER_KIND, DESK_KIND = "counter", "desk"
KINDS = (COUNTER_KIND, DESK_KIND)

#: one row per enrolled counter: its token (hashed) and its contiguous high-water mark
counters = Table(
    "counters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", Text, nullable=False),
    Column("counter", Text, nullable=False),
    Column("token_hash", String(64), unique=True),
    Column("enrolled_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    Column("hw_seq", Integer, nullable=False, default=0),
    Column("hw_hash", String(64), nullable=False),
    Column("last_sync_at", String(32)),
    Column("last_event_at", Text),
    #: "counter", or "desk" (`counter-hq enroll --kind desk`): a desk uploads its own chain
    #: and reads its hall, and is never counted as a counter
    Column("kind", String(16), nullable=False, server_default=COUNTER_KIND),
    UniqueConstraint("hall", "counter", name="counters_hall_counter"),
)

#: a hall's read-only token (`counter-hq enroll --hall H --reader`): reads the hall's figures
#: (`GET /api/v1/hall`), uploads nothing; a counter's own token reads its own status only
readers = Table(
    "readers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", Text, nullable=False, unique=True),
    Column("token_hash", String(64), unique=True),
    Column("enrolled_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
)

#: the events exactly as chained: `body` is the canonical text the hash covers, never rewritten
events = Table(
    "events", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("uuid", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    #: why a chained event is kept out of every projection and report (schema or lifecycle
    #: rules of counter_core.validation), None for a valid event (schema version 4)
    Column("invalid", Text),
)

#: the same sequence number offered with a different hash: recorded, never stored over
conflicts = Table(
    "conflicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("stored_hash", String(64), nullable=False),
    Column("offered_hash", String(64), nullable=False),
    Column("offered", Text, nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
    Column("times", Integer, nullable=False, default=1),
    UniqueConstraint("counter_id", "seq", "offered_hash", name="conflicts_once"),
)

#: events refused (foreign, tampered, chain broken): kept aside with the reason, once each
rejected = Table(
    "rejected", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("offered", Text, nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
    Column("times", Integer, nullable=False, default=1),
    UniqueConstraint("counter_id", "seq", "reason", name="rejected_once"),
)

#: a break the counter found and recorded (`chain_break_detected`): the good prefix and the
#: segment from the break event on are stored as events; the broken span only here
chain_breaks = Table(
    "chain_breaks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("break_seq", Integer, nullable=False),
    Column("break_hash", String(64), nullable=False),
    Column("chain_format", Integer, nullable=False),
    Column("last_good_seq", Integer, nullable=False),
    Column("last_good_hash", String(64), nullable=False),
    Column("first_bad_seq", Integer, nullable=False),
    Column("last_bad_seq", Integer, nullable=False),
    Column("detected_at", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
    UniqueConstraint("counter_id", "break_seq", name="chain_breaks_once"),
)

#: the broken span's events exactly as the counter sent them (evidence), once per sequence
chain_break_evidence = Table(
    "chain_break_evidence", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("break_seq", Integer, nullable=False),
    Column("offered", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
)

#: free text is TEXT (no length to overflow); hashes and server-made timestamps are fixed
_TYPES: dict[str, type] = {
    "target_s": Float, "duration_s": Float, "overtime_s": Float, "rating": Integer,
    "started_seq": Integer, "last_seq": Integer,
}

#: the counter's transactions projection (same fold), plus the manager's latest review of each
transactions = Table(
    "transactions", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    *(
        Column(name, _TYPES.get(name, Text), primary_key=name == "txn",
               nullable=name not in ("txn", "hall", "counter", "status"))
        for name in TRANSACTION_COLUMNS
    ),
    Column("review_cause", Text),
    Column("review_note", Text),
    Column("reviewed_seq", Integer),
    Index("transactions_hall_started", "hall", "started_at"),
)

#: manager review events (overtime causes, poor-rating follow-ups), one row per event
reviews = Table(
    "reviews", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("txn", Text),
    Column("kind", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("cause", Text),
    Column("note", Text),
    Column("body", Text, nullable=False),
)


#: a counter's chain head as it reported it (`POST /api/v1/anchor`), once per (seq, hash):
#: no events, only the claim an upload must not contradict later, and the clock it showed
anchors = Table(
    "anchors", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("app_version", String(100), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("counter_clock", String(40), nullable=False),
    #: received_at minus the counter's clock, in seconds (positive: the counter is behind)
    Column("skew_s", Float, nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("times", Integer, nullable=False, default=1),
    UniqueConstraint("counter_id", "seq", "hash", name="anchors_once"),
)

#: what contradicts a counter's anchors or head office's events (head_office.anchors), with
#: the operator's account of it: status open, explained or resolved, why, by whom, when
incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("expected_hash", String(64), nullable=False),
    Column("offered_hash", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
    Column("times", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False, default="open"),
    Column("status_reason", Text),
    Column("status_by", Text),
    Column("status_at", String(32)),
    #: the row of the kind's own table holding the evidence (conflicts, rejected, chain_breaks,
    #: refusals: the latest), None for the anchors' kinds (schema version 5)
    Column("evidence_id", Integer),
    UniqueConstraint("counter_id", "kind", "seq", "offered_hash", name="incidents_once"),
)

#: `counter-hq enroll --new-history`: the new chain's counter row and the old chain's last
#: head (what head office held of it), so the two histories stay linked
history_links = Table(
    "history_links", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("previous_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("previous_seq", Integer, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("anchored_seq", Integer, nullable=False),
    Column("linked_at", String(32), nullable=False),
)

#: refused uploads (foreign event, broken chain): a bounded record per counter, the last
#: REFUSALS_KEPT only, each with a sample of the offered event, never the whole of it
refusals = Table(
    "refusals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("at", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    #: the offered event's size in bytes (UTF-8 JSON)
    Column("size", Integer, nullable=False),
    #: its first SAMPLE_BYTES bytes
    Column("sample", Text, nullable=False),
    Index("refusals_counter", "counter_id", "id"),
)

#: a review (counter_core.validation.REFERENCE_KINDS) naming a transaction head office does
#: not hold yet: stored with its chain, held here until the transaction arrives (`joined_at`)
pending_refs = Table(
    "pending_refs", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("hall", Text, nullable=False),
    Column("txn", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("joined_at", String(32)),
    Column("joined_counter_id", Integer),
    Index("pending_refs_txn", "hall", "txn"),
)

#: the working-day calendar set at head office (`counter-hq calendar set`), one row per year:
#: its public holidays and make-up working days (调休) as JSON lists of dates
work_calendar = Table(
    "work_calendar", metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("holidays", Text, nullable=False),
    Column("workdays", Text, nullable=False),
    Column("set_at", String(32), nullable=False),
)

REFUSALS_KEPT = 100
SAMPLE_BYTES = 2048

_V3_TABLES = (anchors, incidents, history_links)
_V4_TABLES = (refusals, pending_refs)


#: alerts the hall server raised (head_office.alerts): `id` is stable per alert (a repeat of
#: the same overtime, rating or silence is the same row); `seq` orders them for `?since=`;
#: `quiet` names the quiet rule that kept it from the webhooks (kept in the list all the same)
alerts = Table(
    "alerts", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("hall", Text, nullable=False),
    Column("counter", Text, nullable=False),
    Column("staff", Text),
    Column("staff_name", Text),
    Column("txn", Text),
    Column("at", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("quiet", String(32)),
    Column("acknowledged_by", Text),
    Column("acknowledged_desk", Text),
    Column("acknowledged_at", String(32)),
    Index("alerts_hall_seq", "hall", "seq"),
)

#: the persistent outbox: one row per (alert, webhook) until the service confirms it;
#: `webhook` is the webhook's label (head_office.webhooks.Webhook.label: no secret in it)
alert_deliveries = Table(
    "alert_deliveries", metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("webhook", String(200), primary_key=True),
    Column("attempts", Integer, nullable=False, default=0),
    #: the next attempt, as seconds since the epoch on the server's clock
    Column("next_at", Float, nullable=False),
    Column("delivered_at", String(32)),
    Column("last_error", Text),
    Index("alert_deliveries_due", "webhook", "delivered_at", "next_at"),
)

#: how far the alert loop has read each counter's events (for poor ratings): its last seq
alert_marks = Table(
    "alert_marks", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, nullable=False),
)

_V6_TABLES = (alerts, alert_deliveries, alert_marks)


#: the hall server's staff roster as its own hash-chained log (head_office.roster): one row per
#: change, the same staff_* kinds and payload shapes as a counter's chain (number, role, PIN
#: hash digest, `by`), hashed with counter_core.chain's canonical bytes, per hall from seq 1
roster_log = Table(
    "roster_log", metadata,
    Column("hall", Text, primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("at", String(32), nullable=False),
    #: the payload as canonical JSON text (what the hash covers, with the other columns)
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

#: the accounts the roster log leaves, with what the log never carries: the salted PIN hash
#: itself, the name and the photo (the log holds their digests)
roster_accounts = Table(
    "roster_accounts", metadata,
    Column("hall", Text, primary_key=True),
    Column("number", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("pin_hash", Text, nullable=False),
    Column("photo", Text),
    Column("disabled", Integer, nullable=False, default=0),
)

#: refused authentications (unknown or revoked token, another hall's token): the last
#: AUTH_REFUSALS_KEPT per server, with a prefix of the token's SHA-256, never the token
auth_refusals = Table(
    "auth_refusals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("client", String(64), nullable=False),
    Column("token_hint", String(16), nullable=False),
    Column("route", String(200), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
)

AUTH_REFUSALS_KEPT = 1000
_ROSTER_TABLES = (roster_log, roster_accounts, auth_refusals)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t is not readers and t not in _V3_TABLES
                                      and t not in _V4_TABLES])


def _v2(conn: Connection) -> None:
    """Readers' tokens; recorded chain breaks and their evidence (a new database has the
    breaks' tables from _v1)."""
    readers.create(conn, checkfirst=True)
    chain_breaks.create(conn, checkfirst=True)
    chain_break_evidence.create(conn, checkfirst=True)


def _v3(conn: Connection) -> None:
    """Counters' anchors, the incidents they show with their status, new-history links."""
    for table in _V3_TABLES:
        table.create(conn, checkfirst=True)


def _v4(conn: Connection) -> None:
    """Invalid events marked (events.invalid), bounded refusals, pending references; the
    refused events' whole bodies the old `rejected` rows held are cut to a sample."""
    if "invalid" not in {c["name"] for c in inspect(conn).get_columns("events")}:
        conn.execute(text("ALTER TABLE events ADD COLUMN invalid TEXT"))
    for table in _V4_TABLES:
        table.create(conn, checkfirst=True)
    conn.execute(rejected.update().where(func.length(rejected.c.offered) > SAMPLE_BYTES)
                 .values(offered=func.substr(rejected.c.offered, 1, SAMPLE_BYTES)))


def _v5_desks(conn: Connection) -> None:
    """Counters' kind: "counter" for every counter enrolled so far, "desk" for a desk (a new
    database has the column from _v1)."""
    if "kind" in {c["name"] for c in inspect(conn).get_columns("counters")}:
        return
    conn.execute(text("ALTER TABLE counters ADD COLUMN kind VARCHAR(16) NOT NULL "
                      "DEFAULT 'counter'"))


def _v6_alerts(conn: Connection) -> None:
    """Alerts, their webhook outbox and the alert loop's marks; the counters enrolled so far
    are marked as read to their high-water mark, so an upgrade raises no alert for the past."""
    for table in _V6_TABLES:
        table.create(conn, checkfirst=True)
    marked = select(alert_marks.c.counter_id)
    conn.execute(alert_marks.insert().from_select(
        ["counter_id", "seq"],
        select(counters.c.id, counters.c.hw_seq).where(counters.c.id.not_in(marked))))


def _v7_incident_kinds(conn: Connection) -> None:
    """Every kind of incident in `incidents` (one id space, one explain/resolve procedure):
    a row for each conflict, rejected event, chain break and refused upload (one per counter
    and reason) older databases hold. The kinds' names are head_office.anchors' (spelt out:
    a migration does not change when the code does)."""
    if "evidence_id" not in {c["name"] for c in inspect(conn).get_columns("incidents")}:
        conn.execute(text("ALTER TABLE incidents ADD COLUMN evidence_id INTEGER"))
    i = incidents.c

    def add(counter_id: int, kind: str, seq: int, expected: str, offered: str, detail: str,
            first_at: str, last_at: str, times: int, evidence_id: int,
            by_detail: bool = False, **status: str) -> None:
        expected, offered = expected[:64], offered[:64]
        same = and_(i.seq == seq, i.offered_hash == offered)
        seen = conn.execute(select(i.id, i.first_at, i.last_at).where(
            i.counter_id == counter_id, i.kind == kind,
            or_(i.detail == detail, same) if by_detail else same).order_by(i.id)).first()
        if seen is not None:
            conn.execute(incidents.update().where(i.id == seen.id).values(
                times=i.times + times, evidence_id=evidence_id,
                first_at=min(seen.first_at, first_at), last_at=max(seen.last_at, last_at)))
            return
        conn.execute(incidents.insert().values(
            counter_id=counter_id, kind=kind, seq=seq, expected_hash=expected,
            offered_hash=offered, detail=detail, first_at=first_at, last_at=last_at,
            times=times, evidence_id=evidence_id, status=status.get("status", "open"),
            status_reason=status.get("status_reason"), status_by=status.get("status_by"),
            status_at=status.get("status_at")))

    for r in conn.execute(select(conflicts).order_by(conflicts.c.id)):
        add(r.counter_id, "history_conflict", r.seq, r.stored_hash, r.offered_hash,
            f"the counter offered hash {r.offered_hash[:12]}… at sequence {r.seq}, where head "
            f"office holds {r.stored_hash[:12]}…: a different history", r.first_at, r.last_at,
            r.times, r.id)
    hashes = {(c, s): h for c, s, h in conn.execute(
        select(events.c.counter_id, events.c.seq, events.c.hash)
        .join(rejected, and_(rejected.c.counter_id == events.c.counter_id,
                             rejected.c.seq == events.c.seq)))}
    for r in conn.execute(select(rejected).order_by(rejected.c.id)):
        offered = hashes.get((r.counter_id, r.seq)) or _sampled_hash(r.offered)
        if r.reason == "unknown kind":
            add(r.counter_id, "unknown_kind", r.seq, "", offered, r.reason, r.first_at,
                r.last_at, r.times, r.id, status="explained", status_by="counter-hq",
                status_at=r.first_at,
                status_reason="an event of a kind this counter-hq does not know (a newer "
                              "counter's): stored and chained, kept out of the reports until "
                              "counter-hq is upgraded")
        elif r.reason.startswith("invalid: "):
            add(r.counter_id, "invalid_event", r.seq, "", offered, r.reason, r.first_at,
                r.last_at, r.times, r.id)
        else:  # an upload refused before refusals had a table of their own
            add(r.counter_id, "refused_upload", r.seq, "", offered, r.reason, r.first_at,
                r.last_at, r.times, r.id, by_detail=True)
    for r in conn.execute(select(chain_breaks).order_by(chain_breaks.c.id)):
        add(r.counter_id, "chain_break", r.first_bad_seq, r.last_good_hash, r.break_hash,
            f"the counter found its chain broken and recorded it at sequence {r.break_seq} "
            f"({r.detected_at}): sequences {r.first_bad_seq}–{r.last_bad_seq} do not verify "
            f"({r.reason}); last good {r.last_good_seq}; the chain goes on from {r.break_seq}",
            r.first_at, r.last_at, 1, r.id)
    for r in conn.execute(select(refusals).order_by(refusals.c.id)):
        add(r.counter_id, "refused_upload", r.seq, "", r.hash, r.reason, r.at, r.at, 1, r.id,
            by_detail=True)


def _sampled_hash(sample: str) -> str:
    """The hash a sample of an offered event names, or "" (a sample may be cut short)."""
    found = re.search(r'"hash":\s*"([0-9a-f]{64})"', sample)
    return found.group(1) if found else ""


# ---- web access (head_office.web): logins, their halls, sessions, the audit trail ----------
#: kept apart from `metadata` so that _v8_web alone creates them, on a new database too
web_metadata = MetaData()

#: a person's login to head office's web pages: role "hq" (every hall) or "hall" (its halls)
users = Table(
    "users", web_metadata,
    Column("login", String(64), primary_key=True),
    Column("role", String(8), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled_at", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("changed_at", String(32), nullable=False),
)

#: the halls a "hall" login sees (several: a regional manager)
user_halls = Table(
    "user_halls", web_metadata,
    Column("login", String(64), ForeignKey("users.login"), primary_key=True),
    Column("hall", Text, primary_key=True),
)

#: server-side sessions: the cookie's token only as its SHA-256, times as epoch seconds
sessions = Table(
    "sessions", web_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("login", String(64), ForeignKey("users.login"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_s", Float, nullable=False),
    Column("seen_s", Float, nullable=False),
    Column("ip", String(64), nullable=False),
)

#: who did what, when (UTC), from where; purged after the retention (at least 183 days)
audit = Table(
    "audit", web_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("login", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("ip", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Index("audit_at", "at"),
)


def _v8_web(conn: Connection) -> None:
    """Web access: users and their halls, sessions, the audit trail (head_office.web)."""
    web_metadata.create_all(conn, checkfirst=True)


def _v9_calendar(conn: Connection) -> None:
    """The working-day calendar (a new database has the table from _v1)."""
    work_calendar.create(conn, checkfirst=True)


def _v10_roster(conn: Connection) -> None:
    """The hall server's roster (its hash-chained log and its accounts) and the bounded
    record of refused authentications."""
    for table in _ROSTER_TABLES:
        table.create(conn, checkfirst=True)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _v1, _v2, _v3, _v4, _v5_desks, _v6_alerts, _v7_incident_kinds, _v8_web, _v9_calendar,
    _v10_roster)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The database belongs to a newer counter-hq, or cannot be migrated."""


def migrate(engine: Engine) -> int:
    """Create or bring the schema up to SCHEMA_VERSION, each step in its own transaction."""
    with engine.begin() as conn:
        if not inspect(conn).has_table("schema_version"):
            schema_version.create(conn)
            conn.execute(schema_version.insert().values(version=0))
    with engine.begin() as conn:
        version = conn.execute(select(schema_version.c.version)).scalar_one()
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the database is at schema version {version}, newer than this counter-hq "
            f"({SCHEMA_VERSION}); install the newer counter-hq"
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with engine.begin() as conn:
            step(conn)
            conn.execute(schema_version.update().values(version=number))
    return SCHEMA_VERSION
