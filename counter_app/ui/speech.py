"""QtTextToSpeech behind the voice prompts' `SpeechEngine` (counter_app/application/voice.py).

One QTextToSpeech says the queued texts one after the other, switching its locale to each
text's language. Where the machine has no engine (none installed, or it fails to start) or no
voice for a language, the counter stays silent and logs it once; it never shows an error to
the customer or stops the counter.
"""

from __future__ import annotations

import logging
from collections import deque

from PySide6.QtCore import QLocale, QObject
from PySide6.QtTextToSpeech import QTextToSpeech

from counter_app.config import Voice

log = logging.getLogger(__name__)

#: a prompt language → the Qt language its voice must speak
QT_LANGUAGES = {"zh_CN": QLocale.Language.Chinese, "en": QLocale.Language.English}
_logged: set[str] = set()


def _log_once(message: str, *args: object) -> None:
    key = message % args
    if key not in _logged:
        _logged.add(key)
        log.warning(message, *args)


class QtSpeech(QObject):
    """Says queued texts in turn with one QTextToSpeech."""

    def __init__(self, tts: QTextToSpeech, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tts = tts
        tts.setParent(self)
        self._queue: deque[tuple[str, QLocale]] = deque()
        self._locales: dict[str, QLocale | None] = {}
        tts.stateChanged.connect(self._next)
        tts.errorOccurred.connect(self._failed)

    def locale_for(self, language: str) -> QLocale | None:
        """The engine's locale for a prompt language (its own country first), None: no voice."""
        if language not in self._locales:
            wanted = QLocale(language)
            available = list(self.tts.availableLocales())
            same = [loc for loc in available if loc.language() == QT_LANGUAGES[language]]
            exact = [loc for loc in same if loc.territory() == wanted.territory()]
            found: QLocale | None = (exact or same)[0] if (exact or same) else None
            if found is None:
                _log_once("voice prompts: the %s engine has no %s voice; those prompts are "
                          "not said", self.tts.engine(), language)
            self._locales[language] = found
        return self._locales[language]

    def say(self, text: str, language: str) -> None:
        locale = self.locale_for(language)
        if locale is None:
            return
        self._queue.append((text, locale))
        if self.tts.state() == QTextToSpeech.State.Ready:
            self._next()

    def stop(self) -> None:
        self._queue.clear()
        self.tts.stop()

    def set_volume(self, volume: float) -> None:
        self.tts.setVolume(volume)

    def _next(self, *_state: object) -> None:
        if self.tts.state() != QTextToSpeech.State.Ready or not self._queue:
            return
        text, locale = self._queue.popleft()
        if self.tts.locale() != locale:
            self.tts.setLocale(locale)
        self.tts.say(text)

    def _failed(self, *_reason: object) -> None:
        _log_once("voice prompts: the %s engine failed (%s); the counter goes on silently",
                  self.tts.engine(), self.tts.errorString())
        self._queue.clear()


def open_speech(voice: Voice, engine: str | None = None,
                parent: QObject | None = None) -> QtSpeech | None:
    """The speech engine for `[voice]`, None when voice is off or no engine works here."""
    if not voice.enabled:
        return None
    engines = QTextToSpeech.availableEngines()
    if not engines or (engine is not None and engine not in engines):
        _log_once("voice prompts: no text-to-speech engine on this computer (%s); the counter "
                  "stays silent", engine or "default")
        return None
    tts = QTextToSpeech(engine) if engine is not None else QTextToSpeech()
    if tts.state() == QTextToSpeech.State.Error:
        _log_once("voice prompts: the text-to-speech engine %s did not start (%s); the counter "
                  "stays silent", tts.engine() or engine or "default", tts.errorString())
        tts.deleteLater()
        return None
    return QtSpeech(tts, parent)
