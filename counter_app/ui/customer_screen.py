"""The customer screen: supervision sign, the big hourglass, five rating buttons, thank you.

Always bilingual (Chinese and English at once) whatever the staff UI's language, and it offers
no way into staff functions: only the rating buttons, the reason buttons and keys 1–5.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QKeyEvent, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.ui.controller import CounterController
from counter_app.ui.hourglass import Hourglass
from counter_app.ui.widgets import named
from counter_core.ratings import POOR_RATING_REASONS, RATING_LABELS, RATING_VALUES
from counter_core.transaction import CustomerView, Staff, TransactionType

PROMISE_ZH = "交费业务三分钟办结"
PROMISE_EN = "Payments done in 3 minutes"

# one colour per level, always paired with the printed label and key number
RATING_COLOURS = {5: "#1b5e20", 4: "#43a047", 3: "#f9a825", 2: "#ef6c00", 1: "#c62828"}

STYLE = """
QWidget#customer { background: #0d3b66; }
QLabel { color: white; }
QLabel#sign { background: white; color: #0d3b66; border-radius: 18px; }
QLabel#promise { color: #ffd166; font-weight: bold; }
QPushButton { color: white; border: none; border-radius: 16px; font-weight: bold; }
QPushButton#reason { background: #ffffff; color: #0d3b66; }
"""


def _bilingual(zh: str, en: str) -> str:
    return f"{zh}\n{en}"


W = TypeVar("W", bound=QWidget)

class _Page(QWidget):
    """A page whose fonts follow the screen's height, so the text reads from two metres."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scaled: list[tuple[QWidget, float, bool]] = []

    def scale(self, widget: W, share_of_height: float, bold: bool = False) -> W:
        self.scaled.append((widget, share_of_height, bold))
        return widget

    def resizeEvent(self, event: QResizeEvent) -> None:
        height = max(400, self.height())
        for widget, share, bold in self.scaled:
            font = QFont(widget.font())
            font.setPixelSize(max(14, int(height * share)))
            font.setBold(bold)
            widget.setFont(font)
        super().resizeEvent(event)


def _label(text: str = "", align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter) -> QLabel:
    label = QLabel(text, alignment=align, wordWrap=True)
    return label


class CustomerScreen(QWidget):
    """What the customer sees and presses."""

    rated = Signal(int)

    def __init__(self, controller: CounterController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.state = controller.state
        config = controller.config
        self.setObjectName("customer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle("Counter App — Customer Screen / 客户屏")
        self.setStyleSheet(STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.stack)
        self.hall_line = f"{config.hall_name} · 柜台 Counter {config.counter_id}"
        self._shown_staff: Staff | None = None
        self._shown_type: TransactionType | None = None

        self.closed_page = self._closed_page()
        self.sign_page, self.sign_name, self.sign_number, self.sign_photo = self._sign_page()
        self.service_page, self.hourglass, self.service_caption = self._service_page()
        self.rating_page, self.rating_buttons = self._rating_page()
        self.reason_page, self.reason_buttons = self._reason_page()
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
        controller.changed.connect(self.refresh)
        controller.ticked.connect(self.refresh_timer)
        self.resize(1024, 720)
        self.refresh()

    # ---- pages ------------------------------------------------------------------------------

    def _closed_page(self) -> _Page:
        page = _Page()
        box = QVBoxLayout(page)
        box.addStretch()
        box.addWidget(page.scale(_label(_bilingual("暂停服务", "Counter closed")), 0.09, True))
        box.addWidget(page.scale(_label(_bilingual("请到其他窗口办理，谢谢",
                                                   "Please use another counter, thank you")),
                                 0.045))
        box.addStretch()
        box.addWidget(page.scale(_label(self.hall_line), 0.035))
        return page

    def _sign_page(self) -> tuple[_Page, QLabel, QLabel, QLabel]:
        page = _Page()
        box = QVBoxLayout(page)
        box.addWidget(page.scale(_label("服务监督牌  Service Supervision"), 0.05, True))
        card = named(QWidget(), "signcard")
        card.setStyleSheet("QWidget#signcard { background: white; border-radius: 18px; }"
                           "QLabel { color: #0d3b66; }")
        card.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(card)
        row.setContentsMargins(32, 24, 32, 24)
        photo = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        photo.setMinimumSize(160, 200)
        photo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        name = page.scale(_label(), 0.085, True)
        number = page.scale(_label(), 0.045)
        details = QVBoxLayout()
        details.addStretch()
        details.addWidget(name)
        details.addWidget(number)
        details.addStretch()
        row.addWidget(photo, 2)
        row.addLayout(details, 3)
        box.addWidget(card, 3)
        promise = page.scale(_label(_bilingual(PROMISE_ZH, PROMISE_EN)), 0.07, True)
        promise.setObjectName("promise")
        box.addWidget(promise, 2)
        box.addWidget(page.scale(_label(self.hall_line), 0.035))
        return page, name, number, photo

    def _service_page(self) -> tuple[_Page, Hourglass, QLabel]:
        page = _Page()
        box = QVBoxLayout(page)
        caption = page.scale(_label(), 0.05, True)
        hourglass = Hourglass()
        hourglass.ink = QColor("white")
        hourglass.overtime_ink = QColor("#ff8a80")
        hourglass.text_share = 0.3
        hourglass.overtime_label = "已超时 OVERTIME"
        box.addWidget(caption)
        box.addWidget(hourglass, 1)
        box.addWidget(page.scale(_label(_bilingual(PROMISE_ZH, PROMISE_EN)), 0.035))
        return page, hourglass, caption

    def _rating_page(self) -> tuple[_Page, dict[int, QPushButton]]:
        page = _Page()
        box = QVBoxLayout(page)
        box.addWidget(page.scale(_label(_bilingual("请您对本次服务作出评价",
                                                   "Please rate our service")), 0.06, True))
        row = QHBoxLayout()
        row.setSpacing(18)
        buttons: dict[int, QPushButton] = {}
        for value in RATING_VALUES:
            zh, en = RATING_LABELS[value]
            button = QPushButton()
            # equal widths whatever the label's length: the scale must not look lopsided
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
            button.setMinimumSize(100, 160)
            button.setStyleSheet(f"background: {RATING_COLOURS[value]};")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, v=value: self.press_rating(v))
            inside = QVBoxLayout(button)
            for text, share in ((str(value), 0.09), (zh, 0.05), (en, 0.03)):
                label = page.scale(_label(text), share, True)
                label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
                inside.addWidget(label)
            row.addWidget(button, 1)
            buttons[value] = button
        box.addLayout(row, 1)
        box.addWidget(page.scale(_label(_bilingual("按一下即可，也可按键盘 1–5",
                                                   "One press — or keys 1–5")), 0.035))
        return page, buttons

    def _reason_page(self) -> tuple[_Page, list[QPushButton]]:
        page = _Page()
        box = QVBoxLayout(page)
        box.addWidget(page.scale(_label(_bilingual("很抱歉！请告诉我们原因",
                                                   "We are sorry! What went wrong?")), 0.06, True))
        grid = QGridLayout()
        grid.setSpacing(18)
        buttons: list[QPushButton] = []
        for index, choice in enumerate(POOR_RATING_REASONS):
            button = named(QPushButton(f"{index + 1}  {choice.zh}\n{choice.en}"), "reason")
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            button.setMinimumHeight(90)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, code=choice.code: self.press_reason(code))
            page.scale(button, 0.04, True)
            grid.addWidget(button, index // 3, index % 3)
            buttons.append(button)
        box.addLayout(grid, 1)
        return page, buttons

    def _thanks_page(self) -> _Page:
        page = _Page()
        box = QVBoxLayout(page)
        box.addStretch()
        box.addWidget(page.scale(_label(_bilingual("谢谢！", "Thank you!")), 0.12, True))
        box.addWidget(page.scale(_label(_bilingual("您的评价将帮助我们改进服务",
                                                   "Your rating helps us serve you better")),
                                 0.045))
        box.addStretch()
        return page

    # ---- presses ----------------------------------------------------------------------------

    def press_rating(self, value: int) -> None:
        if self.controller.customer_view is CustomerView.RATING and self.controller.rate(value):
            self.rated.emit(value)

    def press_reason(self, code: str) -> None:
        if self.controller.customer_view is CustomerView.REASON:
            self.controller.give_rating_reason(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()  # a customer cannot close it; it goes when the staff window quits

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text in {"1", "2", "3", "4", "5"}:
            view = self.controller.customer_view
            if view is CustomerView.RATING:
                self.press_rating(int(text))
            elif view is CustomerView.REASON and int(text) <= len(POOR_RATING_REASONS):
                self.press_reason(POOR_RATING_REASONS[int(text) - 1].code)
            event.accept()
            return
        event.ignore()  # nothing else here: no way into staff functions

    # ---- showing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        view = self.controller.customer_view
        staff = self.state.staff
        if staff is not None and staff != self._shown_staff:  # a sign-in, not every action
            self.sign_name.setText(staff.name)
            self.sign_number.setText(f"工号 Staff No.  {staff.number}")
            self._show_photo(staff.photo, staff.name)
        self._shown_staff = staff
        page = self.pages[view]
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
        self.refresh_timer()

    def refresh_timer(self) -> None:
        running = self.state.running
        if running is None:
            return
        kind = running.type
        if kind != self._shown_type:  # the caption changes with the type, not every tick
            self._shown_type = kind
            if kind.target_s:
                minutes = f"{kind.target_s / 60:g}"
                self.service_caption.setText(
                    f"正在为您办理：{kind.name_zh}（承诺 {minutes} 分钟）\n"
                    f"Serving you: {kind.name_en} (target {minutes} min)")
            else:
                self.service_caption.setText(
                    f"正在为您办理：{kind.name_zh}\nServing you: {kind.name_en}")
        reading = running.timer.read()
        self.hourglass.show_reading(
            reading.fraction_elapsed, reading.display_text(), overtime=reading.is_overtime,
            caption=("剩余时间 Time left" if reading.timed else "已用时间 Elapsed"))

    def _show_photo(self, path: str | None, name: str) -> None:
        size = self.sign_photo.size()
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            pixmap = _initial_avatar(name, min(size.width(), size.height(), 240))
        self.sign_photo.setPixmap(pixmap.scaled(
            min(size.width(), 240), min(size.height(), 300), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))


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
