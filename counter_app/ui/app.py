"""Start-up only: build the counter, the controller and both windows, wire them, run Qt."""

from __future__ import annotations

import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMargins,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.errors import ApplicationError, StorageFailed
from counter_app.application.sync import start_streaming
from counter_app.application.voice import VoicePrompts, moment_of
from counter_app.config import Config
from counter_app.ui.controller import CounterController
from counter_app.ui.customer_screen import CustomerScreen
from counter_app.ui.i18n import install_translator as install_translator  # re-exported
from counter_app.ui.rating_sources import KeypadSource, open_keypad
from counter_app.ui.staff_window import StaffWindow
from counter_app.ui.start_refusal import show_start_refusal
from counter_app.ui.sync_runner import SyncRunner
from counter_core.transaction import CustomerView

if TYPE_CHECKING:
    from counter_app.application.counter import EarlyCheck
    from counter_app.sync.hall_stream import HallStreamer
    from counter_app.ui.speech import QtSpeech

log = logging.getLogger(__name__)
BACKUP_CHECK_MS = 60 * 60 * 1000
PLACEMENT_CHECK_MS = 500
#: After show(): the windows' first paint comes first, then the sync, stream and pulls start.
BACKGROUND_START_MS = 100
#: On the way out, a sync to head office runs at most this long (counter PCs are switched off
#: at night, so the nightly window may never come); a dead network does not hold the exit.
EXIT_SYNC_S = 10.0
#: How often Python gets the chance to run a signal handler (SIGTERM) while Qt waits.
SIGNAL_POLL_MS = 250


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, with bundled fonts registered (CJK where the OS lacks one)."""
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Counter App")
    app.setOrganizationName("Counter App")
    for font in sorted(paths.resource_path("fonts").glob("*.[ot]t[fc]")):
        QFontDatabase.addApplicationFont(str(font))
    return app  # type: ignore[return-value]


class _StatusCarrier(QObject):
    arrived = Signal(object)  # a hall stream run's SyncStatus, emitted on the streamer's thread


class CounterApp:
    """Both windows around one controller; keeps the customer screen where it belongs."""

    def __init__(self, service: Counter, keypad: KeypadSource | None = None, *,
                 background_now: bool = True) -> None:
        """`background_now=False`: the sync schedule and the hall stream wait for
        `start_background()` (the app calls it once both windows are shown)."""
        self.service = service
        self.controller = CounterController(service)
        self.staff_window = StaffWindow(self.controller)
        self.customer_screen = CustomerScreen(self.controller)
        # voice prompts ([voice], off by default): greeting, rating request, thanks
        self.voice = VoicePrompts(service.config.voice, self._open_speech(service.config))
        self.controller.changed.connect(
            lambda: self.voice.update(moment_of(self.controller.state)))
        keypad_problem = None
        if keypad is not None:  # given (tests): start it as open_keypad starts its own
            keypad.start()
        else:
            keypad, keypad_problem = open_keypad(service.config.rating_inputs,
                                                 self.customer_screen)
        self.keypad = keypad
        if self.keypad is not None:
            # a keypad digit rates whatever window has the keyboard focus
            self.keypad.digit.connect(self.customer_screen.press_digit)
            self.keypad.failed.connect(self._show_keypad_problem)
        self.sync_runner = SyncRunner(service, self.staff_window)
        self.staff_window.sync_runner = self.sync_runner
        self._hall_status = _StatusCarrier(self.staff_window)
        self._hall_status.arrived.connect(self._record_hall_status)
        self.hall_stream: HallStreamer | None = None
        self._background_started = False
        if background_now:
            self.start_background()
        self._last_view = self.controller.customer_view
        self.controller.changed.connect(self._on_changed)
        self._backup_timer = QTimer(self.staff_window, interval=BACKUP_CHECK_MS)
        self._backup_timer.timeout.connect(service.backup_if_due)
        self._backup_timer.start()
        QTimer.singleShot(0, service.backup_if_due)
        if service.recovered:
            interrupted = service.interrupted_at_start
            self.staff_window.counter_page.banner.setText(QCoreApplication.translate("StaffWindow",
                "The app did not close normally last time: %1 running transaction(s) were "
                "recorded as interrupted, with the time known so far.")
                .replace("%1", str(interrupted)))
            self.staff_window.counter_page.banner.setVisible(interrupted > 0)
        self._update_served_today()
        if keypad_problem is not None:
            self._show_keypad_problem(keypad_problem)
        self.chain_break_message = self._chain_break_message()
        if self.chain_break_message is not None:
            self._add_to_banner(self.chain_break_message)
        self.staff_window.closing.connect(self.customer_screen.hide)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            # an OS shutdown or logoff: record and exit, never ask (nobody is there to answer)
            app.commitDataRequest.connect(lambda _manager: self.shut_down("shutdown"))

    def _open_speech(self, config: Config) -> QtSpeech | None:
        """The text-to-speech engine when `[voice]` is on; QtTextToSpeech (its plugins, an
        engine started) is not loaded at all while it is off, as it is by default."""
        if not config.voice.enabled:
            return None
        from counter_app.ui.speech import open_speech

        return open_speech(config.voice, parent=self.customer_screen)

    def _show_keypad_problem(self, problem: str) -> None:
        message = QCoreApplication.translate(
            "StaffWindow", "The rating keypad is configured but cannot be used: %1. "
            "Customers can still rate on the screen where allowed.").replace("%1", problem)
        print(f"counter-app: {message}", file=sys.stderr)
        self._add_to_banner(message)

    def _chain_break_message(self) -> str | None:
        """Loud words for a break in the chain found at this start (None: the chain is whole)."""
        found = self.service.chain_break
        if found is None:
            return None
        message = QCoreApplication.translate("StaffWindow",
            "THE COUNTER'S RECORDS WERE CHANGED outside the app: events %1–%2 no longer verify "
            "(the last good one is %3). This was recorded and will be reported to head office. "
            "Tell your duty manager.")
        return (message.replace("%1", str(found.first_bad_seq))
                .replace("%2", str(found.last_bad_seq)).replace("%3", str(found.last_good_seq)))

    def _add_to_banner(self, message: str) -> None:
        banner = self.staff_window.counter_page.banner
        banner.setText(f"{banner.text()}\n{message}" if banner.isVisible() else message)
        banner.setVisible(True)

    def shut_down(self, reason: str = "shutdown") -> None:
        """Close the counter without asking: record what is open, then quit Qt."""
        self.controller.close_counter(reason)
        self.customer_screen.hide()
        self.staff_window.hide()
        QCoreApplication.quit()

    def finish(self) -> None:
        """After the event loop: record anything still open (a quit by any path) and run the
        bounded exit sync when a head office is configured."""
        self.controller.close_counter("closed")
        self.customer_screen.hide()
        self.staff_window.hide()
        self.sync_runner.shutdown(wait_ms=2000)
        if self.hall_stream is not None:
            self.hall_stream.stop()
        self.sync_runner.sync_on_exit(EXIT_SYNC_S)

    def start_background(self) -> None:
        """The sync schedule, the live stream to the hall server and the roster and settings
        pulls: off the path to the first window (they load httpx and their threads)."""
        if self._background_started:
            return
        self._background_started = True
        self.sync_runner.start()
        # the live stream to the hall server ([hall_server]): its own daemon threads; each run's
        # status comes back here, to the writer's thread, by a queued signal
        self.hall_stream = start_streaming(self.service.data_dir, self.service.config,
                                           record=self._hall_status.arrived.emit)
        if self.hall_stream is not None:
            self.hall_stream.set_presence(self.service.presence())
        self.service.start_pulls()

    def show(self) -> None:
        staff = self.staff_window
        if not staff.testAttribute(Qt.WidgetAttribute.WA_Moved):
            # a position of our own, so the window manager does not centre the staff window
            # after the customer window was placed beside where it was going to be
            screen = staff.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                staff.move(screen.availableGeometry().topLeft())
        staff.show()
        place_customer_screen(self.customer_screen, self.service.config.customer_screen, staff)
        # once the window manager has framed both windows, make sure they do not overlap
        # tied to both windows: a check never runs after either is gone
        QTimer.singleShot(PLACEMENT_CHECK_MS, self.customer_screen, self._check_placement)

    def _check_placement(self) -> None:
        customer, staff = self.customer_screen, self.staff_window
        if not (shiboken6.isValid(customer) and shiboken6.isValid(staff)):
            return
        if (customer.isVisible() and not customer.isFullScreen() and staff.isVisible()
                and customer.frameGeometry().intersects(staff.frameGeometry())):
            place_customer_screen(customer, self.service.config.customer_screen, staff)

    def _record_hall_status(self, status: object) -> None:
        try:
            self.service.record_hall_status(status)  # type: ignore[arg-type]
        except ApplicationError as exc:  # the status is a convenience; the stream goes on
            log.warning("could not record the hall stream status: %s", exc)

    def _on_changed(self) -> None:
        if self.hall_stream is not None:
            self.hall_stream.set_presence(self.service.presence())  # sent at a phase change
        view = self.controller.customer_view
        if view is not self._last_view:
            # No focus juggling: the customer screen never takes the keyboard (a digit the clerk
            # types must never become a rating); a rating keypad is read as its own device.
            if self._last_view is CustomerView.SERVICE:
                self._update_served_today()
            self._last_view = view

    def _update_served_today(self) -> None:
        try:
            served = self.service.served_today()
        except StorageFailed:
            log.warning("could not count today's transactions")
            return
        self.staff_window.counter_page.set_today(served)


@dataclass(frozen=True)
class Placement:
    """Where the customer window goes: a frame rectangle (a window) or a whole screen."""

    screen: int
    frame: QRect
    full_screen: bool = False
    #: where to move the staff window's frame first, when that makes room beside it
    move_staff_to: QPoint | None = None


def _bands(room: QRect, staff: QRect) -> list[QRect]:
    """The free parts of `room` right of, left of, below and above the staff frame."""
    staff = staff.intersected(room)
    return [
        QRect(QPoint(staff.right() + 1, room.top()), room.bottomRight()),
        QRect(room.topLeft(), QPoint(staff.left() - 1, room.bottom())),
        QRect(QPoint(room.left(), staff.bottom() + 1), room.bottomRight()),
        QRect(room.topLeft(), QPoint(room.right(), staff.top() - 1)),
    ]


def _window_in(band: QRect, staff: QRect, wanted: QSize) -> QRect:
    """A frame of the wanted size shrunk to `band`, against the staff window's edge."""
    width, height = min(wanted.width(), band.width()), min(wanted.height(), band.height())
    x = band.left() if band.left() > staff.left() else band.right() - width + 1
    if band.top() > staff.top():
        y = band.top()
    elif band.bottom() < staff.top():
        y = band.bottom() - height + 1
    else:  # beside: level with the staff window's top when it fits
        y = max(band.top(), min(staff.top(), band.bottom() - height + 1))
    return QRect(x, y, width, height)


def customer_placement(screens: list[QRect], staff_screen: int, staff_frame: QRect,
                       index: int | None, wanted: QSize, minimum: QSize) -> Placement:
    """Where the customer window goes; it is never over the staff window.

    1. the configured screen (`counter.customer_screen`), when it is not the staff's: full
       screen there;
    2. beside the staff window (right, left, below, above) when the room there holds at least
       the minimum size: the wanted size, shrunk to the room;
    3. another screen: full screen there;
    4. the staff window moved to its screen's top-left corner, and the customer window beside
       it where that makes the room;
    5. no room anywhere (one screen too small for both): the largest free part at the minimum
       size — the only case in which the two windows overlap, logged as a warning.

    Sizes are frame sizes (the window's frame included). `screens` are the screens' available
    geometries."""
    if index is not None and 0 <= index < len(screens) and index != staff_screen:
        return Placement(index, screens[index], full_screen=True)
    room = screens[staff_screen]

    def fitting(staff: QRect) -> QRect | None:
        fits = [b for b in _bands(room, staff) if b.width() >= minimum.width()
                and b.height() >= minimum.height()]
        roomy = [b for b in fits if b.width() >= wanted.width() and b.height() >= wanted.height()]
        choices = roomy or sorted(fits, key=lambda b: -b.width() * b.height())
        return _window_in(choices[0], staff, wanted) if choices else None

    beside = fitting(staff_frame)
    if beside is not None:
        return Placement(staff_screen, beside)
    others = [i for i in range(len(screens)) if i != staff_screen]
    if others:
        return Placement(others[0], screens[others[0]], full_screen=True)
    corner = room.topLeft()
    moved = fitting(staff_frame.translated(corner - staff_frame.topLeft()))
    if moved is not None:
        return Placement(staff_screen, moved, move_staff_to=corner)
    largest = max(_bands(room, staff_frame), key=lambda b: max(0, b.width()) * max(0, b.height()))
    frame = _window_in(largest, staff_frame, minimum)
    frame.setSize(minimum)
    log.warning("the screen (%sx%s) is too small for the staff window and the customer window "
                "side by side: they overlap", room.width(), room.height())
    return Placement(staff_screen, frame)


def place_customer_screen(screen_widget: QWidget, index: int | None, staff: QWidget) -> None:
    """Full screen on the configured monitor when it is a separate one; else a window that
    is not over the staff window (`customer_placement`)."""
    screens = QGuiApplication.screens()
    if index is not None and index >= len(screens):
        log.warning("customer_screen = %s, but only %s screen(s): using a window",
                    index, len(screens))
    staff_screen = screens.index(staff.screen()) if staff.screen() in screens else 0
    frame = staff.frameGeometry()
    inner = staff.geometry()
    margins = QMargins(inner.left() - frame.left(), inner.top() - frame.top(),
                       frame.right() - inner.right(), frame.bottom() - inner.bottom())
    if margins.isNull():  # not decorated yet: assume a usual title bar and border
        margins = QMargins(4, 30, 4, 4)
        frame = inner.marginsAdded(margins)
    extra = QSize(margins.left() + margins.right(), margins.top() + margins.bottom())
    placement = customer_placement(
        [s.availableGeometry() for s in screens], staff_screen, frame,
        index, screen_widget.size() + extra, screen_widget.minimumSize() + extra)
    target = screens[placement.screen]
    screen_widget.setScreen(target)
    if placement.full_screen:
        screen_widget.setGeometry(target.geometry())
        screen_widget.showFullScreen()
        return
    if placement.move_staff_to is not None:
        staff.move(placement.move_staff_to)
    screen_widget.setGeometry(placement.frame.marginsRemoved(margins))
    screen_widget.show()


def run_app(config: Config, data_dir: Path, *, smoke_test: bool = False,
            early_check: EarlyCheck | None = None) -> int:
    """Run the counter until its windows close; the exit code. `early_check`: the database's
    integrity check, begun before this module (and Qt) loaded."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = application()
    install_translator(app, config.language)
    try:
        # the daily backup (VACUUM INTO, a second on a big database) waits for the windows
        service = Counter(config, data_dir, backup_now=False, pull_later=True,
                          early_check=early_check)
    except ApplicationError as exc:
        if not smoke_test:
            show_start_refusal(exc.message, config.language)
        print(f"counter-app: {exc.message}", file=sys.stderr)
        return 2
    counter = CounterApp(service, background_now=False)
    counter.show()
    # the sync, the hall stream and the pulls once both windows are on screen
    QTimer.singleShot(BACKGROUND_START_MS, counter.staff_window, counter.start_background)
    if service.damaged:
        folder, problem = service.damaged
        message = QCoreApplication.translate("StaffWindow",
            "THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be "
            "uploaded; a new database was started. Tell your duty manager and support.")
        message = message.replace("%1", problem).replace("%2", str(folder))
        print(f"counter-app: {message}", file=sys.stderr)
        if not smoke_test:
            QMessageBox.warning(counter.staff_window, "Counter App", message)
    if counter.chain_break_message is not None:
        print(f"counter-app: {counter.chain_break_message}", file=sys.stderr)
        if not smoke_test:
            QMessageBox.warning(counter.staff_window, "Counter App", counter.chain_break_message)
    if smoke_test:
        def check() -> None:
            shown = counter.staff_window.isVisible() and counter.customer_screen.isVisible()
            print(f"smoke test: staff window and customer screen shown: {shown}")
            app.exit(0 if shown else 1)

        QTimer.singleShot(300, check)
    stop_on_sigterm(counter)
    code = app.exec()
    if counter.keypad is not None:
        counter.keypad.stop()  # release the grab: the keypad types again once the app is gone
    counter.finish()
    service.close()
    dispose_windows(counter)
    return code


def stop_on_sigterm(counter: CounterApp) -> None:
    """SIGTERM (a service manager, `kill`, a logoff that sends it) closes the counter without
    asking. Python runs the handler only between bytecodes, so a timer wakes it while Qt waits."""
    def handle(_signum: int, _frame: FrameType | None) -> None:
        QTimer.singleShot(0, lambda: counter.shut_down("shutdown"))

    signal.signal(signal.SIGTERM, handle)
    waker = QTimer(counter.staff_window, interval=SIGNAL_POLL_MS)
    waker.timeout.connect(lambda: None)
    waker.start()


def dispose_windows(counter: CounterApp) -> None:
    """Delete both windows now, while Python still holds them.

    Left to PySide's teardown at interpreter exit, the widgets are deleted in arbitrary order
    and a slot closure that holds a window can free it in the middle of deleting another
    ("shared QObject was deleted directly"), which crashed about one exit in ten.
    """
    for window in (counter.customer_screen, counter.staff_window):
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
