"""`counter-app self-check` through the real command line: Chinese text, a chart and the speech
engines on this machine; without a CJK font it names the missing characters and exits 1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers.hq import REPO


def self_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "counter_app", "--data-dir", str(tmp_path / "data"),
         "self-check"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})


def test_the_self_check_draws_chinese_and_a_chart_and_lists_speech(tmp_path: Path) -> None:
    done = self_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Chinese text: every glyph drawn")
    assert lines[1].startswith("chart: drawn")
    assert lines[2].startswith(("speech engines: ", "speech: no engine"))
    assert "Traceback" not in done.stderr


def test_the_speech_line_says_what_the_app_would_do(qapp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Each engine is started, not just listed (speechd is listed where libspeechd is
    missing, and does not start); "would stay silent" exactly when the app's own
    open_speech gives no engine here."""
    from PySide6.QtTextToSpeech import QTextToSpeech

    from counter_app.config import Voice
    from counter_app.ui.speech import open_speech

    line = self_check(tmp_path).stdout.splitlines()[2]
    engines = [str(e) for e in QTextToSpeech.availableEngines()]
    if not engines:
        assert line.startswith("speech: no engine")
        return
    for name in engines:
        assert re.search(rf"{re.escape(name)} \((starts|does not start|Qt's test engine)", line)
    speech = open_speech(Voice(enabled=True))
    silent = speech is None or speech.tts.engine() == "mock"
    assert ("would stay silent" in line) == silent, line


def test_without_a_cjk_font_the_missing_characters_are_named(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts"  # Latin ones only, or none at all: no Chinese glyph
    fonts.mkdir()
    for latin in Path("/usr/share/fonts/truetype/dejavu").glob("DejaVuSans.ttf"):
        (fonts / latin.name).write_bytes(latin.read_bytes())
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{fonts}</dir>'
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    done = self_check(tmp_path, FONTCONFIG_FILE=str(conf))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "MISSING GLYPHS" in done.stdout and "欢迎光临" in done.stdout
    assert "fonts-wqy-microhei" in done.stdout
    assert "Traceback" not in done.stderr
