"""Voice prompts on the customer side: what is said, when, and once per event (docs/voice.md).

Plain Python behind a small interface: a `SpeechEngine` says a text in a language (the UI
gives a QtTextToSpeech one, tests a fake that keeps a list). `VoicePrompts.update` is told what
the customer screen shows after every change and speaks at three moments only, each once per
transaction:

* Start: the greeting ("您好，欢迎光临");
* the rating page: the request ("请您对我的服务作出评价") and the five options with their keys,
  so a customer who cannot see the buttons can rate with the keypad;
* a rating, whatever its value: the same thanks. The reasons page after a poor rating is never
  read out: the clerk hears the counter, and must not learn which button was pressed.

"Need more time" is answered too (once: the window grows once), with the options again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from counter_app.application.counter import CounterState
from counter_app.config import Voice
from counter_core.ratings import RATING_LABELS, RATING_VALUES
from counter_core.transaction import CustomerView

log = logging.getLogger(__name__)


class SpeechEngine(Protocol):
    """Something that speaks. `say` queues `text` after what is being said; `stop` silences."""

    def say(self, text: str, language: str) -> None: ...

    def stop(self) -> None: ...

    def set_volume(self, volume: float) -> None: ...


GREETING = "greeting"
REQUEST = "request"
THANKS = "thanks"
EXTENDED = "extended"

#: prompt → language → text. The thanks is one text for every rating value.
PROMPTS: dict[str, dict[str, str]] = {
    GREETING: {"zh_CN": "您好，欢迎光临", "en": "Hello, welcome."},
    REQUEST: {"zh_CN": "请您对我的服务作出评价", "en": "Please rate my service."},
    THANKS: {"zh_CN": "谢谢您的评价，欢迎再次光临", "en": "Thank you for your rating."},
    EXTENDED: {"zh_CN": "好的，已为您延长评价时间", "en": "Of course, you have more time."},
}


def options_text(language: str) -> str:
    """The five ratings with their keys, best first, as the buttons print them."""
    if language == "zh_CN":
        return "，".join(f"{RATING_LABELS[v][0]}请按{v}" for v in RATING_VALUES) + "。"
    return " ".join(f"For {RATING_LABELS[v][1].lower()}, press {v}." for v in RATING_VALUES)


@dataclass(frozen=True)
class Moment:
    """What the customer screen shows: its view, the transaction it is about, and whether the
    rating window was lengthened."""

    view: CustomerView
    txn: str | None
    extended: bool = False


def moment_of(state: CounterState) -> Moment:
    """The moment the counter's state stands at: the running transaction while serving, else
    the one whose rating window is open."""
    view = state.customer_view()
    running, rating = state.running, state.rating
    txn = running.txn if running is not None else (rating.txn if rating is not None else None)
    return Moment(view, txn, state.rating_extended)


class VoicePrompts:
    """Says each prompt once per transaction, in the configured languages, when voice is on."""

    def __init__(self, settings: Voice, engine: SpeechEngine | None) -> None:
        self.settings = settings
        self.engine = engine if settings.enabled else None
        self._said: set[tuple[str, str]] = set()
        self._last: Moment | None = None
        if self.engine is not None:
            self.engine.set_volume(settings.volume)

    @property
    def active(self) -> bool:
        return self.engine is not None

    def update(self, moment: Moment) -> None:
        """The customer screen's state after a change; speaks what this moment calls for."""
        last, self._last = self._last, moment
        if self.engine is None or moment.txn is None or moment == last:
            return
        view = moment.view
        if view is CustomerView.SERVICE:
            self._say_once(GREETING, moment.txn)
        elif view is CustomerView.RATING:
            if moment.extended:
                self._say_once(EXTENDED, moment.txn, options=True, interrupt=True)
            else:
                self._say_once(REQUEST, moment.txn, options=True)
        elif view in (CustomerView.REASON, CustomerView.THANKS) and last is not None \
                and last.txn == moment.txn and last.view is CustomerView.RATING:
            # the rating came in: the same words for every value, said at the press (a poor
            # rating's reasons page must sound exactly like the thanks of a good one)
            self._say_once(THANKS, moment.txn, interrupt=True)

    def _say_once(self, prompt: str, txn: str, *, options: bool = False,
                  interrupt: bool = False) -> None:
        if (prompt, txn) in self._said or self.engine is None:
            return
        self._said = {key for key in self._said if key[1] == txn}  # only this customer's
        self._said.add((prompt, txn))
        if interrupt:
            self.engine.stop()
        for language in self.settings.languages:
            text = PROMPTS[prompt][language]
            if options:
                text = f"{text}{'。' if language == 'zh_CN' else ' '}{options_text(language)}"
            self.engine.say(text, language)
