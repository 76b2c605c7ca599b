"""Head office's tables (SQLAlchemy Core), the same for SQLite and PostgreSQL, and migrations."""

from __future__ import annotations

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
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine

from counter_core.projection import COLUMNS as TRANSACTION_COLUMNS

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, nullable=False),
)

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

_V3_TABLES = (anchors, incidents, history_links)


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables
                                      if t is not readers and t not in _V3_TABLES])


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


# ---- web access (head_office.web): logins, their halls, sessions, the audit trail ----------
#: kept apart from `metadata` so that _v6_web alone creates them, on a new database too
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


def _v6_web(conn: Connection) -> None:
    """Web access: users and their halls, sessions, the audit trail (head_office.web)."""
    web_metadata.create_all(conn, checkfirst=True)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2, _v3, _v6_web)
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
