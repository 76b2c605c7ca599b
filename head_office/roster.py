"""The hall server's staff roster: one authority for every counter of the hall.

Every change is an event of the roster's own hash-chained log (`roster_log`, per hall from seq
1), in the same staff kinds and payload shapes as a counter's chain (counter_core.events:
number, role, a digest of the PIN hash, `by`), hashed with counter_core.chain's canonical
bytes. What the log never carries (the salted PIN hash itself, the name, the photo) is kept in
`roster_accounts`; the log commits to them by digest, so `verify` finds an edited row in either.
The roster's version is the log's (seq, head hash): what a counter caches and records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from counter_core import events, pins
from counter_core.chain import CURRENT_FORMAT, GENESIS_HASH, canonical_bytes, chain_hash
from counter_core.periods import parse_utc, utc_now
from counter_core.roster import fold, pin_digest
from head_office import upstream
from head_office.schema import roster_accounts, roster_log, staff_purges
from head_office.store import Store, database_errors

#: the PIN hash scheme counters can check (counter_core.pins)
PIN_SCHEME = "scrypt"
#: sign-in answers (`POST /api/v1/hall/sign-in`): an unknown number is answered WRONG
OK, WRONG, DISABLED = "ok", "wrong", "disabled"
MAX_NAME = 200
MAX_PHOTO = 64 * 1024


class RosterError(ValueError):
    """A change the roster refuses, in words (nothing was recorded)."""


@dataclass(frozen=True)
class Version:
    """Where a hall's roster log stands: its last seq (0: empty) and head hash."""

    seq: int
    hash: str

    @property
    def etag(self) -> str:
        return f'"{self.seq}-{self.hash}"'


def details_digest(name: str, photo: str | None) -> str:
    """What the log says of an account's name and photo: the SHA-256 of both (canonical)."""
    return hashlib.sha256(
        canonical_bytes({"name": name, "photo": photo}, CURRENT_FORMAT)
    ).hexdigest()


def entry_hash(
    hall: str, seq: int, kind: str, at: str, payload: Mapping[str, Any], prev_hash: str
) -> str:
    """A log entry's hash: counter_core.chain's hash of its canonical bytes (RFC 8785)."""
    fields = {
        "hall": hall,
        "seq": seq,
        "kind": kind,
        "at": at,
        "payload": dict(payload),
        "prev_hash": prev_hash,
    }
    return chain_hash(prev_hash, canonical_bytes(fields, CURRENT_FORMAT))


def version(conn: Connection, hall: str) -> Version:
    row = conn.execute(
        select(roster_log.c.seq, roster_log.c.hash)
        .where(roster_log.c.hall == hall)
        .order_by(roster_log.c.seq.desc())
        .limit(1)
    ).one_or_none()
    return Version(0, GENESIS_HASH) if row is None else Version(int(row.seq), str(row.hash))


def _append(conn: Connection, hall: str, kind: str, payload: dict[str, Any]) -> Version:
    relayed = upstream.relay_refusal(conn, hall, upstream.ROSTER)
    if relayed is not None:  # a hall server relaying head office's roster
        raise RosterError(relayed)
    problem = events.validate_payload(kind, payload)
    if problem is not None:  # a bug here: the log takes the counters' shapes only
        raise RosterError(f"{kind}: {problem}")
    head = version(conn, hall)
    seq, at = head.seq + 1, utc_now()
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = entry_hash(hall, seq, kind, at, payload, head.hash)
    conn.execute(
        roster_log.insert().values(
            hall=hall, seq=seq, kind=kind, at=at, payload=text, prev_hash=head.hash, hash=digest
        )
    )
    return Version(seq, digest)


def _row(conn: Connection, hall: str, number: str) -> Any:
    return conn.execute(
        select(roster_accounts).where(
            roster_accounts.c.hall == hall, roster_accounts.c.number == number
        )
    ).one_or_none()


def _check_number(number: str) -> str:
    number = number.strip()
    if not events.is_staff_number(number):
        raise RosterError(
            "staff number must be letters, digits, . _ - (at most "
            f"{events.MAX_STAFF_NUMBER} characters)"
        )
    return number


def _check_pin(pin: str, role: str) -> str:
    problem = pins.pin_problem(pin, role)
    if problem is not None:
        raise RosterError(problem)
    return pins.hash_pin(pin)


def _refuse_losing_last_manager(conn: Connection, hall: str, row: Any) -> None:
    if row.role != "manager" or row.disabled:
        return
    others = conn.execute(
        select(roster_accounts.c.number).where(
            roster_accounts.c.hall == hall,
            roster_accounts.c.role == "manager",
            roster_accounts.c.disabled == 0,
            roster_accounts.c.number != row.number,
        )
    ).first()
    if others is None:
        raise RosterError(
            f"staff {row.number} is the hall's last enabled manager: add or "
            "enable another manager first"
        )


def add(
    store: Store, hall: str, number: str, name: str, role: str, pin: str, photo: str | None = None
) -> Version:
    """A new account of the hall (`staff_added`); RosterError for a number already there."""
    number, name = _check_number(number), name.strip()
    if role not in events.ROLES:
        raise RosterError("role must be 'staff' or 'manager'")
    if not name or len(name) > MAX_NAME:
        raise RosterError(f"give a name of 1 to {MAX_NAME} characters")
    if photo is not None and len(photo) > MAX_PHOTO:
        raise RosterError(f"the photo is over {MAX_PHOTO} characters")
    pin_hash = _check_pin(pin, role)
    with database_errors(), store.engine.begin() as conn:
        if _row(conn, hall, number) is not None:
            raise RosterError(
                f"hall {hall} already has staff {number}: change it with "
                "`staff pin`, `staff role`, `staff disable` or `staff enable`"
            )
        conn.execute(
            roster_accounts.insert().values(
                hall=hall,
                number=number,
                name=name,
                role=role,
                pin_hash=pin_hash,
                photo=photo,
                disabled=0,
            )
        )
        return _append(
            conn,
            hall,
            events.STAFF_ADDED,
            {
                "staff": number,
                "role": role,
                "pin_digest": pin_digest(pin_hash),
                "by": None,
                "details_digest": details_digest(name, photo),
            },
        )


def _existing(conn: Connection, hall: str, number: str) -> Any:
    row = _row(conn, hall, number.strip())
    if row is None:
        raise RosterError(f"hall {hall} has no staff {number.strip()}")
    return row


def set_pin(store: Store, hall: str, number: str, pin: str) -> Version:
    """A new PIN for the account (`staff_pin_changed`); its role's PIN rules apply."""
    with database_errors(), store.engine.begin() as conn:
        row = _existing(conn, hall, number)
        pin_hash = _check_pin(pin, row.role)
        conn.execute(
            roster_accounts.update()
            .where(roster_accounts.c.hall == hall, roster_accounts.c.number == row.number)
            .values(pin_hash=pin_hash)
        )
        return _append(
            conn,
            hall,
            events.STAFF_PIN_CHANGED,
            {"staff": row.number, "pin_digest": pin_digest(pin_hash), "by": None},
        )


def set_role(store: Store, hall: str, number: str, role: str, pin: str | None = None) -> Version:
    """A new role (`staff_role_changed`). Becoming a manager takes a manager's PIN (at least
    pins.MANAGER_MIN_DIGITS digits), given here and recorded with it (`staff_pin_changed`):
    the old PIN's length cannot be read from its hash. The last enabled manager stays one."""
    if role not in events.ROLES:
        raise RosterError("role must be 'staff' or 'manager'")
    if role == "manager" and pin is None:
        raise RosterError(
            "a new manager needs a manager's PIN: give one (at least "
            f"{pins.MANAGER_MIN_DIGITS} digits) with the role"
        )
    with database_errors(), store.engine.begin() as conn:
        row = _existing(conn, hall, number)
        if row.role == role:
            raise RosterError(f"staff {row.number} is a {role} already")
        if row.role == "manager":
            _refuse_losing_last_manager(conn, hall, row)
        pin_hash = None if pin is None else _check_pin(pin, role)
        values: dict[str, Any] = {"role": role}
        if pin_hash is not None:
            values["pin_hash"] = pin_hash
        conn.execute(
            roster_accounts.update()
            .where(roster_accounts.c.hall == hall, roster_accounts.c.number == row.number)
            .values(**values)
        )
        done = _append(
            conn, hall, events.STAFF_ROLE_CHANGED, {"staff": row.number, "role": role, "by": None}
        )
        if pin_hash is not None:
            done = _append(
                conn,
                hall,
                events.STAFF_PIN_CHANGED,
                {"staff": row.number, "pin_digest": pin_digest(pin_hash), "by": None},
            )
        return done


def set_disabled(store: Store, hall: str, number: str, disabled: bool) -> Version:
    """Disable (`staff_disabled`) or enable (`staff_enabled`) the account."""
    with database_errors(), store.engine.begin() as conn:
        row = _existing(conn, hall, number)
        if bool(row.disabled) == disabled:
            raise RosterError(
                f"staff {row.number} is already {'disabled' if disabled else 'enabled'}"
            )
        if disabled:
            _refuse_losing_last_manager(conn, hall, row)
        conn.execute(
            roster_accounts.update()
            .where(roster_accounts.c.hall == hall, roster_accounts.c.number == row.number)
            .values(disabled=int(disabled))
        )
        return _append(
            conn,
            hall,
            events.STAFF_DISABLED if disabled else events.STAFF_ENABLED,
            {"staff": row.number, "by": None},
        )


class PurgeRefused(RosterError):
    """A purge refused: `code` says why (unknown, enabled, purged), the message in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


#: the name a purged account keeps in roster_accounts (the pages say "former staff #N")
PURGED_NAME = ""


def purge(store: Store, hall: str, number: str, by: str) -> None:
    """Remove a departed (disabled) clerk's name and photo from the accounts; the roster log
    and every chain keep their entries and hashes, and `staff_purges` records the log's
    digest of what was removed, so `verify` still holds. RosterError for an enabled account
    (disable it first) or one purged already."""
    with database_errors(), store.engine.begin() as conn:
        row = _row(conn, hall, number.strip())
        if row is None:
            raise PurgeRefused("unknown", f"hall {hall} has no staff {number.strip()}")
        if not row.disabled:
            raise PurgeRefused("enabled", f"staff {row.number} is not disabled: a departed "
                               "clerk is disabled first (`staff disable`), then purged")
        if row.number in _purged(conn, hall):
            raise PurgeRefused("purged", f"staff {row.number}'s name and photo are purged "
                               "already")
        conn.execute(staff_purges.insert().values(
            hall=hall, number=row.number, purged_at=utc_now(), by=by,
            details_digest=details_digest(row.name, row.photo)))
        conn.execute(
            roster_accounts.update()
            .where(roster_accounts.c.hall == hall, roster_accounts.c.number == row.number)
            .values(name=PURGED_NAME, photo=None)
        )


def _purged(conn: Connection, hall: str) -> dict[str, str]:
    """The hall's purged numbers → the digest of the name and photo they had."""
    return {r.number: r.details_digest for r in conn.execute(
        select(staff_purges.c.number, staff_purges.c.details_digest)
        .where(staff_purges.c.hall == hall))}


def shown_names(store: Store, hall: str, *, retention_days: int | None,
                now: dt.datetime | None = None) -> dict[str, str | None]:
    """Staff number → the name staff-level pages may show; None for a former clerk: purged,
    or disabled (gone) longer than `retention_days` ago (None: names kept while enabled or
    not purged)."""
    moment = now or dt.datetime.now(dt.UTC)
    with database_errors(), store.reader.connect() as conn, conn.begin():
        rows = conn.execute(select(roster_accounts.c.number, roster_accounts.c.name,
                                   roster_accounts.c.disabled)
                            .where(roster_accounts.c.hall == hall)).all()
        purged = _purged(conn, hall)
        gone_at: dict[str, str] = {}
        for entry in conn.execute(select(roster_log.c.kind, roster_log.c.at, roster_log.c.payload)
                                  .where(roster_log.c.hall == hall,
                                         roster_log.c.kind.in_((events.STAFF_DISABLED,
                                                                events.STAFF_ENABLED)))
                                  .order_by(roster_log.c.seq)):
            staff = str(json.loads(entry.payload)["staff"])
            if entry.kind == events.STAFF_DISABLED:
                gone_at[staff] = entry.at
            else:
                gone_at.pop(staff, None)
    out: dict[str, str | None] = {}
    for r in rows:
        gone = gone_at.get(r.number) if r.disabled else None
        expired = (retention_days is not None and gone is not None
                   and moment - parse_utc(gone) > dt.timedelta(days=retention_days))
        out[r.number] = None if r.number in purged or expired else r.name
    return out


@dataclass(frozen=True)
class Roster:
    """A hall's accounts as counters cache them, at a version of the log."""

    hall: str
    version: Version
    accounts: tuple[dict[str, Any], ...]


def roster(store: Store, hall: str) -> Roster:
    """The hall's accounts (number, name, role, PIN hash and scheme, disabled, photo) and the
    log's version, read in one transaction."""
    with database_errors(), store.reader.connect() as conn, conn.begin():
        rows = conn.execute(
            select(roster_accounts)
            .where(roster_accounts.c.hall == hall)
            .order_by(roster_accounts.c.number)
        ).all()
        at = version(conn, hall)
    return Roster(
        hall,
        at,
        tuple(
            {
                "number": r.number,
                "name": r.name,
                "role": r.role,
                "pin_hash": r.pin_hash,
                "pin_scheme": PIN_SCHEME,
                "disabled": bool(r.disabled),
                "photo": r.photo,
            }
            for r in rows
        ),
    )


def current_version(store: Store, hall: str) -> Version:
    with database_errors(), store.reader.connect() as conn:
        return version(conn, hall)


def check_sign_in(store: Store, hall: str, number: str, pin: str) -> str:
    """OK, WRONG (also for a number the hall does not have, after the same work) or DISABLED
    (a disabled account's right PIN only). The PIN is never stored or logged."""
    with database_errors(), store.reader.connect() as conn:
        row = _row(conn, hall, number.strip())
    return sign_in_result(None if row is None else (row.pin_hash, bool(row.disabled)), pin)


def sign_in_result(account: tuple[str, bool] | None, pin: str) -> str:
    """OK, WRONG or DISABLED for an account's (PIN hash, disabled); None: no such number,
    answered WRONG after the same work."""
    if account is None:
        pins.check_no_pin(pin)
        return WRONG
    pin_hash, disabled = account
    if not pins.check_pin(pin, pin_hash):
        return WRONG
    return DISABLED if disabled else OK


def verify(store: Store, hall: str) -> str | None:
    """None when the hall's roster log chains from seq 1 and the accounts table is what it
    leaves (role, PIN hash and name/photo by digest, disabled); else the first problem."""
    with database_errors(), store.reader.connect() as conn, conn.begin():
        log_rows = conn.execute(
            select(roster_log).where(roster_log.c.hall == hall).order_by(roster_log.c.seq)
        ).all()
        rows = {
            r.number: r
            for r in conn.execute(select(roster_accounts).where(roster_accounts.c.hall == hall))
        }
        purged = _purged(conn, hall)
    prev, entries, details = GENESIS_HASH, [], {}
    for expected_seq, row in enumerate(log_rows, start=1):
        if row.seq != expected_seq:
            return f"roster log entry {expected_seq} is missing (found {row.seq})"
        try:
            payload = json.loads(row.payload)
        except ValueError:
            return f"roster log entry {row.seq} has an unreadable payload"
        if row.prev_hash != prev or row.hash != entry_hash(
            hall, row.seq, row.kind, row.at, payload, row.prev_hash
        ):
            return f"roster log entry {row.seq} ({row.kind}) does not chain: it was edited"
        prev = row.hash
        entries.append(_Entry(row.kind, payload))
        if row.kind == events.STAFF_ADDED:
            details[str(payload["staff"])] = payload.get("details_digest")
    try:
        expected = fold(entries)
    except (KeyError, ValueError) as exc:
        return f"the roster log does not fold: {exc}"
    for number in sorted(set(expected) | set(rows)):
        want, have = expected.get(number), rows.get(number)
        if want is None:
            return f"staff {number} is in the accounts table but no log entry added them"
        if have is None:
            return f"staff {number} has log entries but is missing from the accounts table"
        diff = [
            what
            for what, differs in (
                ("role", want.role != have.role),
                ("PIN hash", want.pin_digest != pin_digest(have.pin_hash)),
                ("disabled", want.disabled != bool(have.disabled)),
                ("name or photo", details.get(number) != _details_of(have, purged)),
            )
            if differs
        ]
        if diff:
            return f"staff {number} differs from the roster log in: {', '.join(diff)}"
    return None


def _details_of(row: Any, purged: Mapping[str, str]) -> str | None:
    """The digest of an account's name and photo; of a purged one's, what the purge recorded
    (None, a mismatch, when a purged row still holds a name or photo)."""
    if row.number in purged:
        return purged[row.number] if (row.name, row.photo) == (PURGED_NAME, None) else None
    return details_digest(row.name, row.photo)


@dataclass(frozen=True)
class _Entry:
    """A log entry as counter_core.roster.fold reads it (kind and payload)."""

    kind: str
    payload: dict[str, Any]
