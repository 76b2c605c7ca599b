"""Staff accounts: numbers, names, roles, PIN hashes and lockouts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from counter_core import pins
from counter_core.transaction import Staff


class SignInError(Exception):
    """Why a sign-in was refused, in words for the staff member."""


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

    def is_empty(self) -> bool:
        return bool(self.db.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0)

    def sign_in(self, number: str, pin: str) -> Staff:
        """The staff member, or SignInError; five wrong PINs lock the account for five minutes."""
        rows = list(self.db.query("SELECT * FROM staff WHERE number = ?", [number.strip()]))
        if not rows:
            raise SignInError("Unknown staff number or wrong PIN")
        row = rows[0]
        now = self._now()
        locked_until = row["locked_until"]
        if locked_until > now + pins.LOCKOUT_S:
            # the wall clock stepped back since the lock: never lock longer than LOCKOUT_S
            locked_until = now + pins.LOCKOUT_S
            self.db.execute("UPDATE staff SET locked_until = ? WHERE number = ?",
                            [locked_until, row["number"]])
        if locked_until > now:
            minutes = max(1, round((locked_until - now) / 60))
            raise SignInError(f"Too many wrong PINs: locked for about {minutes} min")
        if not pins.check_pin(pin, row["pin_hash"]):
            failed = row["failed_attempts"] + 1
            locked_until = now + pins.LOCKOUT_S if failed >= pins.MAX_ATTEMPTS else 0
            self.db.execute(
                "UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE number = ?",
                [0 if locked_until else failed, locked_until, row["number"]],
            )
            if locked_until:
                raise SignInError("Too many wrong PINs: locked for 5 min")
            left = pins.MAX_ATTEMPTS - failed
            raise SignInError(f"Unknown staff number or wrong PIN ({left} tries left)")
        self.db.execute(
            "UPDATE staff SET failed_attempts = 0, locked_until = 0 WHERE number = ?",
            [row["number"]],
        )
        return Staff(row["number"], row["name"], row["role"], row["photo"])


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
