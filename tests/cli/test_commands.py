"""The counter-app command line, in-process and once as `python -m counter_app`."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.cli import main
from counter_app.config import Config
from counter_app.storage.db import open_counter_db
from counter_app.storage.events import EventStore
from counter_app.storage.staff import StaffDirectory
from counter_core.transaction import Draft
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

REPO = Path(__file__).resolve().parents[2]
REQUIRED_COLUMNS = ("id", "hall", "counter", "staff", "type", "started_at", "duration_s",
                    "target_s", "overtime_s", "status", "rating", "rating_reason")


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's zone is UTC: day filters must still count the hall's (Asia/Shanghai) days."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def served(demo_config: Config, data_dir: Path) -> Path:
    """A data folder where 1001 served: rated 5, overtime rated 1 with reason, an untimed one,
    a voided one, and one left not rated."""
    clock = FakeClock()
    svc = CounterService(demo_config, data_dir, clock=clock)
    try:
        svc.sign_in("1001", "1234")
        m = svc.machine
        m.start()
        clock.advance(95.26)
        m.complete()
        m.rate(5)
        clock.advance(31)  # the rating window (fixed from Done) is waited out
        m.start()
        clock.advance(200.04)
        m.complete()
        m.rate(1)
        m.give_rating_reason("slow")
        m.give_overtime_reason("complex")
        m.select_type("enquiry")
        clock.advance(31)  # the rating window (fixed from Done) is waited out
        m.start()
        clock.advance(42.0)
        m.complete()
        clock.advance(31)  # the rating window (fixed from Done) is waited out
        m.start()
        clock.advance(3.0)
        m.void()
        clock.advance(31)  # the rating window (fixed from Done) is waited out
        m.sign_out()
    finally:
        svc.close()
    return data_dir


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export_rows(capsys: pytest.CaptureFixture[str], data_dir: Path,
                *extra: str) -> list[dict[str, str]]:
    code, out, err = run(capsys, "export", "transactions", "--data-dir", str(data_dir), *extra)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


# ---- staff --------------------------------------------------------------------------------------

def test_staff_add_with_pin_on_stdin_then_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("999999\n246810\n"))  # manager's, new
    code, out, _ = run(capsys, "staff", "add", "--data-dir", str(data_dir), "--number", "1077",
                       "--name", "赵磊", "--role", "manager", "--pin-stdin",
                       "--manager", "9001", "--manager-pin-stdin")
    assert code == 0
    assert "1077" in out and "赵磊" in out
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "staff", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["number", "role", "state", "name"]
    listed = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert listed["1077"] == ["manager", "enabled", "赵磊"]
    assert {"1001", "9001"} <= set(listed)  # the demo folder also has the demo accounts
    assert "246810" not in out

    opened = open_counter_db(paths.database_path(data_dir))
    staff = StaffDirectory(opened.db).sign_in("1077", "246810")
    added = opened.db.execute("SELECT payload FROM events WHERE kind = 'staff_added'"
                              " ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert '"staff":"1077"' in added and '"by":"9001"' in added and "赵磊" not in added
    assert staff.is_manager
    raw = opened.db.execute("SELECT pin_hash FROM staff WHERE number = '1077'").fetchone()[0]
    assert raw.startswith("scrypt$")
    opened.db.conn.close()


def test_staff_add_refuses_a_bad_pin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("999999\n12\n"))
    code, _, err = run(capsys, "staff", "add", "--data-dir", str(data_dir), "--number", "1077",
                       "--name", "赵磊", "--pin-stdin", "--manager", "9001",
                       "--manager-pin-stdin")
    assert code == 2
    assert "PIN must be 4 to 12 digits" in err
    code, out, _ = run(capsys, "staff", "list", "--data-dir", str(data_dir))
    assert "1077" not in out


def test_staff_add_asks_twice_without_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    answers = iter(["999999", "1357", "1358"])  # the manager's PIN, then the new one twice
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "staff", "add", "--data-dir", str(data_dir), "--number", "1077",
                       "--name", "赵磊", "--manager", "9001")
    assert code == 2 and "differ" in err


def test_staff_list_with_own_config_has_no_demo_accounts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\n'
                      '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n',
                      encoding="utf-8")
    code, out, _ = run(capsys, "staff", "list", "--config", str(config), "--data-dir",
                       str(data_dir))
    assert code == 0
    assert out.splitlines()[1:] == []


# ---- verify -------------------------------------------------------------------------------------

def test_verify_intact(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    code, out, _ = run(capsys, "verify", "--data-dir", str(served))
    assert code == 0
    events = sqlite3.connect(paths.database_path(served)).execute(
        "SELECT COUNT(*) FROM events").fetchone()[0]
    assert out.startswith(f"OK: {events} events")


def tamper(data_dir: Path, sql: str) -> None:
    conn = sqlite3.connect(paths.database_path(data_dir), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute(sql)
    conn.close()


def rated_seq(data_dir: Path) -> int:
    conn = sqlite3.connect(paths.database_path(data_dir))
    seq = conn.execute("SELECT MIN(seq) FROM events WHERE kind = 'rated'").fetchone()[0]
    conn.close()
    return int(seq)


def test_verify_names_edited_event(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    seq = rated_seq(served)
    tamper(served, f"UPDATE events SET payload = replace(payload, '\"rating\":5', '\"rating\":4')"
                   f" WHERE seq = {seq}")
    code, out, _ = run(capsys, "verify", "--data-dir", str(served))
    assert code != 0
    assert f"sequence {seq}:" in out and "BROKEN" in out


def test_verify_names_deleted_event(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    tamper(served, "DELETE FROM events WHERE seq = 3")
    code, out, _ = run(capsys, "verify", "--data-dir", str(served))
    assert code != 0 and "sequence 3:" in out


def test_verify_finds_file_level_edit(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    """Editing the bytes of the file (no SQL, no triggers) is caught too."""
    path = paths.database_path(served)
    data = path.read_bytes()
    needle = b'"rating":5,'
    assert data.count(needle) == 1
    path.write_bytes(data.replace(needle, b'"rating":3,'))
    code, out, _ = run(capsys, "verify", "--data-dir", str(served))
    assert code != 0 and f"sequence {rated_seq(served)}:" in out


def test_verify_names_projection_mismatch(capsys: pytest.CaptureFixture[str],
                                          served: Path) -> None:
    conn = sqlite3.connect(paths.database_path(served), isolation_level=None)
    conn.execute("UPDATE transactions SET rating = 5 WHERE rating = 1")
    conn.close()
    code, out, _ = run(capsys, "verify", "--data-dir", str(served))
    assert code != 0 and "rating" in out and "projection" in out


def test_verify_without_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "verify", "--data-dir", str(tmp_path / "empty"))
    assert code == 2 and "no counter database" in err


def test_verify_damaged_database(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    path = paths.database_path(served)
    path.write_bytes(b"garbage" * 100 + path.read_bytes()[700:])
    code, _, err = run(capsys, "verify", "--data-dir", str(served))
    assert code == 2 and "damaged" in err
    assert path.exists()  # verify only reads: it never moves or repairs


# ---- export -------------------------------------------------------------------------------------

def test_export_transactions_csv(capsys: pytest.CaptureFixture[str], served: Path) -> None:
    code, out, _ = run(capsys, "export", "transactions", "--data-dir", str(served))
    assert code == 0
    header = out.splitlines()[0].split(",")
    assert all(column in header for column in REQUIRED_COLUMNS)
    assert header[0] == "id"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["status"] for r in rows] == ["completed", "completed", "completed", "voided"]
    fast, slow, untimed, voided = rows
    for row in rows:
        assert (row["hall"], row["counter"], row["staff"]) == ("SH-0001", "03", "1001")
        assert len(row["id"]) == 36
        assert row["started_at"].endswith("Z") and row["started_at"][10] == "T"
    assert (fast["type"], fast["duration_s"], fast["target_s"], fast["overtime_s"]) == (
        "payment", "95.3", "180.0", "0.0")
    assert (fast["rating"], fast["rating_reason"]) == ("5", "")
    # 200.04 s against 180 s: overtime 20.04 s, rounded up to 0.1 s (never down, to 0.0)
    assert (slow["duration_s"], slow["overtime_s"], slow["rating"], slow["rating_reason"]) == (
        "200.0", "20.1", "1", "slow")
    assert slow["overtime_reason"] == "complex"
    assert (untimed["type"], untimed["target_s"], untimed["duration_s"]) == ("enquiry", "", "42.0")
    assert untimed["rating"] == ""
    assert untimed["rating_status"] == "not_rated"
    assert (voided["duration_s"], voided["rating"]) == ("3.0", "")


def test_export_to_a_file(capsys: pytest.CaptureFixture[str], served: Path,
                          tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    code, out, err = run(capsys, "export", "transactions", "--data-dir", str(served),
                         "--output", str(target))
    assert code == 0 and out == ""
    assert "4 transactions" in err
    with target.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 4


@pytest.fixture
def history(data_dir: Path) -> Path:
    """Three transactions on three days, written with their own times."""
    opened = open_counter_db(paths.database_path(data_dir))
    store = EventStore(opened.db, "SH-0001", "03")
    for day, txn in ((10, "a"), (11, "b"), (12, "c")):
        at = f"2026-03-{day:02d}T"
        store.append_timed([
            (at + "00:00:00.000Z", Draft("started", {"txn": txn, "staff": "1001",
                                                    "type": "payment", "target_s": 180.0})),
            (at + "00:01:00.000Z", Draft("completed", {"txn": txn, "duration_s": 60.0,
                                                      "target_s": 180.0, "overtime_s": 0.0})),
        ])
    # 23:59:59.999 on 12 March in the demo hall's zone (UTC+8)
    store.append_timed([("2026-03-12T15:59:59.999Z", Draft(
        "started", {"txn": "d", "staff": "1001", "type": "payment", "target_s": 180.0}))])
    opened.db.conn.close()
    return data_dir


@pytest.mark.parametrize(
    ("args", "expected"),
    [((), ["a", "b", "c", "d"]), (("--from", "2026-03-11"), ["b", "c", "d"]),
     (("--to", "2026-03-11"), ["a", "b"]), (("--from", "2026-03-11", "--to", "2026-03-11"), ["b"]),
     (("--from", "2026-03-12", "--to", "2026-03-12"), ["c", "d"]),
     (("--from", "2026-04-01"), [])],
)
def test_export_date_filters(capsys: pytest.CaptureFixture[str], history: Path,
                             args: tuple[str, ...], expected: list[str]) -> None:
    assert [r["id"] for r in export_rows(capsys, history, *args)] == expected


def test_export_days_are_the_halls_local_days(capsys: pytest.CaptureFixture[str],
                                             history: Path) -> None:
    """In the hall's zone (UTC+8) 2026-03-12T15:59:59.999Z is 23:59:59.999 on 12 March and
    16:00 is already 13 March, whatever zone the machine is set to (UTC here)."""
    rows = export_rows(capsys, history, "--from", "2026-03-12", "--to", "2026-03-12")
    assert [r["id"] for r in rows] == ["c", "d"]
    assert rows[1]["started_at"] == "2026-03-12T15:59:59.999Z"  # stored and shown in UTC
    rows = export_rows(capsys, history, "--from", "2026-03-13", "--to", "2026-03-13")
    assert rows == []


def test_export_to_an_unwritable_place_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "out.csv"
    code, _, err = run(capsys, "export", "transactions", "--data-dir", str(history),
                       "--output", str(target))
    assert code == 2
    assert err.startswith("counter-app: ") and str(target) in err


def test_export_output_dash_is_stdout(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    assert len(export_rows(capsys, history, "--output", "-")) == 4


def test_export_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                          history: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["export", "transactions", "--data-dir", str(history), "--from", "11/03/2026"])
    assert info.value.code == 2
    assert "expected a date YYYY-MM-DD" in capsys.readouterr().err


def test_export_without_what(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, _, err = run(capsys, "export", "--data-dir", str(history))
    assert code == 2 and "say what to do" in err


@pytest.mark.parametrize(
    "argv", [("staff", "list"), ("demo-data", "--days", "1")], ids=["staff", "demo-data"]
)
def test_admin_command_says_loudly_when_the_database_is_damaged(
    capsys: pytest.CaptureFixture[str], served: Path, argv: tuple[str, ...]
) -> None:
    path = paths.database_path(served)
    damaged = b"\x00garbage!" * 20 + path.read_bytes()[200:]
    path.write_bytes(damaged)
    code, _, err = run(capsys, *argv, "--data-dir", str(served))
    assert "damaged" in err.lower(), "a damaged database was handled without a word"
    moved = list(served.glob("damaged-*/counter.sqlite"))
    if moved:  # set aside: the message says where it went
        assert moved[0].read_bytes() == damaged
        assert str(moved[0].parent) in err
    else:  # or refused, leaving the file alone
        assert code == 2 and path.read_bytes() == damaged


# ---- errors and the single writer ---------------------------------------------------------------

def test_malformed_config_exits_2_naming_file_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data_dir: Path
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\nlanguage = "fr"\n'
                      '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n',
                      encoding="utf-8")
    code, out, err = run(capsys, "verify", "--config", str(config), "--data-dir", str(data_dir))
    assert code == 2 and out == ""
    assert str(config) in err and "counter.language" in err and "expected" in err
    assert err.startswith("counter-app: ")


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "no.toml"), "staff", "list")
    assert code == 2 and "file not found" in err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_second_writer_is_refused(capsys: pytest.CaptureFixture[str], demo_config: Config,
                                  data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        code, _, err = run(capsys, "staff", "list", "--data-dir", str(data_dir))
        assert code == 2 and "another Counter App is using" in err and str(data_dir) in err
        monkeypatch.setattr(sys, "stdin", io.StringIO("1234\n"))
        code, _, err = run(capsys, "staff", "add", "--data-dir", str(data_dir), "--number",
                           "5", "--name", "X", "--pin-stdin")
        assert code == 2 and "another Counter App" in err
        from counter_app.storage.db import DatabaseError

        with pytest.raises(DatabaseError, match="another Counter App"):
            CounterService(demo_config, data_dir, clock=FakeClock())
        # readers are welcome while the counter runs
        code, out, _ = run(capsys, "verify", "--data-dir", str(data_dir))
        assert code == 0 and out.startswith("OK")
    finally:
        svc.close()
    code, _, _ = run(capsys, "staff", "list", "--data-dir", str(data_dir))
    assert code == 0  # the lock goes with the counter


def test_second_writer_in_another_process_is_refused(demo_config: Config,
                                                     data_dir: Path) -> None:
    svc = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        result = python_m(["staff", "list", "--data-dir", str(data_dir)])
        assert result.returncode == 2
        assert "another Counter App is using" in result.stderr
    finally:
        svc.close()


# ---- as a real process --------------------------------------------------------------------------

def python_m(argv: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TZ": "UTC"}
    return subprocess.run([sys.executable, "-m", "counter_app", *argv], input=stdin,
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


def test_python_m_counter_app(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = python_m(["staff", "add", "--data-dir", str(data), "--number", "2001", "--name",
                      "Ann", "--pin-stdin", "--manager", "9001", "--manager-pin-stdin"],
                     stdin="999999\n8642\n")
    assert added.returncode == 0, added.stderr
    verified = python_m(["verify", "--data-dir", str(data)])
    assert verified.returncode == 0, verified.stderr
    # log opened, the 4 demo accounts, 2001 added: the staff changes are in the chain
    assert verified.stdout.startswith("OK: 6 events")
    exported = python_m(["export", "transactions", "--data-dir", str(data), "--output", "-"])
    assert exported.returncode == 0
    assert exported.stdout.splitlines()[0].startswith("id,hall,counter,staff")
    bad = python_m(["verify", "--config", str(tmp_path / "none.toml"), "--data-dir", str(data)])
    assert bad.returncode == 2 and "file not found" in bad.stderr
