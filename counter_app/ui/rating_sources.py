"""The sources that may rate, applied on the Qt side (the list is counter_app/rating_input.py).

- `PressFilter` sits on every button of the customer screen and lets a press through only when
  its source is allowed: a press from a touchscreen (the event's device is a touchscreen, or a
  mouse event the OS or Qt synthesised from touch) is ``touch``; any other is ``mouse``.
- Number keys reach the customer screen only while it has the keyboard focus, which it never
  takes (``Qt.WindowDoesNotAcceptFocus``); the screen checks ``keys`` itself.
- A rating keypad is a `KeypadSource`: a device read on its own, whatever window has the focus,
  that emits `digit`. `EvdevKeypad` (Linux, python-evdev, exclusive grab), `RawInputKeypad`
  (Windows raw input) and `FakeKeypad` (tests) are the implementations; `open_keypad` picks one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
import time
from ctypes import wintypes  # plain structures, importable everywhere
from typing import Any

from PySide6.QtCore import (
    QAbstractNativeEventFilter,
    QCoreApplication,
    QEvent,
    QObject,
    QSocketNotifier,
    Qt,
    Signal,
)
from PySide6.QtGui import QInputDevice, QMouseEvent

from counter_app import rating_input
from counter_app.rating_input import RatingInputs

log = logging.getLogger(__name__)

_POINTER_EVENTS = frozenset({
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
})
_SYNTHESISED = frozenset({
    Qt.MouseEventSource.MouseEventSynthesizedBySystem,
    Qt.MouseEventSource.MouseEventSynthesizedByQt,
})


def press_source(event: QMouseEvent) -> str:
    """``touch`` for a press that came from a touchscreen, else ``mouse``."""
    device = event.device()
    if device is not None and device.type() == QInputDevice.DeviceType.TouchScreen:
        return rating_input.TOUCH
    if event.source() in _SYNTHESISED:  # Windows synthesises mouse presses from touch
        return rating_input.TOUCH
    return rating_input.MOUSE


class PressFilter(QObject):
    """An event filter for the customer screen's buttons: presses from a source that may not
    rate never reach the button (it does not even look pressed)."""

    def __init__(self, inputs: RatingInputs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.inputs = inputs

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _POINTER_EVENTS and isinstance(event, QMouseEvent):
            return not self.inputs.allows(press_source(event))
        return False


# ---- keypads ------------------------------------------------------------------------------------


class KeypadSource(QObject):
    """A rating keypad read as its own device: `digit` for every key 1–9 pressed on it."""

    digit = Signal(int)
    #: a problem that started after start() (unplugged): the staff window shows it
    failed = Signal(str)

    def start(self) -> None:
        """Open the device; raise KeypadUnavailable saying why it cannot be read."""

    def stop(self) -> None:
        """Release the device (and any grab or hook)."""


class KeypadUnavailable(Exception):
    """The configured keypad cannot be read; the message says why and what to do."""


class FakeKeypad(KeypadSource):
    """A keypad for tests: `press(3)` is the customer pressing 3 on it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def press(self, digit: int) -> None:
        if self.started:
            self.digit.emit(digit)


# Linux key codes (linux/input-event-codes.h) of the digits, top row and keypad
_EV_KEY = 0x01
_LINUX_DIGITS = {2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 7, 9: 8, 10: 9,
                 79: 1, 80: 2, 81: 3, 75: 4, 76: 5, 77: 6, 71: 7, 72: 8, 73: 9}


class EvdevKeypad(KeypadSource):
    """Linux: the keypad's /dev/input/event* device found by name, grabbed exclusively (its
    keys reach no window, on X11 or Wayland), read through a socket notifier on its fd.

    Needs python-evdev (`pip install counter-app[keypad]`) and read access to the device
    (the `input` group, or a udev rule: docs/rating_input.md)."""

    def __init__(self, device_name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.device_name = device_name
        self._device: Any = None
        self._notifier: QSocketNotifier | None = None

    def start(self) -> None:
        try:
            import evdev  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise KeypadUnavailable(
                "python-evdev is not installed (pip install 'counter-app[keypad]')") from None
        device = None
        names = []
        for path in evdev.list_devices():
            try:
                candidate = evdev.InputDevice(path)
            except OSError:
                continue
            names.append(candidate.name)
            if self.device_name in (candidate.name, path) and device is None:
                device = candidate
            else:
                candidate.close()
        if device is None:
            seen = ", ".join(repr(n) for n in names) or "none readable"
            raise KeypadUnavailable(
                f"no input device named {self.device_name!r} (devices: {seen})")
        try:
            device.grab()  # exclusive: the keypad's keys reach no other reader and no window
        except OSError as exc:
            device.close()
            raise KeypadUnavailable(
                f"{self.device_name!r} cannot be grabbed: {exc.strerror}") from None
        self._device = device
        self._notifier = QSocketNotifier(device.fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)

    def _read(self) -> None:
        try:
            events = list(self._device.read())
        except BlockingIOError:
            return
        except OSError as exc:  # unplugged
            self.stop()
            self.failed.emit(f"the rating keypad {self.device_name!r} stopped: {exc.strerror}")
            return
        for event in events:
            if event.type == _EV_KEY and event.value == 1 and event.code in _LINUX_DIGITS:
                self.digit.emit(_LINUX_DIGITS[event.code])

    def stop(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._device is not None:
            with contextlib.suppress(OSError):
                self._device.ungrab()
            with contextlib.suppress(OSError):
                self._device.close()
            self._device = None


# ---- Windows raw input --------------------------------------------------------------------------
# Written against the Win32 documentation; it cannot run on the Linux machines the tests run on.
# docs/rating_input.md has the manual test with a real keypad.

_WM_INPUT = 0x00FF
_WM_KEYDOWN, _WM_KEYUP, _WM_CHAR = 0x0100, 0x0101, 0x0102
_WM_SYSKEYDOWN, _WM_SYSKEYUP = 0x0104, 0x0105
_RID_INPUT = 0x10000003
_RIDI_DEVICENAME = 0x20000007
_RIM_TYPEKEYBOARD = 1
_RIDEV_INPUTSINK = 0x00000100
_RI_KEY_BREAK = 0x01
_WINDOWS_DIGITS = {0x30 + d: d for d in range(1, 10)} | {0x60 + d: d for d in range(1, 10)}
#: how long after the keypad's WM_INPUT its legacy key messages may still arrive
_SWALLOW_S = 0.5


class RawInputKeypad(KeypadSource, QAbstractNativeEventFilter):
    """Windows: keyboards registered for raw input with RIDEV_INPUTSINK (input arrives whatever
    window has the focus); WM_INPUT from the device whose name contains `device_name` (e.g.
    ``VID_1A2B&PID_3C4D``) gives digits, others are ignored.

    The keypad's keystrokes are also swallowed from this app's own windows: its WM_INPUT
    arrives before the WM_KEYDOWN/WM_CHAR Windows makes of the same keystroke, so the native
    filter drops those. Keeping them from *other* programs' windows needs a system-wide
    WH_KEYBOARD hook in a native DLL (a low-level hook runs before WM_INPUT and cannot tell the
    devices apart); docs/rating_input.md says what that means at the counter."""

    def __init__(self, device_name: str, target: Any, parent: QObject | None = None) -> None:
        KeypadSource.__init__(self, parent)
        QAbstractNativeEventFilter.__init__(self)
        self.device_name = device_name
        self._target = target  # a QWidget whose native window receives WM_INPUT
        self._handles: set[int] = set()
        self._swallow: dict[int, float] = {}  # virtual key -> until (monotonic)
        self._user32: Any = None

    def start(self) -> None:
        if sys.platform != "win32":
            raise KeypadUnavailable("raw input keypads exist only on Windows")
        user32 = ctypes.WinDLL("user32", use_last_error=True)

        class RAWINPUTDEVICELIST(ctypes.Structure):
            _fields_ = [("hDevice", wintypes.HANDLE), ("dwType", wintypes.DWORD)]

        class RAWINPUTDEVICE(ctypes.Structure):
            _fields_ = [("usUsagePage", wintypes.USHORT), ("usUsage", wintypes.USHORT),
                        ("dwFlags", wintypes.DWORD), ("hwndTarget", wintypes.HWND)]

        # explicit argument types: a handle or LPARAM on 64-bit Windows does not fit a C int
        puint = ctypes.POINTER(wintypes.UINT)
        user32.GetRawInputDeviceList.argtypes = [ctypes.c_void_p, puint, wintypes.UINT]
        user32.GetRawInputDeviceList.restype = wintypes.UINT
        user32.GetRawInputDeviceInfoW.argtypes = [wintypes.HANDLE, wintypes.UINT,
                                                  ctypes.c_void_p, puint]
        user32.GetRawInputDeviceInfoW.restype = wintypes.UINT
        user32.RegisterRawInputDevices.argtypes = [ctypes.c_void_p, wintypes.UINT,
                                                   wintypes.UINT]
        user32.RegisterRawInputDevices.restype = wintypes.BOOL
        user32.GetRawInputData.argtypes = [wintypes.HANDLE, wintypes.UINT, ctypes.c_void_p,
                                           puint, wintypes.UINT]
        user32.GetRawInputData.restype = wintypes.UINT
        count = wintypes.UINT(0)
        size = ctypes.sizeof(RAWINPUTDEVICELIST)
        user32.GetRawInputDeviceList(None, ctypes.byref(count), size)
        devices = (RAWINPUTDEVICELIST * max(1, count.value))()
        found = user32.GetRawInputDeviceList(devices, ctypes.byref(count), size)
        if found == 0xFFFFFFFF:
            raise KeypadUnavailable(f"GetRawInputDeviceList failed ({ctypes.get_last_error()})")
        wanted = self.device_name.lower()
        names = []
        for entry in devices[:found]:
            if entry.dwType != _RIM_TYPEKEYBOARD:
                continue
            length = wintypes.UINT(0)
            user32.GetRawInputDeviceInfoW(entry.hDevice, _RIDI_DEVICENAME, None,
                                          ctypes.byref(length))
            buffer = ctypes.create_unicode_buffer(length.value + 1)
            user32.GetRawInputDeviceInfoW(entry.hDevice, _RIDI_DEVICENAME, buffer,
                                          ctypes.byref(length))
            names.append(buffer.value)
            if wanted in buffer.value.lower():
                self._handles.add(int(entry.hDevice or 0))
        if not self._handles:
            raise KeypadUnavailable(
                f"no keyboard device whose name contains {self.device_name!r} "
                f"(keyboards: {', '.join(names) or 'none'})")
        registration = RAWINPUTDEVICE(0x01, 0x06, _RIDEV_INPUTSINK, int(self._target.winId()))
        if not user32.RegisterRawInputDevices(ctypes.byref(registration), 1,
                                              ctypes.sizeof(RAWINPUTDEVICE)):
            raise KeypadUnavailable(
                f"RegisterRawInputDevices failed ({ctypes.get_last_error()})")
        self._user32 = user32
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self)

    def stop(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeNativeEventFilter(self)
        self._handles.clear()

    def nativeEventFilter(self, eventType: Any, message: Any) -> tuple[bool, int]:
        if bytes(eventType) != b"windows_generic_MSG" or not self._handles:
            return False, 0
        msg = wintypes.MSG.from_address(int(message))
        if msg.message == _WM_INPUT:
            self._on_input(msg.lParam)
            return False, 0  # DefWindowProc must still see WM_INPUT to free its buffer
        if msg.message in (_WM_KEYDOWN, _WM_KEYUP, _WM_SYSKEYDOWN, _WM_SYSKEYUP, _WM_CHAR):
            key = int(msg.wParam)
            if msg.message == _WM_CHAR:  # '1'..'9' as characters
                key = key if 0x31 <= key <= 0x39 else -1
            until = self._swallow.get(key)
            if until is not None and time.monotonic() <= until:
                if msg.message in (_WM_KEYUP, _WM_SYSKEYUP):
                    self._swallow.pop(key, None)
                return True, 0  # the keypad's keystroke: no window of ours sees it
        return False, 0

    def _on_input(self, handle: int) -> None:
        class RAWINPUTHEADER(ctypes.Structure):
            _fields_ = [("dwType", wintypes.DWORD), ("dwSize", wintypes.DWORD),
                        ("hDevice", wintypes.HANDLE), ("wParam", wintypes.WPARAM)]

        class RAWKEYBOARD(ctypes.Structure):
            _fields_ = [("MakeCode", wintypes.USHORT), ("Flags", wintypes.USHORT),
                        ("Reserved", wintypes.USHORT), ("VKey", wintypes.USHORT),
                        ("Message", wintypes.UINT), ("ExtraInformation", wintypes.ULONG)]

        class RAWINPUT(ctypes.Structure):
            _fields_ = [("header", RAWINPUTHEADER), ("keyboard", RAWKEYBOARD)]

        size = wintypes.UINT(0)
        header_size = ctypes.sizeof(RAWINPUTHEADER)
        self._user32.GetRawInputData(handle, _RID_INPUT, None, ctypes.byref(size), header_size)
        if size.value == 0 or size.value > 1024:
            return
        buffer = ctypes.create_string_buffer(max(size.value, ctypes.sizeof(RAWINPUT)))
        read = self._user32.GetRawInputData(handle, _RID_INPUT, buffer, ctypes.byref(size),
                                            header_size)
        if read in (0, 0xFFFFFFFF):
            return
        raw = RAWINPUT.from_buffer(buffer)
        if raw.header.dwType != _RIM_TYPEKEYBOARD or int(raw.header.hDevice or 0) \
                not in self._handles:
            return
        vkey = raw.keyboard.VKey
        digit = _WINDOWS_DIGITS.get(vkey)
        if digit is None:
            return
        until = time.monotonic() + _SWALLOW_S
        self._swallow[vkey] = until
        self._swallow[0x30 + digit] = until  # its WM_CHAR
        if not raw.keyboard.Flags & _RI_KEY_BREAK:
            self.digit.emit(digit)


def open_keypad(inputs: RatingInputs, target: Any) -> tuple[KeypadSource | None, str | None]:
    """The configured keypad, started; or None and why not (the app starts without it).

    No `keypad` in `rating_input`, or no `keypad_device` given: no keypad and no problem."""
    if not inputs.wants_keypad:
        return None, None
    assert inputs.keypad_device is not None
    keypad: KeypadSource
    if sys.platform.startswith("linux"):
        keypad = EvdevKeypad(inputs.keypad_device)
    elif sys.platform == "win32":
        keypad = RawInputKeypad(inputs.keypad_device, target)
    else:
        return None, f"rating keypads are not supported on {sys.platform}"
    try:
        keypad.start()
    except KeypadUnavailable as exc:
        log.warning("rating keypad not available: %s", exc)
        return None, str(exc)
    return keypad, None
