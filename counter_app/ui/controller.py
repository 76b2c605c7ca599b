"""CounterController: the Qt adapter that ticks the domain and tells both screens what changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from counter_app.application.counter import Counter, CounterState
from counter_app.application.errors import SignInRefused, StorageFailed
from counter_app.config import Config
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

    def __init__(self, counter: Counter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.state: CounterState = counter.state
        self._tick = QTimer(self, interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self.ticked)
        self._heartbeat = QTimer(self, interval=HEARTBEAT_MS)
        self._heartbeat.timeout.connect(self._save_heartbeat)
        self._deadline = QTimer(self, singleShot=True)
        self._deadline.timeout.connect(self.poll)

    @property
    def config(self) -> Config:
        return self.counter.config

    # ---- actions ------------------------------------------------------------------------------

    def sign_in(self, number: str, pin: str) -> str | None:
        """None when signed in, else the reason to show."""
        try:
            self.counter.sign_in(number, pin)
        except SignInRefused as exc:
            return exc.message
        except CounterError as exc:
            return str(exc)
        except StorageFailed as exc:
            return exc.message
        self._after()
        return None

    def sign_out(self) -> None:
        self._act(self.counter.sign_out)

    def start_transaction(self) -> None:
        self._act(self.counter.start_transaction)

    def complete_transaction(self) -> None:
        self._act(self.counter.complete)

    def void_transaction(self) -> None:
        self._act(self.counter.void)

    def next_type(self) -> None:
        self._act(self.counter.next_type)

    def step_away(self, back_at: str) -> None:
        """Back soon (暂离) until `back_at` (UTC record time)."""
        self._act(lambda: self.counter.step_away(back_at))

    def come_back(self) -> None:
        self._act(self.counter.come_back)

    def select_type(self, code: str) -> None:
        self._act(lambda: self.counter.change_type(code))

    def give_overtime_reason(self, code: str) -> None:
        self._act(lambda: self.counter.give_overtime_reason(code))

    def rate(self, value: int) -> bool:
        return bool(self._act(lambda: self.counter.rate(value)))

    def give_rating_reason(self, code: str) -> bool:
        return bool(self._act(lambda: self.counter.give_rating_reason(code)))

    def extend_rating(self) -> bool:
        """"Need more time": the customer's rating window lengthened, once."""
        return bool(self._act(self.counter.extend_rating))

    def set_order_number(self, order_no: str) -> bool:
        """The business order number of the transaction being served (never required)."""
        return self._act(lambda: self.counter.set_order_number(order_no)) is not None

    def close_counter(self, reason: str = "closed") -> bool:
        """Record what is open (a running transaction as interrupted) and sign out; the app
        exits next. False (and the problem shown) when it could not be saved."""
        if self.state.staff is None and self.state.running is None:
            return True
        return self._act(lambda: self.counter.close_counter(reason)) is not None

    def poll(self) -> None:
        """Close what has timed out (rating window, thank-you page); tests call it directly."""
        self._act(self.counter.expire)

    # ---- plumbing -----------------------------------------------------------------------------

    def _act(self, action: Callable[[], T]) -> T | None:
        try:
            result = action()
        except CounterError as exc:
            self.problem.emit(str(exc))
            return None
        except StorageFailed as exc:  # logged by the application layer
            self.problem.emit(exc.message)
            return None
        self._after()
        return result

    def _after(self) -> None:
        state = self.state
        # the timer ticks while a transaction runs and while the rating window counts down
        running = state.phase is Phase.SERVING or state.rating_time_left() is not None
        if running and not self._tick.isActive():
            self._tick.start()
            self._heartbeat.start()
        elif not running:
            self._tick.stop()
            self._heartbeat.stop()
        deadline = state.next_deadline()
        if deadline is None:
            self._deadline.stop()
        else:
            wait_ms = max(0, int((deadline - state.clock()) * 1000) + 20)
            self._deadline.start(wait_ms)
        self.changed.emit()

    def _save_heartbeat(self) -> None:
        if self.state.phase is not Phase.SERVING:
            return
        try:
            self.counter.heartbeat()
        except StorageFailed:
            log.warning("heartbeat not saved")

    @property
    def customer_view(self) -> CustomerView:
        return self.state.customer_view()
