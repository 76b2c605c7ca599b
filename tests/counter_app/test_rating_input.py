"""`[counter] rating_input`: which sources may rate, checked with clear errors."""

from __future__ import annotations

import pytest

from counter_app import rating_input
from counter_app.rating_input import RatingInputError, RatingInputs


def test_default_is_touch_and_keypad() -> None:
    assert rating_input.DEFAULT == ("touch", "keypad")
    inputs = RatingInputs()
    assert inputs.allows("touch") and inputs.allows("keypad")
    assert not inputs.allows("mouse") and not inputs.allows("keys")


def test_known_names_in_order_without_repeats() -> None:
    assert rating_input.parse(["mouse", "touch", "mouse"]) == ("mouse", "touch")
    assert rating_input.parse(list(rating_input.SOURCES)) == rating_input.SOURCES


@pytest.mark.parametrize(("value", "says"), [
    (["touch", "keyboard"], "unknown rating input 'keyboard'; expected any of touch, keypad"),
    ([], "expected at least one of"),
    ("touch", "expected a list of source names"),
    (["touch", 3], "expected a list of source names"),
])
def test_bad_values_say_what_is_expected(value: object, says: str) -> None:
    with pytest.raises(RatingInputError, match=says):
        rating_input.parse(value)


def test_a_keypad_is_wanted_only_when_allowed_and_named() -> None:
    assert not RatingInputs(("touch", "keypad")).wants_keypad
    assert not RatingInputs(("touch",), "USB Keypad").wants_keypad
    assert RatingInputs(("keypad",), "USB Keypad").wants_keypad
