"""Staff accounts: PINs stored as scrypt hashes, five wrong PINs lock for five minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from counter_app.storage.db import open_counter_db
from counter_app.storage.staff import SignInError, StaffDirectory
from counter_core import pins
from counter_core.transaction import Staff


class WallClock:
    """A wall clock the test sets by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "counter.sqlite"


@pytest.fixture
def db(path: Path) -> Iterator[sqlite_utils.Database]:
    opened = open_counter_db(path)
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def directory(db: sqlite_utils.Database, wall: WallClock) -> StaffDirectory:
    staff = StaffDirectory(db, now=wall)
    staff.add("1001", "王芳", "staff", "1234")
    staff.add("9001", "陈经理", "manager", "987654")
    return staff


def wrong(directory: StaffDirectory, times: int, number: str = "1001") -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(SignInError) as info:
            directory.sign_in(number, "0000")
        messages.append(str(info.value))
    return messages


def test_pin_stored_only_as_scrypt_hash(directory: StaffDirectory, path: Path,
                                        db: sqlite_utils.Database) -> None:
    stored = db.execute("SELECT pin_hash FROM staff WHERE number = '1001'").fetchone()[0]
    assert stored.startswith("scrypt$")
    assert "1234" not in stored.split("$")[-1] and stored != "1234"
    assert pins.check_pin("1234", stored)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = path.read_bytes()
    assert b"987654" not in raw  # not even somewhere else in the file


def test_sign_in_returns_staff(directory: StaffDirectory) -> None:
    assert directory.sign_in("1001", "1234") == Staff("1001", "王芳", "staff")
    manager = directory.sign_in(" 9001 ", "987654")
    assert manager.is_manager and manager.number == "9001"


def test_unknown_number_and_wrong_pin_look_alike(directory: StaffDirectory) -> None:
    with pytest.raises(SignInError, match="Unknown staff number or wrong PIN"):
        directory.sign_in("5555", "1234")
    with pytest.raises(SignInError, match="Unknown staff number or wrong PIN"):
        directory.sign_in("1001", "4321")


def test_five_wrong_pins_lock_for_five_minutes(directory: StaffDirectory,
                                               wall: WallClock) -> None:
    messages = wrong(directory, 5)
    assert [m.rsplit("(", 1)[-1] for m in messages[:4]] == [
        "4 tries left)", "3 tries left)", "2 tries left)", "1 tries left)"]
    assert "locked for 5 min" in messages[4]
    record = next(r for r in directory.list() if r.number == "1001")
    assert record.locked_until == wall.now + 300
    wall.now += 299
    with pytest.raises(SignInError, match="locked"):
        directory.sign_in("1001", "1234")  # even the right PIN
    assert directory.sign_in("9001", "987654").number == "9001"  # others unaffected
    wall.now += 1.5
    assert directory.sign_in("1001", "1234").number == "1001"


def test_lock_message_counts_down(directory: StaffDirectory, wall: WallClock) -> None:
    wrong(directory, 5)
    wall.now += 60
    with pytest.raises(SignInError, match="about 4 min"):
        directory.sign_in("1001", "1234")
    wall.now += 230
    with pytest.raises(SignInError, match="about 1 min"):
        directory.sign_in("1001", "1234")


def test_right_pin_resets_the_count(directory: StaffDirectory) -> None:
    wrong(directory, 4)
    directory.sign_in("1001", "1234")
    messages = wrong(directory, 4)
    assert "locked" not in " ".join(messages)


def test_after_lock_expiry_the_count_starts_again(directory: StaffDirectory,
                                                  wall: WallClock) -> None:
    wrong(directory, 5)
    wall.now += 301
    assert "4 tries left" in wrong(directory, 1)[0]


def test_lockout_survives_reopening(path: Path, wall: WallClock) -> None:
    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, now=wall)
    directory.add("1001", "王芳", "staff", "1234")
    wrong(directory, 3)
    opened.db.conn.close()

    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, now=wall)
    assert "locked" in wrong(directory, 2)[-1]  # the count survived too
    opened.db.conn.close()

    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, now=wall)
    with pytest.raises(SignInError, match="locked"):
        directory.sign_in("1001", "1234")
    wall.now += 300.5
    assert directory.sign_in("1001", "1234").name == "王芳"
    opened.db.conn.close()


def test_add_validates(directory: StaffDirectory) -> None:
    with pytest.raises(ValueError, match="role"):
        directory.add("1002", "李强", "admin", "1234")
    with pytest.raises(ValueError, match="empty"):
        directory.add(" ", "李强", "staff", "1234")
    with pytest.raises(ValueError, match="empty"):
        directory.add("1002", "", "staff", "1234")
    with pytest.raises(ValueError, match="PIN"):
        directory.add("1002", "李强", "staff", "12")
    with pytest.raises(ValueError, match="PIN"):
        directory.add("1002", "李强", "staff", "abcd")
    assert [r.number for r in directory.list()] == ["1001", "9001"]


def test_add_again_updates_and_unlocks(directory: StaffDirectory) -> None:
    wrong(directory, 5)
    directory.add("1001", "王芳芳", "manager", "5678")
    staff = directory.sign_in("1001", "5678")
    assert (staff.name, staff.role) == ("王芳芳", "manager")
    with pytest.raises(SignInError):
        directory.sign_in("1001", "1234")


def test_list_names_and_empty(db: sqlite_utils.Database) -> None:
    directory = StaffDirectory(db)
    assert directory.is_empty()
    directory.add("2", "B", "staff", "1234")
    directory.add("1", "A", "manager", "1234")
    assert not directory.is_empty()
    assert [(r.number, r.role) for r in directory.list()] == [("1", "manager"), ("2", "staff")]
    assert directory.names() == {"1": "A", "2": "B"}


def test_a_wall_clock_step_back_does_not_stretch_the_lockout(directory: StaffDirectory,
                                                             wall: WallClock) -> None:
    """Locked while the PC clock ran a day fast; NTP then corrects it. The lock may not last
    longer than five minutes from when the counter next looks, rather than a day."""
    wall.now += 86400.0
    wrong(directory, 5)
    wall.now -= 86400.0  # the correction
    with pytest.raises(SignInError, match=r"locked for about [1-5] min"):
        directory.sign_in("1001", "1234")
    wall.now += pins.LOCKOUT_S + 1
    assert directory.sign_in("1001", "1234").number == "1001"
