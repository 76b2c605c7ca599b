"""The counter's read-only queries over its projections: exports, the manager view, the KPIs.

One module of reads (storage.reports was merged into it). Each query uses an index (see
db._v2, db._v4). The figures' predicates are not spelt here: overtime, satisfied and poor
ratings and which transactions are timed come from counter_core.figures (`timed_sql`,
`overtime_sql`, `satisfied_sql`, `poor_sql`), the
same definitions the row-wise functions and head office's reports use.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

from counter_app.storage.db import Database, rare_kinds_only
from counter_core.events import (
    AWAY_STARTED,
    CASES_HANDED_OVER,
    COMPLETED,
    INTERRUPTED,
    ORDER_NUMBER_SET,
    RATED,
    SIGNED_IN,
    SIGNED_OUT,
    TYPE_CHANGED,
)
from counter_core.figures import (
    AWAY_READ_KINDS,
    HANDLING_EDGES,
    SESSION_KINDS,
    AwayEntry,
    BandCounts,
    SessionEntry,
    away_entry,
    handling_band_sql,
    overtime_sql,
    poor_sql,
    satisfied_sql,
    session_entry,
    sessions_read_from,
    still_away,
    timed_sql,
)
from counter_core.periods import format_utc
from counter_core.ratings import POOR_RATINGS
from counter_core.reviews import TypeChange, type_change_after_target
from counter_core.transaction import Draft

__all__ = [
    "CASE_COLUMNS", "KPI_COLUMNS", "QUEUE_COLUMNS", "appeal_queue", "completed_counts",
    "confirmed_star", "date_span", "durations", "follow_up_facts", "handling_bands",
    "handovers", "kpi_rows", "manager_numbers", "my_poor_ratings", "open_poor_ratings",
    "order_numbers", "other_counts", "overtime_cases", "overtime_log", "queue_row",
    "queue_rows", "rated_times", "review_cases", "review_queue", "served_today", "sessions",
    "staff_in_transactions", "staff_names", "transactions", "type_change", "unreviewed_counts",
    "upheld_appeals",
]

#: Overtime, as a condition on a transactions row (alias t or none).
OVERTIME = overtime_sql()
T_OVERTIME = overtime_sql("t.duration_s", "t.target_s")
#: Counted in service level and overtime: completed, or interrupted with its known time.
TIMED = timed_sql()
#: Poor ratings (1–2), spelt as the partial index transactions_poor_started_at is declared.
POOR = poor_sql()
#: The overtime cases (review queue, overtime log, Pareto), narrowed first through the partial
#: index transactions_overtime_started_at (`overtime_s > 0`, about one row in ten); the figures'
#: predicate then decides. Sound because a counter records duration_s = round(elapsed, 3) and
#: overtime_s = round(max(0, elapsed − target), 3), for a completed and an interrupted timed
#: transaction alike: every such row that exceeds its target has overtime_s > 0, and rows that
#: are not timed (figures.is_timed: voided, running, older interrupted ones) have none; so the
#: narrowed predicate is figures.is_overtime_case (tests/figures/test_aggregates_equal.py
#: holds this, and the lists to it).
_OVERTIME_CASE = f"overtime_s > 0 AND {OVERTIME}"
_T_OVERTIME_CASE = f"t.overtime_s > 0 AND {T_OVERTIME}"
#: A rating taken out of the figures by an upheld appeal (counter_core.appeals.is_upheld): the
#: appeals table is small (a few rows a month), so the subquery is read once per statement.
T_UPHELD = "t.txn IN (SELECT txn FROM appeals WHERE upheld = 1)"
#: The same by rowid, for the aggregates read from the transactions_kpi index alone (an index
#: carries the rowid, not txn): no table lookup per poor rating.
_UPHELD_ROWID = ("rowid IN (SELECT u.rowid FROM appeals a JOIN transactions u ON u.txn = a.txn"
                 " WHERE a.upheld = 1)")


def transactions(
    db: Database, start_utc: str | None = None, end_utc: str | None = None
) -> Iterator[dict[str, Any]]:
    """Transactions started in [start_utc, end_utc), oldest first, with the staff name."""
    where, params = [], []
    if start_utc:
        where.append("t.started_at >= ?")
        params.append(start_utc)
    if end_utc:
        where.append("t.started_at < ?")
        params.append(end_utc)
    sql = (
        "SELECT t.*, s.name AS staff_name FROM transactions t"
        " LEFT JOIN staff s ON s.number = t.staff"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY t.started_at, t.started_seq"
    )
    yield from db.query(sql, params)


def served_today(db: Database) -> int:
    """Transactions completed since local midnight."""
    since = format_utc(dt.datetime.combine(dt.date.today(), dt.time()).astimezone())
    row = db.execute(
        "SELECT COUNT(*) FROM transactions WHERE status = 'completed' AND started_at >= ?",
        [since],
    ).fetchone()
    return int(row[0])


#: One row of the review queue: every overtime transaction and every poor rating (1–2).
QUEUE_COLUMNS: tuple[str, ...] = (
    "txn", "started_at", "hall", "counter", "staff", "staff_name", "type", "target_s",
    "duration_s", "overtime_s", "overtime_reason", "rating", "rating_reason",
    "cause", "note", "reviewed_by", "reviewed_at",
    "follow_up_cause", "follow_up_note", "called_back", "resolved", "followed_up_at",
    "appeal_reason", "appeal_note", "appealed_at", "appeal_seq", "appeal_upheld",
    "appeal_decided_by", "appeal_decision_note", "rated_at",
)

#: A case's manager review (o), follow-up (f) and appeal (a): the queue's rows and cases alike.
_CASE_JOINS = """
LEFT JOIN reviews o ON o.txn = t.txn AND o.subject = 'overtime'
LEFT JOIN reviews f ON f.txn = t.txn AND f.subject = 'rating'
LEFT JOIN appeals a ON a.txn = t.txn"""

_QUEUE_SELECT = """
SELECT t.txn, t.started_at, t.hall, t.counter, t.staff, s.name AS staff_name, t.type,
       t.target_s, t.duration_s, t.overtime_s, t.overtime_reason, t.rating, t.rating_reason,
       o.cause, o.note, o.manager AS reviewed_by, o.reviewed_at,
       f.cause AS follow_up_cause, f.note AS follow_up_note, f.called_back, f.resolved,
       f.reviewed_at AS followed_up_at,
       a.reason AS appeal_reason, a.note AS appeal_note, a.appealed_at, a.appeal_seq,
       a.upheld AS appeal_upheld, a.decided_by AS appeal_decided_by,
       a.decision_note AS appeal_decision_note,
       CASE WHEN t.rating <= 2 THEN (SELECT e.at FROM events e WHERE e.seq > t.started_seq
           AND e.seq <= t.last_seq AND e.kind = 'rated'
           AND json_extract(e.payload, '$.txn') = t.txn) END AS rated_at
FROM transactions t""" + _CASE_JOINS + """
LEFT JOIN staff s ON s.number = t.staff
"""


def _range(column: str, start: str | None, end: str | None) -> tuple[str, list[Any]]:
    where, params = [], []
    if start:
        where.append(f"{column} >= ?")
        params.append(start)
    if end:
        where.append(f"{column} < ?")
        params.append(end)
    return (" AND " + " AND ".join(where) if where else ""), params


def _dicts(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def review_queue(db: Database, start: str | None = None,
                 end: str | None = None) -> list[dict[str, Any]]:
    """Overtime transactions and poor ratings started in [start, end), newest first."""
    cond, params = _range("t.started_at", start, end)
    # one OR of the two partial indexes' ranges (SQLite's multi-index OR): the rows come
    # straight from each index, without the second look-up by txn an `IN (… UNION ALL …)`
    # paid per row (85 ms against 50 for a year's 7,500 cases). The range taken out of the OR
    # (one range of transactions_kpi) was slower for 7 days, 30 days and 12 months alike
    # (2.1 / 15 / 199 ms against 6.1 / 16 / 225, interleaved); without an end bound the OR
    # scans the whole index, so callers give both
    sql = (
        _QUEUE_SELECT
        + f" WHERE ({_T_OVERTIME_CASE}{cond}) OR ({poor_sql('t.rating')}{cond})"
        " ORDER BY t.started_at DESC"
    )
    return _mark_type_changes(db, _dicts(db, sql, params + params), start)


#: A review-queue case without its details: what filtering, counting and sorting by time,
#: numbers or status need. overtime: over its target (figures.is_overtime); poor: a
#: poor rating; cause_given / follow_up_given: the manager's cause or follow-up cause is
#: recorded (non-empty); followed_up: a follow-up is recorded at all (the deadline's test);
#: appealed / appeal_open: the clerk appealed, and no manager has decided it yet. The flags
#: are 0 or 1.
CASE_COLUMNS: tuple[str, ...] = (
    "txn", "started_at", "counter", "staff", "type", "target_s", "duration_s", "overtime_s",
    "rating", "overtime", "poor", "cause_given", "follow_up_given", "followed_up", "appealed",
    "appeal_open",
)


def review_cases(db: Database, start: str | None = None,
                 end: str | None = None) -> list[tuple[Any, ...]]:
    """The review queue's cases started in [start, end) as CASE_COLUMNS tuples, newest
    first: the rows of `review_queue` without their details (no staff name, notes, rating
    time nor appeal texts), a third of its time for a year's cases; `queue_rows` brings the
    details of the rows shown."""
    cond, params = _range("t.started_at", start, end)
    sql = (
        "SELECT t.txn, t.started_at, t.counter, t.staff, t.type, t.target_s, t.duration_s,"
        # over its target, whatever its status: an interrupted timed case too, which the
        # figures count as overtime (the whole rows carry no status; the review reads so)
        f" t.overtime_s, t.rating, {T_OVERTIME},"
        f" COALESCE({poor_sql('t.rating')}, 0), COALESCE(o.cause, '') <> '',"
        " COALESCE(f.cause, '') <> '', f.reviewed_at IS NOT NULL, a.appeal_seq IS NOT NULL,"
        " a.appeal_seq IS NOT NULL AND a.upheld IS NULL"
        " FROM transactions t" + _CASE_JOINS +
        # the same multi-index OR as review_queue (see there)
        f" WHERE ({_T_OVERTIME_CASE}{cond}) OR ({poor_sql('t.rating')}{cond})"
        " ORDER BY t.started_at DESC"
    )
    return db.execute(sql, params + params).fetchall()


def queue_rows(db: Database, txns: Sequence[str]) -> list[dict[str, Any]]:
    """The review-queue rows (QUEUE_COLUMNS and `type_changed_after_target`) of these
    transactions, in no particular order; the details of the cases a table shows."""
    rows: list[dict[str, Any]] = []
    for chunk in range(0, len(txns), 500):
        part = list(txns[chunk:chunk + 500])
        marks = ", ".join("?" for _ in part)
        found = _dicts(db, _QUEUE_SELECT + f" WHERE t.txn IN ({marks})", part)
        # as `type_change` reads them: not every type change of the period per page
        changed = set(_own_events(db, TYPE_CHANGED, part,
                                  "json_type(e.payload, '$.after_target') = 'true'"))
        for row in found:
            row["type_changed_after_target"] = row["txn"] in changed
        rows += found
    return rows


def appeal_queue(db: Database) -> list[dict[str, Any]]:
    """Every appealed transaction (open or decided), whatever day it was served on, newest
    appeal first: the review tab's "appeals" list."""
    sql = (_QUEUE_SELECT + " WHERE t.txn IN (SELECT txn FROM appeals)"
           " ORDER BY a.appeal_seq DESC")
    return _mark_type_changes(db, _dicts(db, sql, []), None)


def my_poor_ratings(db: Database, staff: str,
                    before_utc: str) -> list[dict[str, Any]]:
    """The staff member's poor ratings (1–2) of transactions started before `before_utc` (the
    hall's local midnight today), newest first, with their appeal (appeal_seq, upheld)."""
    return _dicts(db, (
        "SELECT t.txn, t.started_at, t.staff, t.type, t.status, t.rating, a.appeal_seq,"
        " a.upheld FROM transactions t LEFT JOIN appeals a ON a.txn = t.txn"
        f" WHERE {poor_sql('t.rating')} AND t.staff = ? AND t.started_at < ?"
        " AND t.status = 'completed' ORDER BY t.started_at DESC"), [staff, before_utc])


def upheld_appeals(db: Database, start: str | None, end: str | None,
                   staff: str | None = None, type_: str | None = None) -> int:
    """Ratings of completed transactions started in [start, end) taken out of the figures by
    an upheld appeal (shown separately, never deleted)."""
    cond, params = _range("t.started_at", start, end)
    more, extra = _filter(staff, type_, "t.")
    return int(db.execute(
        # CROSS JOIN: the few appeals first, not a year of transactions by time
        "SELECT COUNT(*) FROM appeals a CROSS JOIN transactions t ON t.txn = a.txn"
        f" WHERE a.upheld = 1 AND t.status = 'completed' AND t.rating IS NOT NULL{cond}{more}",
        params + extra).fetchone()[0])


def queue_row(db: Database, txn: str) -> dict[str, Any] | None:
    """One review-queue row, fresh after a review was recorded."""
    rows = _dicts(db, _QUEUE_SELECT + " WHERE t.txn = ?", [txn])
    if not rows:
        return None
    rows[0]["type_changed_after_target"] = type_change(db, txn) is not None
    return rows[0]


def overtime_log(db: Database, start: str | None = None,
                 end: str | None = None) -> list[dict[str, Any]]:
    """Every overtime transaction started in [start, end), oldest first, with its review."""
    cond, params = _range("started_at", start, end)
    sql = (_QUEUE_SELECT
           + f" WHERE t.txn IN (SELECT txn FROM transactions WHERE {_OVERTIME_CASE}{cond})"
           " ORDER BY t.started_at, t.started_seq")
    return _mark_type_changes(db, _dicts(db, sql, params), start)


def _mark_type_changes(db: Database, rows: list[dict[str, Any]],
                       start: str | None) -> list[dict[str, Any]]:
    """Each row with `type_changed_after_target`: its type was changed (F3) after the target
    had passed (type_changed events are few: read through events_rare_kind_at from `start`)."""
    where, params = f"kind = ? AND {rare_kinds_only(TYPE_CHANGED)}", [TYPE_CHANGED]
    if start:
        where += " AND at >= ?"
        params.append(start)
    # json_type in SQL, not json.loads in Python: a year has thousands of type changes
    changed = {txn for (txn,) in db.execute(
        f"SELECT json_extract(payload, '$.txn') FROM events WHERE {where}"
        " AND json_type(payload, '$.after_target') = 'true'", params)}
    for row in rows:
        row["type_changed_after_target"] = row["txn"] in changed
    return rows


def type_change(db: Database, txn: str) -> TypeChange | None:
    """The transaction's type change after its target (reviews.TypeChange), if it had one."""
    found = db.execute("SELECT started_seq, last_seq FROM transactions WHERE txn = ?",
                       [txn]).fetchone()
    if found is None:
        return None
    drafts = []
    for kind, text in db.execute(
            "SELECT kind, payload FROM events WHERE seq BETWEEN ? AND ? AND kind IN (?, ?)"
            " ORDER BY seq", [found[0], found[1], TYPE_CHANGED, COMPLETED]):
        payload = json.loads(text)
        if payload.get("txn") == txn:
            drafts.append(Draft(kind, payload))
    return type_change_after_target(drafts)


#: Columns the KPIs, charts and monthly summary need, plus the best known overtime cause and
#: an interrupted transaction's reason (its `interrupted` event's: "closed", "shutdown", …).
KPI_COLUMNS = ("started_at", "staff", "type", "status", "duration_s", "target_s", "overtime_s",
               "rating", "overtime_reason", "cause", "interrupted_reason", "appeal_upheld")


def kpi_rows(db: Database, start: str | None, end: str | None,
             staff: str | None = None, type_: str | None = None) -> list[dict[str, Any]]:
    """Transactions started in [start, end), optionally one staff member's or one type's."""
    cond, params = _range("t.started_at", start, end)
    if staff:
        cond += " AND t.staff = ?"
        params.append(staff)
    if type_:
        cond += " AND t.type = ?"
        params.append(type_)
    # the review is looked up only for overtime rows (about one in ten): cheaper than a join;
    # an interrupted row's last event is its `interrupted` (nothing may follow it)
    sql = (
        "SELECT t.started_at, t.staff, t.type, t.status, t.duration_s, t.target_s,"
        " t.overtime_s, t.rating, t.overtime_reason,"
        f" CASE WHEN {T_OVERTIME} THEN (SELECT r.cause FROM reviews r"
        "  WHERE r.txn = t.txn AND r.subject = 'overtime') END AS cause,"
        " CASE WHEN t.status = 'interrupted' THEN (SELECT json_extract(e.payload, '$.reason')"
        "  FROM events e WHERE e.seq = t.last_seq AND e.kind = ?) END AS interrupted_reason,"
        f" CASE WHEN t.rating IS NOT NULL AND {T_UPHELD} THEN 1 ELSE 0 END AS appeal_upheld"
        " FROM transactions t"
        f" WHERE 1 = 1{cond}"
    )
    return _dicts(db, sql, [INTERRUPTED, *params])


def _filter(staff: str | None, type_: str | None, prefix: str = "") -> tuple[str, list[Any]]:
    cond, params = "", []
    if staff:
        cond += f" AND {prefix}staff = ?"
        params.append(staff)
    if type_:
        cond += f" AND {prefix}type = ?"
        params.append(type_)
    return cond, params


def completed_counts(db: Database, spans: Sequence[tuple[str, str]],
                     staff: str | None = None,
                     type_: str | None = None) -> list[tuple[int, ...]]:
    """Per [lo, hi) span of started_at: (served, timed, within target, ratings 1, 2, 3, 4, 5)
    counts, optionally one staff member's or one type's: served and ratings of the completed
    transactions, timed and within target of the timed ones (figures.is_timed: interrupted
    ones included).

    One statement; each span is an aggregate over a range of transactions_kpi (no sort, no
    row lookups), which for a year of days is several times cheaper than fetching the rows.
    `COUNT(*) FILTER (WHERE …)`, not `SUM(condition)`: the same counts in less than half the
    time over a year (20 ms against 51), as SQLite skips a row's aggregate where it fails.
    """
    if not spans:
        return []
    cond, params = _filter(staff, type_)
    values = ", ".join(["(?, ?)"] * len(spans))

    def count(condition: str) -> str:
        return f"COUNT(*) FILTER (WHERE {condition})"

    completed = "status = 'completed'"
    sql = (
        f"WITH span(lo, hi) AS (VALUES {values}) SELECT (SELECT json_array("
        f"{count(completed)}, {count(TIMED)}, {count(f'{TIMED} AND NOT {OVERTIME}')},"
        f" {count(f'rating = 1 AND {completed} AND NOT {_UPHELD_ROWID}')},"
        f" {count(f'rating = 2 AND {completed} AND NOT {_UPHELD_ROWID}')},"
        f" {count(f'rating = 3 AND {completed}')}, {count(f'rating = 4 AND {completed}')},"
        f" {count(f'rating = 5 AND {completed}')})"
        # `+status`: read by time through transactions_kpi, not every completed row by status
        " FROM transactions WHERE +status IN ('completed', 'interrupted')"
        " AND started_at >= span.lo"
        f" AND started_at < span.hi{cond}) FROM span"
    )
    rows = db.execute(sql, [x for span in spans for x in span] + params).fetchall()
    return [tuple(int(v or 0) for v in json.loads(text)) for (text,) in rows]


def durations(db: Database, start: str | None, end: str | None,
              staff: str | None = None, type_: str | None = None) -> list[float]:
    """The duration of each completed transaction started in [start, end), unsorted."""
    cond, params = _range("started_at", start, end)
    more, extra = _filter(staff, type_)
    return [d for (d,) in db.execute(
        f"SELECT duration_s FROM transactions WHERE +status = 'completed'{cond}{more}",
        params + extra)]


def handling_bands(db: Database, start: str | None, end: str | None,
                   staff: str | None = None, type_: str | None = None,
                   edges: Sequence[float] = HANDLING_EDGES) -> list[BandCounts]:
    """Per band of duration/target (`figures.handling_band_sql`) of the completed transactions
    started in [start, end) with a target: the rated ones, the sum of their ratings and the
    satisfied ones, counted by SQLite (no row reaches Python); a rating an upheld appeal took
    out is not counted."""
    cond, params = _range("started_at", start, end)
    more, extra = _filter(staff, type_)
    band = handling_band_sql("(duration_s * 1.0 / target_s)", edges)
    found = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in db.execute(
        f"SELECT {band} AS band, COUNT(*), SUM(rating),"
        f" COUNT(*) FILTER (WHERE {satisfied_sql()}) FROM transactions"
        f" WHERE +status = 'completed'{cond}{more} AND rating IS NOT NULL"
        " AND target_s IS NOT NULL AND target_s <> 0"
        f" AND NOT (rating IN (1, 2) AND {_UPHELD_ROWID}) GROUP BY band",
        params + extra)}
    return [found.get(i, (0, 0, 0)) for i in range(len(edges) + 1)]


def other_counts(db: Database, start: str | None, end: str | None,
                 staff: str | None = None, type_: str | None = None) -> dict[str, int]:
    """How many transactions started in [start, end) were voided and interrupted."""
    cond, params = _range("started_at", start, end)
    # `+staff`: the few voided and interrupted rows by status, not all of a staff's by staff
    more, extra = _filter(staff, type_, "+")
    counts = {"voided": 0, "interrupted": 0}
    counts.update(db.execute(
        "SELECT status, COUNT(*) FROM transactions"
        f" WHERE status IN ('voided', 'interrupted'){cond}{more} GROUP BY status",
        params + extra).fetchall())
    return counts


def overtime_cases(db: Database, start: str | None, end: str | None,
                   staff: str | None = None,
                   type_: str | None = None) -> list[tuple[str | None, str | None, int]]:
    """(manager's cause, staff's reason, count) of the overtime cases (figures.is_overtime_case:
    completed and interrupted) started in [start, end)."""
    cond, params = _range("t.started_at", start, end)
    more, extra = _filter(staff, type_, "t.")
    # through the partial index on overtime cases: about one transaction in ten
    return db.execute(
        "SELECT r.cause, t.overtime_reason, COUNT(*) FROM transactions t"
        " LEFT JOIN reviews r ON r.txn = t.txn AND r.subject = 'overtime'"
        f" WHERE {_T_OVERTIME_CASE} AND +t.status IN ('completed', 'interrupted')"
        f"{cond}{more} GROUP BY 1, 2", params + extra).fetchall()


def sessions(db: Database, start: str, end: str) -> list[SessionEntry]:
    """(at, kind, staff, session_s) of staff sign-ins and sign-outs from a day before `start`
    until `end` (figures.sessions_read_from, figures.session_entry), for
    figures.signed_in_seconds; plus the sign-out that closes a session still open at `end`
    (its session_s measures the session even when a wall-clock jump put it after `end`)."""
    marks = ", ".join("?" * len(SESSION_KINDS))
    rows = db.execute(
        f"SELECT seq, at, kind, payload FROM events WHERE kind IN ({marks})"
        f" AND {rare_kinds_only(*SESSION_KINDS)} AND at >= ? AND at < ? ORDER BY seq",
        [*SESSION_KINDS, sessions_read_from(start), end],
    ).fetchall()
    entries = [entry for entry in (session_entry(at, kind, json.loads(payload))
                                   for _, at, kind, payload in rows) if entry is not None]
    still_open: set[str] = set()
    for _, kind, staff, _ in entries:
        (still_open.add if kind == SIGNED_IN else still_open.discard)(staff)
    if still_open:
        after = rows[-1][0] if rows else 0
        for at, kind, payload in db.execute(
                f"SELECT at, kind, payload FROM events WHERE kind IN ({marks})"
                f" AND {rare_kinds_only(*SESSION_KINDS)} AND seq > ? ORDER BY seq LIMIT 100",
                [*SESSION_KINDS, after]):
            entry = session_entry(at, kind, json.loads(payload))
            if entry is None or entry[2] not in still_open:
                continue
            still_open.discard(entry[2])
            if kind == SIGNED_OUT:
                entries.append(entry)
            if not still_open:
                break
    return entries


def away_entries(db: Database, start: str, end: str) -> list[AwayEntry]:
    """(at, kind, staff, away_s) of back soon (暂离) starts and ends and of sign-outs from a day
    before `start` until `end`, for figures.away_seconds, read as `sessions` reads the
    sessions; plus the event after `end` that ends an absence still open at `end` (its away_s,
    the monotonic clock's, measures it even when a wall-clock jump put it after `end`)."""
    marks = ", ".join("?" * len(AWAY_READ_KINDS))
    rows = db.execute(
        f"SELECT seq, at, kind, payload FROM events WHERE kind IN ({marks})"
        f" AND {rare_kinds_only(*AWAY_READ_KINDS)} AND at >= ? AND at < ? ORDER BY seq",
        [*AWAY_READ_KINDS, sessions_read_from(start), end],
    ).fetchall()
    entries = [entry for entry in (away_entry(at, kind, json.loads(payload))
                                   for _, at, kind, payload in rows) if entry is not None]
    open_ = still_away(entries)
    if open_:
        after = rows[-1][0] if rows else 0
        for at, kind, payload in db.execute(
                f"SELECT at, kind, payload FROM events WHERE kind IN ({marks})"
                f" AND {rare_kinds_only(*AWAY_READ_KINDS)} AND seq > ? ORDER BY seq LIMIT 100",
                [*AWAY_READ_KINDS, after]):
            entry = away_entry(at, kind, json.loads(payload))
            if entry is None or entry[2] not in open_:
                continue
            open_.discard(entry[2])
            if kind != AWAY_STARTED:
                entries.append(entry)
            if not open_:
                break
    return entries


def staff_names(db: Database) -> dict[str, str]:
    return {number: name for number, name in db.execute("SELECT number, name FROM staff")}


def staff_in_transactions(db: Database) -> list[str]:
    """Staff numbers that ever served at this counter (the staff filter's choices)."""
    # a skip-scan over the (staff, started_at) index: one seek per staff member, not per row
    return [r[0] for r in db.execute(
        "WITH RECURSIVE s(staff) AS (SELECT MIN(staff) FROM transactions UNION ALL"
        " SELECT (SELECT MIN(staff) FROM transactions WHERE staff > s.staff) FROM s"
        " WHERE s.staff IS NOT NULL) SELECT staff FROM s WHERE staff IS NOT NULL").fetchall()]


def confirmed_star(db: Database, month: str) -> dict[str, Any] | None:
    rows = _dicts(db, "SELECT * FROM stars WHERE month = ?", [month])
    return rows[0] if rows else None


def date_span(db: Database) -> tuple[str | None, str | None]:
    """The first and last started_at (UTC) in the log."""
    # two queries: SQLite answers a lone MIN or MAX from the index, both together by a scan
    first = db.execute("SELECT MIN(started_at) FROM transactions").fetchone()[0]
    last = db.execute("SELECT MAX(started_at) FROM transactions").fetchone()[0]
    return first, last


def unreviewed_counts(db: Database) -> tuple[int, int]:
    """(overtime cases without a review, poor ratings without a follow-up), all time."""
    # counting over the partial indexes and subtracting the reviews avoids a per-row lookup;
    # reviews exist only for cases of their subject (EventStore refuses unknown transactions)
    def count(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0])

    overtime = count(f"SELECT COUNT(*) FROM transactions WHERE {_OVERTIME_CASE}")
    poor = count(f"SELECT COUNT(*) FROM transactions WHERE {POOR}")
    reviewed = count("SELECT COUNT(*) FROM reviews r JOIN transactions t USING (txn)"
                     f" WHERE r.subject = 'overtime' AND {_T_OVERTIME_CASE}")
    followed = count("SELECT COUNT(*) FROM reviews r JOIN transactions t USING (txn)"
                     f" WHERE r.subject = 'rating' AND {poor_sql('t.rating')}")
    return overtime - reviewed, poor - followed


# ---- follow-ups: when a poor rating was made, order numbers, handovers ------------------------

def rated_times(db: Database, txns: Sequence[str]) -> dict[str, str]:
    """The moment of each poor-rated transaction's rating: its `rated` event, found within the
    transaction's own sequence span (started_seq..last_seq: a primary-key range each).

    CROSS JOIN keeps the transactions the outer loop: with a long IN list SQLite's planner
    otherwise scans every event once per chunk (500 ms for a year's 3,500 poor ratings)."""
    out: dict[str, str] = {}
    for chunk in range(0, len(txns), 500):
        out.update(_own_events(db, RATED, txns[chunk:chunk + 500]))
    return out


def _own_events(db: Database, kind: str, txns: Sequence[str],
                condition: str = "1") -> dict[str, str]:
    """txn → `at` of its event of `kind` (and `condition` on `e`) within the transaction's
    own sequence span (started_seq..last_seq: a primary-key range each), for up to 500 txns.
    CROSS JOIN keeps the transactions the outer loop (see `rated_times`)."""
    sql = ("SELECT t.txn, e.at FROM transactions t CROSS JOIN events e"
           " ON e.seq > t.started_seq AND e.seq <= t.last_seq AND e.kind = ?"
           f" AND json_extract(e.payload, '$.txn') = t.txn AND {condition}"
           f" WHERE t.txn IN ({', '.join('?' for _ in txns)})")
    return dict(db.execute(sql, [kind, *txns]).fetchall())


def order_numbers(db: Database, since: str | None = None) -> dict[str, str]:
    """The business order number of each transaction that has one (the latest set wins),
    from the `order_number_set` events at or after `since` (UTC)."""
    cond, params = ("AND at >= ?", [since]) if since else ("", [])
    rows = db.execute(
        f"SELECT payload FROM events WHERE kind = ? AND {rare_kinds_only(ORDER_NUMBER_SET)}"
        f" {cond} ORDER BY seq",
        [ORDER_NUMBER_SET, *params]).fetchall()
    out: dict[str, str] = {}
    for (payload,) in rows:
        p = json.loads(payload)
        out[str(p["txn"])] = str(p["order_no"])
    return out


def handovers(db: Database) -> dict[str, dict[str, Any]]:
    """Per transaction, its latest handover: {"from", "to", "at", "note"}."""
    out: dict[str, dict[str, Any]] = {}
    rows = db.execute("SELECT at, payload FROM events WHERE kind = ?"
                      f" AND {rare_kinds_only(CASES_HANDED_OVER)} ORDER BY seq",
                      [CASES_HANDED_OVER]).fetchall()
    for at, payload in rows:
        p = json.loads(payload)
        for txn in p.get("txns", []):
            out[str(txn)] = {"from": p["from"], "to": p["to"], "at": at,
                             "note": p.get("note", "")}
    return out


def follow_up_facts(db: Database, rows: list[dict[str, Any]],
                    since: str | None = None) -> list[dict[str, Any]]:
    """Queue rows with `rated_at` (poor ratings), `order_no` and the latest handover
    (`handed_over_by`, `handed_over_to`, `handed_over_at`) added."""
    # the queue's own query brings `rated_at` (one primary-key range per poor rating)
    poor = [r["txn"] for r in rows if r.get("rating") in POOR_RATINGS and "rated_at" not in r]
    rated = rated_times(db, poor)
    orders = order_numbers(db, since)
    handed = handovers(db)
    for r in rows:
        if "rated_at" not in r:
            r["rated_at"] = rated.get(r["txn"])
        r["order_no"] = orders.get(r["txn"])
        h = handed.get(r["txn"])
        r["handed_over_by"] = h["from"] if h else None
        r["handed_over_to"] = h["to"] if h else None
        r["handed_over_at"] = h["at"] if h else None
    return rows


def open_poor_ratings(db: Database) -> list[tuple[str, str]]:
    """(txn, rated_at) of every poor rating without a follow-up, all time: what the overdue
    count is judged over (few rows: the follow-ups close them)."""
    txns = [r[0] for r in db.execute(
        f"SELECT t.txn FROM transactions t WHERE {poor_sql('t.rating')} AND NOT EXISTS ("
        "SELECT 1 FROM reviews r WHERE r.txn = t.txn AND r.subject = 'rating')").fetchall()]
    rated = rated_times(db, txns)
    return [(txn, rated[txn]) for txn in txns if txn in rated]


def manager_numbers(db: Database) -> list[str]:
    """The enabled managers' staff numbers (whom open cases are handed over to)."""
    return [r[0] for r in db.execute(
        "SELECT number FROM staff WHERE role = 'manager' AND disabled = 0 ORDER BY number")]
