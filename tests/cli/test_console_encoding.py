"""Item 17: CLI output never fails on a console that cannot show a character (GBK, ASCII)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_staff_list_prints_a_chinese_name_on_an_ascii_console(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "ascii"}
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "counter_app", "staff", "list", "--data-dir", str(data)],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "UnicodeEncodeError" not in result.stderr
    assert "\\u738b\\u82b3" in result.stdout  # 王芳, the demo account, escaped not crashed
