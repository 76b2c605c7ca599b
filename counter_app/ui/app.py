"""Start-up only: build the counter, the controller and both windows, wire them, run Qt."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QTimer, QTranslator
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.errors import ApplicationError, StorageFailed
from counter_app.config import Config
from counter_app.ui.controller import CounterController
from counter_app.ui.customer_screen import CustomerScreen
from counter_app.ui.i18n import translations_dir
from counter_app.ui.staff_window import StaffWindow
from counter_app.ui.start_refusal import show_start_refusal
from counter_app.ui.sync_runner import SyncRunner
from counter_core.transaction import CustomerView

log = logging.getLogger(__name__)
BACKUP_CHECK_MS = 60 * 60 * 1000
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


def install_translator(app: QApplication, language: str) -> list[QTranslator]:
    """Load our .qm and Qt's own for `language`; English is the source language."""
    loaded = []
    QLocale.setDefault(QLocale(language))
    for name, folder in (
        (f"counter_app_{language}", str(translations_dir(language))),
        (f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded


class CounterApp:
    """Both windows around one controller; keeps the customer screen where it belongs."""

    def __init__(self, service: Counter) -> None:
        self.service = service
        self.controller = CounterController(service)
        self.staff_window = StaffWindow(self.controller)
        self.customer_screen = CustomerScreen(self.controller)
        self.sync_runner = SyncRunner(service, self.staff_window)
        self.staff_window.sync_runner = self.sync_runner
        self.sync_runner.start()
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
        self.staff_window.closing.connect(self.customer_screen.hide)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            # an OS shutdown or logoff: record and exit, never ask (nobody is there to answer)
            app.commitDataRequest.connect(lambda _manager: self.shut_down("shutdown"))

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
        self.sync_runner.sync_on_exit(EXIT_SYNC_S)

    def show(self) -> None:
        self.staff_window.show()
        place_customer_screen(self.customer_screen, self.service.config.customer_screen,
                              self.staff_window)

    def _on_changed(self) -> None:
        view = self.controller.customer_view
        if view is not self._last_view:
            # The rating keypad types into the focused window: give the customer screen the
            # keyboard while it asks for a rating, and hand it back to the clerk afterwards.
            if view in (CustomerView.RATING, CustomerView.REASON):
                self.customer_screen.activateWindow()
            elif self._last_view in (CustomerView.RATING, CustomerView.REASON):
                self.staff_window.activateWindow()
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


def place_customer_screen(screen_widget: QWidget, index: int | None, staff: QWidget) -> None:
    """Full screen on the configured monitor when it is a separate one; else a window."""
    screens = QGuiApplication.screens()
    staff_screen = staff.screen()
    if index is not None and 0 <= index < len(screens) and screens[index] is not staff_screen:
        target = screens[index]
        screen_widget.setScreen(target)
        screen_widget.setGeometry(target.geometry())
        screen_widget.showFullScreen()
        return
    if index is not None and index >= len(screens):
        log.warning("customer_screen = %s, but only %s screen(s): using a window",
                    index, len(screens))
    # One monitor: put the customer window beside the staff window when it fits.
    room = staff.screen().availableGeometry()
    frame = staff.frameGeometry()
    space = room.right() - frame.right()
    if space >= 640:
        screen_widget.resize(min(screen_widget.width(), space), screen_widget.height())
        screen_widget.move(frame.right() + 1, frame.top())
    screen_widget.show()


def run_app(config: Config, data_dir: Path, *, smoke_test: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = application()
    install_translator(app, config.language)
    try:
        # the daily backup (VACUUM INTO, a second on a big database) waits for the windows
        service = Counter(config, data_dir, backup_now=False)
    except ApplicationError as exc:
        if not smoke_test:
            show_start_refusal(exc.message, config.language)
        print(f"counter-app: {exc.message}", file=sys.stderr)
        return 2
    counter = CounterApp(service)
    counter.show()
    if service.damaged:
        folder, problem = service.damaged
        message = QCoreApplication.translate("StaffWindow",
            "THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be "
            "uploaded; a new database was started. Tell your duty manager and support.")
        message = message.replace("%1", problem).replace("%2", str(folder))
        print(f"counter-app: {message}", file=sys.stderr)
        if not smoke_test:
            QMessageBox.warning(counter.staff_window, "Counter App", message)
    if smoke_test:
        def check() -> None:
            shown = counter.staff_window.isVisible() and counter.customer_screen.isVisible()
            print(f"smoke test: staff window and customer screen shown: {shown}")
            app.exit(0 if shown else 1)

        QTimer.singleShot(300, check)
    stop_on_sigterm(counter)
    code = app.exec()
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
