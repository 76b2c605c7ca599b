"""Head office's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL, and migrations."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
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
    bindparam,
    case,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from counter_core.events import APPEAL_DECIDED, INTERRUPTED, RATED, RATING_FOLLOWED_UP
from counter_core.figures import (
    CLOSED_REASON,
    POOR_RATINGS,
    SATISFIED_RATINGS,
    SERVING_STATUSES,
    overtime_sql,
)
from counter_core.periods import DEFAULT_TIME_ZONE, local_date, local_midnight_utc
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
#: the condition of the partial index on `log_opened` events, spelt out so that a query with
#: it uses the index (a bound parameter would not match it)
LOG_OPENED_ONLY = text("kind = 'log_opened'")

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
    #: the counter's `log_opened` events (they name the chain format): found at once, where
    #: the primary key walks back through the whole chain (schema version 12)
    Index("events_log_opened", "counter_id", "seq", sqlite_where=LOG_OPENED_ONLY,
          postgresql_where=LOG_OPENED_ONLY),
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

#: a hall's central settings (head_office.settings), one row per version from 1: the settings
#: as canonical JSON (RFC 8785) in counter_core.settings' spelling, served signed to counters
hall_settings = Table(
    "hall_settings", metadata,
    Column("hall", Text, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("set_at", String(32), nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("settings", Text, nullable=False),
)

#: at a hall server with `serve --upstream`: head office's signed documents for the hall
#: (`settings`, `roster`), kept verbatim with their signature and ETag and served as they came
#: (head_office.upstream), so the hall's counters verify head office's own signature
relayed_documents = Table(
    "relayed_documents", metadata,
    Column("hall", Text, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("etag", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("pulled_at", String(32), nullable=False),
)

AUTH_REFUSALS_KEPT = 1000
_ROSTER_TABLES = (roster_log, roster_accounts, auth_refusals)

#: departed staff whose name and photo were purged from roster_accounts (head_office.roster
#: .purge): `details_digest` is the log's digest of what was purged, so the roster still
#: verifies; the events and their hashes in the chains are never touched
staff_purges = Table(
    "staff_purges", metadata,
    Column("hall", Text, primary_key=True),
    Column("number", String(32), primary_key=True),
    Column("purged_at", String(32), nullable=False),
    Column("by", Text, nullable=False),
    Column("details_digest", String(64), nullable=False),
)


#: per counter, its events by arrival: "as of" (the newest upload a page counts) and a closed
#: month's late uploads are index lookups, not scans of the events
events_received = Index("events_counter_received", events.c.counter_id, events.c.received_at)

#: a closed month (`counter-hq month close`, or an hq login on the web): the frozen copy of
#: the hall's figures and star ranking as published, which late uploads never change (they
#: are shown beside it as a restatement, head_office.closing); `scope` "hall" or "all"
closed_months = Table(
    "closed_months", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hall", Text, nullable=False),
    Column("month", String(7), nullable=False),
    Column("scope", String(8), nullable=False),
    Column("closed_by", Text, nullable=False),
    Column("closed_at", String(32), nullable=False),
    #: the newest ingest time (events.received_at) the frozen figures count
    Column("as_of", String(32)),
    Column("time_zone", Text, nullable=False),
    #: JSON: the hall's reports.figures row (null: nothing in the month) and its
    #: reports.stars rows
    Column("figures", Text, nullable=False),
    Column("stars", Text, nullable=False),
    UniqueConstraint("hall", "month", name="closed_months_once"),
)


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


def _v11_settings(conn: Connection) -> None:
    """Central settings per hall, versioned (head_office.settings)."""
    hall_settings.create(conn, checkfirst=True)


def _v12_closed_months(conn: Connection) -> None:
    """Closed months and their frozen figures, and the events' arrival index (a new database
    has both from _v1)."""
    closed_months.create(conn, checkfirst=True)
    events_received.create(conn, checkfirst=True)


def _v13_staff_purges(conn: Connection) -> None:
    """Departed staff whose name and photo were purged (head_office.roster.purge)."""
    staff_purges.create(conn, checkfirst=True)


def _v14_log_opened_index(conn: Connection) -> None:
    """A partial index on the events that name a chain format (`log_opened`): each upload
    looks up the latest one (a new database has it from _v1)."""
    for index in events.indexes:
        if index.name == "events_log_opened":
            index.create(conn, checkfirst=True)


# ---- figures in SQL, and the per-day aggregates kept from them ---------------------------
# head_office.reports reads the figures from `transactions` with these expressions (the scan),
# and the ingest (head_office.store) keeps `daily_figures` and `daily_follow_ups` current with
# the same expressions, one hall and local day at a time, so that the pages can add up days
# instead of scanning transactions: the two paths give the same figures by construction.

class ExceedsTarget(FunctionElement[bool]):
    """counter_core.figures.exceeds_target(duration, target) in SQL, spelt by `overtime_sql`
    for the dialect at hand (SQLite and PostgreSQL truncate differently)."""

    type = Boolean()
    inherit_cache = True
    name = "exceeds_target"


@compiles(ExceedsTarget)
def _exceeds_target_sql(element: ExceedsTarget, compiler: SQLCompiler, **kw: Any) -> str:
    duration, target = (compiler.process(c, **kw) for c in element.clauses)
    dialect = compiler.dialect.name
    return overtime_sql(duration, target, "postgresql" if dialect == "postgresql" else "sqlite")


class CodePointOrder(FunctionElement[str]):
    """A text column compared by code point, as Python compares str (counter_core's rules
    break ties by chain id that way): SQLite's BINARY already does; PostgreSQL needs the
    "C" collation, whatever the database's own is."""

    inherit_cache = True
    name = "code_point_order"


@compiles(CodePointOrder)
def _code_point_order_sql(element: CodePointOrder, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = (compiler.process(c, **kw) for c in element.clauses)
    return f'({column}) COLLATE "C"' if compiler.dialect.name == "postgresql" else column


def count_of(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def is_timed() -> ColumnElement[bool]:
    """counter_core.figures.is_timed: completed, or interrupted with its known time."""
    t = transactions.c
    return and_(t.target_s.is_not(None), t.duration_s.is_not(None),
                or_(t.status == "completed",
                    and_(t.status == "interrupted", t.overtime_s.is_not(None))))


#: head_office.store files an `appeal_decided` in the reviews table with this cause when upheld
UPHELD = "upheld"


def upheld_appeals(*, hall: Any = None, txns: Any = None) -> Any:
    """(hall, txn) of each transaction whose appeal (申诉) is upheld, by the rule of
    counter_core.reviews.merge_decisions: in each chain its latest decision (by its place in
    the chain) stands; across the hall's chains the later by its time wins, a tie to the
    greater chain id. A decision held pending (its transaction not arrived) is in no review
    row yet. `hall`, `txns` (a select of transaction ids): only those (the same answer for
    them)."""
    r, c = reviews.c, counters.c
    where = [r.kind == APPEAL_DECIDED, r.txn.is_not(None)]
    if hall is not None:
        where.append(c.hall == hall)
    if txns is not None:
        where.append(r.txn.in_(txns))
    in_chain = (select(c.hall.label("hall"), c.counter.label("counter"), r.txn.label("txn"),
                       r.at.label("at"), r.cause.label("cause"),
                       func.row_number().over(partition_by=(r.counter_id, r.txn),
                                              order_by=r.seq.desc()).label("latest"))
                .select_from(reviews.join(counters, c.id == r.counter_id))
                .where(*where)
                .subquery("in_chain"))
    d = in_chain.c
    across = (select(d.hall, d.txn, d.cause,
                     func.row_number().over(
                         partition_by=(d.hall, d.txn),
                         order_by=(d.at.desc(), CodePointOrder(d.counter).desc())).label("won"))
              .where(d.latest == 1)
              .subquery("across"))
    w = across.c
    return (select(w.hall.label("hall"), w.txn.label("txn"))
            .where(w.won == 1, w.cause == UPHELD)
            .subquery("upheld"))


def with_upheld(*, hall: Any = None, txns: Any = None) -> tuple[Any, Any]:
    """The transactions outer-joined to `upheld_appeals` (the join, the subquery)."""
    upheld = upheld_appeals(hall=hall, txns=txns)
    t = transactions.c
    return (transactions.outerjoin(upheld, and_(upheld.c.hall == t.hall,
                                                upheld.c.txn == t.txn)), upheld)


def figure_columns(upheld: Any) -> list[Any]:
    """The counts (and two sums of seconds) every figure of head_office.reports is made of."""
    t = transactions.c
    done = t.status == "completed"
    timed = is_timed()
    any_rating = and_(done, t.rating.is_not(None))
    taken_out = and_(any_rating, upheld.c.txn.is_not(None))
    # an upheld appeal takes the rating out of rated/satisfied/mean (never out of the log)
    rated = and_(any_rating, upheld.c.txn.is_(None))
    return [
        count_of(done).label("completed"),
        count_of(timed).label("timed"),
        count_of(and_(timed, ~ExceedsTarget(t.duration_s, t.target_s))).label("within_target"),
        count_of(rated).label("rated"),
        count_of(and_(rated, t.rating.in_(sorted(SATISFIED_RATINGS)))).label("satisfied"),
        count_of(t.status == "voided").label("voided"),
        count_of(t.status == "interrupted").label("interrupted"),
        func.coalesce(func.sum(case((rated, t.rating), else_=0)), 0).label("rating_sum"),
        count_of(taken_out).label("upheld_appeals"),
        count_of(and_(done, t.rating.in_(sorted(POOR_RATINGS)))).label("poor_ratings"),
        func.coalesce(func.sum(case((done, t.duration_s), else_=0.0)), 0.0).label("duration_sum"),
        func.coalesce(func.sum(case((t.status.in_(SERVING_STATUSES), t.duration_s),
                                    else_=0.0)), 0.0).label("serving_s"),
    ]


def overtime_case() -> ColumnElement[bool]:
    """An overtime transaction (figures.is_overtime_case): timed, over its target."""
    t = transactions.c
    return and_(is_timed(), ExceedsTarget(t.duration_s, t.target_s))


def _daily_columns(upheld: Any) -> list[Any]:
    """figure_columns and what else the daily rows keep: poor ratings upheld, ratings by
    value, overtime with its seconds and reviews (by the row's reason and cause)."""
    t = transactions.c
    done = t.status == "completed"
    poor = and_(done, t.rating.in_(sorted(POOR_RATINGS)))
    over = overtime_case()
    return [
        *figure_columns(upheld),
        count_of(and_(poor, upheld.c.txn.is_not(None))).label("poor_upheld"),
        *(count_of(and_(done, t.rating == value)).label(f"rating_{value}")
          for value in RATING_VALUES),
        count_of(over).label("overtime"),
        count_of(and_(over, t.overtime_s.is_not(None))).label("overtime_with_s"),
        func.coalesce(func.sum(case((over, t.overtime_s), else_=0.0)), 0.0)
        .label("overtime_s_sum"),
        count_of(and_(over, t.reviewed_seq.is_not(None))).label("overtime_reviewed"),
    ]


#: the zone whose local days the daily rows are; a period of whole local days of a zone with
#: the same offsets (all of China) adds them up, any other is scanned (head_office.reports)
AGGREGATE_TIME_ZONE = DEFAULT_TIME_ZONE
RATING_VALUES = (1, 2, 3, 4, 5)
#: a daily row's key besides hall and day
DAILY_KEYS = ("counter", "staff", "type", "overtime_reason", "review_cause")
#: its counts (integers) and sums of seconds (floats)
DAILY_COUNTS = (
    "completed", "timed", "within_target", "rated", "satisfied", "voided", "interrupted",
    "rating_sum", "upheld_appeals", "poor_ratings", "poor_upheld",
    *(f"rating_{v}" for v in RATING_VALUES), "overtime", "overtime_with_s",
    "overtime_reviewed", "closed_in_service",
)
DAILY_SUMS = ("duration_sum", "serving_s", "overtime_s_sum")

#: per chain (counter id; its hall), local day (AGGREGATE_TIME_ZONE) of the start, counter,
#: staff, type, staff's overtime reason and manager's cause: the counts of
#: head_office.reports' figures
daily_figures = Table(
    "daily_figures", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("hall", Text, nullable=False),
    Column("day", String(10), nullable=False),
    *(Column(name, Text) for name in DAILY_KEYS),
    *(Column(name, Integer, nullable=False) for name in DAILY_COUNTS),
    *(Column(name, Float, nullable=False) for name in DAILY_SUMS),
    Index("daily_figures_hall_day", "hall", "day"),
    Index("daily_figures_day", "day"),
    Index("daily_figures_counter_day", "counter_id", "day"),
)

def _rollup(name: str, *keys: str) -> Table:
    return Table(
        name, metadata,
        Column("hall", Text, nullable=False),
        Column("day", String(10), nullable=False),
        *(Column(key, Text) for key in keys),
        *(Column(count, Integer, nullable=False) for count in DAILY_COUNTS),
        *(Column(total, Float, nullable=False) for total in DAILY_SUMS),
        Index(f"{name}_day", "day", "hall"),
        Index(f"{name}_hall_day", "hall", "day"),
    )


#: the daily rows added up per hall and day, and per hall, staff member and day: what the
#: overview and its trend, and the stars, read (a few rows a hall and day, however many
#: counters, types and causes)
daily_halls = _rollup("daily_halls")
daily_staff = _rollup("daily_staff", "staff")
#: the groupings the rollups answer (head_office.reports picks the smallest that does)
ROLLUPS: dict[tuple[str, ...], Table] = {("hall",): daily_halls, ("hall", "staff"): daily_staff}

#: per chain and local day of the start: the poor ratings without a follow-up by the local day
#: they were made (what head_office.reports.overdue_follow_ups counts, due or not)
daily_follow_ups = Table(
    "daily_follow_ups", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), nullable=False),
    Column("hall", Text, nullable=False),
    Column("day", String(10), nullable=False),
    Column("rated_day", String(10), nullable=False),
    Column("open", Integer, nullable=False),
    Index("daily_follow_ups_counter_day", "counter_id", "day"),
    Index("daily_follow_ups_rated", "rated_day"),
)

#: where a counter's stored chain was last re-hashed to (Store.verify): the pages re-hash the
#: events stored since; `counter-hq report chains` re-hashes every one and moves the mark
chain_checks = Table(
    "chain_checks", metadata,
    Column("counter_id", Integer, ForeignKey("counters.id"), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("chain_format", Integer, nullable=False),
    Column("checked_at", String(32), nullable=False),
)

#: the indexes the daily refresh looks transactions and reviews up by, and the stars page's
#: confirmations (a handful among all the events: a partial index)
_STAR_CONFIRMED = "star_confirmed"
_DAILY_INDEXES = (Index("transactions_hall_txn", transactions.c.hall, transactions.c.txn),
                  Index("reviews_txn", reviews.c.txn, reviews.c.kind),
                  Index("events_star_confirmed", events.c.kind, events.c.at,
                        postgresql_where=events.c.kind == _STAR_CONFIRMED,
                        sqlite_where=events.c.kind == _STAR_CONFIRMED))


def day_of(started_at: str) -> dt.date | None:
    """The local day (AGGREGATE_TIME_ZONE) whose [start, end) holds `started_at` as the
    reports compare it: as text. None for a text that names no moment."""
    try:
        day = local_date(started_at, AGGREGATE_TIME_ZONE)
    except (ValueError, TypeError):
        return None
    one = dt.timedelta(days=1)
    for _ in range(3):
        if started_at < local_midnight_utc(day, AGGREGATE_TIME_ZONE):
            day -= one
        elif started_at >= local_midnight_utc(day + one, AGGREGATE_TIME_ZONE):
            day += one
        else:
            return day
    return None


def closed_in_service(conn: Connection, keys: Sequence[Any],
                      where: Sequence[ColumnElement[bool]]) -> dict[tuple[Any, ...], int]:
    """Per group of `keys`: interrupted transactions (of `where`) whose `interrupted` event
    (the row's last event: nothing may follow it) gives the reason CLOSED_REASON."""
    t = transactions.c
    query = (select(*keys, events.c.body)
             .join(events, and_(events.c.counter_id == t.counter_id,
                                events.c.seq == t.last_seq, events.c.kind == INTERRUPTED))
             .where(t.status == "interrupted", *where))
    totals: dict[tuple[Any, ...], int] = defaultdict(int)
    for *group, body in conn.execute(query):
        if _closed(body):
            totals[tuple(group)] += 1
    return totals


def _closed(body: str) -> bool:
    """Whether an `interrupted` event's text gives the reason CLOSED_REASON."""
    payload = json.loads(body).get("payload")
    return isinstance(payload, dict) and payload.get("reason") == CLOSED_REASON


def poor_ratings_open(where: Sequence[ColumnElement[bool]], followed_of: Any = None) -> Any:
    """(hall, txn, at, body) of each poor rating of the transactions of `where` that no
    `rating_followed_up` names (its `rated` event: the caller checks its payload's txn);
    `followed_of`: the follow-ups of these transaction ids only (the same answer for them)."""
    t, e, r = transactions.c, events.c, reviews.c
    # the followed-up transactions once (a hashed or materialised set, not a lookup per row);
    # NOT IN with the NULLs left out, which would empty it
    followed = select(r.txn).where(r.kind == RATING_FOLLOWED_UP, r.txn.is_not(None),
                                   *([r.txn.in_(followed_of)] if followed_of is not None
                                     else []))
    return (select(t.hall, t.txn, e.at, e.body)
            .join(events, and_(e.counter_id == t.counter_id, e.seq > t.started_seq,
                               e.seq <= t.last_seq, e.kind == RATED, e.invalid.is_(None)))
            .where(t.rating.in_(sorted(POOR_RATINGS)), t.txn.not_in(followed), *where))


def rating_of(row: Any) -> bool:
    """Whether a row of `poor_ratings_open` is its own transaction's rating (not another's
    within its span)."""
    try:
        return bool(json.loads(row.body)["payload"]["txn"] == row.txn)
    except (ValueError, KeyError, TypeError):
        return False


#: a day of one chain's transactions, as the refresh statements' parameters name it
_BUCKET = (transactions.c.counter_id == bindparam("counter_id"),
           transactions.c.hall == bindparam("hall"),
           transactions.c.started_at >= bindparam("start"),
           transactions.c.started_at < bindparam("end"))


@functools.cache
def _refresh_statements() -> tuple[Any, Any, Any]:
    """The daily rows, the closes and the open poor ratings of one bucket (built once)."""
    t = transactions.c
    txns = select(t.txn).where(*_BUCKET)
    joined, upheld = with_upheld(hall=bindparam("hall"), txns=txns)
    keys = [t[name] for name in DAILY_KEYS]
    counts = (select(*keys, *_daily_columns(upheld)).select_from(joined).where(*_BUCKET)
              .group_by(*keys))
    closes = (select(*keys, events.c.body)
              .join(events, and_(events.c.counter_id == t.counter_id,
                                 events.c.seq == t.last_seq, events.c.kind == INTERRUPTED))
              .where(t.status == "interrupted", *_BUCKET))
    return counts, closes, poor_ratings_open(_BUCKET, txns)


@functools.cache
def _replace_statements() -> tuple[Any, Any, list[tuple[Any, Any]]]:
    """The deletes of a chain's daily rows and follow-ups of some days, and per rollup its
    delete and its recount from the daily rows (a hall, some days; built once)."""
    d, f = daily_figures.c, daily_follow_ups.c

    def days() -> Any:
        return bindparam("days", expanding=True)

    daily = daily_figures.delete().where(d.counter_id == bindparam("counter_id"), d.day.in_(days()))
    follow = daily_follow_ups.delete().where(f.counter_id == bindparam("counter_id"),
                                             f.day.in_(days()))
    rollups = []
    for keys, table in ROLLUPS.items():
        groups = [d[key] for key in keys if key != "hall"]
        rollups.append((
            table.delete().where(table.c.hall == bindparam("hall"), table.c.day.in_(days())),
            table.insert().from_select(
                ["hall", "day", *(c.name for c in groups), *DAILY_COUNTS, *DAILY_SUMS],
                select(d.hall, d.day, *groups,
                       *(func.sum(d[name]) for name in (*DAILY_COUNTS, *DAILY_SUMS)))
                .where(d.hall == bindparam("hall"), d.day.in_(days()))
                .group_by(d.hall, d.day, *groups))))
    return daily, follow, rollups


#: how many (chain, day) pairs one replacement holds in memory (the migration that fills the
#: daily rows recounts every day of every chain)
_REFRESH_DAYS = 500


def refresh_days(conn: Connection, days: Iterable[tuple[int, str, dt.date]]) -> None:
    """Recount the daily rows of each (counter id, hall, local day) from the transactions
    the chain holds of that day: each day counted on its own, the rows of up to
    _REFRESH_DAYS days replaced together (per chain, then per hall for the rollups)."""
    touched = sorted(set(days))
    for start in range(0, len(touched), _REFRESH_DAYS):
        _replace_days(conn, touched[start:start + _REFRESH_DAYS])


def _replace_days(conn: Connection, touched: Sequence[tuple[int, str, dt.date]]) -> None:
    counts, closes_of, opened_of = _refresh_statements()
    daily_rows: list[dict[str, Any]] = []
    follow_rows: list[dict[str, Any]] = []
    for counter_id, hall, day in touched:
        label = day.isoformat()
        bucket = {"counter_id": counter_id, "hall": hall,
                  "start": local_midnight_utc(day, AGGREGATE_TIME_ZONE),
                  "end": local_midnight_utc(day + dt.timedelta(days=1), AGGREGATE_TIME_ZONE)}
        rows = [dict(r) for r in conn.execute(counts, bucket).mappings()]
        closes: dict[tuple[Any, ...], int] = defaultdict(int)
        if any(r["interrupted"] for r in rows):
            for *group, body in conn.execute(closes_of, bucket):
                if _closed(body):
                    closes[tuple(group)] += 1
        opened: dict[str, int] = defaultdict(int)
        for row in conn.execute(opened_of, bucket):
            if rating_of(row):
                opened[local_date(row.at, AGGREGATE_TIME_ZONE).isoformat()] += 1
        daily_rows.extend(
            {**{k: r[k] for k in DAILY_KEYS}, "counter_id": counter_id, "hall": hall,
             "day": label,
             **{k: int(r[k]) for k in DAILY_COUNTS if k != "closed_in_service"},
             **{k: float(r[k]) for k in DAILY_SUMS},
             "closed_in_service": closes.get(tuple(r[k] for k in DAILY_KEYS), 0)}
            for r in rows)
        follow_rows.extend(
            {"counter_id": counter_id, "hall": hall, "day": label, "rated_day": rated,
             "open": n} for rated, n in sorted(opened.items()))
    delete_daily, delete_follow, rollups = _replace_statements()
    by_chain: dict[int, list[str]] = defaultdict(list)
    by_hall: dict[str, set[str]] = defaultdict(set)
    for counter_id, hall, day in touched:
        by_chain[counter_id].append(day.isoformat())
        by_hall[hall].add(day.isoformat())
    for counter_id, chain_days in by_chain.items():
        conn.execute(delete_daily, {"counter_id": counter_id, "days": chain_days})
        conn.execute(delete_follow, {"counter_id": counter_id, "days": chain_days})
    if daily_rows:
        conn.execute(daily_figures.insert(), daily_rows)
    if follow_rows:
        conn.execute(daily_follow_ups.insert(), follow_rows)
    for hall, labels in sorted(by_hall.items()):
        hall_days: dict[str, Any] = {"hall": hall, "days": sorted(labels)}
        for delete, recount in rollups:
            conn.execute(delete, hall_days)
            conn.execute(recount, hall_days)


def refresh_txns(conn: Connection, hall: str, txns: Iterable[str]) -> None:
    """Recount the days of the hall's transactions `txns` (whichever chain holds them)."""
    days: set[tuple[int, str, dt.date]] = set()
    wanted = sorted(set(txns))
    t = transactions.c
    for start in range(0, len(wanted), 500):
        for row in conn.execute(select(t.counter_id, t.started_at).where(
                t.hall == hall, t.txn.in_(wanted[start:start + 500]))):
            day = day_of(row.started_at) if isinstance(row.started_at, str) else None
            if day is not None:
                days.add((row.counter_id, hall, day))
    refresh_days(conn, days)


def _v15_daily_figures(conn: Connection) -> None:
    """The per-day aggregates (daily_figures, its rollups daily_halls and daily_staff,
    daily_follow_ups) and the indexes their refresh
    reads by, filled from the transactions held so far: each UTC date's local days; the
    chains' check marks (none yet: the first check re-hashes all)."""
    for table in (daily_figures, daily_follow_ups, *ROLLUPS.values(), chain_checks):
        table.create(conn, checkfirst=True)
    for index in _DAILY_INDEXES:
        index.create(conn, checkfirst=True)
    t = transactions.c
    utc_dates = select(t.counter_id, t.hall,
                       func.substr(t.started_at, 1, 10).label("date")).distinct()
    days: set[tuple[int, str, dt.date]] = set()
    for counter_id, hall, date in conn.execute(utc_dates):
        try:
            dt.date.fromisoformat(date)  # a date, or a text no period holds
        except (TypeError, ValueError):
            continue
        # the local days the UTC date's moments fall on, in AGGREGATE_TIME_ZONE
        for moment in (f"{date}T00:00:00.000Z", f"{date}T23:59:59.999Z"):
            day = day_of(moment)
            if day is not None:
                days.add((counter_id, hall, day))
    refresh_days(conn, days)


def _v16_relayed(conn: Connection) -> None:
    """Head office's documents a hall server relays (head_office.upstream)."""
    relayed_documents.create(conn, checkfirst=True)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (
    _v1, _v2, _v3, _v4, _v5_desks, _v6_alerts, _v7_incident_kinds, _v8_web, _v9_calendar,
    _v10_roster, _v11_settings, _v12_closed_months, _v13_staff_purges, _v14_log_opened_index,
    _v15_daily_figures, _v16_relayed)
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

