"""Item 14: every start-up refusal also appears in a dialog (never only on stderr, never as a
traceback), in the UI language, or in Chinese and English when the config cannot be read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from counter_app.cli import main
from counter_app.ui import start_refusal
from counter_app.ui.start_refusal import refusal_text, show_start_refusal

REPO = Path(__file__).resolve().parents[2]
OWN_CONFIG = ('[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\nlanguage = "{language}"\n'
              '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n')


@pytest.fixture(autouse=True)
def no_blocking_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTER_APP_NO_DIALOG", "1")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, str]]:
    """The refusals main() showed: (message, language, the real box's text)."""
    calls: list[tuple[str, str | None, str]] = []

    def spy(message: str, language: str | None) -> Any:
        box = show_start_refusal(message, language)
        assert box is not None
        calls.append((message, language, box.text()))
        return box

    monkeypatch.setattr(start_refusal, "show_start_refusal", spy)
    return calls


def own_config(tmp_path: Path, language: str = "en") -> Path:
    path = tmp_path / "counter.toml"
    path.write_text(OWN_CONFIG.format(language=language), encoding="utf-8")
    return path


def test_the_dialog_carries_the_message_offscreen_without_blocking() -> None:
    box = show_start_refusal("another Counter App is using D:\\data; close it first", "en_US")
    assert box is not None and box.windowTitle() == "Counter App"
    assert box.text().startswith("Counter App cannot start:")
    assert "another Counter App is using D:\\data" in box.text()
    assert "无法启动" in show_start_refusal("x", "zh_CN").text()  # type: ignore[union-attr]


def test_a_second_instance_is_told_in_chinese_at_a_chinese_counter() -> None:
    box = show_start_refusal("another Counter App is using D:\\data; close it first", "zh_CN")
    assert box is not None
    assert "另一个 Counter App 正在使用 D:\\data，请先关闭它" in box.text()
    assert "another Counter App" not in box.text()


def test_without_a_language_the_text_is_bilingual() -> None:
    text = refusal_text("config.toml: file not found", None)
    assert "Counter App 无法启动" in text and "Counter App cannot start" in text
    assert "config.toml: file not found" in text


def test_an_unreadable_config_is_refused_in_both_languages(
        tmp_path: Path, shown: list[tuple[str, str | None, str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(tmp_path / "missing.toml"), "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "file not found" in err and "Traceback" not in err
    [(message, language, text)] = shown
    assert language is None and "file not found" in message
    assert "无法启动" in text and "cannot start" in text


def test_a_refusal_is_shown_in_the_ui_language(
        tmp_path: Path, shown: list[tuple[str, str | None, str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(own_config(tmp_path, "zh_CN")), "--data-dir",
                 str(tmp_path / "data"), "run"])
    assert code == 2 and "Traceback" not in capsys.readouterr().err
    [(_, language, text)] = shown
    assert language == "zh_CN" and text.startswith("Counter App 无法启动")


def _add_manager(data_dir: Path) -> None:
    from counter_app.storage.events import EventStore
    from counter_app.storage.folder import open_data_folder
    from counter_app.storage.staff import StaffDirectory

    with open_data_folder(data_dir) as folder:
        StaffDirectory(folder.db, EventStore(folder.db, "H", "1")).add(
            "9001", "陈经理", "manager", "999999")


def test_a_folder_without_a_manager_says_how_to_add_the_first(
        tmp_path: Path, shown: list[tuple[str, str | None, str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    code = main(["--config", str(own_config(tmp_path)), "--data-dir", str(data_dir)])
    err = capsys.readouterr().err
    assert code == 2 and "no manager account" in err
    assert "counter-app" in err and "staff add --role manager" in err
    [(_, language, text)] = shown
    assert language == "en" and "staff add --role manager" in text
    assert not data_dir.exists() or not any(data_dir.iterdir())  # nothing was created


def test_an_unexpected_error_at_start_is_a_refusal_not_a_traceback(
        tmp_path: Path, shown: list[tuple[str, str | None, str]],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import counter_app.ui.app as app_module

    def boom(*_args: object, **_kwargs: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app_module, "run_app", boom)
    code = main(["--data-dir", str(tmp_path / "data"), "run"])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert len(shown) == 1 and "No space left on device" in shown[0][2]


def test_admin_commands_keep_one_line_on_stderr_and_no_dialog(
        tmp_path: Path, shown: list[tuple[str, str | None, str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(tmp_path / "missing.toml"), "verify"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and shown == []


def test_a_started_app_refusing_in_a_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
           "COUNTER_APP_NO_DIALOG": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "counter_app", "--config", str(tmp_path / "none.toml"), "run"],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 2
    assert "file not found" in result.stderr and "Traceback" not in result.stderr
