"""`counter-app staff`: a manager's number and PIN for every change (the first manager of a new
data folder excepted), refused when a hall server or head office keeps the roster (item 20)."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.cli import main
from counter_app.storage.db import open_counter_db
from counter_app.storage.events import verify

CONFIG = '''[hall]
id = "H7"
name = "Hall"
[counter]
id = "02"
language = "en"
{roster}
[[transaction_types]]
code = "payment"
name_zh = "交费"
name_en = "Payment"
target_s = 180
'''


#: head office's roster needs head office with its signing key (a configuration error without)
HEAD_OFFICE = ('[head_office]\nurl = "http://127.0.0.1:1"\ntoken = "t"\n'
               f'signing_key = "{base64.b64encode(bytes(range(32))).decode()}"\n')


def own_config(tmp_path: Path, roster: str = "") -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(CONFIG.format(roster=roster), encoding="utf-8")
    return path


def staff(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, config: Path,
          data_dir: Path, stdin: str, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--config", str(config), "--data-dir", str(data_dir), "staff", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def add(number: str, role: str = "staff", *extra: str) -> list[str]:
    return ["add", "--number", number, "--name", f"N{number}", "--role", role, "--pin-stdin",
            *extra]


@pytest.fixture
def folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A real counter's folder with its first manager, 9001 (PIN 246810)."""
    config, data_dir = own_config(tmp_path), tmp_path / "data"
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n", *add("9001", "manager"))
    assert code == 0, err
    return config, data_dir


def test_the_first_manager_needs_no_credentials_but_must_be_a_manager(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = own_config(tmp_path), tmp_path / "data"
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "1234\n", *add("1001"))
    assert code == 2 and "no manager yet" in err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "24681\n",
                         *add("9001", "manager"))
    assert code == 2 and "at least 6 digits" in err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                         *add("9001", "manager"))
    assert code == 0, err


def test_a_change_without_a_manager_is_refused(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    # no credentials: neither a PIN reset of the manager nor a new manager
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "111111\n",
                         *add("9001", "manager"))
    assert code == 2 and "--manager NUMBER" in err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "000000\n111111\n",
                         *add("9002", "manager", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 2 and "manager sign-in refused" in err
    code, out, _ = staff(capsys, monkeypatch, config, data_dir, "", "list")
    assert "9002" not in out


def test_a_manager_adds_staff_and_the_change_names_them(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n1234\n",
                           *add("1001", "staff", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 0, err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "1234\n5678\n",
                         *add("1002", "staff", "--manager", "1001", "--manager-pin-stdin"))
    assert code == 2 and "not a manager" in err
    opened = open_counter_db(paths.database_path(data_dir))
    try:
        bys = [row[0] for row in opened.db.execute(
            "SELECT json_extract(payload, '$.by') FROM events WHERE kind = 'staff_added'"
            " ORDER BY seq")]
        assert bys == [None, "9001"]
        assert verify(opened.db).ok
    finally:
        opened.db.conn.close()


def test_staff_pin_changes_ones_own_pin(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "000000\n135790\n",
                         "pin", "--number", "9001", "--pin-stdin")
    assert code == 2 and "PIN not changed" in err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n135790\n",
                           "pin", "--number", "9001", "--pin-stdin")
    assert code == 0, err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "135790\n1234\n",
                         *add("1001", "staff", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 0, err


@pytest.mark.parametrize(("managed_by", "who"), [("hall_server", "the hall server"),
                                                 ("head_office", "head office")])
def test_refused_when_the_roster_is_managed_elsewhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        managed_by: str, who: str) -> None:
    # the hall server's roster needs the hall server (a configuration error without it)
    hall_server = '[hall_server]\nurl = "http://127.0.0.1:1"\ntoken = "t"\n'
    config = own_config(tmp_path, f'[roster]\nmanaged_by = "{managed_by}"\n'
                        + (hall_server if managed_by == "hall_server" else HEAD_OFFICE))
    data_dir = tmp_path / "data"
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                         *add("9001", "manager"))
    assert code == 2 and f"managed by {who}" in err
    assert not paths.database_path(data_dir).exists()


def test_an_unknown_roster_manager_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = own_config(tmp_path, '[roster]\nmanaged_by = "cloud"\n')
    code, _, err = staff(capsys, monkeypatch, config, tmp_path / "d", "", "list")
    assert code == 2 and "roster.managed_by" in err


def change(action: str, number: str, manager: str = "9001") -> list[str]:
    return [action, "--number", number, "--manager", manager, "--manager-pin-stdin"]


def staff_kinds(data_dir: Path) -> list[tuple[str, str, str | None]]:
    opened = open_counter_db(paths.database_path(data_dir))
    try:
        assert verify(opened.db).ok
        return [(k, n, b) for k, n, b in opened.db.execute(
            "SELECT kind, json_extract(payload, '$.staff'), json_extract(payload, '$.by')"
            " FROM events WHERE kind IN ('staff_disabled', 'staff_enabled') ORDER BY seq")]
    finally:
        opened.db.conn.close()


def test_a_manager_disables_and_enables_a_clerk_and_list_shows_the_state(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n1234\n",
                         *add("1001", "staff", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 0, err
    code, out, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                           *change("disable", "1001"))
    assert (code, out) == (0, "staff 1001 disabled\n"), err
    code, out, _ = staff(capsys, monkeypatch, config, data_dir, "", "list")
    lines = out.splitlines()
    assert lines[0].split() == ["number", "role", "state", "name"]
    assert lines[1].split() == ["1001", "staff", "disabled", "N1001"]
    assert lines[2].split() == ["9001", "manager", "enabled", "N9001"]
    code, out, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                           *change("enable", "1001"))
    assert (code, out) == (0, "staff 1001 enabled\n"), err
    code, out, _ = staff(capsys, monkeypatch, config, data_dir, "", "list")
    assert out.splitlines()[1].split() == ["1001", "staff", "enabled", "N1001"]
    assert staff_kinds(data_dir) == [("staff_disabled", "1001", "9001"),
                                     ("staff_enabled", "1001", "9001")]


def test_disable_needs_a_manager_and_refuses_clearly(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n1234\n",
                         *add("1001", "staff", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 0, err
    refusals = [
        ("000000\n", change("disable", "1001"), "manager sign-in refused"),
        ("1234\n", change("disable", "9001", manager="1001"), "not a manager"),
        ("246810\n", change("disable", "9001"),
         "staff 9001 not disabled: a manager cannot disable their own account"),
        ("246810\n", change("disable", "4242"),
         "staff 4242 not disabled: there is no staff account 4242"),
        ("246810\n", change("enable", "1001"),
         "staff 1001 not enabled: staff 1001 is already enabled"),
    ]
    for stdin, argv, message in refusals:
        code, _, err = staff(capsys, monkeypatch, config, data_dir, stdin, *argv)
        assert code == 2 and message in err and "Traceback" not in err, (argv, err)
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "", "disable", "--number", "1001")
    assert code == 2 and "a manager's number and PIN are needed" in err
    code, _, _ = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                       *change("disable", "1001"))
    assert code == 0
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                         *change("disable", "1001"))
    assert code == 2 and "staff 1001 is already disabled" in err
    assert staff_kinds(data_dir) == [("staff_disabled", "1001", "9001")]


def test_a_disabled_manager_cannot_authorize_nor_disable_the_last_manager(
        folder: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config, data_dir = folder
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n135790\n",
                         *add("9002", "manager", "--manager", "9001", "--manager-pin-stdin"))
    assert code == 0, err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "135790\n",
                         *change("disable", "9001", manager="9002"))
    assert code == 0, err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                         *change("enable", "9001"))
    assert code == 2 and "manager sign-in refused: This account is disabled" in err
    # 9002 is the last enabled manager: it cannot disable itself, and `add` still needs it
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "135790\n",
                         *change("disable", "9002", manager="9002"))
    assert code == 2 and "cannot disable their own account" in err
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "1111\n", *add("1001"))
    assert code == 2 and "--manager NUMBER" in err  # a manager is still there: 9002


@pytest.mark.parametrize("action", ["disable", "enable"])
def test_disable_and_enable_are_refused_when_the_roster_is_managed_elsewhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        action: str) -> None:
    config = own_config(tmp_path, '[roster]\nmanaged_by = "head_office"\n' + HEAD_OFFICE)
    data_dir = tmp_path / "data"
    code, _, err = staff(capsys, monkeypatch, config, data_dir, "246810\n",
                         *change(action, "1001"))
    assert code == 2 and "managed by head office" in err
    assert not paths.database_path(data_dir).exists()
