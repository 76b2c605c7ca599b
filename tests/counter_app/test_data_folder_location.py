"""Where a counter's records live, and who may read them (issue 9 item 19).

The data folder used to be per OS user and shared by the demo and real configurations: each
clerk's login had a chain of its own, and a shortcut without `--config` appended demo events
to the real chain.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from counter_app import config as config_module
from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.errors import CannotOpen
from counter_app.cli import main
from counter_app.cli.common import CliError, data_dir_for, secret_warnings
from counter_app.storage.folder import (
    FolderOfAnotherCounter,
    folder_identity,
    open_data_folder,
)
from tests.helpers.clock import FakeClock

CONFIG = '''[hall]
id = "{hall}"
name = "Hall"
[counter]
id = "{counter}"
language = "en"
{extra}
[[transaction_types]]
code = "payment"
name_zh = "交费"
name_en = "Payment"
target_s = 180
'''

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def write_config(tmp_path: Path, hall: str = "H7", counter: str = "02", extra: str = "",
                 name: str = "counter.toml") -> Path:
    path = tmp_path / name
    path.write_text(CONFIG.format(hall=hall, counter=counter, extra=extra), encoding="utf-8")
    return path


@pytest.fixture
def machine_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "machine"
    monkeypatch.setattr(paths, "machine_data_root", lambda: root)
    monkeypatch.setattr(paths, "user_data_root", lambda: tmp_path / "user")
    return root


def test_the_demo_and_a_real_counter_have_different_folders(
        tmp_path: Path, machine_root: Path) -> None:
    demo = config_module.load()
    real = config_module.load(write_config(tmp_path))
    assert data_dir_for(None, demo) == tmp_path / "user" / "demo"
    assert data_dir_for(None, real) == machine_root / "H7-02"
    assert (machine_root / "H7-02").is_dir()  # made at once, for every login
    assert data_dir_for(tmp_path / "mine", real) == tmp_path / "mine"  # --data-dir wins


def test_the_machine_wide_folder_is_per_hall_and_counter_on_every_system() -> None:
    assert paths.machine_data_dir("SH/01", "03") == paths.machine_data_root() / "SH_01-03"
    if sys.platform == "win32":
        assert "Counter App" in str(paths.machine_data_root())
    elif sys.platform != "darwin":
        assert paths.machine_data_root() == Path("/var/lib/counter-app")
    assert paths.user_data_root() not in paths.machine_data_dir("H", "1").parents


def test_a_folder_this_user_cannot_create_says_how(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(paths, "machine_data_root", lambda: tmp_path / "var" / "counter-app")
    monkeypatch.setattr(paths, "user_data_root", lambda: tmp_path / "user")
    monkeypatch.setattr(Path, "mkdir", denied)  # a clerk's login under /var/lib
    with pytest.raises(CliError) as info:
        data_dir_for(None, config_module.load(write_config(tmp_path)))
    message = str(info.value)
    assert "cannot create the counter's data folder" in message and "Permission denied" in message
    hint = "icacls" if sys.platform == "win32" else "sudo install -d -m 0700"
    assert hint in message and "--data-dir" in message


def test_the_start_refusal_for_it_is_one_line_and_a_dialog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(config: object, data_dir: Path) -> Path:
        raise CliError("cannot create the counter's data folder /var/lib/counter-app/H7-02")

    monkeypatch.setattr("counter_app.cli.data_dir_for", refuse)
    shown: list[str] = []
    monkeypatch.setattr("counter_app.ui.start_refusal.show_start_refusal",
                        lambda message, language: shown.append(message))
    code = main(["--config", str(write_config(tmp_path))])
    assert code == 2 and "cannot create" in capsys.readouterr().err
    assert shown and "cannot create" in shown[0]


def test_a_folder_records_its_counter_and_refuses_another(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = config_module.load(write_config(tmp_path))
    other = config_module.load(write_config(tmp_path, counter="05", name="other.toml"))
    Counter(first, data_dir, clock=FakeClock()).close()
    with open_data_folder(data_dir, readonly=True) as folder:
        assert folder_identity(folder.db) == ("H7", "02")
    with pytest.raises(CannotOpen) as info:
        Counter(other, data_dir, clock=FakeClock())
    assert "hall H7 counter 02" in str(info.value) and "hall H7 counter 05" in str(info.value)
    with pytest.raises(FolderOfAnotherCounter):
        open_data_folder(data_dir, identity=("H7", "05"))
    with pytest.raises(FolderOfAnotherCounter):
        open_data_folder(data_dir, readonly=True, identity=("H7", "05"))
    Counter(first, data_dir, clock=FakeClock()).close()  # its own configuration still opens


def test_a_demo_start_cannot_append_to_a_real_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    Counter(config_module.load(write_config(tmp_path)), data_dir, clock=FakeClock()).close()
    code = main(["--data-dir", str(data_dir), "verify"])  # the demo configuration
    assert code == 2 and "belongs to hall H7 counter 02" in capsys.readouterr().err


def test_an_older_folder_is_claimed_by_its_first_events(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    demo = config_module.load()
    Counter(demo, data_dir, clock=FakeClock()).close()
    with open_data_folder(data_dir) as folder:  # as an older version left it: no record
        folder.db.execute("DELETE FROM meta WHERE key LIKE 'folder.%'")
    with pytest.raises(FolderOfAnotherCounter, match="belongs to hall SH-0001 counter 03"):
        open_data_folder(data_dir, identity=("H7", "02"))


def test_records_left_in_the_old_per_user_folder_are_not_left_behind(
        tmp_path: Path, machine_root: Path) -> None:
    real = config_module.load(write_config(tmp_path))
    Counter(real, tmp_path / "user", clock=FakeClock()).close()  # where earlier versions kept it
    with pytest.raises(CliError, match="per-user folder of earlier versions"):
        data_dir_for(None, real)
    assert not (machine_root / "H7-02").exists()


@posix_only
def test_the_folder_and_its_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    counter = Counter(config_module.load(), data_dir, clock=FakeClock())
    try:
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        for name in ("counter.sqlite", "counter.sqlite-wal"):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    finally:
        counter.close()
    (data_dir / "counter.sqlite").chmod(0o644)  # e.g. restored from a backup
    Counter(config_module.load(), data_dir, clock=FakeClock()).close()
    assert stat.S_IMODE((data_dir / "counter.sqlite").stat().st_mode) == 0o600


@posix_only
def test_a_token_others_can_read_is_warned_about(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = tmp_path / "token.txt"
    token.write_text("secret", encoding="utf-8")
    token.chmod(0o644)
    with_file = config_module.load(write_config(
        tmp_path, extra='[head_office]\nurl = "https://hq.example"\ntoken_file = "token.txt"\n'))
    assert any("token file" in w and str(token) in w for w in secret_warnings(with_file))
    token.chmod(0o600)
    assert secret_warnings(with_file) == []

    inline = write_config(tmp_path, name="inline.toml",
                          extra='[head_office]\nurl = "https://hq.example"\ntoken = "t"\n')
    inline.chmod(0o644)
    code = main(["--config", str(inline), "--data-dir", str(tmp_path / "d"), "verify"])
    err = capsys.readouterr().err
    assert "WARNING" in err and "holds the head office token" in err and code == 2
    inline.chmod(0o600)
    assert secret_warnings(config_module.load(inline)) == []


def test_the_first_manager_hint_names_the_configuration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without `--config` the hint's `staff add` would claim the new folder for the demo."""
    monkeypatch.setattr("counter_app.ui.start_refusal.show_start_refusal",
                        lambda message, language: None)
    config = write_config(tmp_path)
    code = main(["--config", str(config), "--data-dir", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2 and f'--config "{config}"' in err and "staff add --role manager" in err
