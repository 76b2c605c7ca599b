"""Voice prompts with a fake engine: what is said, when, and once per event."""

from __future__ import annotations

import dataclasses

import pytest

from counter_app.application.voice import PROMPTS, VoicePrompts, moment_of, options_text
from counter_app.config import Voice
from counter_core.ratings import POOR_RATING_REASONS
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

ON = Voice(enabled=True, volume=0.6, language="both")


class FakeEngine:
    """Keeps what it was asked to say; `stop` marks where speech was cut."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []
        self.volume: float | None = None

    def say(self, text: str, language: str) -> None:
        self.said.append((text, language))

    def stop(self) -> None:
        self.said.append(("<stop>", ""))

    def set_volume(self, volume: float) -> None:
        self.volume = volume


class Counter:
    """A counter and its voice, updated after every action as the app's `changed` does."""

    def __init__(self, service: CounterService, clock: FakeClock, settings: Voice = ON) -> None:
        self.service, self.clock = service, clock
        self.engine = FakeEngine()
        self.voice = VoicePrompts(settings, self.engine)
        self.update()

    def update(self) -> None:
        self.voice.update(moment_of(self.service.state))

    def act(self, action, *args) -> None:  # type: ignore[no-untyped-def]
        action(*args)
        self.update()
        self.update()  # a second refresh of the same moment says nothing more

    def served(self) -> None:
        self.act(self.service.sign_in, "1001", "1234")
        self.act(self.service.start_transaction)
        self.clock.advance(20)
        self.update()
        self.act(self.service.complete)

    def texts(self) -> list[str]:
        return [text for text, _language in self.engine.said if text != "<stop>"]


def request(language: str) -> str:
    sep = "。" if language == "zh_CN" else " "
    return f"{PROMPTS['request'][language]}{sep}{options_text(language)}"


def test_greeting_at_start_options_at_done_thanks_at_the_rating(service, clock) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock)
    assert counter.engine.volume == 0.6
    counter.act(service.sign_in, "1001", "1234")
    assert counter.engine.said == []  # the sign-in itself says nothing
    counter.act(service.start_transaction)
    assert counter.engine.said == [("您好，欢迎光临", "zh_CN"), ("Hello, welcome.", "en")]
    clock.advance(20)
    counter.update()
    counter.act(service.complete)
    assert counter.engine.said[2:] == [(request("zh_CN"), "zh_CN"), (request("en"), "en")]
    assert "非常满意请按5" in request("zh_CN") and "非常不满意请按1" in request("zh_CN")
    assert "For very dissatisfied, press 1." in request("en")
    counter.act(service.rate, 5)
    assert counter.engine.said[4:] == [("<stop>", ""), (PROMPTS["thanks"]["zh_CN"], "zh_CN"),
                                       (PROMPTS["thanks"]["en"], "en")]
    clock.advance(5)
    counter.act(service.expire)
    assert len(counter.engine.said) == 7  # nothing more when the thanks page goes


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_the_same_thanks_after_every_rating_value(demo_config, tmp_path, value) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    service = CounterService(demo_config, tmp_path / "data", clock=clock)
    try:
        counter = Counter(service, clock)
        counter.served()
        before = len(counter.engine.said)
        counter.act(service.rate, value)
        after_rating = counter.engine.said[before:]
        assert after_rating == [("<stop>", ""), (PROMPTS["thanks"]["zh_CN"], "zh_CN"),
                                (PROMPTS["thanks"]["en"], "en")]
        if value <= 2:  # the reasons are never read out: the clerk must not hear "poor"
            clock.advance(3)
            counter.act(service.give_rating_reason, POOR_RATING_REASONS[0].code)
            assert counter.engine.said[before:] == after_rating
    finally:
        service.close()


def test_once_per_transaction_and_again_for_the_next_customer(service, clock) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock)
    counter.served()
    counter.act(service.rate, 4)
    clock.advance(31)
    counter.act(service.expire)
    counter.act(service.start_transaction)
    greetings = [t for t in counter.texts() if t == "您好，欢迎光临"]
    assert len(greetings) == 2  # one per customer
    requests = [t for t in counter.texts() if t.startswith(PROMPTS["request"]["zh_CN"])]
    assert len(requests) == 1


def test_a_window_that_runs_out_gets_no_thanks(service, clock) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock)
    counter.served()
    clock.advance(31)
    counter.act(service.expire)
    assert not any(t.startswith(PROMPTS["thanks"]["zh_CN"]) for t in counter.texts())


def test_need_more_time_is_answered_once_with_the_options(service, clock) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock)
    counter.served()
    before = len(counter.engine.said)
    counter.act(service.extend_rating)
    counter.act(service.extend_rating)  # refused the second time: nothing said
    sep = {"zh_CN": "。", "en": " "}
    assert counter.engine.said[before:] == [("<stop>", "")] + [
        (f"{PROMPTS['extended'][lang]}{sep[lang]}{options_text(lang)}", lang)
        for lang in ("zh_CN", "en")]


@pytest.mark.parametrize(("language", "expected"), [("zh_CN", ["zh_CN"]), ("en", ["en"])])
def test_one_language_only(service, clock, language, expected) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock, dataclasses.replace(ON, language=language))
    counter.served()
    assert {lang for _t, lang in counter.engine.said} == set(expected)


def test_voice_off_says_nothing(service, clock) -> None:  # type: ignore[no-untyped-def]
    counter = Counter(service, clock, Voice())  # the default: off
    assert Voice().enabled is False
    counter.served()
    counter.act(service.rate, 5)
    assert counter.engine.said == [] and counter.engine.volume is None
    assert not counter.voice.active


def test_no_engine_is_silent(service, clock) -> None:  # type: ignore[no-untyped-def]
    voice = VoicePrompts(ON, None)
    service.sign_in("1001", "1234")
    service.start_transaction()
    voice.update(moment_of(service.state))  # nothing to say it with: no error either
    assert not voice.active
