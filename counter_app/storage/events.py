"""The append-only event log and its projections, written together in one SQLite transaction.

Every append is checked before anything is written: the kind must be known, the payload fit
its schema and the event follow its transaction's lifecycle (counter_core.events); a refused
event raises `InvalidEvent` and nothing of its batch is stored. The lifecycle state comes from
the transactions projection this store keeps anyway, never from re-reading the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from counter_app.storage.db import Database, rare_kinds_only, write_transaction
from counter_core import appeals, events, projection, reviews, roster
from counter_core.chain import (
    CHAIN_FORMATS,
    CURRENT_FORMAT,
    GENESIS_HASH,
    INITIAL_FORMAT,
    ChainBreak,
    ChainFormatError,
    ChainHead,
    ChainProblem,
    ChainWalker,
    Event,
    SegmentWalker,
    break_payload,
    format_after,
    seal,
)
from counter_core.events import InvalidEvent as InvalidEvent
from counter_core.periods import parse_utc, utc_now
from counter_core.transaction import Draft, interrupted_overtime

#: The largest payload one event may carry, as stored JSON text.
MAX_PAYLOAD_BYTES = 64 * 1024


#: How far before the chain head's time an appended event may be (a small NTP step back).
MAX_BACKDATE = dt.timedelta(minutes=5)


class ClockBehind(sqlite3.DatabaseError):
    """`append` refused an event whose time is more than MAX_BACKDATE before the chain
    head's: the clock was set back. A database refusal like a full disk: nothing is stored
    and the application says "NOT SAVED" with this message."""


class ChainRefused(ValueError):
    """Events offered to `EventStore.accept` that do not continue the stored chain."""

    def __init__(self, problem: ChainProblem) -> None:
        super().__init__(f"broken chain at {problem}; nothing was stored")
        self.problem = problem
        self.seq = problem.seq


@dataclass
class AcceptResult:
    """What `EventStore.accept` did with a batch of sealed events."""

    stored: int = 0
    duplicates: int = 0
    conflicts: list[int] = field(default_factory=list)  # used sequences offered another hash


#: called with no arguments on the writer's thread right after a COMMIT that added events
#: (`add_commit_listener`): the hall streamer's wake-up, instead of polling the database. A
#: listener must be quick and must not raise; events appended inside an outer transaction (a
#: staff change) are not announced, and a listener's own slow look catches them.
_commit_listeners: list[Callable[[], None]] = []


def add_commit_listener(listener: Callable[[], None]) -> None:
    _commit_listeners.append(listener)


def remove_commit_listener(listener: Callable[[], None]) -> None:
    if listener in _commit_listeners:
        _commit_listeners.remove(listener)


def _announce_commit(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:  # inside an outer transaction: not committed yet
        return
    for listener in tuple(_commit_listeners):
        listener()


def app_version() -> str:
    """Counter App's version: `counter_app.__version__`, which is also the distribution's
    (pyproject.toml reads it), so no importlib.metadata look-up (~10 ms) at every start."""
    from counter_app import __version__

    return __version__


class EventStore:
    """Appends events for one hall and counter; the single writer of its database.

    `record_opening`: on opening, append a `log_opened` event (app version, chain format)
    when the last one recorded differs, and so move the log to `chain_format` (RFC 8785 by
    default) from that event on. Without it the store writes in the format the log is in.
    """

    def __init__(
        self,
        db: Database,
        hall: str,
        counter: str,
        *,
        now: Callable[[], str] = utc_now,
        record_opening: bool = False,
        chain_format: int = CURRENT_FORMAT,
        version: str | None = None,
    ) -> None:
        self.db = db
        self.hall = hall
        self.counter = counter
        self._now = now
        self._format_at: tuple[int, int] | None = None  # (head seq, chain format) known
        if chain_format not in CHAIN_FORMATS:
            raise ChainFormatError(f"unknown chain format {chain_format!r}")
        if record_opening:
            self.record_opening(version or app_version(), chain_format)

    # ---- writing --------------------------------------------------------------------------

    def append(self, drafts: Sequence[Draft]) -> list[Event]:
        """Check, sequence, hash and commit the drafts with their projections; all or nothing.

        Raises InvalidEvent (a ValueError) before anything is written when a draft is of an
        unknown kind, has an invalid payload or does not follow its transaction's lifecycle.
        Returns only after COMMIT, i.e. after SQLite has synced the WAL (synchronous=FULL).
        """
        now = self._now()
        return self._append_timed([(now, draft) for draft in drafts], refuse_backdated=True)

    @staticmethod
    def _refuse_backdated(now: str, head_at: str | None) -> None:
        """ClockBehind when `now` is more than MAX_BACKDATE before the chain head's time: a
        record is never slipped in behind the history (only demo data, through
        `append_timed`, writes back-dated events, and only into an empty log)."""
        if head_at is None:
            return
        try:
            head, when = parse_utc(head_at), parse_utc(now)
        except ValueError:
            return  # an unreadable head time is verify's business, not a reason to stop
        if when < head - MAX_BACKDATE:
            minutes = (head - when).total_seconds() / 60
            raise ClockBehind(
                f"the computer's clock ({now}) is {minutes:.0f} minutes behind the last "
                f"record ({head_at}); set the clock right, then try again. Nothing was "
                "recorded.")

    def append_timed(self, items: Sequence[tuple[str, Draft]]) -> list[Event]:
        """`append` with each event's UTC time given: for demo data and imports of history."""
        return self._append_timed(items, refuse_backdated=False)

    def _append_timed(self, items: Sequence[tuple[str, Draft]], *,
                      refuse_backdated: bool) -> list[Event]:
        """One write transaction: the head read once, each transaction's projection row read
        once (for the lifecycle rules and the projection alike), the events inserted and
        projected: six statements for a one-event commit, BEGIN and COMMIT included."""
        if not items:
            return []
        with write_transaction(self.db.conn):
            seq, prev, chain_format, head_at = self._chain_head()
            if refuse_backdated:
                self._refuse_backdated(items[0][0], head_at)
            rows: dict[str, dict[str, Any] | None] = {}  # projection rows read or written
            lifecycle = self._lifecycle(rows)
            for _, draft in items:
                problem = lifecycle.feed(draft)
                if problem is not None:
                    raise InvalidEvent(draft.kind, problem)
            stored: list[Event] = []
            for at, draft in items:
                seq += 1
                try:
                    chain_format = format_after(chain_format, draft.kind, draft.payload)
                except ChainFormatError as exc:
                    raise InvalidEvent(draft.kind, str(exc)) from exc
                event = seal(
                    Event(
                        seq=seq, uuid=str(uuid.uuid4()), kind=draft.kind, at=at,
                        hall=self.hall, counter=self.counter, payload=draft.payload,
                        prev_hash=prev,
                    ),
                    chain_format,
                )
                self._insert(event)
                self._project(event, rows)
                stored.append(event)
                prev = event.hash
            self._format_at = (seq, chain_format)
        _announce_commit(self.db.conn)
        return stored

    def accept(self, offered: Sequence[Event]) -> AcceptResult:
        """Store events sealed elsewhere (a restore, an import) that continue this chain.

        Events at sequences already stored are duplicates when their hash matches and conflicts
        (reported, not stored) when it does not; the rest must continue the chain from the
        stored head, be for this hall and counter, and pass the same checks as `append`. A
        broken chain raises ChainRefused, a refused event InvalidEvent: nothing is stored.
        """
        result = AcceptResult()
        if not offered:
            return result
        with write_transaction(self.db.conn):
            seq, prev, chain_format, _ = self._chain_head()
            old = [ev for ev in offered if ev.seq <= seq]
            new = [ev for ev in offered if ev.seq > seq]
            if old:
                marks = ", ".join("?" for _ in old)
                stored = dict(self.db.execute(
                    f"SELECT seq, hash FROM events WHERE seq IN ({marks})",
                    [ev.seq for ev in old]).fetchall())
                for ev in old:
                    if stored.get(ev.seq) == ev.hash:
                        result.duplicates += 1
                    else:
                        result.conflicts.append(ev.seq)
            walker = ChainWalker(ChainHead(seq, prev, chain_format))
            rows: dict[str, dict[str, Any] | None] = {}
            lifecycle = self._lifecycle(rows)
            for ev in new:
                if (ev.hall, ev.counter) != (self.hall, self.counter):
                    raise InvalidEvent(ev.kind, f"is for hall {ev.hall} counter {ev.counter}, "
                                       f"not {self.hall} {self.counter}", seq=ev.seq)
                problem = walker.feed(ev)
                if problem is not None:
                    raise ChainRefused(problem)
                refused = lifecycle.feed(ev)
                if refused is not None:
                    raise InvalidEvent(ev.kind, refused, seq=ev.seq)
            for ev in new:
                self._insert(ev)
                self._project(ev, rows)
            result.stored = len(new)
            self._format_at = (walker.seq, walker.chain_format)
        if result.stored:
            _announce_commit(self.db.conn)
        return result

    def record_opening(self, version: str, chain_format: int = CURRENT_FORMAT) -> Event | None:
        """Append `log_opened` unless the last one recorded names this version and format.

        The format never goes back: a log already in a higher format stays in it.
        """
        last = self._last_opening()
        current = last[1] if last else INITIAL_FORMAT
        wanted = max(chain_format, current)
        if last == (version, wanted):
            return None
        (event,) = self.append([Draft(events.LOG_OPENED,
                                      {"app_version": version, "chain_format": wanted})])
        return event

    def chain_format(self) -> int:
        """The chain format the next appended event is hashed in (unless it switches it)."""
        return self._chain_head()[2]

    def _last_opening(self) -> tuple[str, int] | None:
        row = self.db.execute(
            "SELECT payload FROM events WHERE kind = ?"
            f" AND {rare_kinds_only(events.LOG_OPENED)} ORDER BY seq DESC LIMIT 1",
            [events.LOG_OPENED],
        ).fetchone()
        if row is None:
            return None
        payload = json.loads(row[0])
        return str(payload.get("app_version")), int(payload.get("chain_format", INITIAL_FORMAT))

    def _chain_head(self) -> tuple[int, str, int, str | None]:
        """(last seq, its hash, the chain format in force, its time), the format cached per
        head."""
        row = self.db.execute(
            "SELECT seq, hash, at FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev, at = (row[0], row[1], row[2]) if row else (0, GENESIS_HASH, None)
        if self._format_at is not None and self._format_at[0] == seq:
            chain_format = self._format_at[1]
        else:
            last = self._last_opening()
            chain_format = last[1] if last else INITIAL_FORMAT
            self._format_at = (seq, chain_format)
        if chain_format not in CHAIN_FORMATS:
            raise ChainFormatError(
                f"this log is in chain format {chain_format}, newer than this app "
                f"({max(CHAIN_FORMATS)}); install the newer Counter App")
        return seq, prev, chain_format, at

    def _lifecycle(self, rows: dict[str, dict[str, Any] | None]) -> events.Lifecycle:
        """The lifecycle rules, seeded from the transactions projection as they are needed;
        each row read is kept in `rows` for the projection of the same batch."""

        def lookup(txn: str) -> events.TxnState | None:
            row = self._transaction_with_appeal(txn)
            rows[txn] = row
            return None if row is None else events.TxnState.from_row(row)

        return events.Lifecycle(lookup=lookup)

    def _transaction_with_appeal(self, txn: str) -> dict[str, Any] | None:
        """The transaction's projection row with its appeal state (appealed, appeal_decided),
        in one statement."""
        found = list(self.db.query(
            "SELECT t.*, a.txn IS NOT NULL AS appealed,"
            " a.decided_seq IS NOT NULL AS appeal_decided"
            " FROM transactions AS t LEFT JOIN appeals AS a ON a.txn = t.txn"
            " WHERE t.txn = ?", [txn]))
        return found[0] if found else None

    def _head(self) -> tuple[int, str]:
        row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def _insert(self, event: Event) -> None:
        text = _payload_text(event.payload)
        if len(text) > MAX_PAYLOAD_BYTES:  # characters: a cheap bound on the bytes' size
            raise InvalidEvent(event.kind, f"payload of {len(text)} characters is larger than "
                               f"{MAX_PAYLOAD_BYTES}", seq=event.seq)
        self.db.execute(
            "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [event.seq, event.uuid, event.kind, event.at, event.hall, event.counter,
             text, event.prev_hash, event.hash],
        )

    def _project(self, event: Event, rows: dict[str, dict[str, Any] | None]) -> None:
        """The event's projections; `rows`: the transaction rows this batch has read or
        written so far (kept up to date here)."""
        if event.kind in events.APPEAL_KINDS:
            self._project_appeal(event)
            return
        if event.kind in events.REVIEW_KINDS:
            self._project_review(event)
            if not projection.accepts_type_change(event):
                return
        txn = event.payload.get("txn")
        if txn is None or (event.kind not in projection.TRANSACTION_KINDS
                           and not projection.accepts_type_change(event)):
            return
        current = rows[txn] if txn in rows else self.transaction(txn)
        row = projection.apply(current, event)
        if row is None:
            return
        self._write_transaction_row(current, row)
        rows[txn] = row

    def _write_transaction_row(self, current: dict[str, Any] | None,
                               row: dict[str, Any]) -> None:
        """The projection's row written with as few pages as it takes: a new transaction is
        one INSERT; a later event UPDATEs only the columns it changed, so SQLite rewrites only
        the indexes over those columns (an `INSERT OR REPLACE` deleted and re-inserted the row
        in the table and in every index: 40 KB of WAL per commit)."""
        if current is None:
            columns = projection.COLUMNS
            self.db.execute(
                f"INSERT INTO transactions ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})",
                [row[c] for c in columns],
            )
            return
        changed = [c for c in projection.COLUMNS if c != "txn" and row[c] != current.get(c)]
        if changed:
            self.db.execute(
                f"UPDATE transactions SET {', '.join(f'{c} = ?' for c in changed)}"
                " WHERE txn = ?",
                [*(row[c] for c in changed), row["txn"]],
            )

    def _project_review(self, event: Event) -> None:
        """The manager's tables: the latest review per transaction, the star per month."""
        applied = reviews.apply(event)
        if applied is None:
            return
        table, row = applied
        self.db.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(row)})"
            f" VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )

    def _project_appeal(self, event: Event) -> None:
        """The appeals table: one row per appealed transaction, with its decision."""
        row = appeals.apply(self.appeal(str(event.payload["txn"])), event)
        if row is None:
            return
        columns = appeals.APPEAL_COLUMNS
        self.db.execute(
            f"INSERT OR REPLACE INTO appeals ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )

    def appeal(self, txn: str) -> dict[str, Any] | None:
        """The transaction's appeals row (None: not appealed)."""
        rows = list(self.db.query("SELECT * FROM appeals WHERE txn = ?", [txn]))
        return rows[0] if rows else None

    def heartbeat(self, txn: str, elapsed_s: float) -> None:
        """Remember how long the running transaction has lasted (not an event: no chain spam)."""
        with write_transaction(self.db.conn) as conn:
            # one row, the running transaction's: an event commit never has to clear it (a
            # finished transaction's row is left to the next heartbeat, and ignored by
            # recovery, which reads only running transactions)
            conn.execute("DELETE FROM heartbeat WHERE txn <> ?", [txn])
            conn.execute("INSERT OR REPLACE INTO heartbeat (txn, elapsed_s) VALUES (?, ?)",
                         [txn, round(elapsed_s, 3)])

    # ---- recovery -------------------------------------------------------------------------

    def recover_interrupted(self) -> list[Event]:
        """Close transactions a crash left running, and the sign-in it left open."""
        drafts: list[Draft] = []
        for row in self.db.query(
            "SELECT t.txn, t.target_s, h.elapsed_s FROM transactions t"
            " LEFT JOIN heartbeat h USING (txn) WHERE t.status = 'running' ORDER BY t.started_seq"
        ):
            # the time known so far; bounded so that no heartbeat can stop the app starting
            elapsed = min(row["elapsed_s"] or 0.0, events.MAX_ELAPSED_S)
            drafts.append(Draft(events.INTERRUPTED, {
                "txn": row["txn"], "elapsed_s": elapsed,
                **interrupted_overtime(elapsed, row["target_s"])}))
        for row in self.db.query(
            "SELECT txn FROM transactions WHERE status = 'completed' AND rating_status = 'pending'"
        ):
            drafts.append(Draft(events.RATING_TIMED_OUT, {"txn": row["txn"]}))
        staff = self.signed_in_staff()
        if staff:
            drafts.append(Draft(events.SIGNED_OUT, {"staff": staff, "reason": "interrupted"}))
        recovered = self.append(drafts)
        if self.db.execute("SELECT 1 FROM heartbeat LIMIT 1").fetchone() is not None:
            with write_transaction(self.db.conn) as conn:  # nothing runs now: no time to keep
                conn.execute("DELETE FROM heartbeat")
        return recovered

    def signed_in_staff(self) -> str | None:
        """The staff member whose last sign-in has no sign-out after it."""
        row = self.db.execute(
            "SELECT kind, payload FROM events WHERE kind IN ('signed_in', 'signed_out')"
            f" AND {rare_kinds_only(events.SIGNED_IN, events.SIGNED_OUT)}"
            " ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row and row[0] == "signed_in":
            return str(json.loads(row[1])["staff"])
        return None

    # ---- reading --------------------------------------------------------------------------

    def transaction(self, txn: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM transactions WHERE txn = ?", [txn]))
        return rows[0] if rows else None

    def events(self, after_seq: int = 0, limit: int | None = None) -> Iterator[Event]:
        sql = "SELECT * FROM events WHERE seq > ? ORDER BY seq"
        params: list[Any] = [after_seq]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in self.db.query(sql, params):
            yield event_from_row(row)

    def last_seq(self) -> int:
        return self._head()[0]


def _payload_text(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_from_row(row: dict[str, Any]) -> Event:
    return Event(
        seq=row["seq"], uuid=row["uuid"], kind=row["kind"], at=row["at"], hall=row["hall"],
        counter=row["counter"], payload=json.loads(row["payload"]),
        prev_hash=row["prev_hash"], hash=row["hash"],
    )


@dataclass(frozen=True)
class VerifyReport:
    events: int
    chain_problem: ChainProblem | None
    projection_problem: str | None
    #: breaks recorded by `chain_break_detected` events: the chain verifies around them, but
    #: the span of each does not, so the log is not OK
    breaks: tuple[ChainBreak, ...] = ()

    @property
    def ok(self) -> bool:
        return (self.chain_problem is None and self.projection_problem is None
                and not self.breaks)


def verify(db: Database) -> VerifyReport:
    """Check the whole chain (each event in its chain format, recorded breaks honoured), the
    events against the vocabulary's lifecycle rules, then the tables against a rebuild from
    the events."""
    store_events = [stored_event_from_row(r)
                    for r in db.query("SELECT * FROM events ORDER BY seq")]
    walked = SegmentWalker().walk(store_events)
    breaks = tuple(brk for brk, _ in walked.breaks)
    if walked.problem is not None:
        return VerifyReport(len(store_events), walked.problem, None, breaks)
    if breaks:
        # the broken spans' contents are not to be trusted: the checks below would only
        # repeat that they differ from what was projected when they were written
        return VerifyReport(len(store_events), None, None, breaks)
    # a decision about another chain's transaction (the hall view) is judged where that
    # transaction is: the hall server and head office, which join it by the transaction's id
    own = {ev.payload.get("txn") for ev in store_events if ev.kind == events.STARTED}
    # likewise an appeal decided here of an appeal recorded in another chain
    appealed = {ev.payload.get("txn") for ev in store_events
                if ev.kind == events.RATING_APPEALED}
    refused = events.Lifecycle().first_problem(
        ev for ev in store_events if events.is_known(ev.kind)  # a newer app's kinds: no rules
        and not (ev.kind in events.REVIEW_KINDS and "txn" in ev.payload
                 and ev.payload["txn"] not in own)
        and not (ev.kind in events.APPEAL_KINDS and (
            ev.payload.get("txn") not in own
            or (ev.kind == events.APPEAL_DECIDED and ev.payload.get("txn") not in appealed))))
    if refused is not None:
        ev, reason = refused
        return VerifyReport(len(store_events), None,
                            f"event {ev.seq} ({ev.kind}) breaks the rules: {reason}")
    try:
        expected = projection.rebuild(store_events)
    except (KeyError, ValueError) as exc:
        return VerifyReport(len(store_events), None, f"events do not fold: {exc}")
    actual = {r["txn"]: r for r in db.query("SELECT * FROM transactions")}
    for txn in sorted(set(expected) | set(actual), key=lambda t: _seq_of(t, expected, actual)):
        want, have = expected.get(txn), actual.get(txn)
        if want is None or have is None:
            where = "missing from the table" if have is None else "not in the event log"
            return VerifyReport(len(store_events), None, f"transaction {txn} is {where}")
        diff = [c for c in projection.COLUMNS if want[c] != have[c]]
        if diff:
            return VerifyReport(
                len(store_events), None,
                f"transaction {txn} (started at sequence {want['started_seq']}) differs from "
                f"its events in: {', '.join(diff)}",
            )
    return VerifyReport(len(store_events), None,
                        _verify_reviews(db, store_events) or _verify_appeals(db, store_events)
                        or _verify_staff(db, store_events))


def _verify_reviews(db: Database, store_events: list[Event]) -> str | None:
    """The manager's tables (reviews, stars) against a rebuild from the events.

    A decision about another chain's transaction (made here in the hall view) is this chain's
    event but not its table's row: the hall mirror shows it (storage.mirror)."""
    expected = reviews.rebuild(store_events)
    own = {ev.payload.get("txn") for ev in store_events if ev.kind == events.STARTED}
    expected["reviews"] = {k: r for k, r in expected["reviews"].items() if r["txn"] in own}
    present = set(db.table_names())
    for table, columns in (("reviews", reviews.REVIEW_COLUMNS), ("stars", reviews.STAR_COLUMNS)):
        want_rows = expected[table]
        if table not in present:  # a database from before schema v2, opened read-only
            return f"{table} table is missing" if want_rows else None
        actual = {reviews.key(table, r): r for r in db.query(f"SELECT * FROM {table}")}
        for k in sorted(set(want_rows) | set(actual)):
            want, have = want_rows.get(k), actual.get(k)
            if want is None or have is None:
                where = "missing from the table" if have is None else "not in the event log"
                return f"{table} row {'/'.join(k)} is {where}"
            diff = [c for c in columns if want[c] != have[c]]
            if diff:
                return (f"{table} row {'/'.join(k)} (sequence {want['seq']}) differs from its "
                        f"event in: {', '.join(diff)}")
    return None


def _verify_appeals(db: Database, store_events: list[Event]) -> str | None:
    """The appeals table against a rebuild from the events."""
    expected = appeals.rebuild(store_events)
    if "appeals" not in set(db.table_names()):  # a database from before it, opened read-only
        return "appeals table is missing" if expected else None
    actual = {r["txn"]: r for r in db.query("SELECT * FROM appeals")}
    for txn in sorted(set(expected) | set(actual)):
        want, have = expected.get(txn), actual.get(txn)
        if want is None or have is None:
            where = "missing from the table" if have is None else "not in the event log"
            return f"appeal of {txn} is {where}"
        diff = [c for c in appeals.APPEAL_COLUMNS if want[c] != have[c]]
        if diff:
            return f"appeal of {txn} differs from its events in: {', '.join(diff)}"
    return None


def applied_digest(rows: Sequence[Any]) -> str:
    """What a `roster_applied` event commits to: the SHA-256 of the cached accounts' numbers,
    roles, PIN-hash digests (counter_core.roster.pin_digest) and disabled states, in number
    order; no names, no photos, no hashes. `rows` are staff rows (mappings) or accounts
    (objects) with number, role, pin_hash and disabled."""

    def field(row: Any, name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    listed = sorted([str(field(r, "number")), str(field(r, "role")),
                     roster.pin_digest(str(field(r, "pin_hash"))), bool(field(r, "disabled"))]
                    for r in rows)
    text = json.dumps(listed, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def last_roster_applied(store_events: Sequence[Event]) -> Event | None:
    """The last `roster_applied`, when no staff change the counter made itself came after it
    (the staff table is then the hall server's roster as applied)."""
    for ev in reversed(store_events):
        if ev.kind == events.ROSTER_APPLIED:
            return ev
        if ev.kind in events.STAFF_KINDS and ev.kind != events.STAFF_LOCKED:
            return None
    return None


def _verify_staff(db: Database, store_events: list[Event]) -> str | None:
    """The staff table against the fold of the staff events: the same numbers, each with its
    role, PIN hash (by digest) and disabled state. A log without any staff event is a folder
    from before them: its accounts are recorded when this version first opens it as the
    writer. Under `[roster] managed_by = "hall_server"` the table is the hall's roster as the
    last `roster_applied` recorded it: checked against that event's digest instead."""
    rows = list(db.query("SELECT number, role, pin_hash, disabled FROM staff"))
    applied = last_roster_applied(store_events)
    if applied is not None:
        if applied_digest(rows) != applied.payload.get("digest") \
                or len(rows) != applied.payload.get("accounts"):
            return (f"the staff table is not the hall roster that event {applied.seq} "
                    f"(roster_applied, version {applied.payload['version']['seq']}) recorded: "
                    "it was changed outside the app")
        return None
    staff_events = [ev for ev in store_events if ev.kind in events.STAFF_KINDS]
    if not staff_events:
        return None
    try:
        expected = roster.fold(staff_events)
    except (KeyError, ValueError) as exc:
        return f"staff events do not fold: {exc}"
    actual = {r["number"]: r for r in rows}
    for number in sorted(set(expected) | set(actual)):
        want, have = expected.get(number), actual.get(number)
        if want is None:
            return f"staff {number} is in the staff table but no event added them"
        if have is None:
            return f"staff {number} has events but is missing from the staff table"
        diff = [what for what, differs in (
            ("role", want.role != have["role"]),
            ("PIN hash", want.pin_digest != roster.pin_digest(str(have["pin_hash"]))),
            ("disabled", want.disabled != bool(have["disabled"])),
        ) if differs]
        if diff:
            return f"staff {number} differs from its events in: {', '.join(diff)}"
    return None


def _seq_of(txn: str, *tables: dict[str, dict[str, Any]]) -> int:
    for table in tables:
        if txn in table:
            return int(table[txn]["started_seq"])
    return 0


# ---- verification at start: the verified-through mark and recorded breaks -----------------

#: meta key: the last event the chain verified through (JSON: seq, hash, chain_format)
VERIFIED_KEY = "chain.verified_through"


def stored_event_from_row(row: dict[str, Any]) -> Event:
    """`event_from_row` that never fails on a damaged payload: text that is not a JSON
    object is kept as `{"unreadable_payload": text}`, which no hash matches, so the chain
    walk names the event instead of the app failing to start."""
    try:
        payload = json.loads(row["payload"])
    except (TypeError, ValueError):
        payload = None
    if not isinstance(payload, dict):
        payload = {"unreadable_payload": str(row["payload"])}
    return Event(
        seq=row["seq"], uuid=str(row["uuid"]), kind=str(row["kind"]), at=str(row["at"]),
        hall=str(row["hall"]), counter=str(row["counter"]), payload=payload,
        prev_hash=str(row["prev_hash"]), hash=str(row["hash"]),
    )


def stored_events(db: Database, after_seq: int, limit: int) -> list[Event]:
    """Events as stored after `after_seq` (damaged ones too, see `stored_event_from_row`):
    what the sync uploads; works on a read-only connection."""
    return [stored_event_from_row(row) for row in db.query(
        "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", [after_seq, limit])]


def read_verified_mark(db: Database) -> ChainHead | None:
    """The stored verified-through mark, or None (never verified, or unreadable)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [VERIFIED_KEY]).fetchone()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
        head = ChainHead(int(data["seq"]), str(data["hash"]), int(data["chain_format"]))
    except (TypeError, ValueError, KeyError):
        return None
    if head.seq < 0 or head.chain_format not in CHAIN_FORMATS:
        return None
    return head


def _write_verified_mark(db: Database, head: ChainHead) -> None:
    text = json.dumps({"seq": head.seq, "hash": head.hash, "chain_format": head.chain_format})
    with write_transaction(db.conn) as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [VERIFIED_KEY, text])


@dataclass(frozen=True)
class StartCheck:
    """What verification at start found."""

    start: ChainHead  # where it started (the mark, or the genesis)
    checked: int  # events walked
    head: ChainHead  # the new verified-through mark
    #: the break found and recorded now (its `chain_break_detected` appended), if any
    recorded: ChainBreak | None = None
    #: breaks recorded earlier that the walk passed (only those after the mark)
    earlier: tuple[ChainBreak, ...] = ()


def _mark_holds(store: EventStore, mark: ChainHead) -> bool:
    if mark.seq == 0:
        return mark.hash == GENESIS_HASH
    row = store.db.execute("SELECT hash FROM events WHERE seq = ?", [mark.seq]).fetchone()
    return row is not None and row[0] == mark.hash


def _head_at(store: EventStore, seq: int) -> ChainHead | None:
    """The chain head at `seq` as stored: its hash and the chain format then in force."""
    if seq <= 0:
        return ChainHead()
    row = store.db.execute("SELECT hash FROM events WHERE seq = ?", [seq]).fetchone()
    if row is None:
        return None
    opened = store.db.execute(
        f"SELECT payload FROM events WHERE kind = ? AND {rare_kinds_only(events.LOG_OPENED)}"
        " AND seq <= ? ORDER BY seq DESC LIMIT 1",
        [events.LOG_OPENED, seq]).fetchone()
    chain_format = INITIAL_FORMAT
    if opened is not None:
        try:
            chain_format = int(json.loads(opened[0]).get("chain_format", INITIAL_FORMAT))
        except (TypeError, ValueError, AttributeError):
            return None
    if chain_format not in CHAIN_FORMATS:
        return None
    return ChainHead(seq, str(row[0]), chain_format)


def verify_at_start(store: EventStore, *, uploaded_through: int | None = None,
                    now: Callable[[], str] = utc_now) -> StartCheck:
    """Verify the chain from the verified-through mark to the head (only the new events).

    `uploaded_through`: head office's acknowledged mark. Events it has not acknowledged yet
    are walked again even below the verified mark, so an event damaged after it was verified
    but before it was uploaded is found here, not refused by head office for ever.

    When it verifies, the mark moves to the head. When it breaks and no `chain_break_detected`
    accounts for the break yet, one is appended (naming the last good sequence and hash and
    the first bad one), chained to the stored head, so later events form a new segment that
    verifies; the mark moves to it. A mark that no longer matches its event is not trusted:
    the walk starts again at the genesis.
    """
    mark = read_verified_mark(store.db)
    if mark is None or not _mark_holds(store, mark):
        mark = ChainHead()
    if uploaded_through is not None and uploaded_through < mark.seq:
        mark = _head_at(store, uploaded_through) or ChainHead()
    walker = SegmentWalker(mark)
    checked = 0
    for row in store.db.query("SELECT * FROM events WHERE seq > ? ORDER BY seq", [mark.seq]):
        walker.feed(stored_event_from_row(row))
        checked += 1
    earlier = tuple(brk for brk, _ in walker.breaks)
    problem = walker.problem
    recorded: ChainBreak | None = None
    head = walker.head
    if problem is not None:
        good = walker.good_head
        detected_at = now()
        (event,) = store.append([Draft(events.CHAIN_BREAK_DETECTED,
                                       break_payload(good, problem.seq, detected_at))])
        recorded = ChainBreak(good.seq, good.hash, problem.seq, event.seq, event.hash,
                              detected_at, problem.reason)
        head = ChainHead(event.seq, event.hash, store.chain_format())
    _write_verified_mark(store.db, head)
    return StartCheck(mark, checked, head, recorded, earlier)


def recorded_breaks(db: Database, after_seq: int = 0) -> list[ChainBreak]:
    """The breaks recorded in the log (its `chain_break_detected` events), oldest first;
    works on a read-only connection. Only the payload is read: the walk checks it."""
    out: list[ChainBreak] = []
    rare = rare_kinds_only(events.CHAIN_BREAK_DETECTED)
    for row in db.query(f"SELECT seq, hash, payload FROM events WHERE kind = ? AND {rare}"
                        " AND seq > ? ORDER BY seq", [events.CHAIN_BREAK_DETECTED, after_seq]):
        try:
            p = json.loads(row["payload"])
            out.append(ChainBreak(int(p["last_good_seq"]), str(p["last_good_hash"]),
                                  int(p["first_bad_seq"]), int(row["seq"]), str(row["hash"]),
                                  str(p.get("detected_at", ""))))
        except (TypeError, ValueError, KeyError):
            continue  # a damaged break event: the walk names it
    return out
