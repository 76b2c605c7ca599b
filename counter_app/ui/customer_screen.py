"""The customer screen: supervision sign, the big hourglass, five rating buttons, thank you.

Always bilingual (Chinese and English at once) whatever the staff UI's language, and it offers
no way into staff functions: only the rating buttons, the reason buttons and keys 1–5.

It never takes the keyboard focus (`Qt.WindowDoesNotAcceptFocus`, shown without activating):
the clerk's keyboard stays with the staff window, so a digit the clerk types never rates. What
may rate is `[counter] rating_input` (counter_app/ui/rating_sources.py), and every press passes
one rule (counter_core/presses.py): a repeat within a second is ignored, and the reasons page
accepts presses only after a short arming delay, shown as its buttons filling in.

Every page fits the window it is given, from 480×360 up: no label wraps (a Chinese word never
breaks), each label's font is a share of the window's height made smaller until its lines fit,
and nothing on a page asks for more room than the window has, so the window never grows.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app import rating_input
from counter_app.application.board import local_hhmm
from counter_app.config import Promise
from counter_app.ui.controller import CounterController
from counter_app.ui.hourglass import Hourglass
from counter_app.ui.rating_sources import PressFilter
from counter_app.ui.widgets import named
from counter_core.periods import zone
from counter_core.presses import ARMING_S, PressGate
from counter_core.ratings import POOR_RATING_REASONS, RATING_LABELS, RATING_VALUES
from counter_core.transaction import CustomerView, Staff, TransactionType

# one colour per level, always paired with the printed label and key number
RATING_COLOURS = {5: "#1b5e20", 4: "#43a047", 3: "#f9a825", 2: "#ef6c00", 1: "#c62828"}
REASON_BACKGROUND = "#ffffff"
ARMING_BACKGROUND = "#7f94a8"  # a reason button not yet armed: grey, filling in with white

#: the smallest window every page is laid out for (a 800×600 screen at 150 % is 533×400)
MINIMUM_SIZE = QSize(480, 360)
DEFAULT_SIZE = QSize(820, 720)
SMALLEST_PX = 6

STYLE = """
QWidget#customer { background: #0d3b66; }
QLabel { color: white; }
QLabel#promise { color: #ffd166; }
QPushButton { color: white; border: none; border-radius: 16px; }
QPushButton#reason { background: #ffffff; }
QPushButton#reason QLabel { color: #0d3b66; }
"""


def _bilingual(zh: str, en: str) -> str:
    return f"{zh}\n{en}"


def format_target(target_s: float) -> tuple[str, str]:
    """A target as the customer reads it: whole minutes ("3 分钟", "3 minutes") or m:ss."""
    minutes = target_s / 60
    if target_s >= 60 and math.isclose(minutes, round(minutes), abs_tol=1e-9):
        whole = round(minutes)
        return f"{whole} 分钟", f"{whole} minute{'' if whole == 1 else 's'}"
    seconds = round(target_s)
    text = f"{seconds // 60}:{seconds % 60:02d}"
    return text, text


def _split_in_two(line: str) -> str:
    """A Latin line broken at the space nearest its middle; other lines unchanged."""
    if not line.isascii() or " " not in line.strip():
        return line
    middle = len(line) / 2
    spaces = [i for i, c in enumerate(line) if c == " "]
    at = min(spaces, key=lambda i: abs(i - middle))
    return f"{line[:at]}\n{line[at + 1:]}"


class FitLabel(QLabel):
    """Text that fits the room the layout gives it and never asks for more.

    Lines never wrap; the font is `share` of the window's height (set by the screen), made
    smaller until every line fits. A Latin line may instead break once at a space when that
    lets the text stay larger ("Very dissatisfied" on a narrow button); Chinese never breaks.
    """

    def __init__(self, text: str = "", share: float = 0.05, bold: bool = False,
                 align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> None:
        super().__init__()
        self.setAlignment(align)
        self.setWordWrap(False)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.share = share
        self.bold = bold
        self.wanted_px = 14
        self._source = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(0, 0)
        self._fit()

    def source_text(self) -> str:
        return self._source

    def set_source_text(self, text: str) -> None:
        if text != self._source:
            self._source = text
            self.updateGeometry()
            self._fit()

    def set_wanted_px(self, px: int) -> None:
        px = max(SMALLEST_PX, px)
        if px != self.wanted_px:
            self.wanted_px = px
            self.updateGeometry()
            self._fit()

    def _font(self, px: int) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(1, px))
        font.setBold(self.bold)
        return font

    @staticmethod
    def text_size(font: QFont, text: str) -> QSize:
        metrics = QFontMetrics(font)
        return metrics.boundingRect(QRect(0, 0, 1 << 20, 1 << 20),
                                    int(Qt.AlignmentFlag.AlignLeft), text).size()

    def sizeHint(self) -> QSize:
        size = self.text_size(self._font(self.wanted_px), self._source or " ")
        margins = self.contentsMargins()
        return QSize(size.width() + margins.left() + margins.right() + 4,
                     size.height() + margins.top() + margins.bottom() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = self.contentsRect().size()
        candidates = [self._source]
        broken = "\n".join(_split_in_two(line) for line in self._source.split("\n"))
        if broken != self._source:
            candidates.append(broken)
        best_text, best_px = self._source, SMALLEST_PX
        for text in candidates:
            px = self._largest_fitting(text, room)
            if px > best_px or (px == best_px and text == self._source and best_text != text):
                best_text, best_px = text, px
        font = self._font(best_px)
        if font != self.font():
            self.setFont(font)
        if best_text != self.text():
            super().setText(best_text)

    def _largest_fitting(self, text: str, room: QSize) -> int:
        """The largest pixel size up to `wanted_px` at which `text` fits `room`."""
        if not text or room.width() <= 0 or room.height() <= 0:
            return self.wanted_px if text == self._source else SMALLEST_PX

        def fits(px: int) -> bool:
            size = self.text_size(self._font(px), text)
            return size.width() <= room.width() and size.height() <= room.height()

        low, high = SMALLEST_PX, self.wanted_px
        if fits(high):
            return high
        if not fits(low):
            return SMALLEST_PX
        while high - low > 1:  # fits(low), not fits(high)
            middle = (low + high) // 2
            if fits(middle):
                low = middle
            else:
                high = middle
        return low


class _Photo(QLabel):
    """The staff photo, scaled to the room it is given; it never asks for more."""

    def __init__(self) -> None:
        super().__init__(alignment=Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(0, 0)
        self.source = QPixmap()

    def set_source(self, pixmap: QPixmap) -> None:
        self.source = pixmap
        self._scale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale()

    def _scale(self) -> None:
        if self.source.isNull() or self.width() < 2 or self.height() < 2:
            return
        self.setPixmap(self.source.scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))


def _rating_button(value: int) -> tuple[QPushButton, list[FitLabel]]:
    zh, en = RATING_LABELS[value]
    button = QPushButton()
    # equal widths whatever the label's length: the scale must not look lopsided
    button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
    button.setMinimumSize(60, 80)
    button.setStyleSheet(f"background: {RATING_COLOURS[value]};")
    inside = QVBoxLayout(button)
    inside.setContentsMargins(4, 6, 4, 6)
    labels = [FitLabel(str(value), 0.09, True), FitLabel(zh, 0.05, True),
              FitLabel(en, 0.032, True)]
    for label in labels:
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        inside.addWidget(label)
    return button, labels


class CustomerScreen(QWidget):
    """What the customer sees and presses."""

    rated = Signal(int)

    def __init__(self, controller: CounterController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.state = controller.state
        config = controller.config
        self.inputs = config.rating_inputs
        self.gate = PressGate(clock=self.state.clock)
        self.setObjectName("customer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # never the keyboard focus: the clerk's keys stay with the staff window
        self.setWindowFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setWindowTitle("Counter App — Customer Screen / 客户屏")
        self.setStyleSheet(STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(MINIMUM_SIZE)
        self.stack = QStackedWidget()
        self.stack.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(24, 24, 24, 24)
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        # records of `counter-app demo-data` are never mistaken for a real counter's
        self.demo_banner = named(FitLabel(_bilingual("演示数据", "Demo data"), 0.035, True),
                                 "demoData")
        self.demo_banner.setStyleSheet("background: #b71c1c; color: white;")
        self.demo_banner.setVisible(controller.counter.is_demo)
        self._layout.addWidget(self.demo_banner)
        self._layout.addWidget(self.stack)
        self.hall_line = f"{config.hall_name} · 柜台 Counter {config.counter_id}"
        self._shown_staff: Staff | None = None
        self._shown_type: TransactionType | None = None
        self._shown_view: CustomerView | None = None
        self.press_filter = PressFilter(self.inputs, self)

        self.closed_page = self._closed_page()
        (self.sign_page, self.sign_name, self.sign_number, self.sign_photo,
         self.sign_promise) = self._sign_page()
        (self.service_page, self.hourglass, self.service_caption,
         self.service_promise) = self._service_page()
        self.rating_page, self.rating_buttons = self._rating_page()
        self.reason_page, self.reason_buttons, self.reason_hint = self._reason_page()
        self.thanks_page = self._thanks_page()
        for page in (self.closed_page, self.sign_page, self.service_page, self.rating_page,
                     self.reason_page, self.thanks_page):
            self.stack.addWidget(page)
        self.pages = {
            CustomerView.CLOSED: self.closed_page,
            CustomerView.SIGN: self.sign_page,
            CustomerView.SERVICE: self.service_page,
            CustomerView.RATING: self.rating_page,
            CustomerView.REASON: self.reason_page,
            CustomerView.THANKS: self.thanks_page,
        }
        for widget in self.findChildren(QWidget):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for button in [*self.rating_buttons.values(), *self.reason_buttons]:
            button.installEventFilter(self.press_filter)
        self._arming = QTimer(self, interval=50)
        self._arming.timeout.connect(self.update_arming)
        controller.changed.connect(self.refresh)
        controller.ticked.connect(self.refresh_timer)
        self.resize(DEFAULT_SIZE)
        self.refresh()

    # ---- pages ------------------------------------------------------------------------------

    def _closed_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addStretch()
        box.addWidget(FitLabel(_bilingual("暂停服务", "Counter closed"), 0.09, True))
        box.addWidget(FitLabel(_bilingual("请到其他窗口办理，谢谢",
                                          "Please use another counter, thank you"), 0.045))
        box.addStretch()
        box.addWidget(FitLabel(self.hall_line, 0.035))
        return page

    def _sign_page(self) -> tuple[QWidget, FitLabel, FitLabel, _Photo, FitLabel]:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(FitLabel("服务监督牌  Service Supervision", 0.05, True))
        card = named(QWidget(), "signcard")
        card.setStyleSheet("QWidget#signcard { background: white; border-radius: 18px; }"
                           "QLabel { color: #0d3b66; }")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        row = QHBoxLayout(card)
        row.setContentsMargins(24, 16, 24, 16)
        photo = _Photo()
        name = FitLabel("", 0.085, True)
        number = FitLabel("", 0.045)
        details = QVBoxLayout()
        details.addStretch()
        details.addWidget(name)
        details.addWidget(number)
        details.addStretch()
        row.addWidget(photo, 2)
        row.addLayout(details, 3)
        box.addWidget(card, 3)
        promise = named(FitLabel("", 0.065, True), "promise")
        box.addWidget(promise, 1)
        box.addWidget(FitLabel(self.hall_line, 0.035))
        return page, name, number, photo, promise

    def _service_page(self) -> tuple[QWidget, Hourglass, FitLabel, FitLabel]:
        page = QWidget()
        box = QVBoxLayout(page)
        caption = FitLabel("", 0.05, True)
        hourglass = Hourglass()
        hourglass.setMinimumSize(80, 110)
        hourglass.ink = QColor("white")
        hourglass.overtime_ink = QColor("#ff8a80")
        hourglass.text_share = 0.3
        hourglass.overtime_label = "已超时 OVERTIME"
        promise = named(FitLabel("", 0.035), "promise")
        box.addWidget(caption)
        box.addWidget(hourglass, 1)
        box.addWidget(promise)
        return page, hourglass, caption, promise

    def _rating_page(self) -> tuple[QWidget, dict[int, QPushButton]]:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(FitLabel(_bilingual("请您对本次服务作出评价", "Please rate our service"),
                               0.06, True))
        row = QHBoxLayout()
        row.setSpacing(12)
        buttons: dict[int, QPushButton] = {}
        for value in RATING_VALUES:
            button, _labels = _rating_button(value)
            button.clicked.connect(lambda _=False, v=value: self.press_rating(v))
            row.addWidget(button, 1)
            buttons[value] = button
        box.addLayout(row, 1)
        box.addWidget(FitLabel(_bilingual("按一下即可", "One press is enough"), 0.035))
        return page, buttons

    def _reason_page(self) -> tuple[QWidget, list[QPushButton], FitLabel]:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(FitLabel(_bilingual("很抱歉！请告诉我们原因",
                                          "We are sorry! What went wrong?"), 0.06, True))
        grid = QGridLayout()
        grid.setSpacing(12)
        buttons: list[QPushButton] = []
        for index, choice in enumerate(POOR_RATING_REASONS):
            button = named(QPushButton(), "reason")
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
            button.setMinimumSize(60, 50)
            inside = QVBoxLayout(button)
            inside.setContentsMargins(6, 4, 6, 4)
            label = FitLabel(f"{index + 1}  {choice.zh}\n{choice.en}", 0.042, True)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            inside.addWidget(label)
            button.clicked.connect(lambda _=False, code=choice.code: self.press_reason(code))
            grid.addWidget(button, index // 3, index % 3)
            buttons.append(button)
        box.addLayout(grid, 1)
        hint = FitLabel("", 0.035)
        box.addWidget(hint)
        return page, buttons, hint

    def _thanks_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addStretch()
        box.addWidget(FitLabel(_bilingual("谢谢！", "Thank you!"), 0.12, True))
        box.addWidget(FitLabel(_bilingual("您的评价将帮助我们改进服务",
                                          "Your rating helps us serve you better"), 0.045))
        box.addStretch()
        return page

    # ---- sizes ------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._apply_sizes()
        super().resizeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self._apply_sizes()
        super().showEvent(event)

    def _apply_sizes(self) -> None:
        height = max(MINIMUM_SIZE.height(), self.height())
        margin = max(8, int(min(self.width(), self.height()) * 0.03))
        self._layout.setContentsMargins(margin, margin, margin, margin)
        for label in self.findChildren(FitLabel):
            label.set_wanted_px(int(height * label.share))

    # ---- presses ----------------------------------------------------------------------------

    def press_rating(self, value: int) -> None:
        if self.controller.customer_view is not CustomerView.RATING or not self.gate.accept():
            return
        if self.controller.rate(value):
            self.rated.emit(value)

    def press_reason(self, code: str) -> None:
        if self.controller.customer_view is not CustomerView.REASON:
            return
        self.update_arming()
        if self.gate.accept():
            self.controller.give_rating_reason(code)

    def press_digit(self, digit: int) -> None:
        """A digit from a rating keypad (or an allowed number key): the button it names."""
        view = self.controller.customer_view
        if view is CustomerView.RATING and digit in RATING_VALUES:
            self.press_rating(digit)
        elif view is CustomerView.REASON and 1 <= digit <= len(POOR_RATING_REASONS):
            self.press_reason(POOR_RATING_REASONS[digit - 1].code)
        else:
            # a press with nothing to choose still counts as the last press: its bounce on
            # the page that comes next is a repeat, not a choice
            self.gate.accept()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()  # a customer cannot close it; it goes when the staff window quits

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text in {"1", "2", "3", "4", "5"}:
            if self.inputs.allows(rating_input.KEYS) and not event.isAutoRepeat():
                self.press_digit(int(text))
            event.accept()
            return
        event.ignore()  # nothing else here: no way into staff functions

    # ---- the reasons page's arming ----------------------------------------------------------

    def _begin_arming(self) -> None:
        self.gate.arm(ARMING_S)
        self.update_arming()
        self._arming.start()

    def update_arming(self) -> None:
        """Grey reason buttons filling in with white until presses count, then white."""
        left = self.gate.arming_left_s()
        armed = left <= 0
        filled = 1.0 if armed else min(1.0, max(0.0, 1 - left / ARMING_S))
        for button in self.reason_buttons:
            button.setEnabled(armed)
            if armed:
                style = f"background: {REASON_BACKGROUND};"
            else:
                stop = max(0.001, min(0.998, filled))
                style = ("background: qlineargradient(x1:0, y1:0, x2:1, y2:0, "
                         f"stop:0 {REASON_BACKGROUND}, stop:{stop:.3f} {REASON_BACKGROUND}, "
                         f"stop:{stop + 0.001:.3f} {ARMING_BACKGROUND}, "
                         f"stop:1 {ARMING_BACKGROUND});")
            if button.styleSheet() != style:
                button.setStyleSheet(style)
        self.reason_hint.set_source_text(
            _bilingual("请选择原因", "Choose one reason") if armed
            else _bilingual("请稍候…", "One moment…"))
        if armed:
            self._arming.stop()

    # ---- showing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        view = self.controller.customer_view
        staff = self.state.staff
        if staff is not None and staff != self._shown_staff:  # a sign-in, not every action
            self.sign_name.set_source_text(staff.name)
            self.sign_number.set_source_text(f"工号 Staff No.  {staff.number}")
            self._show_photo(staff.photo, staff.name)
        self._shown_staff = staff
        away = self.state.away
        if away is not None:  # back soon (暂离): when the clerk will be back, in its place
            at = local_hhmm(away.back_at, zone(self.controller.config.time_zone))
            self.sign_promise.set_source_text(_bilingual(f"暂离 · {at} 回来",
                                                         f"Back soon · back at {at}"))
            self.sign_promise.setVisible(True)
        else:
            self._show_promise(self.sign_promise, self._selected_type())
        if view is not self._shown_view:
            if view is CustomerView.REASON:
                self._begin_arming()
            self._shown_view = view
        page = self.pages[view]
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
        self.refresh_timer()

    def _selected_type(self) -> TransactionType:
        running = self.state.running
        return running.type if running is not None else self.state.selected_type

    def _show_promise(self, label: FitLabel, kind: TransactionType | None) -> None:
        promise: Promise | None = self.controller.config.promise_for(kind)
        label.set_source_text(_bilingual(promise.zh, promise.en) if promise else "")
        label.setVisible(promise is not None)

    def refresh_timer(self) -> None:
        running = self.state.running
        if running is None:
            return
        kind = running.type
        if kind != self._shown_type:  # the caption changes with the type, not every tick
            self._shown_type = kind
            if kind.target_s:
                zh, en = format_target(kind.target_s)
                self.service_caption.set_source_text(
                    f"正在为您办理：{kind.name_zh}（承诺 {zh}）\n"
                    f"Serving you: {kind.name_en} (target {en})")
            else:
                self.service_caption.set_source_text(
                    f"正在为您办理：{kind.name_zh}\nServing you: {kind.name_en}")
            self._show_promise(self.service_promise, kind)
        reading = running.timer.read()
        self.hourglass.show_reading(
            reading.fraction_elapsed, reading.display_text(), overtime=reading.is_overtime,
            caption=("剩余时间 Time left" if reading.timed else "已用时间 Elapsed"))

    def _show_photo(self, path: str | None, name: str) -> None:
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            pixmap = _initial_avatar(name, 240)
        self.sign_photo.set_source(pixmap)


def _initial_avatar(name: str, size: int) -> QPixmap:
    """A round badge with the name's first character, for staff without a photo."""
    size = max(120, size)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#0d3b66"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(0, 0, size, size)
    font = QFont()
    font.setPixelSize(int(size * 0.45))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, name[:1])
    painter.end()
    return pixmap
