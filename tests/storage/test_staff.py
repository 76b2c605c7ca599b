"""Staff accounts: PINs stored as scrypt hashes, five wrong PINs lock for five minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import EventStore
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
def db(path: Path) -> Iterator[Database]:
    opened = open_counter_db(path)
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def directory(db: Database, wall: WallClock) -> StaffDirectory:
    staff = StaffDirectory(db, EventStore(db, "H1", "01"), now=wall)
    staff.add("1001", "王芳", "staff", "1234")
    staff.add("9001", "陈经理", "manager", "987654")
    return staff


def wrong(directory: StaffDirectory, times: int, number: str = "1001") -> list[str]:
    """`times` wrong PINs, each after the counter-wide throttle's wait (the clock moves on)."""
    messages = []
    for _ in range(times):
        wall = directory._now
        assert isinstance(wall, WallClock)
        wall.now += directory.wait_s()
        with pytest.raises(SignInError) as info:
            directory.sign_in(number, "0000")
        messages.append(str(info.value))
    return messages


def test_pin_stored_only_as_scrypt_hash(directory: StaffDirectory, path: Path,
                                        db: Database) -> None:
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
    assert messages[:4] == ["Unknown staff number or wrong PIN"] * 4  # no "tries left"
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
    assert wrong(directory, 4) == ["Unknown staff number or wrong PIN"] * 4
    assert "locked for 5 min" in wrong(directory, 1)[0]


def test_lockout_survives_reopening(path: Path, wall: WallClock) -> None:
    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, EventStore(opened.db, "H1", "01"), now=wall)
    directory.add("1001", "王芳", "staff", "1234")
    wrong(directory, 3)
    opened.db.conn.close()

    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, EventStore(opened.db, "H1", "01"), now=wall)
    assert "locked" in wrong(directory, 2)[-1]  # the count survived too
    opened.db.conn.close()

    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, EventStore(opened.db, "H1", "01"), now=wall)
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


def test_add_again_updates_and_unlocks(directory: StaffDirectory, wall: WallClock) -> None:
    wrong(directory, 5)
    directory.add("1001", "王芳芳", "manager", "567890")
    wall.now += directory.wait_s()  # the counter-wide throttle still runs
    staff = directory.sign_in("1001", "567890")
    assert (staff.name, staff.role) == ("王芳芳", "manager")
    with pytest.raises(SignInError):
        directory.sign_in("1001", "1234")


def test_list_names_and_empty(db: Database) -> None:
    directory = StaffDirectory(db, EventStore(db, "H1", "01"))
    assert directory.is_empty()
    directory.add("2", "B", "staff", "1234")
    directory.add("1", "A", "manager", "123456")
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
    wall.now += directory.wait_s()  # the throttle's wait, also from now after the step back
    assert directory.sign_in("1001", "1234").number == "1001"


# ---- item 13: a stranger learns nothing about which numbers are real ----------------------

def test_unknown_number_and_wrong_pin_get_the_same_answer_every_time(
        directory: StaffDirectory) -> None:
    """No "tries left" for a real number: the old code answered "(4 tries left)" there only."""
    for _ in range(4):
        assert wrong(directory, 1, "1001") == wrong(directory, 1, "5555")


def test_an_unknown_number_costs_a_pin_hash_like_a_wrong_pin(
        directory: StaffDirectory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same timing within reason: an unknown number runs scrypt as a wrong PIN does."""
    hashed: list[str] = []
    real = pins.check_pin

    def counting(pin: str, stored: str) -> bool:
        hashed.append(pin)
        return real(pin, stored)

    monkeypatch.setattr(pins, "check_pin", counting)
    wrong(directory, 1, "5555")
    assert hashed == ["0000"]
    wrong(directory, 1, "1001")
    assert hashed == ["0000", "0000"]


def test_an_unknown_number_takes_as_long_as_a_wrong_pin(directory: StaffDirectory) -> None:
    import time

    def took(number: str) -> float:
        start = time.perf_counter()
        wrong(directory, 1, number)
        return time.perf_counter() - start

    took("5555")  # the dummy hash is made once, at the first unknown number
    known = min(took("1001") for _ in range(2))
    unknown = min(took("5555") for _ in range(2))
    assert unknown > known / 3, (unknown, known)  # µs against ~50 ms before


def test_wrong_sign_ins_across_numbers_slow_the_counter_down_to_30_s(
        directory: StaffDirectory, wall: WallClock) -> None:
    numbers = [f"{n}" for n in range(2000, 2005)]  # none exists: no account gets locked
    for number in numbers:
        assert wrong(directory, 1, number) == ["Unknown staff number or wrong PIN"]
    waits = []
    for n in range(3000, 3008):
        number = str(n)
        waits.append(directory.wait_s())
        with pytest.raises(SignInError, match=r"Too many wrong sign-ins: wait \d+ s") as info:
            directory.sign_in(number, "1234")  # too soon: not even heard
        assert info.value.wait_s == waits[-1]
        wall.now += waits[-1]
        with pytest.raises(SignInError, match="wrong PIN"):
            directory.sign_in(number, "1234")
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    # never a lockout of the counter: once the wait has passed, the right PIN signs in
    wall.now += directory.wait_s()
    assert directory.sign_in("1001", "1234").number == "1001"
    assert directory.wait_s() == 0  # and a success resets the throttle
    assert wrong(directory, 1, "5555") == ["Unknown staff number or wrong PIN"]
    assert directory.wait_s() == 0


def test_the_throttle_survives_a_restart_and_a_clock_step_back(
        path: Path, wall: WallClock) -> None:
    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, EventStore(opened.db, "H1", "01"), now=wall)
    for _ in range(10):
        wrong(directory, 1, "5555")
    opened.db.conn.close()
    opened = open_counter_db(path)
    directory = StaffDirectory(opened.db, EventStore(opened.db, "H1", "01"), now=wall)
    assert directory.wait_s() == 30
    wall.now -= 86400  # the clock stepped back a day: still at most 30 s
    assert directory.wait_s() == 30
    wall.now += 30
    assert directory.wait_s() == 0
    opened.db.conn.close()


def test_a_locked_account_still_says_locked_during_the_throttle(
        directory: StaffDirectory) -> None:
    """The UI's lockout flow: five wrong PINs at once, then the right PIN is refused as locked."""
    for _ in range(5):
        with pytest.raises(SignInError):
            directory.sign_in("1001", "0000")
    with pytest.raises(SignInError, match="locked"):
        directory.sign_in("1001", "1234")
