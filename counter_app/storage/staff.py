"""Staff accounts: numbers, names, roles, PIN hashes and lockouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from counter_core import pins
from counter_core.transaction import Staff


class SignInError(Exception):
    """Why a sign-in was refused, in words for the staff member.

    `wait_s` is set when the counter-wide throttle refused the attempt: the seconds before
    the next one is heard (the UI may count it down).
    """

    def __init__(self, message: str, *, wait_s: float | None = None) -> None:
        super().__init__(message)
        self.wait_s = wait_s


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


class StaffDirectory:
    def __init__(self, db: sqlite_utils.Database, *, now: Callable[[], float] = time.time) -> None:
        self.db = db
        self._now = now  # wall clock: a lockout must survive a restart

    def add(self, number: str, name: str, role: str, pin: str, photo: str | None = None) -> None:
        number, name = number.strip(), name.strip()
        if role not in ("staff", "manager"):
            raise ValueError("role must be 'staff' or 'manager'")
        if not number.strip() or not name.strip():
            raise ValueError("staff number and name must not be empty")
        if not pins.valid_pin_format(pin):
            raise ValueError("PIN must be 4 to 12 digits")
        self.db.execute(
            "INSERT INTO staff (number, name, role, pin_hash, photo) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(number) DO UPDATE SET name = excluded.name, role = excluded.role,"
            " pin_hash = excluded.pin_hash, photo = excluded.photo,"
            " failed_attempts = 0, locked_until = 0",
            [number, name, role, pins.hash_pin(pin), photo],
        )

    def list(self) -> list[StaffRecord]:
        return [
            StaffRecord(r["number"], r["name"], r["role"], r["locked_until"])
            for r in self.db.query("SELECT * FROM staff ORDER BY number")
        ]

    def names(self) -> dict[str, str]:
        return {r["number"]: r["name"] for r in self.db.query("SELECT number, name FROM staff")}

    def has_manager(self) -> bool:
        """Whether any account may sign in as manager (a counter needs at least one)."""
        return self.db.execute(
            "SELECT 1 FROM staff WHERE role = 'manager' LIMIT 1").fetchone() is not None

    def is_empty(self) -> bool:
        return bool(self.db.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0)

    def sign_in(self, number: str, pin: str) -> Staff:
        """The staff member, or SignInError.

        An unknown number and a wrong PIN get the same answer (WRONG) after the same work
        (a dummy hash for an unknown number). Five wrong PINs lock that account for five
        minutes; consecutive wrong sign-ins across numbers slow the counter down (1, 2, 4 … at
        most 30 s between attempts, pins.throttle_delay), never lock it.
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
        if not pins.check_pin(pin, row["pin_hash"]):
            failed = row["failed_attempts"] + 1
            locked_until = now + pins.LOCKOUT_S if failed >= pins.MAX_ATTEMPTS else 0
            self.db.execute(
                "UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE number = ?",
                [0 if locked_until else failed, locked_until, row["number"]],
            )
            self._failed(now)
            if locked_until:
                raise SignInError("Too many wrong PINs: locked for 5 min")
            raise SignInError(WRONG)
        self.db.execute(
            "UPDATE staff SET failed_attempts = 0, locked_until = 0 WHERE number = ?",
            [row["number"]],
        )
        self.db.execute("DELETE FROM meta WHERE key IN (?, ?)", [FAILURES_KEY, LAST_FAILURE_KEY])
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
    ("9001", "陈经理", "manager", "9999"),
)


def ensure_demo_accounts(directory: StaffDirectory) -> None:
    """A fresh demo data folder gets the demo accounts README lists."""
    if directory.is_empty():
        for number, name, role, pin in DEMO_ACCOUNTS:
            directory.add(number, name, role, pin)
