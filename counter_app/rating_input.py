"""Which inputs may rate: `[counter] rating_input`, read and checked in plain Python.

Only the customer rates. The staff keyboard never does, so a digit the clerk types can never
become a rating; what may rate is a list of these sources:

- ``touch``: presses on the customer screen that come from a touchscreen;
- ``keypad``: a USB rating keypad read as its own device, by name (`[counter] keypad_device`),
  with its keystrokes kept from every other window (Linux: evdev with an exclusive grab;
  Windows: raw input and a keyboard hook);
- ``mouse``: mouse clicks on the customer screen;
- ``keys``: number keys while the customer screen itself has the keyboard focus (which it
  never takes by itself: only a window manager or OS that forces focus onto it gives it).

The Qt side that applies the list is counter_app/ui/rating_sources.py.
"""

from __future__ import annotations

from dataclasses import dataclass

TOUCH = "touch"
KEYPAD = "keypad"
MOUSE = "mouse"
KEYS = "keys"
SOURCES: tuple[str, ...] = (TOUCH, KEYPAD, MOUSE, KEYS)
DEFAULT: tuple[str, ...] = (TOUCH, KEYPAD)


class RatingInputError(ValueError):
    """The configured list is not a list of known source names; says what is expected."""


def parse(value: object) -> tuple[str, ...]:
    """The configured sources in configured order, or RatingInputError saying why not."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RatingInputError(
            f"expected a list of source names ({', '.join(SOURCES)}), got {value!r}")
    unknown = [v for v in value if v not in SOURCES]
    if unknown:
        raise RatingInputError(
            f"unknown rating input {unknown[0]!r}; expected any of {', '.join(SOURCES)}")
    if not value:
        raise RatingInputError(
            f"expected at least one of {', '.join(SOURCES)}: with none, nobody can rate")
    seen: list[str] = []
    for name in value:
        if name not in seen:
            seen.append(name)
    return tuple(seen)


@dataclass(frozen=True)
class RatingInputs:
    """What may rate at this counter."""

    sources: tuple[str, ...] = DEFAULT
    #: the keypad's device name (evdev's `name`, or a Windows device path part); None: no
    #: keypad to open even when `keypad` is allowed
    keypad_device: str | None = None

    def allows(self, source: str) -> bool:
        return source in self.sources

    @property
    def wants_keypad(self) -> bool:
        return KEYPAD in self.sources and bool(self.keypad_device)
