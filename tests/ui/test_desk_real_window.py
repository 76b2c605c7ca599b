"""`counter-app manager --config FILE` as its own process on a real X display: the desk's
window opens, a manager signs in through the keyboard, and closing the window through the
window manager (`wmctrl -c`, as the title bar's close button does) ends the process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.application.hall_view import Desk
from counter_app.config import Config
from counter_app.config import load as load_config
from head_office.access import enroll_desk
from tests.hall.support import HALL, Hall
from tests.helpers.xdisplay import REPO, XDisplay, wait_until

MANAGER, PIN = "8001", "246810"
TITLE_PART = "manager desk"


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    where = Hall(tmp_path)
    try:
        yield where
    finally:
        where.server.close()


def desk_config(tmp_path: Path, hall: Hall) -> Path:
    """A desk's configuration file: the demo's hall and types, `[counter] id = "desk"`, and
    `[hall_server]` with the desk's token in a file beside it; English, to find the title."""
    text = (REPO / "resources" / "demo_config.toml").read_text(encoding="utf-8")
    text = text.replace('id = "03"', 'id = "desk"').replace('language = "zh_CN"', 'language = "en"')
    token = tmp_path / "hall.token"
    token.write_text(enroll_desk(hall.server.store, HALL, "desk") + "\n", encoding="utf-8")
    path = tmp_path / "desk.toml"
    path.write_text(
        text + f'\n[hall_server]\nurl = "{hall.server.url}"\ntoken_file = "hall.token"\n',
        encoding="utf-8",
    )
    return path


def add_manager(config_path: Path, data_dir: Path) -> None:
    config: Config = load_config(config_path)
    desk = Desk(config, data_dir)
    try:
        desk.staff.add(MANAGER, "赵主任", "manager", PIN)
    finally:
        desk.close()


def desk_window(display: XDisplay, pid: int) -> str:
    found = display.run("xdotool", "search", "--onlyvisible", "--pid", str(pid), "--name", ".")
    for window in found.splitlines():
        if TITLE_PART in display.run("xdotool", "getwindowname", window):
            return window
    return ""


def test_closing_the_desk_window_through_the_window_manager_ends_the_process(
    x_display: XDisplay, hall: Hall, tmp_path: Path
) -> None:
    config = desk_config(tmp_path, hall)
    data_dir = tmp_path / "desk-data"
    add_manager(config, data_dir)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "counter_app",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "manager",
        ],
        cwd=REPO,
        env=x_display.env | {"PYTHONPATH": str(REPO), "COUNTER_APP_NO_DIALOG": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        window = wait_until(lambda: desk_window(x_display, process.pid), 30.0, "the desk's window")
        x_display.run("xdotool", "windowactivate", "--sync", window)
        x_display.type(MANAGER)
        x_display.key("Tab")
        x_display.type(PIN)
        x_display.key("Return")
        # signed in: the window now names the manager whose view it shows
        title = wait_until(
            lambda: (lambda t: t if MANAGER in t else "")(
                x_display.run("xdotool", "getwindowname", window)
            ),
            15.0,
            "the manager view",
        )
        assert TITLE_PART in title
        x_display.close(title)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    # the desk's own folder is a desk's, and its chain was streamed to the hall server
    assert hall.held("desk") >= 1


def test_the_desk_refuses_without_a_hall_server_in_words(tmp_path: Path) -> None:
    text = (REPO / "resources" / "demo_config.toml").read_text(encoding="utf-8")
    config = tmp_path / "desk.toml"
    config.write_text(text.replace('id = "03"', 'id = "desk"'), encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "counter_app",
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path / "d"),
            "manager",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={
            "PYTHONPATH": str(REPO),
            "QT_QPA_PLATFORM": "offscreen",
            "COUNTER_APP_NO_DIALOG": "1",
            "PATH": "/usr/bin:/bin",
        },
        timeout=60,
    )
    assert done.returncode == 2
    assert "[hall_server]" in done.stderr and "Traceback" not in done.stderr
