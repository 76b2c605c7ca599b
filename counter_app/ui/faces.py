"""The faces on the five rating buttons, painted with QPainter (no image files, no network).

Five faces from a broad smile (5) to a deep frown (1), drawn in the button's text colour so
they share its contrast. The mouth is a quadratic curve whose bend is `MOUTH_BEND[value]`
(positive: a smile); the brows of the two lowest tilt, so the faces differ in shape, not only
in colour, for a customer who cannot tell the colours apart.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: value → how far the mouth's middle lies below (+) or above (−) its corners, in face radii
MOUTH_BEND = {5: 0.42, 4: 0.22, 3: 0.0, 2: -0.2, 1: -0.36}
#: value → the brows' tilt (inner end up, in face radii); None: no brows
BROW_TILT: dict[int, float | None] = {5: None, 4: None, 3: None, 2: 0.06, 1: 0.12}


class RatingFace(QWidget):
    """A round face for one rating value; it takes the room it is given and never asks for
    more (the button's labels keep their size)."""

    def __init__(self, value: int, ink: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if value not in MOUTH_BEND:
            raise ValueError(f"no face for rating {value}")
        self.value = value
        self.ink = ink
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(0, 0)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return QSize(48, 48)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, 0)

    def face_rect(self) -> QRectF:
        """The circle's square: centred, the smaller side of the widget, a margin kept."""
        side = max(0.0, min(self.width(), self.height()) * 0.92)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def paintEvent(self, _event: QPaintEvent) -> None:
        r = self.face_rect()
        if r.width() < 8:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = r.width() / 2
        pen = QPen(self.ink, max(1.5, radius * 0.11), Qt.PenStyle.SolidLine,
                   Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        inset = pen.widthF() / 2
        p.drawEllipse(r.adjusted(inset, inset, -inset, -inset))
        c = r.center()
        # eyes
        p.setBrush(self.ink)
        p.setPen(Qt.PenStyle.NoPen)
        eye = radius * 0.11
        for dx in (-0.36, 0.36):
            p.drawEllipse(QPointF(c.x() + dx * radius, c.y() - 0.2 * radius), eye, eye)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        tilt = BROW_TILT[self.value]
        if tilt is not None:
            for side in (-1, 1):
                outer = QPointF(c.x() + side * 0.55 * radius, c.y() - 0.42 * radius)
                inner = QPointF(c.x() + side * 0.18 * radius, c.y() - (0.42 + tilt * 3) * radius)
                p.drawLine(outer, inner)
        # mouth: corners at ±0.45 r, 0.3 r below the centre; the middle bent by MOUTH_BEND
        bend = MOUTH_BEND[self.value]
        y = c.y() + (0.32 - max(0.0, bend) * 0.35 + max(0.0, -bend) * 0.3) * radius
        left, right = QPointF(c.x() - 0.45 * radius, y), QPointF(c.x() + 0.45 * radius, y)
        mouth = QPainterPath(left)
        mouth.quadTo(QPointF(c.x(), y + 2 * bend * radius), right)
        p.drawPath(mouth)
        p.end()
