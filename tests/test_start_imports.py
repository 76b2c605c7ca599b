"""What the start loads: the real `counter-app` path (`python -m counter_app --smoke-test`) in
a subprocess, looked at the moment both windows are shown. None of the libraries the first
window does not need may be loaded by then (docs/performance.md, "Cold start")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: loaded later (the sync, the hall stream, the pulls: after the windows show; the read
#: models, the figures, the manager's reads and the hall board: when a clerk or a manager first
#: asks for them) or never
NOT_AT_START = ("sqlite_utils", "httpx", "filelock", "cryptography", "head_office", "fastapi",
                "ssl", "counter_core.signed", "counter_core.figures", "counter_app.storage.queries",
                "counter_app.application.manager", "counter_app.application.board")

#: not loaded by the demo counter's start either (no voice, its own roster, no hall server):
#: QtTextToSpeech, the sync stack, the hall mirror
NOT_AT_DEMO_START = (*NOT_AT_START, "PySide6.QtTextToSpeech", "counter_app.sync.roster_pull",
                     "counter_app.sync.hall_stream", "counter_app.sync.uploader",
                     "counter_app.storage.mirror")

#: runs `python -m counter_app` as the console does, with CounterApp.show wrapped to report
#: sys.modules as soon as both windows are visible
PROBE = """
import json, runpy, sys
from counter_app.ui import app

show = app.CounterApp.show

def report(self):
    show(self)
    shown = self.staff_window.isVisible() and self.customer_screen.isVisible()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in NOT_AT_START
                    or m in NOT_AT_START)
    print("PROBE " + json.dumps({"shown": shown, "loaded": loaded}), flush=True)

app.CounterApp.show = report
NOT_AT_START = set(json.loads(sys.argv.pop(1)))
sys.argv[0] = "counter-app"
runpy.run_module("counter_app", run_name="__main__", alter_sys=True)
"""

#: a counter that syncs to head office, streams to a hall server and pulls its roster from
#: it; nothing listens on the port (the background work fails, after the windows)
CONFIGURED = """
[hall]
id = "H"
name = "Hall"
[counter]
id = "01"
[head_office]
url = "http://127.0.0.1:9"
token = "office-token"
[hall_server]
url = "http://127.0.0.1:9"
token = "hall-token"
[[transaction_types]]
code = "a"
name_zh = "甲"
name_en = "A"
"""
#: the roster kept by the hall server: pulled at start (the manager is added before it)
ROSTER = """[roster]
managed_by = "hall_server"
"""


def start(tmp_path: Path, *options: str,
          not_loaded: tuple[str, ...] = NOT_AT_START) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(not_loaded), *options,
         "--data-dir", str(tmp_path / "data"), "--smoke-test"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "smoke test: staff window and customer screen shown: True" in done.stdout
    line = next(line for line in done.stdout.splitlines() if line.startswith("PROBE "))
    result: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    return result


@pytest.mark.parametrize("configured", [False, True], ids=["demo", "head-office-and-hall"])
def test_the_windows_show_before_any_library_they_do_not_need_loads(
        tmp_path: Path, configured: bool) -> None:
    options: list[str] = []
    if configured:
        config = tmp_path / "counter.toml"
        config.write_text(CONFIGURED, encoding="utf-8")
        config.chmod(0o600)
        add = subprocess.run(
            [sys.executable, "-m", "counter_app", "--config", str(config), "--data-dir",
             str(tmp_path / "data"), "staff", "add", "--role", "manager", "--number", "9001",
             "--name", "Manager", "--pin-stdin"],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
            text=True, timeout=120, input="246810\n")
        assert add.returncode == 0, add.stderr
        config.write_text(CONFIGURED + ROSTER, encoding="utf-8")
        options = ["--config", str(config)]
    result = start(tmp_path, *options,
                   not_loaded=NOT_AT_START if configured else NOT_AT_DEMO_START)
    assert result["shown"] is True
    assert result["loaded"] == []
