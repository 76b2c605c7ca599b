"""Staff changes are events of the counter's chain, and the staff table is their projection.

Issue 9 item 20: editing the staff table used to pass `verify`, and nothing recorded a PIN
reset, a role change or a lockout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from counter_app.config import load
from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import EventStore, stored_events, verify
from counter_app.storage.staff import (
    DEMO_ACCOUNTS,
    DEMO_IDENTITY,
    PinChangeRequired,
    SignInError,
    StaffDirectory,
    ensure_demo_accounts,
)
from counter_core import events, pins, roster
from counter_core.chain import Event
from tests.helpers.hq import HqServer


class Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def directory(db: Database, wall: Wall) -> StaffDirectory:
    staff = StaffDirectory(db, EventStore(db, "H1", "01"), now=wall)
    staff.add("9001", "陈经理", "manager", "246810")
    staff.add("1001", "王芳", "staff", "1234", by="9001")
    return staff


def staff_events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    return [(k, json.loads(p)) for k, p in db.execute(
        "SELECT kind, payload FROM events WHERE kind LIKE 'staff_%' ORDER BY seq")]


def pin_hash(db: Database, number: str) -> str:
    return str(db.execute("SELECT pin_hash FROM staff WHERE number = ?", [number]).fetchone()[0])


def test_adding_records_number_role_and_pin_digest_never_name_or_hash(
        db: Database, directory: StaffDirectory) -> None:
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
        db: Database, directory: StaffDirectory) -> None:
    directory.add("1001", "王芳", "manager", "135790", by="9001")
    kinds = [(k, p.get("role"), p["by"]) for k, p in staff_events(db)[2:]]
    assert kinds == [(events.STAFF_ROLE_CHANGED, "manager", "9001"),
                     (events.STAFF_PIN_CHANGED, None, "9001")]
    assert verify(db).ok


def test_a_lockout_is_recorded_when_it_starts(
        db: Database, directory: StaffDirectory, wall: Wall) -> None:
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
def test_verify_finds_an_edited_staff_table(db: Database,
                                            directory: StaffDirectory, edit: str,
                                            found: str) -> None:
    db.execute(edit)
    report = verify(db)
    assert not report.ok and report.projection_problem == found


def test_the_row_and_its_event_are_one_transaction(
        db: Database, directory: StaffDirectory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(drafts: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(directory.store, "append", refuse)
    with pytest.raises(OSError):
        directory.add("1002", "李强", "staff", "1234", by="9001")
    assert db.execute("SELECT COUNT(*) FROM staff WHERE number = '1002'").fetchone()[0] == 0


def test_accounts_from_before_staff_events_are_recorded_once(
        db: Database) -> None:
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
        db: Database, directory: StaffDirectory) -> None:
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


def test_the_demo_accounts_are_events_of_the_demo_counter(db: Database) -> None:
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


# ---- disabling an account (item 20, last part) ----------------------------------------------

def kinds_after(db: Database, seen: int) -> list[str]:
    return [k for k, _ in staff_events(db)[seen:]]


def test_disabling_and_enabling_are_recorded_with_the_number_and_the_manager_only(
        db: Database, directory: StaffDirectory) -> None:
    directory.disable("1001", by="9001")
    assert staff_events(db)[-1] == (events.STAFF_DISABLED, {"staff": "1001", "by": "9001"})
    assert {r.number: r.disabled for r in directory.list()} == {"1001": True, "9001": False}
    assert roster.fold(EventStore(db, "H1", "01").events())["1001"].disabled
    assert verify(db).ok
    directory.enable("1001", by="9001")
    assert staff_events(db)[-1] == (events.STAFF_ENABLED, {"staff": "1001", "by": "9001"})
    assert not any(r.disabled for r in directory.list())
    assert verify(db).ok


def test_a_disabled_account_signs_in_no_more_and_a_wrong_pin_gives_nothing_away(
        db: Database, directory: StaffDirectory, wall: Wall) -> None:
    directory.disable("1001", by="9001")
    with pytest.raises(SignInError) as wrong:
        directory.sign_in("1001", "0000")
    with pytest.raises(SignInError) as unknown:
        directory.sign_in("4242", "0000")
    assert str(wrong.value) == str(unknown.value) == "Unknown staff number or wrong PIN"
    assert directory._throttle()[0] == 2  # counted like any wrong sign-in
    wall.now += directory.wait_s()
    with pytest.raises(SignInError, match=r"^This account is disabled$"):
        directory.sign_in("1001", "1234")
    directory.enable("1001", by="9001")
    assert directory.sign_in("1001", "1234").number == "1001"


@pytest.mark.parametrize(("number", "by", "found"), [
    ("4242", "9001", "there is no staff account 4242"),
    ("9001", "9001", "a manager cannot disable their own account"),
    ("9001", None, "staff 9001 is the last enabled manager"),
])
def test_refused_disables_record_nothing(db: Database, directory: StaffDirectory,
                                         number: str, by: str | None, found: str) -> None:
    seen = len(staff_events(db))
    with pytest.raises(ValueError, match=found):
        directory.disable(number, by=by)
    assert kinds_after(db, seen) == []
    assert not any(r.disabled for r in directory.list())


def test_disabling_twice_or_enabling_an_enabled_account_records_nothing(
        db: Database, directory: StaffDirectory) -> None:
    with pytest.raises(ValueError, match="staff 1001 is already enabled"):
        directory.enable("1001", by="9001")
    directory.disable("1001", by="9001")
    seen = len(staff_events(db))
    with pytest.raises(ValueError, match="staff 1001 is already disabled"):
        directory.disable("1001", by="9001")
    assert kinds_after(db, seen) == []
    with pytest.raises(ValueError, match="there is no staff account 4242"):
        directory.enable("4242", by="9001")


def test_a_disabled_manager_is_no_manager(db: Database,
                                          directory: StaffDirectory) -> None:
    directory.add("9002", "M2", "manager", "135790", by="9001")
    directory.disable("9001", by="9002")
    assert directory.has_manager()  # 9002
    with pytest.raises(SignInError, match="This account is disabled"):
        directory.authorize_manager("9001", "246810")
    # 9002 is now the last enabled manager: neither disabled nor made staff
    with pytest.raises(ValueError, match="last enabled manager"):
        directory.disable("9002", by=None)
    with pytest.raises(ValueError, match="last enabled manager"):
        directory.add("9002", "M2", "staff", "1357", by="9002")
    assert directory.authorize_manager("9002", "135790").number == "9002"
    # with the only manager disabled (an edited table), the folder has no manager
    db.execute("UPDATE staff SET disabled = 1 WHERE number = '9002'")
    assert not directory.has_manager()


def test_adding_a_disabled_number_again_keeps_it_disabled(
        db: Database, directory: StaffDirectory) -> None:
    directory.disable("1001", by="9001")
    directory.add("1001", "王芳", "staff", "5678", by="9001")
    with pytest.raises(SignInError, match="This account is disabled"):
        directory.sign_in("1001", "5678")
    assert verify(db).ok


@pytest.mark.parametrize(("disable_first", "edit"), [
    (False, "UPDATE staff SET disabled = 1 WHERE number = '1001'"),
    (True, "UPDATE staff SET disabled = 0 WHERE number = '1001'"),
])
def test_verify_finds_a_disabled_state_edited_by_hand(
        db: Database, directory: StaffDirectory, disable_first: bool,
        edit: str) -> None:
    if disable_first:
        directory.disable("1001", by="9001")
    assert verify(db).ok
    db.execute(edit)
    report = verify(db)
    assert not report.ok
    assert report.projection_problem == "staff 1001 differs from its events in: disabled"


def test_the_fold_knows_every_staff_kind_and_treats_no_other_as_a_role_change(
        db: Database, directory: StaffDirectory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    directory.disable("1001", by="9001")
    log = list(EventStore(db, "H1", "01").events())
    folded = roster.fold(log)
    assert folded["1001"].disabled and folded["1001"].role == "staff"
    assert not folded["9001"].disabled
    never_added = [*log, replace_kind(log[-1], events.STAFF_ENABLED, {"staff": "77", "by": None})]
    with pytest.raises(ValueError, match="staff_enabled for staff 77, who was never added"):
        roster.fold(never_added)
    # a staff kind the fold was not taught is an error, never read as a role change
    monkeypatch.setattr(events, "STAFF_KINDS", events.STAFF_KINDS | {"staff_renamed"})
    renamed = [*log, replace_kind(log[-1], "staff_renamed", {"staff": "1001", "role": "x"})]
    with pytest.raises(ValueError, match="staff_renamed is a staff kind the roster does not"):
        roster.fold(renamed)


def replace_kind(event: Event, kind: str, payload: dict[str, Any]) -> Event:
    return replace(event, kind=kind, payload=payload)


def test_head_office_accepts_the_disable_and_enable_events(
        db: Database, directory: StaffDirectory, hq_sqlite: HqServer) -> None:
    directory.disable("1001", by="9001")
    directory.enable("1001", by="9001")
    token = hq_sqlite.enroll("H1", "01")
    log = stored_events(db, 0, 100)
    answer = httpx.post(f"{hq_sqlite.url}/api/v1/events", timeout=30,
                        json={"events": [e.as_dict() for e in log]},
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["aside"] == [] and answer.json()["stored"] == len(log)
    assert {e.kind for e in log} >= {events.STAFF_DISABLED, events.STAFF_ENABLED}
