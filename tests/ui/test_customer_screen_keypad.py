"""The Linux keypad through a stand-in for python-evdev: found by name, grabbed, its digits read
from its file descriptor by a socket notifier, released at stop; problems said in words."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import pytest

from counter_app.rating_input import RatingInputs
from counter_app.ui import rating_sources
from counter_app.ui.rating_sources import EvdevKeypad, KeypadUnavailable, open_keypad


@dataclass
class KeyEvent:
    type: int
    code: int
    value: int


class FakeDevice:
    opened: ClassVar[list[FakeDevice]] = []

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = {"/dev/input/event3": "USB Rating Keypad"}.get(path, "AT keyboard")
        self._read_fd, self._write_fd = os.pipe()
        self.fd = self._read_fd
        self.grabbed = False
        self.closed = False
        self.queue: list[KeyEvent] = []
        FakeDevice.opened.append(self)

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        self.closed = True

    def read(self) -> Iterator[KeyEvent]:
        os.read(self._read_fd, 1024)
        events, self.queue = self.queue, []
        return iter(events)

    def send(self, code: int, value: int = 1) -> None:
        self.queue.append(KeyEvent(0x01, code, value))
        os.write(self._write_fd, b"x")


@pytest.fixture
def fake_evdev(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("evdev")
    module.list_devices = lambda: ["/dev/input/event0", "/dev/input/event3"]  # type: ignore[attr-defined]
    module.InputDevice = FakeDevice  # type: ignore[attr-defined]
    FakeDevice.opened = []
    monkeypatch.setitem(sys.modules, "evdev", module)
    return module


def test_the_keypad_is_found_by_name_grabbed_and_read(qtbot, fake_evdev) -> None:  # type: ignore[no-untyped-def]
    keypad = EvdevKeypad("USB Rating Keypad")
    keypad.start()
    device = next(d for d in FakeDevice.opened if d.name == "USB Rating Keypad")
    assert device.grabbed  # exclusive: its keys reach no window
    assert all(d.closed for d in FakeDevice.opened if d is not device)  # the others let go
    digits: list[int] = []
    keypad.digit.connect(digits.append)
    device.send(4)  # KEY_3, pressed
    device.send(4, value=0)  # released: not a second press
    device.send(79)  # KEY_KP1
    qtbot.waitUntil(lambda: digits == [3, 1], timeout=2000)
    keypad.stop()
    assert not device.grabbed and device.closed


def test_a_keypad_that_is_not_there_is_named_with_what_is(fake_evdev) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeypadUnavailable, match=r"no input device named 'Other'.*AT keyboard"):
        EvdevKeypad("Other").start()


def test_without_evdev_the_message_says_how_to_install_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "evdev", None)
    with pytest.raises(KeypadUnavailable, match=r"pip install 'counter-app\[keypad\]'"):
        EvdevKeypad("USB Rating Keypad").start()


def test_open_keypad_opens_nothing_unless_a_keypad_is_allowed_and_named(fake_evdev) -> None:  # type: ignore[no-untyped-def]
    assert open_keypad(RatingInputs(("touch", "keypad")), None) == (None, None)
    assert open_keypad(RatingInputs(("touch",), "USB Rating Keypad"), None) == (None, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the evdev keypad is Linux's")
def test_open_keypad_on_linux(qtbot, fake_evdev) -> None:  # type: ignore[no-untyped-def]
    keypad, problem = open_keypad(RatingInputs(("keypad",), "USB Rating Keypad"), None)
    assert problem is None and isinstance(keypad, EvdevKeypad)
    keypad.stop()
    keypad, problem = open_keypad(RatingInputs(("keypad",), "Nope"), None)
    assert keypad is None and problem is not None and "Nope" in problem


def test_the_raw_input_keypad_says_it_is_windows_only_elsewhere() -> None:
    if sys.platform == "win32":
        pytest.skip("on Windows it opens real devices: the manual test covers it")
    with pytest.raises(KeypadUnavailable, match="only on Windows"):
        rating_sources.RawInputKeypad("VID_1A2B", None).start()
