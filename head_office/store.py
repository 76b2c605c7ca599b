"""Head office storage: enrolment, tokens, idempotent chain-checked ingest and projections."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import operator
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, create_engine, event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from counter_core import projection
from counter_core.chain import (
    CHAIN_FORMATS,
    GENESIS_HASH,
    INITIAL_FORMAT,
    ChainBreak,
    ChainHead,
    Event,
    SegmentWalker,
    chain_hash,
    format_after,
)
from counter_core.events import (
    ALERT_ACKNOWLEDGED,
    APPEAL_DECIDED,
    APPEAL_KINDS,
    CHAIN_BREAK_DETECTED,
    KNOWN_KINDS,
    LOG_OPENED,
    OVERTIME_REVIEWED,
    RATING_APPEALED,
    REVIEW_KINDS,
    TxnState,
    is_demo_marker,
)
from counter_core.periods import format_utc, parse_utc, utc_now
from counter_core.validation import Validator, Verdict, referenced_txn
from head_office import anchors, schema
from head_office.errors import (
    ChainBroken,
    ForeignEvent,
    NoToken,
    Refusal,
    StoreUnavailable,
    TokenRevoked,
    UnknownCounter,
)
from head_office.schema import (
    REFUSALS_KEPT,
    SAMPLE_BYTES,
    chain_break_evidence,
    chain_breaks,
    conflicts,
    counters,
    events,
    incidents,
    pending_refs,
    refusals,
    rejected,
    reviews,
    transactions,
)

#: the manager's reviews and the appeals (申诉): one reviews row per event, joined to the
#: transaction they name in whichever chain of the hall holds it (pending until it arrives)
_REVIEWS = REVIEW_KINDS | APPEAL_KINDS

__all__ = [
    "DEFAULT_DB_URL", "Counter", "IngestResult", "Refusal", "SetAside", "Store",
    "create_db_engine", "database_errors", "event_body", "hash_token",
]

log = logging.getLogger(__name__)

DEFAULT_DB_URL = "sqlite:///counter-hq.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: why a chained event of a kind this version does not know is kept out of the projections
UNKNOWN_KIND = "unknown kind"
#: the reason a set-aside invalid event is recorded with in `rejected` starts with this
INVALID = "invalid: "
#: pending references older than this are reported (`counter-hq report pending`)
PENDING_REPORT_DAYS = 3
#: the longest evidence event kept whole (a broken span's events are kept once per sequence;
#: a longer one is kept as its first EVIDENCE_CHARS characters)
EVIDENCE_CHARS = 64 * 1024
#: how many values one IN (...) list holds at most
_CHUNK = 500


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def event_body(ev: Event) -> str:
    """The canonical text the event's hash covers: what head office stores, byte for byte."""
    return ev.canonical_bytes().decode("utf-8")


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """The database down, locked, or no pooled connection free in time, as StoreUnavailable."""
    try:
        yield
    except (OperationalError, PoolTimeout) as exc:
        log.error("database unavailable: %s", exc)
        raise StoreUnavailable("head office database is busy or unavailable; retry later") \
            from exc


@dataclass(frozen=True)
class Counter:
    """An enrolled counter, as its token authenticates it."""

    id: int
    hall: str
    counter: str
    hw_seq: int
    hw_hash: str
    revoked_at: str | None = None
    last_sync_at: str | None = None


@dataclass(frozen=True)
class SetAside:
    """A stored, chained event kept out of the projections, and why."""

    seq: int
    kind: str
    reason: str


@dataclass
class IngestResult:
    """What one batch did: counts, conflicts, events set aside, and the mark after it."""

    hw_seq: int
    hw_hash: str
    stored: int = 0
    duplicates: int = 0
    conflicts: list[int] = field(default_factory=list)
    aside: list[SetAside] = field(default_factory=list)
    #: breaks the counter recorded that this batch brought (their break event's sequence)
    breaks: list[int] = field(default_factory=list)
    #: events of a broken span kept as evidence (not stored as events)
    evidence: int = 0
    #: stored and chained (the mark moves past them) but invalid: in no projection or report
    invalid: list[SetAside] = field(default_factory=list)
    #: reviews of a transaction head office does not hold yet: held pending (their sequence)
    pending: list[int] = field(default_factory=list)


def create_db_engine(url: str, *, for_writing: bool = True) -> Engine:
    """An engine with the pragmas and locking SQLite needs; PostgreSQL as it comes.

    SQLite writers take the write lock at BEGIN (so concurrent batches for one counter queue up
    instead of failing); readers do not, so in WAL mode they never wait for a writer.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if for_writing else "BEGIN")

        return engine
    # as many connections as the server's worker threads (anyio's 40), so none waits for one
    return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)


class Store:
    """Head office's database, through one code path for SQLite and PostgreSQL."""

    def __init__(self, url: str = DEFAULT_DB_URL, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_db_engine(url)
        #: for reads only; on PostgreSQL the same engine
        self.reader = (create_db_engine(url, for_writing=False)
                       if engine is None and url.startswith("sqlite") else self.engine)
        schema.migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        self.reader.dispose()

    # ---- enrolment ----------------------------------------------------------------------

    def enroll(self, hall: str, counter: str, *, new_history: bool = False,
               by: str = "counter-hq enroll") -> str:
        """A new token for the counter (enrolling it if new); an older token stops working.

        `new_history`: the counter's database was replaced, so its chain starts again at 1;
        the events held so far are kept, under the id `<counter>~<time>` (revoked).
        """
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(counters.c.id).where(counters.c.hall == hall, counters.c.counter == counter)
            ).scalar_one_or_none()
            previous = existing if new_history else None
            if existing is not None and new_history:
                conn.execute(counters.update().where(counters.c.id == existing).values(
                    counter=f"{counter}~{now}", token_hash=None, revoked_at=now))
                existing = None
            if existing is None:
                made = conn.execute(counters.insert().values(
                    hall=hall, counter=counter, token_hash=hash_token(token), enrolled_at=now,
                    hw_seq=0, hw_hash=GENESIS_HASH,
                ))
                if previous is not None:
                    self._link_history(conn, previous, made.inserted_primary_key, by)
            else:
                conn.execute(counters.update().where(counters.c.id == existing).values(
                    token_hash=hash_token(token), enrolled_at=now, revoked_at=None,
                ))
        return token

    @staticmethod
    def _link_history(conn: Connection, previous: int, key: Any, by: str) -> None:
        """The new chain linked to the old (head_office.anchors.link_new_history)."""
        anchors.link_new_history(conn, previous, int(key[0]), by)

    def revoke(self, hall: str, counter: str) -> bool:
        """Stop the counter's token from working; False when no such counter is enrolled."""
        with self.engine.begin() as conn:
            done = conn.execute(
                counters.update()
                .where(counters.c.hall == hall, counters.c.counter == counter)
                .values(revoked_at=utc_now())
            )
        return done.rowcount > 0

    def authenticate(self, token: str) -> Counter:
        """The counter the token belongs to; NoToken, UnknownCounter or TokenRevoked if none."""
        if not token:
            raise NoToken("no token: send 'Authorization: Bearer <token>'")
        with database_errors(), self.reader.connect() as conn:
            row = conn.execute(
                select(counters).where(counters.c.token_hash == hash_token(token))
            ).one_or_none()
        if row is None:
            raise UnknownCounter("unknown token: enrol the counter with `counter-hq enroll` "
                                 "and put the printed token in its configuration")
        if row.revoked_at is not None:
            raise TokenRevoked(f"the token of hall {row.hall} counter {row.counter} was revoked "
                               f"at {row.revoked_at}; enrol the counter again")
        return _counter(row)

    def counter(self, hall: str, counter: str) -> Counter | None:
        with database_errors(), self.reader.connect() as conn:
            row = conn.execute(
                select(counters).where(counters.c.hall == hall, counters.c.counter == counter)
            ).one_or_none()
        return None if row is None else _counter(row)

    def counters(self, hall: str | None = None) -> list[Counter]:
        query = select(counters).order_by(counters.c.hall, counters.c.counter)
        if hall is not None:
            query = query.where(counters.c.hall == hall)
        with database_errors(), self.reader.connect() as conn:
            return [_counter(row) for row in conn.execute(query)]

    # ---- ingest -------------------------------------------------------------------------

    def ingest(self, who: Counter, batch: Sequence[Event]) -> IngestResult:
        """Store a batch in one transaction: duplicates skipped, conflicts recorded, new events
        chain-checked from the high-water mark, events of unknown kinds stored but set aside.
        A Refusal (ForeignEvent, ChainBroken) stores nothing but the rejection."""
        with database_errors():
            for ev in batch:
                if (ev.hall, ev.counter) != (who.hall, who.counter):
                    self._refuse(who, ev, ForeignEvent(
                        f"event {ev.seq} is for hall {ev.hall} counter {ev.counter}, but the "
                        f"token is hall {who.hall} counter {who.counter}; nothing was stored",
                        ev.seq))
            self._check_anchors(who, batch)
            for attempt in range(3):
                try:
                    return self._ingest_once(who, batch)
                except (IntegrityError, OperationalError) as exc:
                    # a duplicate request raced this one (PostgreSQL without the row lock, or a
                    # busy SQLite): its effect is now visible, so a retry sees duplicates
                    if attempt == 2:
                        raise
                    log.warning("retrying a batch after %s", type(exc).__name__)
        raise AssertionError("unreachable")

    def _check_anchors(self, who: Counter, batch: Sequence[Event]) -> None:
        """AnchorContradicted, recorded as an incident, for a batch that contradicts the
        counter's anchors (head_office.anchors)."""
        anchors.check_upload(self.engine, who, batch, reader=self.reader)

    def _ingest_once(self, who: Counter, batch: Sequence[Event]) -> IngestResult:
        now = utc_now()
        found: list[tuple[Event, str]] = []
        try:
            with self.engine.begin() as conn:
                row = conn.execute(
                    select(counters.c.hw_seq, counters.c.hw_hash)
                    .where(counters.c.id == who.id).with_for_update()
                ).one()
                result = IngestResult(row.hw_seq, row.hw_hash)
                old = [ev for ev in batch if ev.seq <= row.hw_seq]
                new = [ev for ev in batch if ev.seq > row.hw_seq]
                evidence: list[tuple[int, Event]] = []  # (break seq, event)
                if old:
                    stored = dict(conn.execute(
                        select(events.c.seq, events.c.hash).where(
                            events.c.counter_id == who.id,
                            events.c.seq.in_([ev.seq for ev in old]),
                        )
                    ).all())
                    spans = _recorded_spans(conn, who.id)
                    for ev in old:
                        in_span = next((b for b, first, last in spans
                                        if first <= ev.seq <= last), None)
                        if stored.get(ev.seq) == ev.hash:
                            result.duplicates += 1
                        elif ev.seq not in stored and in_span is not None:
                            evidence.append((in_span, ev))  # more of a recorded broken span
                        else:
                            found.append((ev, stored.get(ev.seq, "")))
                walker = SegmentWalker(ChainHead(row.hw_seq, row.hw_hash,
                                                 _head_format(conn, who.id, row.hw_seq)))
                bodies: dict[int, str] = {}
                accepted: list[Event] = []
                for ev in new:
                    if walker.feed(ev):
                        bodies[ev.seq] = walker.last_bytes.decode("utf-8")
                        accepted.append(ev)
                problem = walker.problem
                if problem is not None:
                    # no chain_break_detected accounts for it: refused as a whole, as ever
                    bad = next(ev for ev in new if ev.seq >= problem.seq)
                    raise _ChainRefusal(bad, ChainBroken(
                        f"broken chain at sequence {problem.seq}: {problem.reason} (head office "
                        f"holds up to {row.hw_seq}); nothing was stored", problem.seq))
                for brk, span in walker.breaks:
                    self._record_break(conn, who, brk, now)
                    result.breaks.append(brk.break_seq)
                    evidence.extend((brk.break_seq, ev) for ev in span)
                result.evidence = self._record_evidence(conn, who, evidence, now)
                for ev in accepted:
                    # a break event that chains as it is: the damage is in events head office
                    # already holds intact; the incident is recorded all the same
                    if ev.kind == CHAIN_BREAK_DETECTED and ev.seq not in result.breaks:
                        held = _held_break(ev)
                        if held is not None:
                            self._record_break(conn, who, held, now)
                            result.breaks.append(ev.seq)
                new = accepted
                if found:
                    self._record_conflicts(conn, who, found, now)
                    result.conflicts = [ev.seq for ev, _ in found]
                verdicts = self._validate(conn, who, new)
                if new:
                    self._insert(conn, who, new, bodies, now, verdicts)
                    result.hw_seq, result.hw_hash = new[-1].seq, new[-1].hash
                    result.stored = len(new)
                for ev in new:
                    verdict = verdicts[ev.seq]
                    if ev.kind not in KNOWN_KINDS:
                        # stored and chained (the mark moves past it), but no projection
                        # reads it: a newer counter's kind, kept for a newer head office
                        self._record_rejection(conn, who, ev, UNKNOWN_KIND, now)
                        result.aside.append(SetAside(ev.seq, ev.kind, UNKNOWN_KIND))
                    elif verdict.reason is not None:
                        # chained, so stored (the mark moves past it), but it says nonsense:
                        # marked invalid, in no projection or report; never holds back the rest
                        self._record_rejection(conn, who, ev, INVALID + verdict.reason, now)
                        result.invalid.append(SetAside(ev.seq, ev.kind, verdict.reason))
                    elif verdict.pending:
                        result.pending.append(ev.seq)
                conn.execute(counters.update().where(counters.c.id == who.id).values(
                    hw_seq=result.hw_seq, hw_hash=result.hw_hash, last_sync_at=now,
                    **({"last_event_at": new[-1].at} if new else {}),
                ))
                return result
        except _ChainRefusal as refused:
            with self.engine.begin() as conn:
                if found:
                    self._record_conflicts(conn, who, found, now)
                self._record_refusal(conn, who, refused.event, refused.refusal.message, now)
            raise refused.refusal from None

    def _validate(self, conn: Connection, who: Counter,
                  new: Sequence[Event]) -> dict[int, Verdict]:
        """Each new event's verdict by counter_core.validation, in chain order, from the
        lifecycle state the transactions table holds (it folds valid events only) and read
        once per batch: a review of a transaction no chain has brought yet is pending."""
        txns = sorted({txn for ev in new if ev.kind in KNOWN_KINDS
                       and (txn := _txn(ev)) is not None})
        states: dict[str, TxnState] = {}
        for chunk in _chunks(txns):
            for row in conn.execute(select(transactions).where(
                    transactions.c.counter_id == who.id, transactions.c.txn.in_(chunk)
            )).mappings():
                states[row["txn"]] = TxnState.from_row(dict(row))
            # the appeal rules' state in this chain: appealed once, decided once
            appeal_kinds: dict[str, set[str]] = defaultdict(set)
            for txn, kind in conn.execute(select(reviews.c.txn, reviews.c.kind).where(
                    reviews.c.counter_id == who.id, reviews.c.txn.in_(chunk),
                    reviews.c.kind.in_(sorted(APPEAL_KINDS)))):
                appeal_kinds[txn].add(kind)
            for txn, seen in appeal_kinds.items():
                if txn in states:
                    states[txn] = replace(states[txn], appealed=RATING_APPEALED in seen,
                                          appeal_decided=APPEAL_DECIDED in seen)
        refs = sorted({txn for ev in new if (txn := referenced_txn(ev.kind, ev.payload))
                       is not None and txn not in states and "\x00" not in txn})
        # another chain's transactions: known (joined at once), with their state for the appeal
        # rules that hold across chains (the appellant's own rating, never their decision)
        elsewhere: dict[str, TxnState] = {}
        for chunk in _chunks(refs):
            for row in conn.execute(select(transactions).where(
                    transactions.c.hall == who.hall, transactions.c.txn.in_(chunk))
                    .order_by(transactions.c.counter_id)).mappings():
                elsewhere.setdefault(row["txn"], TxnState.from_row(dict(row)))
        validator = Validator(lambda _txn: None, states=states, hold_references=True,
                              known_elsewhere=elsewhere.__contains__,
                              elsewhere_state=elsewhere.get)
        return {ev.seq: validator.feed(ev) for ev in new}

    def _record_break(self, conn: Connection, who: Counter, brk: ChainBreak, now: str) -> None:
        """The incident: the counter found its chain broken and recorded where (once)."""
        log.warning("chain break: hall %s counter %s: %s", who.hall, who.counter,
                    brk.describe())
        seen = conn.execute(select(chain_breaks.c.id).where(
            chain_breaks.c.counter_id == who.id, chain_breaks.c.break_seq == brk.break_seq,
        )).scalar_one_or_none()
        if seen is None:
            done = conn.execute(chain_breaks.insert().values(
                counter_id=who.id, break_seq=brk.break_seq, break_hash=brk.break_hash,
                chain_format=brk.chain_format, last_good_seq=brk.last_good_seq,
                last_good_hash=brk.last_good_hash, first_bad_seq=brk.first_bad_seq,
                last_bad_seq=brk.last_bad_seq, detected_at=brk.detected_at[:32],
                reason=brk.reason[:500], first_at=now, last_at=now))
            key = done.inserted_primary_key
            assert key is not None
            anchors.record_incident(
                conn, who, anchors.CHAIN_BREAK, brk.first_bad_seq, brk.last_good_hash,
                brk.break_hash, f"the counter found its chain broken and recorded it at "
                f"sequence {brk.break_seq} ({brk.detected_at[:32]}): sequences "
                f"{brk.first_bad_seq}–{brk.last_bad_seq} do not verify ({brk.reason[:500]}); "
                f"last good {brk.last_good_seq}; the chain goes on from {brk.break_seq}", now,
                evidence_id=int(key[0]))

    def _record_evidence(self, conn: Connection, who: Counter,
                         evidence: Sequence[tuple[int, Event]], now: str) -> int:
        """Keep the broken span's events as the counter sent them; each sequence once."""
        if not evidence:
            return 0
        held = set(conn.execute(select(chain_break_evidence.c.seq).where(
            chain_break_evidence.c.counter_id == who.id,
            chain_break_evidence.c.seq.in_([ev.seq for _, ev in evidence]),
        )).scalars())
        rows: list[dict[str, Any]] = []
        for break_seq, ev in evidence:
            if ev.seq in held:
                continue
            held.add(ev.seq)
            offered = json.dumps(ev.as_dict(), ensure_ascii=False)
            if len(offered) > EVIDENCE_CHARS:  # no real event is near this: a sample will do
                offered = offered[:EVIDENCE_CHARS]
            rows.append({"counter_id": who.id, "seq": ev.seq, "break_seq": break_seq,
                         "offered": offered, "received_at": now})
        if rows:
            conn.execute(chain_break_evidence.insert(), rows)
            for touched in {int(r["break_seq"]) for r in rows}:
                conn.execute(chain_breaks.update().where(
                    chain_breaks.c.counter_id == who.id, chain_breaks.c.break_seq == touched,
                ).values(last_at=now))
                conn.execute(incidents.update().where(
                    incidents.c.kind == anchors.CHAIN_BREAK,
                    incidents.c.evidence_id == select(chain_breaks.c.id).where(
                        chain_breaks.c.counter_id == who.id,
                        chain_breaks.c.break_seq == touched).scalar_subquery(),
                ).values(last_at=now))
        return len(rows)

    def chain_breaks(self, who: Counter) -> list[dict[str, Any]]:
        """The breaks the counter recorded, oldest first, each with its evidence (the broken
        span's events as sent) under "evidence"."""
        with database_errors(), self.reader.connect() as conn:
            out = [dict(r) for r in conn.execute(
                select(chain_breaks).where(chain_breaks.c.counter_id == who.id)
                .order_by(chain_breaks.c.break_seq)).mappings()]
            for brk in out:
                brk["evidence"] = [dict(r) for r in conn.execute(
                    select(chain_break_evidence).where(
                        chain_break_evidence.c.counter_id == who.id,
                        chain_break_evidence.c.break_seq == brk["break_seq"],
                    ).order_by(chain_break_evidence.c.seq)).mappings()]
        return out

    def _refuse(self, who: Counter, ev: Event, refusal: Refusal) -> None:
        with self.engine.begin() as conn:
            self._record_refusal(conn, who, ev, refusal.message, utc_now())
        raise refusal

    def _insert(self, conn: Connection, who: Counter, new: Sequence[Event],
                bodies: Mapping[int, str], now: str, verdicts: Mapping[int, Verdict]) -> None:
        """Store the events with the canonical text each one's hash covers (in its format),
        the invalid ones marked; project the valid ones, hold the pending ones."""
        insert_many(conn, events, [
            {"counter_id": who.id, "seq": ev.seq, "uuid": ev.uuid, "kind": ev.kind, "at": ev.at,
             "prev_hash": ev.prev_hash, "hash": ev.hash, "body": bodies[ev.seq],
             "received_at": now, "invalid": _invalid(verdicts[ev.seq])}
            for ev in new
        ])
        held = [ev for ev in new if verdicts[ev.seq].pending]
        if held:
            conn.execute(pending_refs.insert(), [
                {"counter_id": who.id, "seq": ev.seq, "hall": who.hall,
                 "txn": referenced_txn(ev.kind, ev.payload), "kind": ev.kind,
                 "received_at": now, "joined_at": None, "joined_counter_id": None}
                for ev in held])
        valid = [ev for ev in new if verdicts[ev.seq].ok]
        self._project(conn, who, valid, now)
        # the per-day aggregates of the days whose transactions these events changed (their
        # own, or the hall's other chains' a review or appeal names), in this transaction
        touched = {txn for ev in valid if ev.kind in KNOWN_KINDS
                   and (txn := _txn(ev)) is not None}
        if touched:
            schema.refresh_txns(conn, who.hall, touched)

    def _project(self, conn: Connection, who: Counter, new: Sequence[Event], now: str) -> None:
        """Fold the new (valid) events into the transactions and reviews tables; events of
        unknown kinds stay out of both. A review of another chain's transaction is joined to
        it; reviews held pending for a transaction that now arrives are joined too."""
        new = [ev for ev in new if ev.kind in KNOWN_KINDS]
        self._acknowledge_alerts(conn, who, [ev for ev in new if ev.kind == ALERT_ACKNOWLEDGED])
        foreign: list[Event] = []
        review_rows = [_review_row(who, ev) for ev in new if ev.kind in _REVIEWS]
        if review_rows:
            conn.execute(reviews.insert(), review_rows)
        txns = {txn for ev in new if (txn := _txn(ev)) is not None}
        if not txns:
            return
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(txns), 500):
            chunk = sorted(txns)[start:start + 500]
            for row in conn.execute(select(transactions).where(
                transactions.c.counter_id == who.id, transactions.c.txn.in_(chunk)
            )).mappings():
                rows[row["txn"]] = dict(row)
        existing = set(rows)
        for ev in new:
            txn = _txn(ev)
            if txn is None:
                continue
            if ev.kind in _REVIEWS:
                if txn not in rows:
                    foreign.append(ev)  # another chain's transaction (the validator knew it)
                elif ev.kind == OVERTIME_REVIEWED:
                    # the latest review of an overtime case gives its cause
                    rows[txn] = {**rows[txn], "review_cause": _text(ev.payload.get("cause")),
                                 "review_note": _text(ev.payload.get("note")),
                                 "reviewed_seq": ev.seq}
                    # a type change after target accepted (or not): the target counted
                    accepted = projection.apply(rows[txn], ev)
                    if accepted is not None:
                        rows[txn] = {**rows[txn], **_storable(accepted, rows[txn])}
                continue
            try:
                projected = projection.apply(rows.get(txn), ev)
            except (KeyError, ValueError, TypeError) as exc:
                # the event is chained and stored; only its projection is impossible
                log.warning("hall %s counter %s event %s not projected: %s",
                            who.hall, who.counter, ev.seq, exc)
                continue
            if projected is not None:
                rows[txn] = {"review_cause": None, "review_note": None, "reviewed_seq": None,
                             **rows.get(txn, {}), **_storable(projected, rows.get(txn)),
                             "counter_id": who.id}
        changed = [r for txn, r in rows.items() if txn in txns]
        stale = [r["txn"] for r in changed if r["txn"] in existing]
        if stale:
            conn.execute(transactions.delete().where(
                transactions.c.counter_id == who.id, transactions.c.txn.in_(stale)))
        if changed:
            insert_many(conn, transactions, changed)
        for ev in foreign:
            _join_review(conn, who.hall, ev)
        arrived = sorted(r["txn"] for r in changed if r["txn"] not in existing)
        if arrived:
            self._join_pending(conn, who.hall, arrived, now)

    @staticmethod
    def _acknowledge_alerts(conn: Connection, who: Counter, acks: Sequence[Event]) -> None:
        """A manager's acknowledgement at a desk or counter (`alert_acknowledged`, in its own
        chain) marks the hall's alert acknowledged by them, at the event's time; the first
        acknowledgement stands. Head office, which raises no alerts, has no row to mark."""
        if not acks:
            return
        for ev in acks:
            mark_acknowledged(conn, who.hall, str(ev.payload["alert"]), str(ev.payload["by"]),
                              who.counter, ev.at)

    @staticmethod
    def _join_pending(conn: Connection, hall: str, arrived: Sequence[str], now: str) -> None:
        """The reviews held pending for transactions that have just arrived, joined to them
        in the order they were received (their review rows stored now)."""
        for chunk in _chunks(arrived):
            held = conn.execute(
                select(pending_refs.c.counter_id, pending_refs.c.seq, events.c.prev_hash,
                       events.c.hash, events.c.body)
                .join(events, and_(events.c.counter_id == pending_refs.c.counter_id,
                                   events.c.seq == pending_refs.c.seq))
                .where(pending_refs.c.hall == hall, pending_refs.c.txn.in_(chunk),
                       pending_refs.c.joined_at.is_(None))
                .order_by(pending_refs.c.received_at, pending_refs.c.counter_id,
                          pending_refs.c.seq)).all()
            for row in held:
                ev = _event_from_row(row)
                reviewer = Counter(row.counter_id, ev.hall, ev.counter, 0, "")
                conn.execute(reviews.insert().values(**_review_row(reviewer, ev)))
                joined = _join_review(conn, hall, ev)
                conn.execute(pending_refs.update().where(
                    pending_refs.c.counter_id == row.counter_id,
                    pending_refs.c.seq == row.seq,
                ).values(joined_at=now, joined_counter_id=joined))

    def _record_conflicts(self, conn: Connection, who: Counter,
                          found: Iterable[tuple[Event, str]], now: str) -> None:
        for ev, stored_hash in found:
            log.warning("conflict: hall %s counter %s sequence %s offered with another hash",
                        who.hall, who.counter, ev.seq)
            kept = self._upsert_incident(conn, conflicts, {
                "counter_id": who.id, "seq": ev.seq, "stored_hash": stored_hash,
                "offered_hash": ev.hash, "offered": json.dumps(ev.as_dict(), ensure_ascii=False),
            }, ("counter_id", "seq", "offered_hash"), now)
            anchors.record_incident(
                conn, who, anchors.HISTORY_CONFLICT, ev.seq, stored_hash, ev.hash,
                f"the counter offered hash {ev.hash[:12]}… at sequence {ev.seq}, where head "
                f"office holds {stored_hash[:12]}…: a different history", now,
                evidence_id=kept)

    def _record_rejection(self, conn: Connection, who: Counter, ev: Event, reason: str,
                          now: str) -> None:
        """Keep the event aside with the reason (refused, or stored but not projected)."""
        log.warning("set aside: hall %s counter %s event %s: %s", who.hall, who.counter,
                    ev.seq, reason)
        kept = self._upsert_incident(conn, rejected, {
            "counter_id": who.id, "seq": ev.seq, "reason": reason[:500],
            "offered": _sample(ev)[1],
        }, ("counter_id", "seq", "reason"), now)
        kind = anchors.UNKNOWN_KIND if reason == UNKNOWN_KIND else anchors.INVALID_EVENT
        anchors.record_incident(conn, who, kind, ev.seq, "", ev.hash, reason[:500], now,
                                evidence_id=kept)

    @staticmethod
    def _record_refusal(conn: Connection, who: Counter, ev: Event, reason: str,
                        now: str) -> None:
        """A refused upload, in the counter's bounded record: reason, sequence, hash, size and
        a sample of the offered event; only the last REFUSALS_KEPT are kept."""
        log.warning("refused: hall %s counter %s event %s: %s", who.hall, who.counter,
                    ev.seq, reason)
        size, sample = _sample(ev)
        # one counter's refusals one at a time (a row lock on PostgreSQL; SQLite has one
        # writer anyway), so that concurrent refusals cannot each keep "the last 100"
        conn.execute(select(counters.c.id).where(counters.c.id == who.id).with_for_update())
        done = conn.execute(refusals.insert().values(
            counter_id=who.id, at=now, reason=reason[:500], seq=ev.seq, hash=ev.hash[:64],
            size=size, sample=sample))
        key = done.inserted_primary_key
        assert key is not None
        # a counter retrying counts on one incident per reason, not one per request
        anchors.record_incident(conn, who, anchors.REFUSED_UPLOAD, ev.seq, "", ev.hash,
                                reason[:500], now, evidence_id=int(key[0]), by_detail=True)
        oldest_kept = (select(refusals.c.id).where(refusals.c.counter_id == who.id)
                       .order_by(refusals.c.id.desc()).offset(REFUSALS_KEPT - 1).limit(1)
                       .scalar_subquery())
        conn.execute(refusals.delete().where(refusals.c.counter_id == who.id,
                                             refusals.c.id < oldest_kept))

    @staticmethod
    def _upsert_incident(conn: Connection, table: Any, values: dict[str, Any],
                         key: tuple[str, ...], now: str) -> int:
        """Keep the evidence row (once) or count it again; its id."""
        where = and_(*(table.c[k] == values[k] for k in key))
        seen = conn.execute(select(table.c.id).where(where)).scalar_one_or_none()
        if seen is None:
            done = conn.execute(table.insert().values(**values, first_at=now, last_at=now,
                                                      times=1))
            made = done.inserted_primary_key
            assert made is not None
            return int(made[0])
        conn.execute(table.update().where(table.c.id == seen)
                     .values(last_at=now, times=table.c.times + 1))
        return int(seen)

    # ---- reading ------------------------------------------------------------------------

    def events(self, who: Counter, after_seq: int = 0, limit: int | None = None) -> list[Event]:
        """Stored events, rebuilt from the exact text their hash covers."""
        query = (select(events).where(events.c.counter_id == who.id, events.c.seq > after_seq)
                 .order_by(events.c.seq))
        if limit is not None:
            query = query.limit(limit)
        with database_errors(), self.reader.connect() as conn:
            return [_event_from_row(row) for row in conn.execute(query)]

    def counts(self, who: Counter) -> dict[str, int]:
        with database_errors(), self.reader.connect() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(table).where(table.c.counter_id == who.id)
                ).scalar_one()
                for name, table in (("events", events), ("conflicts", conflicts),
                                    ("rejected", rejected), ("transactions", transactions),
                                    ("refusals", refusals), ("pending", pending_refs))
            }

    def incidents(self, who: Counter) -> dict[str, list[dict[str, Any]]]:
        """The conflicts and rejections recorded for a counter, oldest first."""
        with database_errors(), self.reader.connect() as conn:
            return {
                name: [dict(r) for r in conn.execute(
                    select(table).where(table.c.counter_id == who.id).order_by(table.c.id)
                ).mappings()]
                for name, table in (("conflicts", conflicts), ("rejected", rejected),
                                    ("chain_breaks", chain_breaks), ("refusals", refusals))
            }

    def invalid_events(self, who: Counter) -> dict[int, str]:
        """The counter's stored events marked invalid: sequence → reason."""
        with database_errors(), self.reader.connect() as conn:
            return {int(seq): str(reason) for seq, reason in conn.execute(
                select(events.c.seq, events.c.invalid).where(
                    events.c.counter_id == who.id, events.c.invalid.is_not(None))
                .order_by(events.c.seq))}

    def pending_refs(self, *, hall: str | None = None, older_than_days: float = 0.0,
                     now: str | None = None) -> list[dict[str, Any]]:
        """Reviews still held pending (no transaction of that id has arrived), received more
        than `older_than_days` ago, oldest first."""
        cutoff = _days_before(now or utc_now(), older_than_days)
        query = (select(counters.c.hall, counters.c.counter, pending_refs.c.seq,
                        pending_refs.c.kind, pending_refs.c.txn, pending_refs.c.received_at)
                 .join(counters, counters.c.id == pending_refs.c.counter_id)
                 .where(pending_refs.c.joined_at.is_(None),
                        pending_refs.c.received_at <= cutoff)
                 .order_by(pending_refs.c.received_at, counters.c.hall, counters.c.counter,
                           pending_refs.c.seq))
        if hall is not None:
            query = query.where(counters.c.hall == hall)
        with database_errors(), self.reader.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def is_demo(self, who: Counter) -> bool:
        """Whether the counter's chain is demo data: its first event is the demo marker
        (`log_opened` with `"demo": true`, written by `counter-app demo-data`)."""
        with database_errors(), self.reader.connect() as conn:
            body = conn.execute(select(events.c.body).where(
                events.c.counter_id == who.id, events.c.seq == 1)).scalar()
        if body is None:
            return False
        try:
            fields = json.loads(body)
        except ValueError:
            return False
        return isinstance(fields, dict) and is_demo_marker(fields.get("kind", ""),
                                                            fields.get("payload"))

    def verify(self, who: Counter, *, since_check: bool = False) -> str | None:
        """None when the stored chain re-hashes from its stored text, else the first problem.

        The chain is walked by counter_core.chain's SegmentWalker (each event in its chain
        format; a break the counter recorded, and head office with it, is walked past); a
        stored text that is not exactly the canonical text of the event it holds is
        a problem too (an edit behind head office's back that a re-encoding would hide).
        A walk without a problem leaves its head in `chain_checks`; `since_check`: walk on
        from there (the events stored since the last check only)."""
        start = self._chain_check(who) if since_check else None
        walker = SegmentWalker(start)
        after = start.seq if start is not None else 0
        with database_errors(), self.reader.connect() as conn:
            result = conn.execution_options(yield_per=5000).execute(
                select(events.c.seq, events.c.prev_hash, events.c.hash, events.c.body)
                .where(events.c.counter_id == who.id, events.c.seq > after)
                .order_by(events.c.seq)
            )
            for row in result:
                ev = _stored_event(row)
                if ev is None:
                    return f"sequence {row.seq}: the stored text is not an event"
                if not walker.feed(ev):
                    break
                if walker.last_bytes.decode("utf-8") != row.body:
                    return f"sequence {row.seq}: the stored text is not what its hash covers"
        if walker.problem is not None:
            return str(walker.problem)
        if walker.breaks:
            recorded = self.chain_breaks(who)
            for brk, _ in walker.breaks:  # a break head office has not recorded is a problem
                if not any(r["break_seq"] == brk.break_seq for r in recorded):
                    return f"sequence {brk.break_seq}: a chain break not recorded by head office"
        if walker.head.seq != who.hw_seq:
            return f"high-water mark {who.hw_seq} but {walker.head.seq} events stored"
        if walker.head.seq > after or start is None:
            self._save_check(who, walker.head)
        return None

    def _chain_check(self, who: Counter) -> ChainHead | None:
        """Where the counter's chain was last re-hashed to without a problem, if anywhere."""
        c = schema.chain_checks.c
        with database_errors(), self.reader.connect() as conn:
            row = conn.execute(select(c.seq, c.hash, c.chain_format)
                               .where(c.counter_id == who.id)).one_or_none()
        if row is None or row.seq > who.hw_seq:
            return None
        return ChainHead(row.seq, row.hash, row.chain_format)

    def _save_check(self, who: Counter, head: ChainHead) -> None:
        """Move the counter's check mark to `head`; a database too busy to take it only
        means the next check walks further."""
        c = schema.chain_checks.c
        try:
            with database_errors(), self.engine.begin() as conn:
                conn.execute(schema.chain_checks.delete().where(c.counter_id == who.id))
                conn.execute(schema.chain_checks.insert().values(
                    counter_id=who.id, seq=head.seq, hash=head.hash,
                    chain_format=head.chain_format, checked_at=utc_now()))
        except (StoreUnavailable, IntegrityError) as exc:
            log.warning("chain check mark of hall %s counter %s not saved: %s", who.hall,
                        who.counter, exc)


class _ChainRefusal(Exception):
    def __init__(self, ev: Event, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.event = ev
        self.refusal = refusal


def _txn(ev: Event) -> str | None:
    """The transaction an event is about, when it names one a database can key on."""
    txn = ev.payload.get("txn")
    return txn if isinstance(txn, str) and "\x00" not in txn else None


def mark_acknowledged(
    conn: Any, hall: str, alert: str, staff: str, desk: str, at: str | None = None
) -> Any | None:
    """Record who acknowledged the alert on `conn` (in its transaction): the first
    acknowledgement stands, a later one changes nothing. `desk`: the desk or counter where it
    was made; `at`: when (default now). The alert's row as it stands, None when the hall has
    no such alert. The one acknowledgement of both ways in: an `alert_acknowledged` event of
    a desk's or counter's chain (head_office.store's ingest) and `POST …/ack`."""
    a = schema.alerts
    row = conn.execute(select(a).where(a.c.hall == hall, a.c.id == alert)).one_or_none()
    if row is None:
        return None
    if row.acknowledged_at is None:
        conn.execute(
            a.update()
            .where(a.c.seq == row.seq, a.c.acknowledged_at.is_(None))
            .values(
                acknowledged_by=staff,
                acknowledged_desk=desk,
                acknowledged_at=at or utc_now(),
            )
        )
        row = conn.execute(select(a).where(a.c.seq == row.seq)).one()
    return row


#: (table, dialect, columns) → the INSERT's SQL, each row's parameters (None: the row as it
#: is, named) and the columns' bind processors; compiled once, not once per batch
_COMPILED_INSERTS: dict[tuple[str, str, tuple[str, ...]],
                        tuple[str, Callable[[Mapping[str, Any]], Any] | None, dict[str, Any]]] = {}


def insert_many(conn: Connection, table: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """`conn.execute(table.insert(), rows)` (rows with the same keys) handed to the driver's
    executemany directly: the statement is compiled once per table, dialect and columns, and
    the rows are passed as they are (only the columns' bind processors applied), where
    SQLAlchemy would build each row's parameters anew for every batch."""
    if not rows:
        return
    keys = tuple(rows[0])
    cache_key = (table.name, conn.dialect.name, keys)
    compiled = _COMPILED_INSERTS.get(cache_key)
    if compiled is None:
        statement = table.insert().compile(dialect=conn.dialect, column_keys=list(keys))
        ordered = _in_order(statement.positiontup) if conn.dialect.positional else None
        processors = {k: f for k, f in statement._bind_processors.items() if f is not None}
        compiled = _COMPILED_INSERTS[cache_key] = (str(statement), ordered, processors)
    sql, ordered, processors = compiled
    if processors:
        rows = [{**row, **{k: f(row[k]) for k, f in processors.items() if k in row}}
                for row in rows]
    params: list[Any] = list(rows) if ordered is None else list(map(ordered, rows))
    conn.exec_driver_sql(sql, params)


def _in_order(order: Sequence[str]) -> Callable[[Mapping[str, Any]], Any]:
    """A row's parameters in the statement's order: a tuple, even for a single column."""
    get = operator.itemgetter(*order)
    if len(order) == 1:
        return lambda row: (get(row),)
    return get


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _invalid(verdict: Verdict) -> str | None:
    return None if verdict.reason is None else _text(verdict.reason)


def _sample(ev: Event) -> tuple[int, str]:
    """The offered event's size in bytes (UTF-8 JSON) and its first SAMPLE_BYTES bytes."""
    data = json.dumps(ev.as_dict(), ensure_ascii=False).encode("utf-8", "replace")
    return len(data), data[:SAMPLE_BYTES].decode("utf-8", "ignore").replace("\x00", "")


def _days_before(now: str, days: float) -> str:
    """The UTC time `days` before `now`, in the same text form (so the two compare)."""
    return format_utc(parse_utc(now) - dt.timedelta(days=days))


def _join_review(conn: Connection, hall: str, ev: Event) -> int | None:
    """Fold a review into the transaction it names, held by whichever chain of the hall;
    the counter id of that chain, or None when no chain holds the transaction."""
    txn = _txn(ev)
    if txn is None:
        return None
    row = conn.execute(select(transactions).where(
        transactions.c.hall == hall, transactions.c.txn == txn,
    ).order_by(transactions.c.counter_id).limit(1)).mappings().one_or_none()
    if row is None:
        return None
    if ev.kind == OVERTIME_REVIEWED:
        updated = {**row, "review_cause": _text(ev.payload.get("cause")),
                   "review_note": _text(ev.payload.get("note")), "reviewed_seq": ev.seq}
        accepted = projection.apply(updated, ev)
        if accepted is not None:
            updated = {**updated, **_storable(accepted)}
        conn.execute(transactions.update().where(
            transactions.c.counter_id == row["counter_id"], transactions.c.txn == txn,
        ).values({k: v for k, v in updated.items() if k not in ("counter_id", "txn")}))
    return int(row["counter_id"])


def _review_row(who: Counter, ev: Event) -> dict[str, Any]:
    cause = ev.payload.get("cause")
    if ev.kind == RATING_APPEALED:
        cause = ev.payload.get("reason")
    elif ev.kind == APPEAL_DECIDED:
        # head_office.reports reads an upheld appeal from this column
        cause = "upheld" if ev.payload.get("upheld") is True else "rejected"
    return {"counter_id": who.id, "seq": ev.seq, "txn": _txn(ev), "kind": ev.kind, "at": ev.at,
            "cause": _text(cause), "note": _text(ev.payload.get("note")),
            "body": event_body(ev)}


def _text(value: Any) -> str | None:
    """Free text as a database can hold it (PostgreSQL refuses NUL characters)."""
    return None if value is None else str(value).replace("\x00", "")


_ABSENT = object()
_INT_LIMIT = 2**31


def _as_int(value: Any) -> int | None:
    """An integer column's value: an int (not a bool) within ±2³¹, else empty."""
    return value if type(value) is int and abs(value) < _INT_LIMIT else None


def _as_float(value: Any) -> float | None:
    """A float column's value: a finite number (not a bool) below 1e300, else empty."""
    if (type(value) is float or type(value) is int) and abs(value) < 1e300:  # not NaN, ±inf
        return float(value)
    return None


def _as_text(value: Any) -> str | None:
    return value if type(value) is str and "\x00" not in value else _text(value)


#: each projected column's conversion to what the report tables take
_CONVERT: dict[str, Callable[[Any], Any]] = {
    name: {int: _as_int, float: _as_float}.get(
        transactions.c[name].type.python_type, _as_text)
    for name in projection.COLUMNS}


def _storable(row: dict[str, Any], before: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A projected row with values of the wrong type or size left empty: a chained event is
    stored whatever its payload says, but the report tables take only what they can use.
    `before`: the (storable) row it was projected from: only the values that are not carried
    over from it as they are come back, to be merged over it."""
    if before is not None:
        row = {name: value for name, value in row.items()
               if value is not before.get(name, _ABSENT)}
    convert = _CONVERT.get
    return {name: value if (to := convert(name)) is None else to(value)
            for name, value in row.items()}


def _counter(row: Any) -> Counter:
    return Counter(row.id, row.hall, row.counter, row.hw_seq, row.hw_hash, row.revoked_at,
                   row.last_sync_at)


def _event_from_row(row: Any) -> Event:
    fields = json.loads(row.body)
    return Event.from_dict({**fields, "prev_hash": row.prev_hash, "hash": row.hash})


def _head_format(conn: Connection, counter_id: int, hw_seq: int) -> int:
    """The chain format of the counter's stored head: the latest stored `log_opened` names it
    (formats never go back), else the initial format."""
    body = conn.execute(
        select(events.c.body).where(
            events.c.counter_id == counter_id, schema.LOG_OPENED_ONLY,  # its partial index
            events.c.seq <= hw_seq,
        ).order_by(events.c.seq.desc()).limit(1)
    ).scalar()
    opened = INITIAL_FORMAT if body is None else format_after(
        INITIAL_FORMAT, LOG_OPENED, json.loads(body).get("payload", {}))
    # a break event may be hashed in a format a log_opened of its (unstored) span switched to
    after_break = conn.execute(
        select(func.max(chain_breaks.c.chain_format)).where(
            chain_breaks.c.counter_id == counter_id, chain_breaks.c.break_seq <= hw_seq)
    ).scalar()
    return max(opened, after_break or INITIAL_FORMAT)


#: the reason of a break whose span head office holds as uploaded before the damage
HELD_INTACT = "damaged at the counter after upload; head office holds these events intact"


def _held_break(ev: Event) -> ChainBreak | None:
    """The break a normally chained `chain_break_detected` names (None when its payload does
    not say one): the span lies in events head office already stored."""
    p = ev.payload
    try:
        good, first = p["last_good_seq"], p["first_bad_seq"]
        if not (isinstance(good, int) and isinstance(first, int) and good < first < ev.seq):
            return None
        chain_format = next(
            f for f in CHAIN_FORMATS
            if chain_hash(ev.prev_hash, ev.canonical_bytes(f)) == ev.hash)
        return ChainBreak(good, str(p["last_good_hash"])[:64], first, ev.seq, ev.hash,
                          str(p.get("detected_at", "")), HELD_INTACT, chain_format)
    except (KeyError, TypeError, ValueError, StopIteration):
        return None


def _recorded_spans(conn: Connection, counter_id: int) -> list[tuple[int, int, int]]:
    """(break seq, first bad seq, last bad seq) of every break recorded for the counter."""
    return [(r.break_seq, r.first_bad_seq, r.last_bad_seq) for r in conn.execute(
        select(chain_breaks.c.break_seq, chain_breaks.c.first_bad_seq,
               chain_breaks.c.last_bad_seq).where(chain_breaks.c.counter_id == counter_id))]


def _stored_event(row: Any) -> Event | None:
    """The event a stored row holds, or None when its text is not an event at all."""
    try:
        return _event_from_row(row)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
