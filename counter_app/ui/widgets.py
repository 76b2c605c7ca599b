"""Small typed helpers for building widgets (PySide's stubs take no property keywords)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel

W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """`widget` with its object name set (for style sheets and tests), typed as itself."""
    widget.setObjectName(name)
    return widget


def label(name: str, text: str = "", *, wrap: bool = False, visible: bool = True) -> QLabel:
    """A QLabel with an object name, optionally word-wrapped or hidden at first."""
    widget = named(QLabel(text), name)
    widget.setWordWrap(wrap)
    if not visible:
        widget.setVisible(False)
    return widget


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than it gets: a text too long for its
    width is drawn elided ("…") with the whole text as its tooltip, so a tile, the board or a
    title never grows past its window. `text()` stays the whole text."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("…") + 2, hint.height())

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(
            min(hint.width(), max(self.width(), self.minimumSizeHint().width())), hint.height()
        )

    def elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._tooltip()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._tooltip()

    def _tooltip(self) -> None:
        self.setToolTip(self.text() if self.elided() else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.elided():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        room = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, room.width()
        )
        painter.drawText(room, int(self.alignment()), shown)
        painter.end()


def header_lines(label: str) -> str:
    """A table header on two lines where it has two parts, so a column needs only the
    longer one's width: English at the space that leaves the shorter longest line, Chinese
    before its bracket (“签到时长” / “（小时）”); a Chinese word stays whole (halves cut
    “办理中关闭次数” in the middle of a word)."""
    words = label.split(" ")
    if len(words) > 1:
        cuts = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
        first, second = min(cuts, key=lambda cut: max(len(cut[0]), len(cut[1])))
        return f"{first}\n{second}"
    if "（" in label[1:]:
        at = label.index("（", 1)
        return f"{label[:at]}\n{label[at:]}"
    return label
