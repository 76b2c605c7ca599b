"""The alert notification in a real system tray: a real X display with a window manager and
Debian's `trayer` (an XEmbed system tray, the protocol the Windows-like desktops' trays and
Qt's xcb backend speak), the alerts tab in a process of its own. The tray icon is embedded
(Qt sees a tray, the icon gets a place in it), the alert is shown through it and the sound
plays; without a tray the same process shows the banner in the window instead."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers.xdisplay import REPO, XDisplay, wait_until


def run_child(display: XDisplay) -> dict[str, Any]:
    env = display.env | {"PYTHONPATH": str(REPO), "DBUS_SESSION_BUS_ADDRESS": "disabled:"}
    done = subprocess.run([sys.executable, str(REPO / "tests" / "ui" / "tray_child.py")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_an_alert_is_shown_in_a_real_tray_with_its_sound(x_display: XDisplay) -> None:
    if shutil.which("trayer") is None:
        pytest.fail("the tray test needs Debian's trayer: run scripts/setup.sh test")
    without = run_child(x_display)  # no tray yet on this display: the window says it
    assert not without["available"] and without["banner"] and without["sounds"] == 1
    assert without["shown"] == []
    tray = subprocess.Popen(["trayer", "--edge", "bottom", "--align", "right", "--widthtype",
                             "pixel", "--width", "200", "--height", "32"], env=x_display.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: x_display.run("xdotool", "search", "--class", "trayer"), 10.0,
                   "the tray")
        found = run_child(x_display)
    finally:
        tray.terminate()
        tray.wait(5)
    assert found["available"], found
    assert found["tray_visible"] and found["icon_size"][0] > 0 and found["icon_size"][1] > 0
    assert len(found["shown"]) == 1
    title, message = found["shown"][0]
    assert "01" in title and "柜台 01 超时 1" in message
    assert not found["banner"]  # shown in the tray, not in the window
    assert found["sounds"] == 1
