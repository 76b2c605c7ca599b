"""QtTextToSpeech behind the voice prompts: Qt's own mock engine, a missing engine, the wiring."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtTextToSpeech import QTextToSpeech

from counter_app.application.voice import PROMPTS
from counter_app.config import Voice
from counter_app.ui import speech as speech_module
from counter_app.ui.app import CounterApp
from counter_app.ui.speech import QtSpeech, open_speech
from tests.application.test_voice import FakeEngine

ON = Voice(enabled=True, volume=0.5, language="both")


def test_no_engine_means_silence_logged_once(qapp, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="counter_app.ui.speech")
    assert open_speech(ON, engine="no-such-engine") is None
    assert open_speech(ON, engine="no-such-engine") is None
    warnings = [r for r in caplog.records if "no-such-engine" in r.getMessage()]
    assert len(warnings) == 1 and "silent" in warnings[0].getMessage()


def test_voice_off_opens_no_engine(qapp) -> None:  # type: ignore[no-untyped-def]
    assert open_speech(Voice(), engine="mock") is None


def test_the_mock_engine_says_the_queue_skipping_a_missing_voice(qtbot, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="counter_app.ui.speech")
    speech = open_speech(ON, engine="mock")
    assert isinstance(speech, QtSpeech)
    speech.set_volume(0.5)
    assert speech.tts.volume() == 0.5
    spoken: list[str] = []
    speech.tts.aboutToSynthesize.connect(lambda _id: spoken.append("next"))
    states: list[QTextToSpeech.State] = []
    speech.tts.stateChanged.connect(states.append)
    speech.say("您好，欢迎光临", "zh_CN")  # Qt's mock engine has no Chinese voice
    speech.say("Hello, welcome.", "en")
    speech.say("Thank you.", "en")
    qtbot.waitUntil(lambda: not speech._queue and speech.tts.state() == QTextToSpeech.State.Ready
                    and states.count(QTextToSpeech.State.Speaking) >= 2, timeout=10000)
    assert speech.tts.locale().language() == speech.locale_for("en").language()  # type: ignore[union-attr]
    assert speech.locale_for("zh_CN") is None
    assert len([r for r in caplog.records if "zh_CN" in r.getMessage()]) == 1
    speech.say("One more.", "en")
    speech.stop()
    assert not speech._queue


def test_the_app_speaks_through_what_open_speech_gives(qtbot, service, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = FakeEngine()
    monkeypatch.setattr(speech_module, "open_speech", lambda voice, parent=None: engine)
    service.config = dataclasses.replace(service.config, voice=ON)
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.controller.sign_in("1001", "1234")
    app.controller.start_transaction()
    assert engine.said == [(PROMPTS["greeting"]["zh_CN"], "zh_CN"),
                           (PROMPTS["greeting"]["en"], "en")]
    clock.advance(10)
    app.controller.complete_transaction()
    app.customer_screen.press_rating(3)
    assert engine.said[-1] == (PROMPTS["thanks"]["en"], "en")
    assert engine.volume == 0.5
