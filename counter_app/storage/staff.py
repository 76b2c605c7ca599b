"""Staff accounts: numbers, names, roles, PIN hashes and lockouts.

Every change to an account is an event in the counter's one chain (counter_core.events'
staff kinds: the number, the role, a digest of the PIN hash and the manager who made it; never
a name or photo), written in the same SQLite transaction as the staff table row, so the table
is a projection `verify` checks against the log (counter_core.roster). A lockout after wrong
PINs is recorded too (`staff_locked`), and so is a manager disabling or enabling an account
(`staff_disabled`, `staff_enabled`): a disabled account signs in no more and counts as no
manager.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from counter_app.storage.db import Database, rare_kinds_only, write_transaction
from counter_app.storage.events import (
    EventStore,
    applied_digest,
    last_roster_applied,
    stored_event_from_row,
)
from counter_app.storage.folder import folder_identity
from counter_core import events, pins, roster
from counter_core.transaction import Draft, Staff


class SignInError(Exception):
    """Why a sign-in was refused, in words for the staff member.

    `wait_s` is set when the counter-wide throttle refused the attempt: the seconds before
    the next one is heard (the UI may count it down).
    """

    def __init__(self, message: str, *, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


class PinChangeRequired(SignInError):
    """The PIN was right, but it must be changed before the account signs in (a manager's PIN
    shorter than pins.MANAGER_MIN_DIGITS). Nothing was signed in."""

    def __init__(self, number: str) -> None:
        super().__init__(
            f"Your PIN is too short for a manager: choose a new one of at least "
            f"{pins.MANAGER_MIN_DIGITS} digits")
        self.number = number


class NotAManager(SignInError):
    """A right PIN of a staff account where a manager's was needed (the staff commands)."""


#: the staff changes a counter makes itself (after them, its table is no cached roster)
_OWN_CHANGES = sorted(events.STAFF_KINDS - {events.STAFF_LOCKED})
#: the one answer for an unknown number and for a wrong PIN alike
WRONG = "Unknown staff number or wrong PIN"
FAILURES_KEY = "signin.failures"
LAST_FAILURE_KEY = "signin.last_failure_at"


@dataclass(frozen=True)
class StaffRecord:
    number: str
    name: str
    role: str
    locked_until: float
    disabled: bool = False


#: a manager's sign-in asked of the roster's authority (the hall server): (ok | wrong |
#: disabled | throttled, seconds to wait when throttled), or None when it cannot answer
RemoteCheck = Callable[[str, str], tuple[str, float | None] | None]


@dataclass(frozen=True)
class CachedAccount:
    """An account of the hall's roster as the counter caches it (counter_app.sync.roster_pull
    hands these over; storage knows no HTTP)."""

    number: str
    name: str
    role: str
    pin_hash: str
    disabled: bool
    photo: str | None = None


class StaffDirectory:
    """The staff table and its events.

    `store` is the counter's event store; without one, a store for the hall and counter the
    data folder records (or its first event names) is made when a change is written.
    `remote_check`: under `[roster] managed_by = "hall_server"`, a manager's sign-in is asked
    of the hall server first (its answer stands when it gives one), the cache otherwise.
    """

    def __init__(self, db: Database, store: EventStore | None = None, *,
                 now: Callable[[], float] = time.time,
                 remote_check: RemoteCheck | None = None) -> None:
        self.db = db
        self._store = store
        self._now = now  # wall clock: a lockout must survive a restart
        self.remote_check = remote_check

    @property
    def store(self) -> EventStore:
        if self._store is None:
            identity = folder_identity(self.db)
            if identity is None:
                raise LookupError("this data folder records no hall and counter yet: open it "
                                  "with the counter's configuration to change staff accounts")
            self._store = EventStore(self.db, *identity)
        return self._store

    def add(self, number: str, name: str, role: str, pin: str, photo: str | None = None, *,
            by: str | None = None) -> None:
        """Add an account, or update one (name, role, PIN, photo; its lockout is lifted).

        `by` is the manager making the change (None: the first manager of a new folder, or
        the demo's own accounts). The events record the role and PIN hash changes. A disabled
        account stays disabled (`enable` it); the last enabled manager stays a manager.
        """
        number, name = number.strip(), name.strip()
        if role not in ("staff", "manager"):
            raise ValueError("role must be 'staff' or 'manager'")
        if not number.strip() or not name.strip():
            raise ValueError("staff number and name must not be empty")
        if not events.is_staff_number(number):
            raise ValueError("staff number must be letters, digits, . _ - (at most "
                             f"{events.MAX_STAFF_NUMBER} characters)")
        problem = pins.pin_problem(pin, role)
        if problem is not None:
            raise ValueError(problem)
        pin_hash = pins.hash_pin(pin)
        digest = roster.pin_digest(pin_hash)
        with write_transaction(self.db.conn):
            row = self._row(number)
            drafts: list[Draft] = []
            if row is None:
                drafts.append(Draft(events.STAFF_ADDED, {
                    "staff": number, "role": role, "pin_digest": digest, "by": by}))
            else:
                if row["role"] == "manager" != role:
                    self._refuse_losing_last_manager(row)
                if row["role"] != role:
                    drafts.append(Draft(events.STAFF_ROLE_CHANGED,
                                        {"staff": number, "role": role, "by": by}))
                drafts.append(Draft(events.STAFF_PIN_CHANGED,
                                    {"staff": number, "pin_digest": digest, "by": by}))
            self.db.execute(
                "INSERT INTO staff (number, name, role, pin_hash, photo) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(number) DO UPDATE SET name = excluded.name, role = excluded.role,"
                " pin_hash = excluded.pin_hash, photo = excluded.photo,"
                " failed_attempts = 0, locked_until = 0",
                [number, name, role, pin_hash, photo],
            )
            self.store.append(drafts)

    def change_pin(self, number: str, old: str, new: str) -> None:
        """The account's own PIN change: `old` must sign in (wrong PINs count toward the
        lockout and the throttle as at any sign-in), `new` must suit the account's role."""
        with contextlib.suppress(PinChangeRequired):  # the very reason for the change
            self.sign_in(number, old)
        row = self._row(number.strip())
        assert row is not None  # it signed in
        problem = pins.pin_problem(new, row["role"])
        if problem is not None:
            raise ValueError(problem)
        if new == old:
            raise ValueError("the new PIN must differ from the old one")
        pin_hash = pins.hash_pin(new)
        with write_transaction(self.db.conn):
            self.db.execute("UPDATE staff SET pin_hash = ? WHERE number = ?",
                            [pin_hash, row["number"]])
            self.store.append([Draft(events.STAFF_PIN_CHANGED, {
                "staff": row["number"], "pin_digest": roster.pin_digest(pin_hash),
                "by": row["number"]})])

    def authorize_manager(self, number: str, pin: str) -> Staff:
        """The manager whose number and PIN these are, or SignInError (the same answer and
        the same lockout and throttle as a sign-in; a staff account is refused as such)."""
        staff = self.sign_in(number, pin)
        if not staff.is_manager:
            raise NotAManager(f"staff {staff.number} is not a manager")
        return staff

    def disable(self, number: str, *, by: str | None) -> None:
        """Disable an account (`staff_disabled`): it signs in no more, and counts as no
        manager. ValueError, and nothing recorded, for an unknown or already disabled number,
        for the manager's own account and for the last enabled manager."""
        self._set_disabled(number.strip(), True, by)

    def enable(self, number: str, *, by: str | None) -> None:
        """Enable a disabled account again (`staff_enabled`); ValueError, and nothing
        recorded, for an unknown number or one that is not disabled."""
        self._set_disabled(number.strip(), False, by)

    def _set_disabled(self, number: str, disabled: bool, by: str | None) -> None:
        with write_transaction(self.db.conn):
            row = self._row(number)
            if row is None:
                raise ValueError(f"there is no staff account {number}")
            if bool(row["disabled"]) == disabled:
                raise ValueError(f"staff {number} is already "
                                 f"{'disabled' if disabled else 'enabled'}")
            if disabled:
                if by == number:
                    raise ValueError("a manager cannot disable their own account")
                self._refuse_losing_last_manager(row)
            self.db.execute("UPDATE staff SET disabled = ? WHERE number = ?",
                            [int(disabled), number])
            self.store.append([Draft(events.STAFF_DISABLED if disabled else events.STAFF_ENABLED,
                                     {"staff": number, "by": by})])

    def _refuse_losing_last_manager(self, row: dict[str, Any]) -> None:
        """ValueError when the account of `row` is the only enabled manager (a counter needs
        one: without it, nobody could change the staff accounts)."""
        if row["role"] != "manager" or row["disabled"]:
            return
        others = self.db.execute(
            "SELECT COUNT(*) FROM staff WHERE role = 'manager' AND disabled = 0"
            " AND number != ?", [row["number"]]).fetchone()[0]
        if not others:
            raise ValueError(f"staff {row['number']} is the last enabled manager: add or "
                             "enable another manager first")

    def record_existing(self) -> int:
        """Accounts of a data folder from before staff events: each recorded once as found
        (`staff_added`, adopted, by nobody), so that the table and the log agree from here on.
        Only when the log has no staff event at all; returns how many were recorded."""
        kinds = sorted(events.STAFF_KINDS | events.ROSTER_KINDS)  # a cached roster: recorded
        marks = ", ".join("?" for _ in kinds)
        if self.db.execute(f"SELECT 1 FROM events WHERE kind IN ({marks})"
                           f" AND {rare_kinds_only(*kinds)} LIMIT 1",
                           kinds).fetchone() is not None:
            return 0
        rows = list(self.db.query("SELECT number, role, pin_hash FROM staff ORDER BY number"))
        if not rows:
            return 0
        self.store.append([
            Draft(events.STAFF_ADDED, {"staff": r["number"], "role": r["role"],
                                       "pin_digest": roster.pin_digest(r["pin_hash"]),
                                       "by": None, "adopted": True})
            for r in rows])
        return len(rows)

    def applied_roster(self) -> tuple[int, str] | None:
        """The hall roster version (seq, hash) the last `roster_applied` recorded, if the
        staff table is still that roster (no staff change of the counter's own since, and
        the same accounts as its digest)."""
        rows = self.db.query(
            "SELECT * FROM events WHERE (kind = ? OR kind IN ({})) AND {} ORDER BY seq DESC"
            " LIMIT 1".format(", ".join("?" for _ in _OWN_CHANGES),
                              rare_kinds_only(events.ROSTER_APPLIED, *_OWN_CHANGES)),
            [events.ROSTER_APPLIED, *_OWN_CHANGES])
        found = last_roster_applied([stored_event_from_row(r) for r in rows])
        if found is None:
            return None
        table = list(self.db.query("SELECT number, role, pin_hash, disabled FROM staff"))
        if applied_digest(table) != found.payload.get("digest"):
            return None  # changed outside the app since: no longer that version
        version = found.payload["version"]
        return int(version["seq"]), str(version["hash"])

    def apply_roster(self, seq: int, head: str, accounts: Sequence[CachedAccount]) -> bool:
        """Make the staff table the hall server's roster at version (seq, head): accounts
        added, changed (name, role, PIN hash, photo, disabled) and removed as it says; each
        kept account keeps its lockout. When the cached accounts or the version differ from
        the last `roster_applied`, one is recorded (the version, the digest of the applied
        accounts, how many), in the same transaction. Returns whether anything was recorded."""
        digest = applied_digest(accounts)
        with write_transaction(self.db.conn):
            current = list(self.db.query("SELECT number, role, pin_hash, disabled FROM staff"))
            names = {r["number"]: (r["name"], r["photo"]) for r in self.db.query(
                "SELECT number, name, photo FROM staff")}
            unchanged = (applied_digest(current) == digest and len(current) == len(accounts)
                         and self.applied_roster() == (seq, head))
            if unchanged and all(names.get(a.number) == (a.name, a.photo) for a in accounts):
                return False
            keep = {a.number for a in accounts}
            for number in sorted(set(names) - keep):
                self.db.execute("DELETE FROM staff WHERE number = ?", [number])
            for a in accounts:
                self.db.execute(
                    "INSERT INTO staff (number, name, role, pin_hash, photo, disabled)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET"
                    " name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,"
                    " photo = excluded.photo, disabled = excluded.disabled",
                    [a.number, a.name, a.role, a.pin_hash, a.photo, int(a.disabled)])
            if unchanged:
                return False  # names or photos only: never in the chain
            self.store.append([Draft(events.ROSTER_APPLIED, {
                "version": {"seq": seq, "hash": head}, "digest": digest,
                "accounts": len(accounts)})])
        return True

    def _row(self, number: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM staff WHERE number = ?", [number]))
        return rows[0] if rows else None

    def list(self) -> list[StaffRecord]:
        return [
            StaffRecord(r["number"], r["name"], r["role"], r["locked_until"], bool(r["disabled"]))
            for r in self.db.query("SELECT * FROM staff ORDER BY number")
        ]

    def names(self) -> dict[str, str]:
        return {r["number"]: r["name"] for r in self.db.query("SELECT number, name FROM staff")}

    def has_manager(self) -> bool:
        """Whether any enabled account may sign in as manager (a counter needs at least
        one; a disabled manager does not count)."""
        return self.db.execute(
            "SELECT 1 FROM staff WHERE role = 'manager' AND disabled = 0 LIMIT 1"
        ).fetchone() is not None

    def is_empty(self) -> bool:
        return bool(self.db.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0)

    def sign_in(self, number: str, pin: str) -> Staff:
        """The staff member, or SignInError.

        An unknown number and a wrong PIN get the same answer (WRONG) after the same work
        (a dummy hash for an unknown number), and so does a wrong PIN of a disabled account;
        only its right PIN is told that the account is disabled. Five wrong PINs lock that
        account for five minutes; consecutive wrong sign-ins across numbers slow the counter
        down (1, 2, 4 … at most 30 s between attempts, pins.throttle_delay), never lock it.
        """
        rows = list(self.db.query("SELECT * FROM staff WHERE number = ?", [number.strip()]))
        row = rows[0] if rows else None
        now = self._now()
        if row is not None:
            locked_until = row["locked_until"]
            if locked_until > now + pins.LOCKOUT_S:
                # the wall clock stepped back since the lock: never lock longer than LOCKOUT_S
                locked_until = now + pins.LOCKOUT_S
                self.db.execute("UPDATE staff SET locked_until = ? WHERE number = ?",
                                [locked_until, row["number"]])
            if locked_until > now:
                pins.check_no_pin(pin)  # as slow as any other answer
                minutes = max(1, round((locked_until - now) / 60))
                raise SignInError(f"Too many wrong PINs: locked for about {minutes} min")
        wait = self.wait_s()
        if wait > 0:
            raise SignInError(f"Too many wrong sign-ins: wait {max(1, round(wait))} s",
                              wait_s=wait)
        if row is None:
            pins.check_no_pin(pin)
            self._failed(now)
            raise SignInError(WRONG)
        answer = (self.remote_check(row["number"], pin)
                  if self.remote_check is not None and row["role"] == "manager" else None)
        if answer is not None and answer[0] == "throttled":
            wait = max(1.0, answer[1] or 1.0)
            raise SignInError(f"Too many wrong sign-ins: wait {round(wait)} s", wait_s=wait)
        right = (answer[0] != "wrong" if answer is not None
                 else pins.check_pin(pin, row["pin_hash"]))
        if answer is not None:
            # the authority's answer stands: a PIN changed there is required at once, and
            # an account it enabled or disabled is so before the next pull brings it
            row = {**row, "disabled": answer[0] == "disabled"}
        if not right:
            failed = row["failed_attempts"] + 1
            locked_until = now + pins.LOCKOUT_S if failed >= pins.MAX_ATTEMPTS else 0
            with write_transaction(self.db.conn):
                self.db.execute(
                    "UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE number = ?",
                    [0 if locked_until else failed, locked_until, row["number"]],
                )
                self._failed(now)
                if locked_until:
                    self.store.append([Draft(events.STAFF_LOCKED, {
                        "staff": row["number"], "seconds": pins.LOCKOUT_S})])
            if locked_until:
                raise SignInError("Too many wrong PINs: locked for 5 min")
            raise SignInError(WRONG)
        self.db.execute(
            "UPDATE staff SET failed_attempts = 0, locked_until = 0 WHERE number = ?",
            [row["number"]],
        )
        self.db.execute("DELETE FROM meta WHERE key IN (?, ?)", [FAILURES_KEY, LAST_FAILURE_KEY])
        if row["disabled"]:
            raise SignInError("This account is disabled")  # its right PIN only
        if pins.needs_change(pin, row["role"]):
            raise PinChangeRequired(row["number"])
        return Staff(row["number"], row["name"], row["role"], row["photo"])

    def wait_s(self) -> float:
        """Seconds before the counter hears the next sign-in (0: now), from the consecutive
        wrong sign-ins across all numbers; stored, so a restart does not reset it."""
        failures, last = self._throttle()
        delay = pins.throttle_delay(failures)
        if delay <= 0:
            return 0.0
        now = self._now()
        if last > now:
            # the wall clock stepped back since: the wait runs from now, never longer
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                            [LAST_FAILURE_KEY, repr(now)])
            last = now
        return max(0.0, min(delay, last + delay - now))

    def _throttle(self) -> tuple[int, float]:
        values = {r["key"]: r["value"] for r in self.db.query(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", [FAILURES_KEY, LAST_FAILURE_KEY])}
        try:
            failures = max(0, int(values.get(FAILURES_KEY) or 0))
            last = float(values.get(LAST_FAILURE_KEY) or 0.0)
        except ValueError:
            return 0, 0.0  # unreadable: start counting again
        return failures, last if last == last else 0.0  # NaN: none

    def _failed(self, now: float) -> None:
        failures, _ = self._throttle()
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)",
                        [FAILURES_KEY, str(failures + 1), LAST_FAILURE_KEY, repr(now)])


#: The accounts a fresh demo data folder gets (README lists them).
DEMO_ACCOUNTS = (
    ("1001", "王芳", "staff", "1234"),
    ("1002", "李强", "staff", "1234"),
    ("1003", "张敏", "staff", "1234"),
    ("9001", "陈经理", "manager", "999999"),
)
#: The embedded demo configuration's hall and counter (resources/demo_config.toml; a test
#: keeps the two equal): the demo accounts' events name them when nothing else does.
DEMO_IDENTITY = ("SH-0001", "03")


def ensure_demo_accounts(directory: StaffDirectory) -> None:
    """A fresh demo data folder gets the demo accounts README lists (recorded as events)."""
    if directory.is_empty():
        if directory._store is None and folder_identity(directory.db) is None:
            directory._store = EventStore(directory.db, *DEMO_IDENTITY)
        with write_transaction(directory.db.conn):
            for number, name, role, pin in DEMO_ACCOUNTS:
                directory.add(number, name, role, pin)
