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

Every text colour pair meets WCAG AA (4.5:1; tests/ui/test_customer_screen.py parses these
style sheets), each rating button carries a face as well as its number and both labels, the
rating window counts down visibly, "need more time" lengthens it once, and overtime shows as a
banner (colour, a warning sign and words) above the hourglass's own overtime state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPaintEvent,
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
from counter_app.application.errors import StorageFailed
from counter_app.config import Promise
from counter_app.ui.controller import CounterController
from counter_app.ui.faces import RatingFace
from counter_app.ui.hourglass import Hourglass
from counter_app.ui.rating_sources import PressFilter
from counter_app.ui.widgets import named
from counter_core.periods import local_hhmm, zone
from counter_core.presses import ARMING_S, PressGate
from counter_core.ratings import POOR_RATING_REASONS, RATING_LABELS, RATING_VALUES
from counter_core.transaction import CustomerView, Staff, TransactionType


@dataclass(frozen=True)
class Colours:
    """A background and the text (and face) drawn on it."""

    background: str
    text: str


# one colour per level, always paired with the printed label, the key number and a face; the
# text on each passes WCAG AA (4.5:1): amber takes dark text, white on it would be 1.97:1
RATING_COLOURS = {5: Colours("#1b5e20", "#ffffff"), 4: Colours("#2e7d32", "#ffffff"),
                  3: Colours("#f9a825", "#212121"), 2: Colours("#b84d00", "#ffffff"),
                  1: Colours("#b71c1c", "#ffffff")}
SCREEN_BACKGROUND = "#0d3b66"
REASON_BACKGROUND = "#ffffff"
ARMING_BACKGROUND = "#c5d0db"  # a reason button not yet armed: grey, filling in with white
OVERTIME = Colours("#b71c1c", "#ffffff")

#: the smallest window every page is laid out for (a 800×600 screen at 150 % is 533×400)
MINIMUM_SIZE = QSize(480, 360)
DEFAULT_SIZE = QSize(820, 720)
SMALLEST_PX = 6

STYLE = """
QWidget#customer { background: #0d3b66; }
QLabel { color: #ffffff; }
QLabel#promise { color: #ffd166; }
QLabel#overtime { background: #b71c1c; color: #ffffff; border: 3px dashed #ffd600;
                  border-radius: 10px; }
QPushButton { color: #ffffff; border: none; border-radius: 16px; }
QPushButton#reason { background: #ffffff; }
QPushButton#reason QLabel { color: #0d3b66; }
QPushButton#moreTime { background: #ffffff; border: 3px solid #ffd166; border-radius: 12px; }
QPushButton#moreTime QLabel { color: #0d3b66; }
"""
SIGN_CARD_STYLE = ("QWidget#signcard { background: #ffffff; border-radius: 18px; }"
                   "QLabel { color: #0d3b66; }"
                   "QLabel#star { background: #fff1c1; color: #6d4c00; border-radius: 8px; }")
DEMO_STYLE = "background: #b71c1c; color: #ffffff;"
#: the countdown bar: what is left, on the track
COUNTDOWN_LEFT, COUNTDOWN_TRACK = QColor("#ffd166"), QColor("#355c82")
#: the hourglass's digits on the customer screen's background
HOURGLASS_INK, HOURGLASS_OVERTIME_INK = QColor("#ffffff"), QColor("#ff8a80")


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
        #: a fit put off while hidden (a page not shown): done when it shows
        self._unfitted = False
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

    def showEvent(self, event: QShowEvent) -> None:
        if self._unfitted:
            self._fit()
        super().showEvent(event)

    def _fit(self) -> None:
        # measuring text is the costly part of building the screen (a font at each size
        # tried): a label out of sight is fitted when it shows, at the size it has then
        self._unfitted = not self.isVisible()
        if self._unfitted:
            if self.text().replace("\n", " ") != self._source.replace("\n", " "):
                super().setText(self._source)  # its words at once; its line break when fitted
            return
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


def _rating_button(value: int) -> tuple[QPushButton, list[FitLabel], RatingFace]:
    zh, en = RATING_LABELS[value]
    colours = RATING_COLOURS[value]
    button = named(QPushButton(), f"rating{value}")
    # equal widths whatever the label's length: the scale must not look lopsided
    button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
    button.setMinimumSize(60, 80)
    button.setStyleSheet(f"background: {colours.background}; color: {colours.text};")
    button.setAccessibleName(f"{value} {zh} {en}")
    button.setAccessibleDescription(f"按 {value} 键 · key {value}")
    inside = QVBoxLayout(button)
    inside.setContentsMargins(4, 6, 4, 6)
    inside.setSpacing(2)
    face = RatingFace(value, QColor(colours.text))
    labels = [FitLabel(str(value), 0.075, True), FitLabel(zh, 0.05, True),
              FitLabel(en, 0.032, True)]
    inside.addWidget(labels[0])
    inside.addWidget(face, 1)
    for label in labels:
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    inside.addWidget(labels[1])
    inside.addWidget(labels[2])
    return button, labels, face


class Countdown(QWidget):
    """The rating window's time left as a bar that shrinks from full to empty."""

    def __init__(self) -> None:
        super().__init__()
        self.fraction_left = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(10)

    def set_fraction_left(self, fraction: float) -> None:
        fraction = min(1.0, max(0.0, fraction))
        if abs(fraction - self.fraction_left) * self.width() >= 0.5:
            self.fraction_left = fraction
            self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        radius = self.height() / 2
        p.setBrush(COUNTDOWN_TRACK)
        p.drawRoundedRect(self.rect(), radius, radius)
        p.setBrush(COUNTDOWN_LEFT)
        width = int(self.width() * self.fraction_left)
        if width > 0:
            p.drawRoundedRect(QRect(0, 0, width, self.height()), radius, radius)
        p.end()


def _more_time_button() -> tuple[QPushButton, FitLabel]:
    """"Need more time" (accessibility): lengthens the rating window once."""
    button = named(QPushButton(), "moreTime")
    button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    button.setAccessibleName("需要更多时间 Need more time")
    inside = QVBoxLayout(button)
    inside.setContentsMargins(8, 2, 8, 2)
    label = FitLabel("需要更多时间  Need more time", 0.04, True)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    inside.addWidget(label)
    return button, label


def countdown_text(seconds_left: float) -> str:
    """The rating window's time left in whole seconds, rounded up, in both languages."""
    whole = max(0, math.ceil(seconds_left - 1e-9))
    return f"剩余 {whole} 秒  ·  {whole} s left"


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
        self.demo_banner.setStyleSheet(DEMO_STYLE)
        self.demo_banner.setVisible(controller.counter.is_demo)
        self._layout.addWidget(self.demo_banner)
        self._layout.addWidget(self.stack)
        self.hall_line = f"{config.hall_names} · 柜台 Counter {config.counter_id}"
        self._shown_staff: Staff | None = None
        self._shown_type: TransactionType | None = None
        self._shown_view: CustomerView | None = None
        self.press_filter = PressFilter(self.inputs, self)

        self.closed_page = self._closed_page()
        self.more_time_buttons: list[QPushButton] = []
        self.countdowns: list[tuple[FitLabel, Countdown]] = []
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
        for button in [*self.rating_buttons.values(), *self.reason_buttons,
                       *self.more_time_buttons]:
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
        card.setStyleSheet(SIGN_CARD_STYLE)
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        row = QHBoxLayout(card)
        row.setContentsMargins(24, 16, 24, 16)
        photo = _Photo()
        name = FitLabel("", 0.085, True)
        number = FitLabel("", 0.045)
        # the star of the month, once a manager confirmed it (star_confirmed)
        self.sign_star = named(FitLabel("★ 本月服务之星\nService star of the month", 0.04, True),
                               "star")
        self.sign_star.setVisible(False)
        details = QVBoxLayout()
        details.addStretch()
        details.addWidget(name)
        details.addWidget(number)
        details.addWidget(self.sign_star)
        details.addStretch()
        row.addWidget(photo, 2)
        row.addLayout(details, 3)
        box.addWidget(card, 3)
        promise = named(FitLabel("", 0.065, True), "promise")
        box.addWidget(promise, 1)
        self.sign_hotline = named(FitLabel("", 0.04, True), "hotline")
        self._show_hotline()
        box.addWidget(self.sign_hotline)
        box.addWidget(FitLabel(self.hall_line, 0.035))
        return page, name, number, photo, promise

    def _service_page(self) -> tuple[QWidget, Hourglass, FitLabel, FitLabel]:
        page = QWidget()
        box = QVBoxLayout(page)
        caption = FitLabel("", 0.05, True)
        # overtime: a red banner with a warning sign and words, over the hourglass's own
        # overtime state (hatched glass, triangle, "+" digits): colour, shape and text
        self.overtime_banner = named(FitLabel("", 0.05, True), "overtime")
        self.overtime_banner.setVisible(False)
        hourglass = Hourglass()
        hourglass.setMinimumSize(80, 110)
        hourglass.ink = HOURGLASS_INK
        hourglass.overtime_ink = HOURGLASS_OVERTIME_INK
        hourglass.text_share = 0.3
        hourglass.overtime_label = "已超时 OVERTIME"
        hourglass.setAccessibleName("计时沙漏 Service timer")
        promise = named(FitLabel("", 0.035), "promise")
        # who is serving: the clerk's name and number stay in view during the service
        self.service_staff = named(FitLabel("", 0.04, True), "servingStaff")
        box.addWidget(caption)
        box.addWidget(self.overtime_banner)
        box.addWidget(hourglass, 1)
        box.addWidget(promise)
        box.addWidget(self.service_staff)
        return page, hourglass, caption, promise

    def _rating_page(self) -> tuple[QWidget, dict[int, QPushButton]]:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(FitLabel(_bilingual("请您对本次服务作出评价", "Please rate our service"),
                               0.06, True))
        row = QHBoxLayout()
        row.setSpacing(12)
        buttons: dict[int, QPushButton] = {}
        self.faces: dict[int, RatingFace] = {}
        for value in RATING_VALUES:
            button, _labels, face = _rating_button(value)
            button.clicked.connect(lambda _=False, v=value: self.press_rating(v))
            row.addWidget(button, 1)
            buttons[value] = button
            self.faces[value] = face
        box.addLayout(row, 1)
        box.addWidget(FitLabel("按一下即可  ·  One press is enough", 0.035))
        box.addLayout(self._window_row())
        return page, buttons

    def _window_row(self) -> QVBoxLayout:
        """The rating window's countdown (words and a bar) and "need more time"."""
        column = QVBoxLayout()
        column.setSpacing(4)
        line = QHBoxLayout()
        text = named(FitLabel(countdown_text(self.controller.config.rating_window_s), 0.04,
                              True), "countdown")
        text.setAccessibleName("剩余时间 Time left")
        line.addWidget(text, 3)
        more, _label = _more_time_button()
        more.clicked.connect(self.press_more_time)
        more.setVisible(self.controller.config.rating_extension_s > 0)
        line.addWidget(more, 2)
        bar = Countdown()
        bar.setAccessibleName("剩余时间 Time left")
        column.addLayout(line)
        column.addWidget(bar)
        self.more_time_buttons.append(more)
        self.countdowns.append((text, bar))
        return column

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
            button.setAccessibleName(f"{index + 1} {choice.zh} {choice.en}")
            label = FitLabel(f"{index + 1}  {choice.zh}\n{choice.en}", 0.042, True)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            inside.addWidget(label)
            button.clicked.connect(lambda _=False, code=choice.code: self.press_reason(code))
            grid.addWidget(button, index // 3, index % 3)
            buttons.append(button)
        box.addLayout(grid, 1)
        hint = FitLabel("", 0.035)
        box.addWidget(hint)
        box.addLayout(self._window_row())
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
        for _text, bar in self.countdowns:
            bar.setFixedHeight(max(6, int(height * 0.018)))

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

    def press_more_time(self) -> None:
        """"Need more time": the window lengthened once; the button goes once it counted."""
        view = self.controller.customer_view
        if view not in (CustomerView.RATING, CustomerView.REASON) or not self.gate.accept():
            return
        self.controller.extend_rating()

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
            self.service_staff.set_source_text(
                f"为您服务 Served by  {staff.name}  ·  工号 Staff No. {staff.number}")
            self._show_photo(staff.photo, staff.name)
            self._show_star(staff.number)
            self._show_hotline()  # central settings may have changed it at this sign-in
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

    def _show_hotline(self) -> None:
        hotline = self.controller.config.supervision_hotline
        self.sign_hotline.set_source_text(f"监督电话 Supervision hotline  {hotline}"
                                          if hotline else "")
        self.sign_hotline.setVisible(hotline is not None)
        self.sign_hotline.setAccessibleName(f"监督电话 Supervision hotline {hotline or ''}")

    def _show_star(self, number: str) -> None:
        try:
            month = self.controller.counter.star_month(number)
        except StorageFailed:
            month = None  # logged by the application layer; the sign shows no star
        self.sign_star.setVisible(month is not None)
        if month is not None:
            self.sign_star.setAccessibleName(f"本月服务之星 Service star of the month {month}")

    def refresh_timer(self) -> None:
        self._refresh_countdown()
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
        self.overtime_banner.setVisible(reading.is_overtime)
        if reading.is_overtime:
            over = reading.display_text()
            self.overtime_banner.set_source_text(
                f"⚠ 已超时 {over} · 正在尽快为您办理\n⚠ Overtime {over} · we are on it")

    def _refresh_countdown(self) -> None:
        """The rating window's time left, words and bar, on the rating and reasons pages."""
        left = self.state.rating_time_left()
        if left is None:
            return
        extended = self.state.rating_extended
        total = self.controller.config.rating_window_s + (
            self.controller.config.rating_extension_s if extended else 0.0)
        text = countdown_text(left)
        for label, bar in self.countdowns:
            label.set_source_text(text)
            bar.set_fraction_left(left / total if total > 0 else 0.0)
        can_extend = self.state.can_extend_rating()
        for button in self.more_time_buttons:
            if button.isHidden() == can_extend:
                button.setVisible(can_extend)

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
