"""The hall mirror: every chain of the hall, as the hall server holds them, in one SQLite file.

A desk (`counter-app manager`) or a counter with `[hall_server]` keeps `hall_mirror.sqlite` in
its data folder: the counter's own schema (db.migrate), filled with the events of every counter
and desk of the hall and projected by the same code a counter uses (counter_core.projection
for transactions), so storage.queries reads the whole hall unchanged: transaction ids are
UUIDs and staff numbers are hall-wide, so a clerk who worked at three counters is one row.

What differs from a counter's database:

- `events.seq` is the mirror's own order of arrival (the chains' own sequence numbers are kept
  in `mirror_events`); `hall` and `counter` say which chain each event came from. Nothing here
  is chained or verified: the hall server checked every chain, and its invalid events never
  come here.
- The manager's decisions (`overtime_reviewed`, `rating_followed_up`, `star_confirmed`) may
  come from several chains for one case: all are kept in `mirror_decisions`, and the
  `reviews` and `stars` rows are the one counter_core.reviews.merge_decisions picks (the later
  wins, ties by chain id); cases another chain decided within ten minutes of the winner are
  listed in `mirror_decided_twice`.
- Appeals (申诉) the same way: the `rating_appealed` of the clerk's chain makes the `appeals`
  row; each chain's `appeal_decided` is kept in `mirror_decisions` (target `appeals`, case key
  [txn, "appeal"]) and the row's decision is the one merge_decisions picks, flagged likewise.
- A decision may arrive before its transaction (the desk's chain ahead of a counter's): it is
  applied when the transaction arrives.

One writer: `HallMirror` on the thread that pulls (its own connection); readers open the file
read-only (`open_mirror_readonly`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from counter_app.storage.db import (
    Database,
    DatabaseError,
    cause,
    connect,
    migrate,
    rare_kinds_only,
    write_transaction,
)
from counter_app.storage.events import EventStore
from counter_core import appeals, events, projection, reviews
from counter_core.chain import Event
from counter_core.events import TxnState

MIRROR_FILE = "hall_mirror.sqlite"

_DECISIONS_TABLE = """
CREATE TABLE IF NOT EXISTS mirror_decisions (
    uuid TEXT PRIMARY KEY,
    target TEXT NOT NULL CHECK (target IN ('reviews', 'stars', 'appeals')),
    case_key TEXT NOT NULL,
    hall TEXT NOT NULL,
    counter TEXT NOT NULL,
    chain_seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES events(seq),
    row TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mirror_decisions_case ON mirror_decisions(target, case_key);
"""

_MIRROR_TABLES = """
CREATE TABLE IF NOT EXISTS mirror_chains (
    hall TEXT NOT NULL,
    counter TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'counter',
    after_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hall, counter)
);
CREATE TABLE IF NOT EXISTS mirror_events (
    seq INTEGER PRIMARY KEY REFERENCES events(seq),
    chain_seq INTEGER NOT NULL
);
""" + _DECISIONS_TABLE + """CREATE TABLE IF NOT EXISTS mirror_decided_twice (
    target TEXT NOT NULL,
    case_key TEXT NOT NULL,
    winner TEXT NOT NULL,
    rivals TEXT NOT NULL,
    PRIMARY KEY (target, case_key)
);
"""


def mirror_path(data_dir: Path) -> Path:
    return data_dir / MIRROR_FILE


def open_mirror(path: Path) -> Database:
    """The mirror's one writer connection: created and brought to the schema when new."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = connect(path)
        migrate(db)
        db.executescript(_MIRROR_TABLES)
        _upgrade(db)
        _make_private(path)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"cannot open the hall mirror {path}: {cause(exc)}") from exc
    return db


#: what mirror_decisions' CHECK said before appeals joined the merge
_BEFORE_APPEALS = "CHECK (target IN ('reviews', 'stars'))"


def _upgrade(db: Database) -> None:
    """A mirror made before appeal decisions joined the merge: its mirror_decisions table
    takes the `appeals` target, and the appeal events it holds are folded in again."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"
                     " AND name = 'mirror_decisions'").fetchone()
    if row is None or _BEFORE_APPEALS not in str(row[0]):
        return
    with write_transaction(db.conn):
        db.execute("ALTER TABLE mirror_decisions RENAME TO mirror_decisions_old")
        db.execute("DROP INDEX IF EXISTS mirror_decisions_case")
        for statement in _DECISIONS_TABLE.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO mirror_decisions SELECT * FROM mirror_decisions_old")
        db.execute("DROP TABLE mirror_decisions_old")
        mirror = HallMirror(db)
        touched: set[tuple[str, str]] = set()
        for event in _stored_events(db, sorted(events.APPEAL_KINDS)):
            touched |= mirror._project(event[0], event[1])
        mirror._settle(touched)


def _stored_events(db: Database, kinds: list[str]) -> list[tuple[Event, int]]:
    """The mirror's events of these kinds, in arrival order, with their chain sequence."""
    marks = ", ".join("?" for _ in kinds)
    return [(Event(seq=int(r[0]), uuid=str(r[1]), kind=str(r[2]), at=str(r[3]), hall=str(r[4]),
                   counter=str(r[5]), payload=json.loads(r[6]), prev_hash=str(r[7]),
                   hash=str(r[8])), int(r[9]))
            for r in db.execute(
                "SELECT e.seq, e.uuid, e.kind, e.at, e.hall, e.counter, e.payload, e.prev_hash,"
                " e.hash, m.chain_seq FROM events e JOIN mirror_events m ON m.seq = e.seq"
                f" WHERE e.kind IN ({marks}) AND e.{rare_kinds_only(*kinds)} ORDER BY e.seq",
                kinds)]


def _make_private(path: Path) -> None:
    """The mirror holds the whole hall's records: its owner's only (0600), as the counter
    database is (storage.folder.make_private), where the system has modes."""
    if os.name != "posix":
        return
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            if part.exists() and part.stat().st_mode & 0o077:
                part.chmod(0o600)


def open_mirror_readonly(path: Path) -> Database:
    """A read-only connection to the mirror (any thread); it must exist (open_mirror)."""
    if not path.exists():
        raise DatabaseError(f"no hall mirror at {path}")
    return connect(path, readonly=True)


#: the subject of an appeal decision's case key: [txn, "appeal"]
APPEAL_SUBJECT = "appeal"


def _case_key(target: str, row: dict[str, Any]) -> str:
    if target == "appeals":
        return json.dumps([row["txn"], APPEAL_SUBJECT])
    return json.dumps(list(reviews.key(target, row)))


class HallMirror:
    """The mirror's writer: where each chain stands, and the events pulled from the hall."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def marks(self) -> dict[tuple[str, str], int]:
        """(hall, counter) → the last chain sequence number held."""
        return {(r[0], r[1]): int(r[2]) for r in self.db.execute(
            "SELECT hall, counter, after_seq FROM mirror_chains")}

    def restart(self, hall: str, counter: str) -> None:
        """Ask the chain again from its start (the hall server holds less of it than this
        mirror: a rebuilt server, or a counter enrolled again with a new history); what is
        held already is skipped by its UUID."""
        with write_transaction(self.db.conn):
            self.db.execute("UPDATE mirror_chains SET after_seq = 0 WHERE hall = ?"
                            " AND counter = ?", [hall, counter])

    def chain_kinds(self) -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): str(r[2]) for r in self.db.execute(
            "SELECT hall, counter, kind FROM mirror_chains")}

    def add(self, hall: str, counter: str, kind: str, pulled: Sequence[Event],
            next_after: int) -> int:
        """Store the chain's events pulled after its mark (in chain order) and move its mark
        to `next_after`, in one transaction; events already held (by UUID) are skipped.
        Returns how many were new."""
        added = 0
        with write_transaction(self.db.conn):
            self.db.execute(
                "INSERT INTO mirror_chains (hall, counter, kind, after_seq) VALUES (?, ?, ?, 0)"
                " ON CONFLICT(hall, counter) DO UPDATE SET kind = excluded.kind",
                [hall, counter, kind])
            touched: set[tuple[str, str]] = set()
            seq = int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events")
                      .fetchone()[0])
            for event in pulled:
                if self.db.execute("SELECT 1 FROM events WHERE uuid = ?",
                                   [event.uuid]).fetchone():
                    continue
                seq += 1
                added += 1
                local = dataclasses.replace(event, seq=seq)
                self._insert(local, event.seq)
                touched |= self._project(local, event.seq)
            self._settle(touched)
            self.db.execute("UPDATE mirror_chains SET after_seq = MAX(after_seq, ?)"
                            " WHERE hall = ? AND counter = ?", [next_after, hall, counter])
        return added

    def _insert(self, event: Event, chain_seq: int) -> None:
        self.db.execute(
            "INSERT INTO events (seq, uuid, kind, at, hall, counter, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [event.seq, event.uuid, event.kind, event.at, event.hall, event.counter,
             json.dumps(event.payload, sort_keys=True, separators=(",", ":"),
                        ensure_ascii=False), event.prev_hash, event.hash])
        self.db.execute("INSERT INTO mirror_events (seq, chain_seq) VALUES (?, ?)",
                        [event.seq, chain_seq])

    def _project(self, event: Event, chain_seq: int) -> set[tuple[str, str]]:
        """Fold one event in; the decided cases it touches ((target, case key))."""
        if event.kind in events.REVIEW_KINDS:
            applied = reviews.apply(event)
            if applied is None:
                return set()
            target, row = applied
            key = _case_key(target, row)
            self.db.execute(
                "INSERT OR IGNORE INTO mirror_decisions (uuid, target, case_key, hall, counter,"
                " chain_seq, at, seq, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [event.uuid, target, key, event.hall, event.counter, chain_seq, event.at,
                 event.seq, json.dumps({"row": row, "payload": dict(event.payload)})])
            return {(target, key)}
        if event.kind in events.APPEAL_KINDS:
            return self._project_appeal(event, chain_seq)
        if event.kind in events.STAFF_KINDS:
            self._project_staff(event)
            return set()
        txn = event.payload.get("txn")
        if event.kind not in projection.TRANSACTION_KINDS or not isinstance(txn, str):
            return set()
        try:
            folded = projection.apply(self.transaction(txn), event)
        except ValueError:  # a transaction this mirror never saw start: nothing to fold
            return set()
        if folded is None:
            return set()
        self._write_transaction_row(folded)
        return {("reviews", json.dumps([txn, "overtime"])),
                ("reviews", json.dumps([txn, "rating"]))}

    def _project_appeal(self, event: Event, chain_seq: int) -> set[tuple[str, str]]:
        """The clerk's appeal makes the appeals row (the first one stands); each chain's
        decision joins the case's decisions, the row's decision is the merge's winner."""
        txn = event.payload.get("txn")
        if not isinstance(txn, str):
            return set()
        key = json.dumps([txn, APPEAL_SUBJECT])
        if event.kind == events.RATING_APPEALED:
            row = appeals.apply(None, event)
            if row is None:
                return set()
            columns = appeals.APPEAL_COLUMNS
            self.db.execute(
                f"INSERT OR IGNORE INTO appeals ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns])
            return {("appeals", key)}
        p = event.payload
        decided = {"txn": txn, "upheld": int(bool(p.get("upheld"))), "decided_by": p.get("by"),
                   "decision_note": p.get("note", ""), "decided_at": event.at,
                   "decided_seq": event.seq, "manager": p.get("by", "")}
        self.db.execute(
            "INSERT OR IGNORE INTO mirror_decisions (uuid, target, case_key, hall, counter,"
            " chain_seq, at, seq, row) VALUES (?, 'appeals', ?, ?, ?, ?, ?, ?, ?)",
            [event.uuid, key, event.hall, event.counter, chain_seq, event.at, event.seq,
             json.dumps({"row": decided, "payload": dict(p)})])
        return {("appeals", key)}

    def _settle_appeal(self, txn: str, winner: reviews.Decision) -> bool:
        """The appeals row takes the winning decision; False while the appeal is not here."""
        row = winner.row["row"]
        done = self.db.execute(
            "UPDATE appeals SET upheld = ?, decided_by = ?, decision_note = ?, decided_at = ?,"
            " decided_seq = ? WHERE txn = ?",
            [row["upheld"], row["decided_by"], row["decision_note"], row["decided_at"],
             row["decided_seq"], txn])
        return bool(done.rowcount)

    def _write_transaction_row(self, row: dict[str, Any]) -> None:
        columns = projection.COLUMNS
        self.db.execute(
            f"INSERT OR REPLACE INTO transactions ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})", [row[c] for c in columns])

    def _project_staff(self, event: Event) -> None:
        """Roles of the hall's staff (the names are not in the events: the desk's own staff
        table has them)."""
        p = event.payload
        number = p.get("staff")
        if not isinstance(number, str):
            return
        if event.kind == events.STAFF_ADDED:
            self.db.execute(
                "INSERT INTO staff (number, name, role, pin_hash) VALUES (?, '', ?, '')"
                " ON CONFLICT(number) DO UPDATE SET role = excluded.role",
                [number, p.get("role", "staff")])
        elif event.kind == events.STAFF_ROLE_CHANGED:
            self.db.execute("UPDATE staff SET role = ? WHERE number = ?",
                            [p.get("role", "staff"), number])

    def _settle(self, touched: Iterable[tuple[str, str]]) -> None:
        """The decided cases again: the winner of each in `reviews`/`stars` (a review only
        once its transaction is here), the flag when decided twice."""
        for target, key in sorted(set(touched)):
            found = [reviews.Decision(r[0], (r[1], r[2]), int(r[3]), json.loads(r[4]))
                     for r in self.db.execute(
                         "SELECT at, hall, counter, chain_seq, row FROM mirror_decisions"
                         " WHERE target = ? AND case_key = ?", [target, key])]
            merged = reviews.merge_decisions(found)
            if merged is None:
                continue
            row = dict(merged.winner.row["row"])
            if target == "appeals":
                if not self._settle_appeal(str(row["txn"]), merged.winner):
                    continue  # applied when the appeal arrives
            elif target == "reviews":
                txn_row = self.transaction(row["txn"])
                if txn_row is None:
                    continue  # applied when the transaction arrives
                self._apply_type_change(txn_row, merged.winner)
            if target != "appeals":
                self.db.execute(
                    f"INSERT OR REPLACE INTO {target} ({', '.join(row)})"
                    f" VALUES ({', '.join('?' for _ in row)})", list(row.values()))
            if merged.decided_twice:
                self.db.execute(
                    "INSERT OR REPLACE INTO mirror_decided_twice (target, case_key, winner,"
                    " rivals) VALUES (?, ?, ?, ?)",
                    [target, key, json.dumps(_who(merged.winner)),
                     json.dumps([_who(r) for r in merged.rivals])])
            else:
                self.db.execute("DELETE FROM mirror_decided_twice WHERE target = ?"
                                " AND case_key = ?", [target, key])

    def _apply_type_change(self, txn_row: dict[str, Any], winner: reviews.Decision) -> None:
        """An overtime review that decides a type change names the target to count against."""
        payload = winner.row["payload"]
        row = winner.row["row"]
        event = Event(seq=int(row["seq"]), uuid="", kind=events.OVERTIME_REVIEWED,
                      at=winner.at, hall=winner.chain[0], counter=winner.chain[1],
                      payload=payload)
        if not projection.accepts_type_change(event):
            return
        changed = projection.apply(txn_row, event)
        if changed is not None:
            changed["last_seq"] = max(int(txn_row["last_seq"]), int(row["seq"]))
            self._write_transaction_row(changed)

    def transaction(self, txn: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM transactions WHERE txn = ?", [txn]))
        return rows[0] if rows else None


def _who(decision: reviews.Decision) -> dict[str, Any]:
    row = decision.row["row"]
    return {"hall": decision.chain[0], "counter": decision.chain[1], "at": decision.at,
            "manager": row.get("manager", "")}


# ---- reads (any connection) -----------------------------------------------------------------

def decided_twice(db: Database) -> dict[tuple[str, ...], dict[str, Any]]:
    """The cases decided by two chains within minutes: (txn, subject) or (month,) → who
    decided ({"winner": {hall, counter, at, manager}, "rivals": [...]})."""
    return {tuple(json.loads(r[0])): {"winner": json.loads(r[1]), "rivals": json.loads(r[2])}
            for r in db.execute("SELECT case_key, winner, rivals FROM mirror_decided_twice")}


def chains(db: Database) -> list[dict[str, Any]]:
    """The chains mirrored: hall, counter, kind, the last chain sequence held."""
    return [{"hall": r[0], "counter": r[1], "kind": r[2], "after_seq": int(r[3])}
            for r in db.execute("SELECT hall, counter, kind, after_seq FROM mirror_chains"
                                " ORDER BY hall, counter")]


def transaction_state(db: Database, txn: str) -> TxnState | None:
    """A mirrored transaction's lifecycle state (a decision at the desk is checked on it)."""
    rows = list(db.query("SELECT * FROM transactions WHERE txn = ?", [txn]))
    return TxnState.from_row(rows[0]) if rows else None


def transaction_row(db: Database, txn: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM transactions WHERE txn = ?", [txn]))
    return rows[0] if rows else None


def appeal_row(db: Database, txn: str) -> dict[str, Any] | None:
    """A mirrored transaction's appeals row (None: not appealed, or not here yet)."""
    rows = list(db.query("SELECT * FROM appeals WHERE txn = ?", [txn]))
    return rows[0] if rows else None


# ---- decisions recorded in the desk's (or counter's) own chain ------------------------------

class HallDecisionStore(EventStore):
    """The event store of the desk or counter where a manager decides a case of the hall.

    The decision is an event of this store's own chain, as every decision is; what differs is
    the case it names may be another chain's: its transaction's state is looked up in the
    hall mirror (`mirror`, a read-only connection) when this chain does not hold it, and this
    chain's own `reviews` table keeps only its own transactions' reviews (the mirror shows the
    hall's). The hall server and head office join the decision to the transaction by its id.
    """

    def __init__(self, db: Database, hall: str, counter: str, *,
                 mirror: Database, **kwargs: Any) -> None:
        super().__init__(db, hall, counter, **kwargs)
        self.mirror = mirror

    def _lifecycle(self, rows: dict[str, dict[str, Any] | None]) -> events.Lifecycle:
        # `rows` stays empty: a row found here may be the mirror's, not this chain's own
        def lookup(txn: str) -> TxnState | None:
            row = self.transaction(txn) or transaction_row(self.mirror, txn)
            if row is None:
                return None
            # the appeal rules: appealed in any chain of the hall (the clerk's), decided once
            # per chain (this one's); across chains the later decision wins (the mirror)
            appealed = self.appeal(txn) is not None or appeal_row(self.mirror, txn) is not None
            return TxnState.from_row({**row, "appealed": appealed,
                                      "appeal_decided": self.decided_here(txn)})

        return events.Lifecycle(lookup=lookup)

    def decided_here(self, txn: str) -> bool:
        """Whether this chain decided the appeal of `txn` already."""
        return self.db.execute(
            f"SELECT 1 FROM events WHERE kind = ? AND {rare_kinds_only(events.APPEAL_DECIDED)}"
            " AND json_extract(payload, '$.txn') = ? LIMIT 1",
            [events.APPEAL_DECIDED, txn]).fetchone() is not None

    def appellant(self, txn: str) -> str | None:
        """Who appealed the rating of `txn` (this chain's appeal, else the hall's)."""
        row = self.appeal(txn) or appeal_row(self.mirror, txn)
        return None if row is None else str(row["staff"])

    def _project(self, event: Event, rows: dict[str, dict[str, Any] | None]) -> None:
        txn = event.payload.get("txn")
        if (event.kind in events.REVIEW_KINDS and isinstance(txn, str)
                and self.transaction(txn) is None):
            return  # another chain's transaction: the mirror shows its decision
        super()._project(event, rows)
