"""Anchors: a counter's chain head (sequence and hash, no records) reported every few minutes,
and the incidents an anchor or an upload that contradicts them shows.

Anyone who knows the chain's algorithm can rewrite a counter's not-yet-uploaded tail and rehash
it; an anchor head office received before the rewrite cannot be rehashed. An upload that
contradicts an anchor is refused and recorded here (`incidents`), with the operator's account
of it later (explained, resolved: `counter-hq incident`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from counter_core.chain import Event
from counter_core.periods import parse_utc, utc_now
from head_office.errors import AnchorContradicted, EndsBeforeAnchor
from head_office.schema import anchors, counters, events, history_links, incidents

log = logging.getLogger(__name__)


class Counter(Protocol):
    """An enrolled counter as head_office.store.Counter gives it (which builds on this)."""

    @property
    def id(self) -> int: ...
    @property
    def hall(self) -> str: ...
    @property
    def counter(self) -> str: ...
    @property
    def hw_seq(self) -> int: ...

#: another hash at a sequence the counter anchored
ANCHOR_CONTRADICTED = "anchor_contradicted"
#: the counter's chain now ends before a sequence it anchored (or head office holds)
ENDS_BEFORE_ANCHOR = "ends_before_anchor"
#: the counter's hash at a sequence head office holds is another one (a different history)
HISTORY_CONFLICT = "history_conflict"
#: a chained event head office stored but marked invalid (counter_core.validation)
INVALID_EVENT = "invalid_event"
#: a chained event of a kind this head office does not know, kept for a newer one: opened
#: explained (UNKNOWN_KIND_REASON), so it brands nobody, but listed with an id all the same
UNKNOWN_KIND = "unknown_kind"
#: a break the counter found in its own chain and recorded (`chain_break_detected`)
CHAIN_BREAK = "chain_break"
#: an upload refused (a foreign event, a broken chain): one incident per counter and reason,
#: counted again each time the counter retries
REFUSED_UPLOAD = "refused_upload"
INCIDENT_KINDS = (ANCHOR_CONTRADICTED, ENDS_BEFORE_ANCHOR, HISTORY_CONFLICT, INVALID_EVENT,
                  UNKNOWN_KIND, CHAIN_BREAK, REFUSED_UPLOAD)
#: the kinds `enroll --new-history` explains on the old chain (a replaced database shows them)
NEW_HISTORY_KINDS = (ENDS_BEFORE_ANCHOR, HISTORY_CONFLICT)

OPEN, EXPLAINED, RESOLVED = "open", "explained", "resolved"
STATUSES = (OPEN, EXPLAINED, RESOLVED)
#: the operator's accounts (`counter-hq incident ACTION`, the web's form) and the status each
#: records
ACCOUNT_ACTIONS = {"explain": EXPLAINED, "resolve": RESOLVED, "reopen": OPEN}

#: what `enroll --new-history` writes as the explanation of the old chain's ends-before ones
NEW_HISTORY_REASON = "the counter was enrolled with a new history (counter-hq enroll " \
                     "--new-history): its chain was replaced and starts again at 1"
#: who and why an unknown-kind incident is explained when it is opened
AUTOMATIC = "counter-hq"
UNKNOWN_KIND_REASON = "an event of a kind this counter-hq does not know (a newer counter's): " \
                      "stored and chained, kept out of the reports until counter-hq is upgraded"


@dataclass(frozen=True)
class AnchorIn:
    """What a counter reports: its head, what runs it, and its clock."""

    seq: int
    hash: str
    app_version: str
    code_hash: str
    counter_clock: str
    #: the counter's own hash at head office's mark, when it differs from head office's
    at_mark: tuple[int, str] | None = None


@dataclass(frozen=True)
class AnchorResult:
    hw_seq: int
    hw_hash: str
    skew_s: float
    #: incidents this anchor opened or saw again (their ids)
    incidents: tuple[int, ...]


def skew_seconds(counter_clock: str, received_at: str) -> float:
    """How far the counter's clock is behind head office's (negative: ahead)."""
    try:
        return round((parse_utc(received_at) - parse_utc(counter_clock)).total_seconds(), 3)
    except (ValueError, OverflowError):
        return 0.0


def record_anchor(engine: Engine, who: Counter, anchor: AnchorIn) -> AnchorResult:
    """Keep the anchor (once per sequence and hash) and record what it contradicts: another
    anchor at its sequence, a longer anchored chain, or the events head office holds."""
    now = utc_now()
    skew = skew_seconds(anchor.counter_clock, now)
    found: list[int] = []
    with engine.begin() as conn:
        mark = conn.execute(select(counters.c.hw_seq, counters.c.hw_hash)
                            .where(counters.c.id == who.id)).one()
        same = conn.execute(select(anchors.c.seq, anchors.c.hash).where(
            anchors.c.counter_id == who.id, anchors.c.seq == anchor.seq,
            anchors.c.hash != anchor.hash)).first()
        if same is not None:
            found.append(_record(conn, who, ANCHOR_CONTRADICTED, anchor.seq, same.hash,
                                 anchor.hash, f"the counter now reports hash {anchor.hash[:12]}… "
                                 f"at sequence {anchor.seq}, which it anchored as "
                                 f"{same.hash[:12]}…: its chain was rewritten at or before "
                                 f"sequence {anchor.seq}", now))
        longest = _longest_anchor(conn, who.id)
        if longest is not None and longest.seq > anchor.seq:
            found.append(_record(conn, who, ENDS_BEFORE_ANCHOR, anchor.seq + 1, longest.hash,
                                 anchor.hash, f"the counter's chain now ends at sequence "
                                 f"{anchor.seq}, before sequence {longest.seq} it anchored at "
                                 f"{longest.first_at}", now))
        if 0 < anchor.seq <= mark.hw_seq:
            stored = _stored_hash(conn, who.id, anchor.seq)
            if stored is not None and stored != anchor.hash:
                found.append(_history_conflict(conn, who, anchor.seq, stored, anchor.hash, now))
            elif anchor.seq < mark.hw_seq:
                found.append(_record(conn, who, ENDS_BEFORE_ANCHOR, anchor.seq + 1,
                                     mark.hw_hash, anchor.hash,
                                     f"the counter's chain now ends at sequence {anchor.seq}, "
                                     f"before head office's events (up to {mark.hw_seq})", now))
        if anchor.at_mark is not None:
            seq, offered = anchor.at_mark
            stored = _stored_hash(conn, who.id, seq) if 0 < seq <= mark.hw_seq else None
            if stored is not None and stored != offered:
                found.append(_history_conflict(conn, who, seq, stored, offered, now))
        values = {"app_version": anchor.app_version[:100], "code_hash": anchor.code_hash[:64],
                  "counter_clock": anchor.counter_clock[:40], "skew_s": skew,
                  "received_at": now}
        seen = conn.execute(select(anchors.c.id).where(
            anchors.c.counter_id == who.id, anchors.c.seq == anchor.seq,
            anchors.c.hash == anchor.hash)).scalar_one_or_none()
        if seen is None:
            conn.execute(anchors.insert().values(counter_id=who.id, seq=anchor.seq,
                                                 hash=anchor.hash, first_at=now, times=1,
                                                 **values))
        else:
            conn.execute(anchors.update().where(anchors.c.id == seen)
                         .values(times=anchors.c.times + 1, **values))
    return AnchorResult(mark.hw_seq, mark.hw_hash, skew, tuple(found))


def check_upload(engine: Engine, who: Counter, batch: Sequence[Event], *,
                 reader: Engine | None = None) -> None:
    """AnchorContradicted (recorded as an incident) when the batch holds another hash at an
    anchored sequence, EndsBeforeAnchor when the counter's latest anchor ends before an
    earlier one; nothing when the batch agrees with every anchor. `reader`: an engine for
    reading (the check writes only when it records an incident)."""
    if not batch:
        return
    with (reader or engine).connect() as conn:
        found = _contradiction(conn, who, batch)
    if found is None:
        return
    refusal, kind, expected, offered = found
    assert refusal.seq is not None
    with engine.begin() as conn:
        _record(conn, who, kind, refusal.seq, expected, offered, refusal.message, utc_now())
    log.warning("upload refused: hall %s counter %s: %s", who.hall, who.counter, refusal.message)
    raise refusal


def _contradiction(conn: Connection, who: Counter, batch: Sequence[Event]
                   ) -> tuple[AnchorContradicted, str, str, str] | None:
    """The refusal, incident kind, anchored and offered hash of the batch's first
    contradiction of the counter's anchors, if any."""
    hashes = {ev.seq: ev.hash for ev in batch}
    anchored: dict[int, list[Any]] = {}
    # the batch's range, not an IN list of its (up to 500) sequences: one short statement
    for row in conn.execute(select(anchors.c.seq, anchors.c.hash, anchors.c.first_at).where(
            anchors.c.counter_id == who.id,
            anchors.c.seq.between(min(hashes), max(hashes)))
            .order_by(anchors.c.seq, anchors.c.id)):
        if row.seq in hashes:
            anchored.setdefault(row.seq, []).append(row)
    for seq in sorted(hashes):
        other = next((a for a in anchored.get(seq, ()) if a.hash != hashes[seq]), None)
        if other is None:
            continue
        agreed = max((s for s, rows in anchored.items()
                      if s < seq and all(a.hash == hashes[s] for a in rows)),
                     default=who.hw_seq)
        message = (f"sequence {seq} has hash {hashes[seq][:12]}…, but the counter anchored "
                   f"{other.hash[:12]}… there at {other.first_at}: its chain was rewritten "
                   f"after sequence {max(agreed, who.hw_seq)} and at or before {seq}; "
                   "nothing was stored and the incident is recorded for head office staff")
        return AnchorContradicted(message, seq), ANCHOR_CONTRADICTED, other.hash, hashes[seq]
    latest = conn.execute(select(anchors.c.seq, anchors.c.hash)
                          .where(anchors.c.counter_id == who.id)
                          .order_by(anchors.c.received_at.desc(), anchors.c.id.desc())
                          .limit(1)).first()
    longest = _longest_anchor(conn, who.id)
    if latest is None or longest is None or latest.seq >= longest.seq:
        return None
    message = (f"the counter's chain now ends at sequence {latest.seq}, before sequence "
               f"{longest.seq} it anchored at {longest.first_at}; nothing was stored "
               "and the incident is recorded for head office staff")
    return (EndsBeforeAnchor(message, latest.seq + 1), ENDS_BEFORE_ANCHOR, longest.hash,
            latest.hash)


def set_status(engine: Engine, incident_id: int, status: str, reason: str, by: str) -> bool:
    """Record the operator's account of an incident; False when there is no such incident."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    with engine.begin() as conn:
        done = conn.execute(incidents.update().where(incidents.c.id == incident_id).values(
            status=status, status_reason=reason, status_by=by, status_at=utc_now()))
    return done.rowcount > 0


def link_new_history(conn: Connection, previous_id: int, new_id: int, by: str) -> None:
    """Link a counter's new chain to its old one (the old one's last head as head office held
    it, and its longest anchor); the old chain's open ends-before and history-conflict
    incidents (what a replaced database shows) are explained."""
    old = conn.execute(select(counters.c.hw_seq, counters.c.hw_hash)
                       .where(counters.c.id == previous_id)).one()
    longest = _longest_anchor(conn, previous_id)
    now = utc_now()
    conn.execute(history_links.insert().values(
        counter_id=new_id, previous_id=previous_id, previous_seq=old.hw_seq,
        previous_hash=old.hw_hash, anchored_seq=longest.seq if longest else 0, linked_at=now))
    conn.execute(incidents.update().where(
        incidents.c.counter_id == previous_id, incidents.c.kind.in_(NEW_HISTORY_KINDS),
        incidents.c.status == OPEN,
    ).values(status=EXPLAINED, status_reason=NEW_HISTORY_REASON, status_by=by,
             status_at=now))


def open_counts(conn: Connection) -> dict[int, dict[str, Any]]:
    """Per counter id: how many of its incidents are open, explained and resolved, and the
    first open one ("first_open": "<kind> at <seq>", or None)."""
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(select(incidents.c.counter_id, incidents.c.status,
                                   incidents.c.kind, incidents.c.seq)
                            .order_by(incidents.c.counter_id, incidents.c.seq, incidents.c.id)):
        counts = out.setdefault(row.counter_id, {**dict.fromkeys(STATUSES, 0),
                                                 "first_open": None})
        counts[row.status] = counts.get(row.status, 0) + 1
        if row.status == OPEN and counts["first_open"] is None:
            counts["first_open"] = f"{row.kind} at {row.seq}"
    return out


def history_of(conn: Connection) -> dict[int, str]:
    """Per counter id of a new history: the old chain it follows, as a sentence."""
    query = (select(history_links, counters.c.counter)
             .join(counters, counters.c.id == history_links.c.previous_id))
    return {row.counter_id: f"{row.counter} (held up to sequence {row.previous_seq}, "
                            f"{row.previous_hash[:12]}…; anchored up to {row.anchored_seq})"
            for row in conn.execute(query)}


def anchor_summary(conn: Connection) -> dict[int, dict[str, Any]]:
    """Per counter id: its latest anchor (seq, received_at, skew, app version, code hash)."""
    latest = (select(anchors.c.counter_id, func.max(anchors.c.received_at).label("at"))
              .group_by(anchors.c.counter_id).subquery())
    query = select(anchors).join(latest, and_(latest.c.counter_id == anchors.c.counter_id,
                                              latest.c.at == anchors.c.received_at))
    return {row["counter_id"]: dict(row) for row in conn.execute(query).mappings()}


def stored_anchors(engine: Engine, who: Counter) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(anchors).where(
            anchors.c.counter_id == who.id).order_by(anchors.c.id)).mappings()]


def counter_incidents(engine: Engine, who: Counter) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(incidents).where(
            incidents.c.counter_id == who.id).order_by(incidents.c.id)).mappings()]


def _longest_anchor(conn: Connection, counter_id: int) -> Any:
    return conn.execute(select(anchors.c.seq, anchors.c.hash, anchors.c.first_at)
                        .where(anchors.c.counter_id == counter_id)
                        .order_by(anchors.c.seq.desc(), anchors.c.id).limit(1)).first()


def _stored_hash(conn: Connection, counter_id: int, seq: int) -> str | None:
    return conn.execute(select(events.c.hash).where(
        events.c.counter_id == counter_id, events.c.seq == seq)).scalar_one_or_none()


def _history_conflict(conn: Connection, who: Counter, seq: int, stored: str, offered: str,
                      now: str) -> int:
    return _record(conn, who, HISTORY_CONFLICT, seq, stored, offered,
                   f"the counter presents a different history: hash {offered[:12]}… at "
                   f"sequence {seq}, where head office holds {stored[:12]}…", now)


def _record(conn: Connection, who: Counter, kind: str, seq: int, expected: str, offered: str,
            detail: str, now: str) -> int:
    return record_incident(conn, who, kind, seq, expected, offered, detail, now)


def record_incident(conn: Connection, who: Counter, kind: str, seq: int, expected: str,
                    offered: str, detail: str, now: str, *, evidence_id: int | None = None,
                    by_detail: bool = False) -> int:
    """Open the incident, or count it again (an explained or resolved one keeps its status);
    its id. `evidence_id`: the row of the kind's own table that holds the evidence (conflicts,
    rejected, chain_breaks, refusals). `by_detail`: the incident is the counter's and the
    detail's (a refused upload retried), whatever sequence or hash it was seen at again."""
    expected, offered = expected[:64], offered[:64]
    seen = None
    if by_detail:
        seen = conn.execute(select(incidents.c.id).where(
            incidents.c.counter_id == who.id, incidents.c.kind == kind,
            incidents.c.detail == detail).order_by(incidents.c.id).limit(1)).scalar()
    if seen is None:
        seen = conn.execute(select(incidents.c.id).where(
            incidents.c.counter_id == who.id, incidents.c.kind == kind,
            incidents.c.seq == seq, incidents.c.offered_hash == offered)).scalar_one_or_none()
    if seen is not None:
        conn.execute(incidents.update().where(incidents.c.id == seen).values(
            last_at=now, times=incidents.c.times + 1,
            **({} if evidence_id is None else {"evidence_id": evidence_id})))
        log.info("incident %s seen again: hall %s counter %s sequence %s", kind, who.hall,
                 who.counter, seq)
        return int(seen)
    log.warning("incident %s: hall %s counter %s sequence %s", kind, who.hall, who.counter, seq)
    status = {"status": OPEN}
    if kind == UNKNOWN_KIND:
        status = {"status": EXPLAINED, "status_reason": UNKNOWN_KIND_REASON,
                  "status_by": AUTOMATIC, "status_at": now}
    done = conn.execute(incidents.insert().values(
        counter_id=who.id, kind=kind, seq=seq, expected_hash=expected, offered_hash=offered,
        detail=detail, first_at=now, last_at=now, times=1, evidence_id=evidence_id, **status))
    key = done.inserted_primary_key
    assert key is not None
    return int(key[0])
