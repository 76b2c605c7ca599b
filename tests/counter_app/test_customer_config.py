"""The customer side's keys: `[voice]`, `counter.rating_extension_s`, `hall.supervision_hotline`
(also a central setting), each checked with a message naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.config import Voice, load
from counter_core import settings as hall_settings
from counter_core.settings import SettingsError
from tests.counter_app.test_config import BASE, error_for, write


def with_hotline(value: str) -> str:
    name = 'name = "淮海路旗舰店"'
    return BASE.replace(name, f"{name}\nsupervision_hotline = {value}")


def test_defaults_voice_off_thirty_more_seconds_no_hotline(tmp_path: Path) -> None:
    config = load(write(tmp_path, BASE))
    assert config.voice == Voice(enabled=False, volume=0.8, language="both")
    assert config.voice.languages == ("zh_CN", "en")
    assert config.rating_extension_s == 30
    assert config.supervision_hotline is None


def test_the_keys_are_read(tmp_path: Path) -> None:
    text = with_hotline('" 021-6123 4567 "')
    text = text.replace("void_grace_s = 10", "void_grace_s = 10\nrating_extension_s = 45")
    text += '\n[voice]\nenabled = true\nvolume = 0.5\nlanguage = "en"\n'
    config = load(write(tmp_path, text))
    assert config.voice == Voice(enabled=True, volume=0.5, language="en")
    assert config.voice.languages == ("en",)
    assert config.rating_extension_s == 45
    assert config.supervision_hotline == "021-6123 4567"


@pytest.mark.parametrize(("extra", "key", "expected"), [
    ('\n[voice]\nenabled = "yes"\n', "voice.enabled", "true or false"),
    ("\n[voice]\nvolume = 2\n", "voice.volume", "0.0 to 1.0"),
    ('\n[voice]\nlanguage = "fr"\n', "voice.language", "zh_CN, en, both"),
    ("\n[voice]\nspeed = 1\n", "voice.speed", "unknown key"),
])
def test_bad_voice_settings(tmp_path: Path, extra: str, key: str, expected: str) -> None:
    message = error_for(tmp_path, BASE + extra)
    assert f"{key}: " in message and expected in message, message


def test_bad_extension(tmp_path: Path) -> None:
    message = error_for(tmp_path, BASE.replace("void_grace_s = 10",
                                               "void_grace_s = 10\nrating_extension_s = 900"))
    assert "counter.rating_extension_s: expected 0" in message


@pytest.mark.parametrize("number", ["", "call us", "12", "+86 21 6123 4567 8901 2345 6789"])
def test_bad_hotline(tmp_path: Path, number: str) -> None:
    text = with_hotline(f'"{number}"')
    message = error_for(tmp_path, text)
    assert "hall.supervision_hotline: expected a phone number" in message


def test_the_hotline_is_a_central_setting_too() -> None:
    types = [{"code": "payment", "name_zh": "交费", "name_en": "Payment", "target_s": 180}]
    found = hall_settings.parse({"transaction_types": types, "supervision_hotline": "12345"})
    assert found.supervision_hotline == "12345"
    assert hall_settings.parse(found.as_document()) == found
    with pytest.raises(SettingsError) as info:
        hall_settings.parse({"transaction_types": types, "supervision_hotline": "abc"})
    assert info.value.key == "supervision_hotline"


def test_a_central_hotline_wins_over_the_toml(tmp_path: Path) -> None:
    from counter_app.sync.settings_pull import CentralSettings, apply

    text = with_hotline('"12345"')
    config = load(write(tmp_path, text))
    central = hall_settings.HallSettings(config.types, supervision_hotline="021-12345")
    pulled = CentralSettings("SH-0001", 2, "2026-12-01T00:00:00.000Z", central, {})
    assert apply(config, pulled).supervision_hotline == "021-12345"
    without = CentralSettings("SH-0001", 3, "2026-12-01T00:00:00.000Z",
                              hall_settings.HallSettings(config.types), {})
    assert apply(config, without).supervision_hotline == "12345"  # the TOML's stays
