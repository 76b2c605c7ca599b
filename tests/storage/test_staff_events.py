"""Staff changes are events of the counter's chain, and the staff table is their projection.

Issue 9 item 20: editing the staff table used to pass `verify`, and nothing recorded a PIN
reset, a role change or a lockout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from counter_app.config import load
from counter_app.storage.db import open_counter_db
from counter_app.storage.events import EventStore, verify
from counter_app.storage.staff import (
    DEMO_ACCOUNTS,
    DEMO_IDENTITY,
    PinChangeRequired,
    SignInError,
    StaffDirectory,
    ensure_demo_accounts,
)
from counter_core import events, pins, roster


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def directory(db: sqlite_utils.Database, wall: Wall) -> StaffDirectory:
    staff = StaffDirectory(db, EventStore(db, "H1", "01"), now=wall)
    staff.add("9001", "陈经理", "manager", "246810")
    staff.add("1001", "王芳", "staff", "1234", by="9001")
    return staff


def staff_events(db: sqlite_utils.Database) -> list[tuple[str, dict[str, Any]]]:
    return [(k, json.loads(p)) for k, p in db.execute(
        "SELECT kind, payload FROM events WHERE kind LIKE 'staff_%' ORDER BY seq")]


def pin_hash(db: sqlite_utils.Database, number: str) -> str:
    return str(db.execute("SELECT pin_hash FROM staff WHERE number = ?", [number]).fetchone()[0])


def test_adding_records_number_role_and_pin_digest_never_name_or_hash(
        db: sqlite_utils.Database, directory: StaffDirectory) -> None:
    recorded = staff_events(db)
    assert recorded == [
        (events.STAFF_ADDED, {"staff": "9001", "role": "manager", "by": None,
                              "pin_digest": roster.pin_digest(pin_hash(db, "9001"))}),
        (events.STAFF_ADDED, {"staff": "1001", "role": "staff", "by": "9001",
                              "pin_digest": roster.pin_digest(pin_hash(db, "1001"))}),
    ]
    text = json.dumps(recorded, ensure_ascii=False)
    assert "王芳" not in text and "scrypt" not in text and "1234" not in text
    assert verify(db).ok


def test_a_pin_reset_and_a_role_change_are_recorded(
        db: sqlite_utils.Database, directory: StaffDirectory) -> None:
    directory.add("1001", "王芳", "manager", "135790", by="9001")
    kinds = [(k, p.get("role"), p["by"]) for k, p in staff_events(db)[2:]]
    assert kinds == [(events.STAFF_ROLE_CHANGED, "manager", "9001"),
                     (events.STAFF_PIN_CHANGED, None, "9001")]
    assert verify(db).ok


def test_a_lockout_is_recorded_when_it_starts(
        db: sqlite_utils.Database, directory: StaffDirectory, wall: Wall) -> None:
    for _ in range(pins.MAX_ATTEMPTS):
        wall.now += directory.wait_s()
        with pytest.raises(SignInError):
            directory.sign_in("1001", "0000")
    locked = [p for k, p in staff_events(db) if k == events.STAFF_LOCKED]
    assert locked == [{"staff": "1001", "seconds": pins.LOCKOUT_S}]
    assert verify(db).ok


@pytest.mark.parametrize(("edit", "found"), [
    ("UPDATE staff SET pin_hash = (SELECT pin_hash FROM staff WHERE number = '9001')"
     " WHERE number = '1001'", "staff 1001 differs from its events in: PIN hash"),
    ("UPDATE staff SET role = 'manager' WHERE number = '1001'",
     "staff 1001 differs from its events in: role"),
    ("INSERT INTO staff (number, name, role, pin_hash) VALUES ('7', 'X', 'manager', 'x')",
     "staff 7 is in the staff table but no event added them"),
    ("DELETE FROM staff WHERE number = '1001'",
     "staff 1001 has events but is missing from the staff table"),
])
def test_verify_finds_an_edited_staff_table(db: sqlite_utils.Database,
                                            directory: StaffDirectory, edit: str,
                                            found: str) -> None:
    db.execute(edit)
    report = verify(db)
    assert not report.ok and report.projection_problem == found


def test_the_row_and_its_event_are_one_transaction(
        db: sqlite_utils.Database, directory: StaffDirectory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(drafts: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(directory.store, "append", refuse)
    with pytest.raises(OSError):
        directory.add("1002", "李强", "staff", "1234", by="9001")
    assert db.execute("SELECT COUNT(*) FROM staff WHERE number = '1002'").fetchone()[0] == 0


def test_accounts_from_before_staff_events_are_recorded_once(
        db: sqlite_utils.Database) -> None:
    db.execute("INSERT INTO staff (number, name, role, pin_hash) VALUES (?, ?, ?, ?)",
               ["1001", "王芳", "staff", pins.hash_pin("1234")])
    assert verify(db).ok  # an older folder: nothing to compare yet
    directory = StaffDirectory(db, EventStore(db, "H1", "01"))
    assert directory.record_existing() == 1
    assert directory.record_existing() == 0
    [(kind, payload)] = staff_events(db)
    assert kind == events.STAFF_ADDED and payload["adopted"] is True and payload["by"] is None
    db.execute("INSERT INTO staff (number, name, role, pin_hash) VALUES ('2', 'B', 'staff', 'x')")
    assert directory.record_existing() == 0  # a row slipped in later is not adopted
    assert verify(db).projection_problem == "staff 2 is in the staff table but no event added them"


def test_manager_pins_have_at_least_six_digits(directory: StaffDirectory) -> None:
    with pytest.raises(ValueError, match="at least 6 digits"):
        directory.add("9002", "M", "manager", "12345", by="9001")
    directory.add("9002", "M", "manager", "123456", by="9001")


def test_a_shorter_manager_pin_must_be_changed_at_next_sign_in(
        db: sqlite_utils.Database, directory: StaffDirectory) -> None:
    # an account from an older version, with a 4-digit manager PIN
    db.execute("UPDATE staff SET pin_hash = ? WHERE number = '9001'", [pins.hash_pin("9999")])
    with pytest.raises(PinChangeRequired) as info:
        directory.sign_in("9001", "9999")
    assert info.value.number == "9001"
    with pytest.raises(ValueError, match="at least 6 digits"):
        directory.change_pin("9001", "9999", "1234")
    directory.change_pin("9001", "9999", "864200")
    assert directory.sign_in("9001", "864200").is_manager
    kind, payload = staff_events(db)[-1]
    assert kind == events.STAFF_PIN_CHANGED and payload["by"] == "9001"
    assert payload["pin_digest"] == roster.pin_digest(pin_hash(db, "9001"))


def test_a_pin_change_with_a_wrong_old_pin_counts_as_a_wrong_sign_in(
        directory: StaffDirectory) -> None:
    with pytest.raises(SignInError, match="Unknown staff number or wrong PIN"):
        directory.change_pin("1001", "0000", "5678")
    assert directory._throttle()[0] == 1
    with pytest.raises(SignInError, match="Unknown staff number or wrong PIN"):
        directory.change_pin("4242", "0000", "5678")  # unknown: the same answer


def test_a_manager_authorizes_and_a_clerk_does_not(directory: StaffDirectory) -> None:
    assert directory.authorize_manager("9001", "246810").number == "9001"
    with pytest.raises(SignInError, match="not a manager"):
        directory.authorize_manager("1001", "1234")
    with pytest.raises(SignInError, match="wrong PIN"):
        directory.authorize_manager("9001", "000000")


def test_the_demo_accounts_are_events_of_the_demo_counter(db: sqlite_utils.Database) -> None:
    directory = StaffDirectory(db)
    ensure_demo_accounts(directory)
    demo = load()
    assert (demo.hall_id, demo.counter_id) == DEMO_IDENTITY
    assert {r[0] for r in db.execute("SELECT DISTINCT hall || '/' || counter FROM events")} \
        == {"SH-0001/03"}
    assert len(staff_events(db)) == len(DEMO_ACCOUNTS)
    manager_pin = next(pin for _, _, role, pin in DEMO_ACCOUNTS if role == "manager")
    assert len(manager_pin) >= pins.MANAGER_MIN_DIGITS
    assert verify(db).ok
