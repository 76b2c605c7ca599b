"""CounterController: the Qt adapter that ticks the domain and tells both screens what changed."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from counter_app.service import CounterService
from counter_app.storage.staff import SignInError
from counter_core.transaction import CounterError, CustomerView, Phase

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Repaint interval of the running hourglass: smooth enough for sand that moves ~1 px a second,
#: cheap enough for a counter PC (the timer stops when nothing runs, so idle CPU is ~0).
TICK_MS = 200
HEARTBEAT_MS = 5000


class CounterController(QObject):
    """Calls into the domain on behalf of the windows; never decides anything itself."""

    changed = Signal()  # phase, customer view or rating status changed
    ticked = Signal()  # the running timer moved on
    problem = Signal(str)  # an action was refused or could not be saved

    def __init__(self, service: CounterService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.machine = service.machine
        self._tick = QTimer(self, interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self.ticked)
        self._heartbeat = QTimer(self, interval=HEARTBEAT_MS)
        self._heartbeat.timeout.connect(self._save_heartbeat)
        self._deadline = QTimer(self, singleShot=True)
        self._deadline.timeout.connect(self.poll)

    # ---- actions ------------------------------------------------------------------------------

    def sign_in(self, number: str, pin: str) -> str | None:
        """None when signed in, else the reason to show."""
        try:
            self.service.sign_in(number, pin)
        except SignInError as exc:
            return str(exc)
        except (CounterError, sqlite3.Error) as exc:
            return self._describe(exc)
        self._after()
        return None

    def sign_out(self) -> None:
        self._act(self.machine.sign_out)

    def start_transaction(self) -> None:
        self._act(self.machine.start)

    def complete_transaction(self) -> None:
        self._act(self.machine.complete)

    def void_transaction(self) -> None:
        self._act(self.machine.void)

    def next_type(self) -> None:
        self._act(self.machine.next_type)

    def select_type(self, code: str) -> None:
        self._act(lambda: self.machine.select_type(code))

    def give_overtime_reason(self, code: str) -> None:
        self._act(lambda: self.machine.give_overtime_reason(code))

    def rate(self, value: int) -> bool:
        return bool(self._act(lambda: self.machine.rate(value)))

    def give_rating_reason(self, code: str) -> bool:
        return bool(self._act(lambda: self.machine.give_rating_reason(code)))

    def poll(self) -> None:
        """Close what has timed out (rating window, thank-you page); tests call it directly."""
        self._act(self.machine.expire)

    # ---- plumbing -----------------------------------------------------------------------------

    def _act(self, action: Callable[[], T]) -> T | None:
        try:
            result = action()
        except CounterError as exc:
            self.problem.emit(str(exc))
            return None
        except sqlite3.Error as exc:
            log.exception("could not save")
            self.problem.emit(self._describe(exc))
            return None
        self._after()
        return result

    @staticmethod
    def _describe(exc: Exception) -> str:
        if isinstance(exc, sqlite3.Error):
            return (
                f"NOT SAVED: the database refused the record ({exc}). Nothing already recorded "
                "is lost; free disk space or call support, then try again."
            )
        return str(exc)

    def _after(self) -> None:
        running = self.machine.phase is Phase.SERVING
        if running and not self._tick.isActive():
            self._tick.start()
            self._heartbeat.start()
        elif not running:
            self._tick.stop()
            self._heartbeat.stop()
        deadline = self.machine.next_deadline()
        if deadline is None:
            self._deadline.stop()
        else:
            wait_ms = max(0, int((deadline - self.machine.clock()) * 1000) + 20)
            self._deadline.start(wait_ms)
        self.changed.emit()

    def _save_heartbeat(self) -> None:
        try:
            self.service.heartbeat()
        except sqlite3.Error:
            log.exception("heartbeat not saved")

    @property
    def customer_view(self) -> CustomerView:
        return self.machine.customer_view()
