"""The staff window: sign-in, then the counter page (hourglass, type, Start/Done/Next/Void)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from PySide6.QtCore import QKeyCombination, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from counter_app.ui.controller import CounterController
from counter_app.ui.hourglass import Hourglass
from counter_app.ui.messages import translate_message
from counter_app.ui.my_figures import show_my_figures
from counter_app.ui.my_ratings import show_my_ratings
from counter_app.ui.pin_change import cancelled_text, change_pin_at_sign_in
from counter_app.ui.sync_panel import HeadOfficePanel
from counter_app.ui.sync_runner import SyncRunner
from counter_app.ui.widgets import ElidedLabel, label, named
from counter_core.events import MAX_ORDER_NUMBER, looks_like_phone_number, order_number_problem
from counter_core.periods import format_utc, local_hhmm, zone
from counter_core.presses import REPEAT_S, PressGate
from counter_core.ratings import OVERTIME_REASONS
from counter_core.timer import format_mmss
from counter_core.transaction import Phase

#: The overtime reasons' keys: function keys, which a rating keypad (digits, Enter, +, -)
#: cannot send, so a customer's press can never pick the clerk's reason.
REASON_KEYS = (Qt.Key.Key_F5, Qt.Key.Key_F6, Qt.Key.Key_F7, Qt.Key.Key_F8, Qt.Key.Key_F9)
#: Below this the type list and the buttons no longer fit (the window refuses to shrink).
MINIMUM_SIZE = (900, 600)

#: Back soon (暂离): the key, and the return times offered in minutes (keys 1–4 in the dialog)
AWAY_KEY = Qt.Key.Key_F10
AWAY_MINUTES = (5, 10, 15, 30)


def back_at_in(minutes: float, now: dt.datetime | None = None) -> str:
    """The UTC record time `minutes` from now."""
    return format_utc((now or dt.datetime.now(dt.UTC)) + dt.timedelta(minutes=minutes))


def back_at_clock(time: dt.time, zone_name: str, now: dt.datetime | None = None) -> str | None:
    """The UTC record time of `time` today in the hall's zone; None when it is not later than
    now (or more than 12 hours ahead)."""
    here = zone(zone_name)
    moment_now = (now or dt.datetime.now(dt.UTC)).astimezone(here)
    moment = dt.datetime.combine(moment_now.date(), time, tzinfo=here)
    if not dt.timedelta(0) < moment - moment_now <= dt.timedelta(hours=12):
        return None
    return format_utc(moment.astimezone(dt.UTC))


def local_clock(back_at: str, zone_name: str) -> str:
    """"10:45": a UTC record time on the hall's clock."""
    return local_hhmm(back_at, zone(zone_name))


class BackSoonDialog(QDialog):
    """Asks when the clerk will be back: in 5/10/15/30 minutes (keys 1–4) or at a time (the
    time field, Enter); Esc cancels. `back_at` is the UTC record time picked."""

    def __init__(self, zone_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone_name = zone_name
        self.back_at: str | None = None
        self.setWindowTitle(self.tr("Back soon"))
        box = QVBoxLayout(self)
        box.addWidget(label("title", self.tr("When will you be back?")))
        row = QHBoxLayout()
        self.minute_buttons: list[QPushButton] = []
        for index, minutes in enumerate(AWAY_MINUTES, start=1):
            button = QPushButton(self.tr("In %1 min  (%2)").replace("%1", str(minutes))
                                 .replace("%2", str(index)))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, m=minutes: self.pick_minutes(m))
            row.addWidget(button)
            self.minute_buttons.append(button)
        box.addLayout(row)
        at_row = QHBoxLayout()
        at_row.addWidget(QLabel(self.tr("or at")))
        self.time_edit = QTimeEdit(displayFormat="HH:mm")
        here = dt.datetime.now(zone(zone_name)) + dt.timedelta(minutes=20)
        self.time_edit.setTime(QTime(here.hour, here.minute))
        self.time_edit.setAccessibleName(self.tr("Back at this time  (Enter)"))
        at_row.addWidget(self.time_edit, 1)
        self.at_button = QPushButton(self.tr("Back at this time  (Enter)"))
        self.at_button.setDefault(True)
        self.at_button.clicked.connect(self.pick_time)
        at_row.addWidget(self.at_button)
        box.addLayout(at_row)
        self.error = label("error", wrap=True)
        box.addWidget(self.error)
        cancel = QPushButton(self.tr("Cancel  (Esc)"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        box.addWidget(cancel)
        # the keys 1–4 pick a duration; Tab reaches the time field, where digits type a time
        self.minute_buttons[0].setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """1–4 pick a duration (the time field keeps its own digits: it takes them first)."""
        index = event.key() - Qt.Key.Key_1.value
        if 0 <= index < len(AWAY_MINUTES) and not event.modifiers() & ~(
                Qt.KeyboardModifier.KeypadModifier):
            self.pick_minutes(AWAY_MINUTES[index])
            return
        super().keyPressEvent(event)

    def pick_minutes(self, minutes: float) -> None:
        self.back_at = back_at_in(minutes)
        self.accept()

    def pick_time(self) -> None:
        picked = self.time_edit.time()
        back_at = back_at_clock(dt.time(picked.hour(), picked.minute()), self.zone_name)
        if back_at is None:
            self.error.setText(self.tr("Pick a time later than now (within 12 hours)"))
            return
        self.back_at = back_at
        self.accept()


STYLE = """
QMainWindow, QWidget#page { background: #f4f6f8; }
QLabel#title { font-size: 22px; font-weight: bold; color: #263238; }
QLabel#muted { color: #546e7a; }
QLabel#error { color: #b71c1c; font-weight: bold; }
QLabel#banner { background: #fff3e0; color: #bf360c; border: 1px solid #ffb74d;
                border-radius: 6px; padding: 8px; }
QLabel#status { font-size: 16px; padding: 6px; }
QLabel#outcome { font-size: 18px; font-weight: bold; color: #37474f; background: #eceff1;
                 border-radius: 6px; padding: 6px; }
QLabel#total { font-size: 18px; color: #263238; }
QPushButton { font-size: 16px; padding: 10px 14px; border-radius: 6px;
              border: 1px solid #b0bec5; background: white; }
QPushButton:disabled { color: #b0bec5; background: #eceff1; }
QPushButton#start { background: #2e7d32; color: white; border: none; }
QPushButton#done { background: #1565c0; color: white; border: none; }
QPushButton#start:disabled, QPushButton#done:disabled { background: #cfd8dc; color: #90a4ae; }
QPushButton[type="true"] { text-align: left; }
QPushButton[type="true"]:checked { background: #fff8e1; border: 2px solid #e0a526;
                                   font-weight: bold; }
QFrame#reasons { background: #ffebee; border: 2px solid #c62828; border-radius: 8px; }
QLineEdit { font-size: 18px; padding: 8px; }
"""


class SignInPage(QWidget):
    """Staff number and PIN; Enter signs in."""

    def __init__(self, controller: CounterController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.controller = controller
        config = controller.config
        self.number = QLineEdit(placeholderText=self.tr("Staff number"))
        self.pin = QLineEdit(placeholderText=self.tr("PIN"), echoMode=QLineEdit.EchoMode.Password)
        # a screen reader names a field by its accessible name, not by its placeholder
        self.number.setAccessibleName(self.number.placeholderText())
        self.pin.setAccessibleName(self.pin.placeholderText())
        self.button = named(QPushButton(self.tr("Sign in")), "start")
        self.error = label("error", wrap=True)
        # on as many lines as the form's width needs: on one line, "Counter 03 · Huaihai Road
        # Flagship" was cut to "…Road F" on the first screen a clerk sees
        self.title = title = label("title", self.tr("Counter %1 · %2")
                                   .replace("%1", config.counter_id)
                                   .replace("%2", config.hall_name_in(config.language)),
                                   wrap=True)
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        box = QVBoxLayout()
        box.addWidget(title)
        box.addSpacing(12)
        box.addWidget(self.number)
        box.addWidget(self.pin)
        box.addWidget(self.button)
        box.addWidget(self.error)
        outer = QGridLayout(self)
        frame = QWidget()
        frame.setFixedWidth(360)
        frame.setLayout(box)
        outer.addWidget(frame, 0, 0, Qt.AlignmentFlag.AlignCenter)
        self.number.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.sign_in)
        self.button.clicked.connect(self.sign_in)

    def sign_in(self) -> None:
        number, pin = self.number.text().strip(), self.pin.text()
        problem = self.controller.sign_in(number, pin)
        if problem and self.controller.counter.pin_change_for == number:
            new_pin = change_pin_at_sign_in(self.controller.counter, number, pin, self)
            problem = (self.controller.sign_in(number, new_pin) if new_pin
                       else cancelled_text())
        self.pin.clear()
        if problem:
            self.error.setText(translate_message(problem))
            self.pin.setFocus()
        else:
            self.error.clear()
            self.number.clear()

    def reset(self) -> None:
        self.error.clear()
        self.number.setFocus()


class CounterPage(QWidget):
    """The clerk's working screen while signed in."""

    def __init__(self, controller: CounterController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.controller = controller
        self.state = controller.state
        self.language = controller.config.language
        self._init_header()
        self._init_types()
        self._init_actions()
        self._init_messages()
        self._init_reasons()
        self._init_order_number()
        self._init_layout()
        self._connect_signals()

    def _init_header(self) -> None:
        self.who = label("title")
        # elided ("…", whole in its tooltip) where the buttons need the room: at the window's
        # least size in English the buttons were cut to "igures (Shift+F" and "y ratings (F12"
        self.where = named(ElidedLabel(), "muted")
        self.sign_out_button = QPushButton(self.tr("Sign out"))
        self.close_button = QPushButton(self.tr("Close counter"))
        # appeals (申诉): the clerk's own poor ratings of earlier days, while idle
        self.my_ratings_button = named(QPushButton(self.tr("My ratings  (F12)")), "myRatings")
        # the clerk's own figures, this month and last, while idle
        self.my_figures_button = named(QPushButton(self.tr("My figures  (Shift+F12)")),
                                       "myFiguresButton")
        self.hourglass = Hourglass()
        self.hourglass.overtime_label = self.tr("OVERTIME")

    def _init_types(self) -> None:
        self.type_group = QButtonGroup(self, exclusive=True)
        self.type_buttons: dict[str, QPushButton] = {}
        self._shown_types = tuple(self.state.types)
        for kind in self._shown_types:
            self.type_buttons[kind.code] = self._type_button(kind)

    def _type_button(self, kind):
        target = (self.tr("%1 min").replace("%1", f"{kind.target_s / 60:g}")
                  if kind.target_s else self.tr("untimed"))
        button = QPushButton(f"{kind.name(self.language)}  ·  {target}")
        button.setCheckable(True)
        button.setProperty("type", True)
        self.type_group.addButton(button)
        return button

    def _sync_type_buttons(self) -> None:
        """New types (head office's central settings, applied at an idle moment): the
        buttons follow, with their names and targets."""
        types = tuple(self.state.types)
        if types == self._shown_types:
            return
        self._shown_types = types
        for button in self.type_buttons.values():
            self.type_group.removeButton(button)
            self._types_box.removeWidget(button)
            button.deleteLater()
        self.type_buttons = {}
        for index, kind in enumerate(types):
            button = self._type_button(kind)
            self._types_box.insertWidget(1 + index, button)
            button.clicked.connect(
                lambda _=False, code=kind.code: self.controller.select_type(code))
            self.type_buttons[kind.code] = button

    def _init_actions(self) -> None:
        self.start_button = named(QPushButton(self.tr("Start  (F1)")), "start")
        self.done_button = named(QPushButton(self.tr("Done  (F2)")), "done")
        self.next_button = QPushButton(self.tr("Next type  (F3)"))
        self.void_button = QPushButton(self.tr("Void  (F4)"))
        self.away_button = named(QPushButton(self.tr("Back soon  (F10)")), "away")
        for button in (self.start_button, self.done_button):
            button.setMinimumHeight(64)

    def _init_messages(self) -> None:
        self.status = label("status", wrap=True)
        self.outcome = named(label("outcome", visible=False), "outcome")
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.total = label("total")
        self.total.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.today = label("muted")
        self.message = label("error", wrap=True)
        self.banner = label("banner", wrap=True, visible=False)
        self._message_timer = QTimer(self, singleShot=True, interval=8000)

    def _init_reasons(self) -> None:
        self.reasons = named(QFrame(), "reasons")
        self.reasons.setVisible(False)
        reasons_box = QVBoxLayout(self.reasons)
        reasons_box.addWidget(label("title",
                                    self.tr("Overtime: why did it take longer? (one press)"),
                                    wrap=True))
        grid = QGridLayout()
        self.reason_buttons: dict[str, QPushButton] = {}
        self.reason_gate = PressGate(clock=self.state.clock)
        for index, choice in enumerate(OVERTIME_REASONS):
            text = choice.zh if self.language.startswith("zh") else choice.en
            key = QKeySequence(REASON_KEYS[index]).toString(
                QKeySequence.SequenceFormat.NativeText)
            button = QPushButton(f"{text}  ({key})")
            self.reason_buttons[choice.code] = button
            grid.addWidget(button, index // 2, index % 2)  # F5 F6 / F7 F8 / F9
        reasons_box.addLayout(grid)

    def _init_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.who)
        header.addSpacing(16)
        header.addWidget(self.where, 1)
        header.addWidget(self.my_figures_button)
        header.addWidget(self.my_ratings_button)
        header.addWidget(self.sign_out_button)
        header.addWidget(self.close_button)
        types_box = self._types_box = QVBoxLayout()
        types_box.addWidget(label("muted", self.tr("Transaction type (F3)")))
        for button in self.type_buttons.values():
            types_box.addWidget(button)
        types_box.addStretch()
        actions = QGridLayout()
        actions.addWidget(self.start_button, 0, 0)
        actions.addWidget(self.done_button, 0, 1)
        actions.addWidget(self.next_button, 1, 0)
        actions.addWidget(self.void_button, 1, 1)
        actions.addWidget(self.away_button, 2, 0, 1, 2)
        right = QVBoxLayout()
        right.addLayout(types_box)
        right.addLayout(actions)
        right.addLayout(self.order_row)
        right.addWidget(self.status)
        right.addWidget(self.today)
        # the overtime prompt under the hourglass, which gives it the room: across the whole
        # window under both columns it took the height the type list and the buttons need,
        # and at the least size (900×600) squashed them into empty slivers
        left = QVBoxLayout()
        left.addWidget(self.hourglass, 1)
        left.addWidget(self.total)
        # "Voided" / "Not rated" under the last transaction's time, which it is the outcome
        # of; in the right column it squashed the type buttons at the least size
        left.addWidget(self.outcome)
        left.addWidget(self.reasons)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        layout.addWidget(self.message)

    def _connect_signals(self) -> None:
        controller = self.controller
        for code, button in self.type_buttons.items():
            button.clicked.connect(lambda _=False, code=code: controller.select_type(code))
        for code, button in self.reason_buttons.items():
            button.clicked.connect(lambda _=False, code=code: self.press_reason(code))
        self.start_button.clicked.connect(controller.start_transaction)
        self.done_button.clicked.connect(controller.complete_transaction)
        self.next_button.clicked.connect(controller.next_type)
        self.void_button.clicked.connect(controller.void_transaction)
        self.sign_out_button.clicked.connect(controller.sign_out)
        self.away_button.clicked.connect(self.toggle_away)
        self.my_ratings_button.clicked.connect(self.open_my_ratings)
        self.my_figures_button.clicked.connect(self.open_my_figures)
        self.close_button.clicked.connect(lambda: self.window().close())
        controller.ticked.connect(self.refresh_timer)
        self._message_timer.timeout.connect(self.message.clear)
        controller.problem.connect(self.show_problem)

    def toggle_away(self) -> None:
        """Back soon (F10 or the button): ask the return time; while away, "I'm back"."""
        state = self.state
        if state.staff is None or not self.away_button.isEnabled():
            return
        if state.away is not None:
            self.controller.come_back()
            return
        dialog = self.back_soon_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.back_at:
            self.controller.step_away(dialog.back_at)

    def back_soon_dialog(self) -> BackSoonDialog:
        return BackSoonDialog(self.controller.config.time_zone, self)

    def away_text(self) -> str | None:
        away = self.state.away
        if away is None:
            return None
        return self.tr("Back soon · back at %1").replace(
            "%1", local_clock(away.back_at, self.controller.config.time_zone))

    def open_my_ratings(self) -> None:
        """“My ratings” (F12): only while signed in and idle (no customer at the counter)."""
        if self.my_ratings_button.isEnabled() and self.state.staff is not None:
            show_my_ratings(self.controller.counter, self)

    def open_my_figures(self) -> None:
        """“My figures” (Shift+F12): the signed-in clerk's own, only while idle."""
        if self.my_figures_button.isEnabled() and self.state.staff is not None:
            show_my_figures(self.controller.counter, self)

    # ---- the business order number (typed, or scanned: a scanner types it and Enter) ---------

    def _init_order_number(self) -> None:
        self.order_number = named(QLineEdit(maxLength=MAX_ORDER_NUMBER), "orderNumber")
        self.order_number.setPlaceholderText(
            self.tr("Business order no. (optional): type or scan, Enter (F11)"))
        self.order_number.setAccessibleName(self.order_number.placeholderText())
        self.order_number.setStyleSheet("font-size: 14px; padding: 4px;")
        self.order_status = named(label("muted", wrap=True), "orderStatus")
        self.order_row = QVBoxLayout()
        self.order_row.addWidget(self.order_number)
        self.order_row.addWidget(self.order_status)
        self.order_number.returnPressed.connect(self.set_order_number)

    def focus_order_number(self) -> None:
        self.order_number.setFocus()
        self.order_number.selectAll()

    def set_order_number(self) -> bool:
        """Record the typed or scanned order number for the transaction being served; a
        phone number is refused (none is ever stored)."""
        text = self.order_number.text().strip()
        if not text:
            return False
        if looks_like_phone_number(text):
            self._order_problem(self.tr("That looks like a mobile phone number: phone numbers "
                                        "are never stored. Scan or type the business order "
                                        "number."))
            return False
        if order_number_problem(text) is not None:
            self._order_problem(self.tr("An order number is 1–40 letters, digits, “-”, “_” or "
                                        "“/”."))
            return False
        if self.state.running is None and self.state.rating is None:
            self._order_problem(self.tr("Start a transaction first: the order number belongs "
                                        "to the transaction being served."))
            return False
        if not self.controller.set_order_number(text):
            return False  # the controller showed why
        self.order_number.clear()
        self.order_status.setStyleSheet("color: #2e7d32;")
        self.order_status.setText(self.tr("Order number %1 recorded").replace("%1", text))
        self.window().setFocus()  # back to the page: F1/F2 and the keypad as before
        return True

    def _order_problem(self, text: str) -> None:
        self.order_status.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.order_status.setText(text)
        self.order_number.selectAll()

    def press_reason(self, code: str) -> None:
        """A reason by click or by its key; a repeat within a second is ignored (PressGate)."""
        if self.reasons.isVisible() and self.reason_gate.accept():
            self.controller.give_overtime_reason(code)

    def show_problem(self, text: str) -> None:
        self.message.setText(translate_message(text))
        self._message_timer.start()

    def refresh(self) -> None:
        state = self.state
        staff = state.staff
        if staff is not None:
            self.who.setText(f"{staff.name}  ({staff.number})")
        config = self.controller.config
        self.where.setText(self.tr("Counter %1 · %2").replace("%1", config.counter_id)
                           .replace("%2", config.hall_name_in(config.language)))
        serving = state.phase is Phase.SERVING
        waiting_reason = state.overtime_reason_for is not None
        rating_open = state.rating_time_left() is not None
        away = state.away is not None
        self.start_button.setEnabled(not serving and not waiting_reason and not rating_open
                                     and not away)
        self.away_button.setEnabled(away or (not serving and not waiting_reason
                                             and not rating_open))
        self.away_button.setText(self.tr("I'm back  (F10)") if away
                                 else self.tr("Back soon  (F10)"))
        self.done_button.setEnabled(serving)
        self.void_button.setEnabled(state.can_void())
        self.sign_out_button.setEnabled(not serving and not rating_open)
        self.my_ratings_button.setEnabled(state.phase is Phase.IDLE and not waiting_reason
                                          and not rating_open)
        self.my_figures_button.setEnabled(self.my_ratings_button.isEnabled())
        self._sync_type_buttons()
        self.type_buttons[state.selected_type.code].setChecked(True)
        if waiting_reason and not self.reasons.isVisible():
            # the prompt follows a press (Done): like any one-press page, a press within a
            # second of it is a repeat, not a choice
            self.reason_gate.arm(REPEAT_S)
        self.reasons.setVisible(waiting_reason)
        outcome = {"voided": self.tr("Voided"), "not_rated": self.tr("Not rated")}.get(
            state.current_outcome() or "")
        self.outcome.setText(outcome or "")
        self.outcome.setVisible(outcome is not None)
        self.refresh_timer()

    def _status_text(self) -> str:
        """What the clerk may do now. During the rating window only a countdown that depends
        on when Done was pressed, never on what the customer pressed (design: rating window)."""
        state = self.state
        away = self.away_text()
        if away is not None:
            return away
        if state.phase is Phase.SERVING:
            return self.tr("Serving…")
        if state.overtime_reason_for is not None:
            return self.tr("Choose the overtime reason (F5–F9)")
        left = state.rating_time_left()
        if left is not None:
            return self.tr("Waiting for the customer (%1 s)").replace(
                "%1", str(math.ceil(left)))
        return self.tr("Ready for the next customer: press Start (F1)")

    def refresh_timer(self) -> None:
        state = self.state
        self.status.setText(self._status_text())
        reading = state.reading()
        self.total.setText("")
        if reading is not None:
            self.hourglass.show_reading(
                reading.fraction_elapsed, reading.display_text(), overtime=reading.is_overtime,
                caption=self.tr("time left") if reading.timed else self.tr("elapsed (untimed)"))
            if reading.is_overtime:
                self.total.setText(self._total_text(reading.elapsed_s))
            self.void_button.setEnabled(state.can_void())
            return
        last = state.last_reading
        if last is not None and (state.rating is not None or state.overtime_reason_for):
            # overtime as overtime (+00:13) beside the word, the total as total (03:13)
            digits = (f"+{format_mmss(last.overtime_s)}" if last.is_overtime
                      else format_mmss(last.elapsed_s))
            self.hourglass.show_reading(
                last.fraction_elapsed, digits, overtime=last.is_overtime,
                running=False, caption=self.tr("last transaction"))
            if last.is_overtime:
                self.total.setText(self._total_text(last.elapsed_s))
        else:
            target = state.selected_type.target_s
            self.hourglass.show_reading(
                0.0, format_mmss(target) if target else "--:--", overtime=False, running=False,
                caption=self.tr("ready"))

    def _total_text(self, elapsed_s: float) -> str:
        return self.tr("Total %1").replace("%1", format_mmss(elapsed_s))

    def set_today(self, served: int) -> None:
        self.today.setText(self.tr("Served today: %1").replace("%1", str(served)))


class StaffWindow(QMainWindow):
    """Sign-in page, then the counter page (and, for a manager, the manager view beside it).

    Closing it (title bar, window manager, "Close counter") closes the counter: `closing` is
    emitted once the clerk agreed, and the app records what is open and exits.
    """

    closing = Signal()

    def __init__(self, controller: CounterController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        config = controller.config
        self.setWindowTitle(self.tr("Counter App — Counter %1 · %2")
                            .replace("%1", config.counter_id)
                            .replace("%2", config.hall_name_in(config.language)))
        self.setStyleSheet(STYLE)
        if controller.counter.is_demo:
            # records of `counter-app demo-data`: never mistaken for a real counter's
            demo = named(QLabel(self.tr("DEMO DATA: these records were written by demo-data")),
                         "demoData")
            demo.setStyleSheet("background: #b71c1c; color: white; font-weight: bold;"
                               " padding: 2px 8px;")
            self.statusBar().addPermanentWidget(demo)
        self.sign_in_page = SignInPage(controller)
        self.counter_page = CounterPage(controller)
        self.tabs = QTabWidget()
        self.manager_view: QWidget | None = None
        self.sync_runner: SyncRunner | None = None  # set by the app when it schedules sync
        self.stack = QStackedWidget()
        self.stack.addWidget(self.sign_in_page)
        self.stack.addWidget(self.counter_page)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.setMinimumSize(*MINIMUM_SIZE)
        self.resize(1100, 700)

        page = self.counter_page
        for key, action in (
            # Start only when its button is: during the rating window F1 does nothing at all
            (Qt.Key.Key_F1, self._when_enabled(page.start_button, controller.start_transaction)),
            (Qt.Key.Key_F2, controller.complete_transaction),
            (Qt.Key.Key_F3, controller.next_type),
            (Qt.Key.Key_F4, controller.void_transaction),
            (AWAY_KEY, page.toggle_away),
            (Qt.Key.Key_F12, page.open_my_ratings),
            (QKeyCombination(Qt.KeyboardModifier.ShiftModifier, Qt.Key.Key_F12),
             page.open_my_figures),
            (Qt.Key.Key_F11, page.focus_order_number),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(self._guarded(action))
        for key, code in zip(REASON_KEYS, page.reason_buttons, strict=True):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(self._guarded(self._reason_action(code)))
        controller.changed.connect(self.refresh)
        self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing the window closes the counter (asking first while a transaction runs)."""
        if self.controller.state.running is not None and not self.confirm_quit_while_running():
            event.ignore()
            return
        self.controller.close_counter("closed")
        event.accept()
        self.closing.emit()
        QApplication.quit()

    def confirm_quit_while_running(self) -> bool:
        return self.close_question().exec() == QMessageBox.StandardButton.Yes

    def close_question(self) -> QMessageBox:
        """The question asked before closing during a transaction (Yes, the default: close)."""
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Close counter"),
                          self.tr("A transaction is running. Close the counter anyway? It will "
                                  "be recorded as interrupted, with its time so far."),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Close counter"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("Keep serving"))
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        return box

    def _reason_action(self, code: str) -> Callable[[], None]:
        return lambda: self.counter_page.press_reason(code)

    @staticmethod
    def _when_enabled(button: QPushButton, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if button.isEnabled():
                action()

        return run

    def _guarded(self, action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            if self.controller.state.staff is not None:
                action()

        return run

    def refresh(self) -> None:
        state = self.controller.state
        if state.staff is None:
            self._drop_manager_view()
            if self.stack.currentWidget() is not self.sign_in_page:
                self.stack.setCurrentWidget(self.sign_in_page)
                self.sign_in_page.reset()
            return
        if state.staff.is_manager:
            self._show_manager_tabs()
        elif self.stack.currentWidget() is not self.counter_page:
            self.stack.setCurrentWidget(self.counter_page)
        self.counter_page.refresh()

    def _show_manager_tabs(self) -> None:
        if self.manager_view is None:
            self.manager_view = self.build_manager_view()
            self.tabs.addTab(self.counter_page, self.tr("Counter"))
            self.tabs.addTab(self.manager_view, self.tr("Manager"))
        self.stack.setCurrentWidget(self.tabs)

    def build_manager_view(self) -> QWidget:
        # lazy, deliberately: the manager view loads QtCharts, which a clerk's start never needs
        from counter_app.ui.manager import ManagerView

        counter = self.controller.counter
        runner = self.sync_runner
        panel = (HeadOfficePanel(runner, counter.staff_names()) if runner is not None
                 else None)
        return ManagerView(counter.manager(), parent=self, sync_panel=panel)

    def _drop_manager_view(self) -> None:
        if self.manager_view is None:
            return
        self.tabs.removeTab(1)
        self.tabs.removeTab(0)
        self.manager_view.deleteLater()
        self.manager_view = None
        self.stack.insertWidget(1, self.counter_page)
