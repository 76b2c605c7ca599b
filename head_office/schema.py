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
    func,
    inspect,
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


def _v7_calendar(conn: Connection) -> None:
    """The working-day calendar (a new database has the table from _v1)."""
    work_calendar.create(conn, checkfirst=True)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2, _v3, _v4, _v5_desks,
                                                        _v7_calendar)
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
