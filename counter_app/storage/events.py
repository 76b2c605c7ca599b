"""The append-only event log and its projections, written together in one SQLite transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from counter_app.storage.db import write_transaction
from counter_core import events, projection, reviews
from counter_core.chain import GENESIS_HASH, ChainProblem, Event, first_break, seal
from counter_core.periods import utc_now
from counter_core.transaction import Draft


class EventStore:
    """Appends events for one hall and counter; the single writer of its database."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        hall: str,
        counter: str,
        *,
        now: Callable[[], str] = utc_now,
    ) -> None:
        self.db = db
        self.hall = hall
        self.counter = counter
        self._now = now

    # ---- writing --------------------------------------------------------------------------

    def append(self, drafts: Sequence[Draft]) -> list[Event]:
        """Sequence, hash and commit the drafts with their projections; all or nothing.

        Returns only after COMMIT, i.e. after SQLite has synced the WAL (synchronous=FULL).
        """
        now = self._now()
        return self.append_timed([(now, draft) for draft in drafts])

    def append_timed(self, items: Sequence[tuple[str, Draft]]) -> list[Event]:
        """`append` with each event's UTC time given: for demo data and imports of history."""
        if not items:
            return []
        with write_transaction(self.db.conn):
            seq, prev = self._head()
            stored: list[Event] = []
            for at, draft in items:
                seq += 1
                event = seal(
                    Event(
                        seq=seq, uuid=str(uuid.uuid4()), kind=draft.kind, at=at,
                        hall=self.hall, counter=self.counter, payload=draft.payload,
                        prev_hash=prev,
                    )
                )
                self._insert(event)
                self._project(event)
                stored.append(event)
                prev = event.hash
        return stored

    def _head(self) -> tuple[int, str]:
        row = self.db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS_HASH)

    def _insert(self, event: Event) -> None:
        self.db.execute(
            "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [event.seq, event.uuid, event.kind, event.at, event.hall, event.counter,
             _payload_text(event.payload), event.prev_hash, event.hash],
        )

    def _project(self, event: Event) -> None:
        if event.kind in events.REVIEW_KINDS:
            self._project_review(event)
            return
        txn = event.payload.get("txn")
        if txn is None or event.kind not in projection.TRANSACTION_KINDS:
            return
        current = self.transaction(txn)
        row = projection.apply(current, event)
        if row is None:
            return
        columns = projection.COLUMNS
        self.db.execute(
            f"INSERT OR REPLACE INTO transactions ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )
        if row["status"] != "running":
            self.db.execute("DELETE FROM heartbeat WHERE txn = ?", [txn])

    def _project_review(self, event: Event) -> None:
        """The manager's tables: the latest review per transaction, the star per month."""
        applied = reviews.apply(event)
        if applied is None:
            return
        table, row = applied
        if table == "reviews" and self.transaction(row["txn"]) is None:
            raise ValueError(f"no transaction {row['txn']} to review")
        self.db.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(row)})"
            f" VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )

    def heartbeat(self, txn: str, elapsed_s: float) -> None:
        """Remember how long the running transaction has lasted (not an event: no chain spam)."""
        self.db.execute(
            "INSERT OR REPLACE INTO heartbeat (txn, elapsed_s) VALUES (?, ?)",
            [txn, round(elapsed_s, 3)],
        )

    # ---- recovery -------------------------------------------------------------------------

    def recover_interrupted(self) -> list[Event]:
        """Close transactions a crash left running, and the sign-in it left open."""
        drafts: list[Draft] = []
        for row in self.db.query(
            "SELECT t.txn, h.elapsed_s FROM transactions t LEFT JOIN heartbeat h USING (txn)"
            " WHERE t.status = 'running' ORDER BY t.started_seq"
        ):
            drafts.append(Draft("interrupted", {"txn": row["txn"],
                                                "elapsed_s": row["elapsed_s"] or 0.0}))
        for row in self.db.query(
            "SELECT txn FROM transactions WHERE status = 'completed' AND rating_status = 'pending'"
        ):
            drafts.append(Draft("rating_timed_out", {"txn": row["txn"]}))
        staff = self.signed_in_staff()
        if staff:
            drafts.append(Draft("signed_out", {"staff": staff, "reason": "interrupted"}))
        return self.append(drafts)

    def signed_in_staff(self) -> str | None:
        """The staff member whose last sign-in has no sign-out after it."""
        row = self.db.execute(
            "SELECT kind, payload FROM events WHERE kind IN ('signed_in', 'signed_out')"
            " ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row and row[0] == "signed_in":
            return json.loads(row[1])["staff"]
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

    @property
    def ok(self) -> bool:
        return self.chain_problem is None and self.projection_problem is None


def verify(db: sqlite_utils.Database) -> VerifyReport:
    """Check the whole chain, then the transactions table against a rebuild from the events."""
    store_events = [event_from_row(r) for r in db.query("SELECT * FROM events ORDER BY seq")]
    problem = first_break(store_events)
    if problem is not None:
        return VerifyReport(len(store_events), problem, None)
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
    return VerifyReport(len(store_events), None, _verify_reviews(db, store_events))


def _verify_reviews(db: sqlite_utils.Database, store_events: list[Event]) -> str | None:
    """The manager's tables (reviews, stars) against a rebuild from the events."""
    expected = reviews.rebuild(store_events)
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


def _seq_of(txn: str, *tables: dict[str, dict[str, Any]]) -> int:
    for table in tables:
        if txn in table:
            return int(table[txn]["started_seq"])
    return 0
