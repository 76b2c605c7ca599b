"""The hourglass: a QPainter widget that paints the fraction and the text it is given."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

SAND = QColor("#e0a526")
SAND_OVERTIME = QColor("#c62828")
GLASS = QColor(255, 255, 255, 235)
FRAME = QColor("#5d4037")
INK = QColor("#263238")


def top_sand_height(fraction_elapsed: float) -> float:
    """Sand height in the upper bulb, as a share of the bulb's height.

    The upper bulb is a triangle standing on its apex (the neck), so the sand left in it is a
    similar triangle whose area goes with the square of its height: h = √(remaining).
    """
    return math.sqrt(max(0.0, 1.0 - min(1.0, fraction_elapsed)))


def bottom_sand_height(fraction_elapsed: float) -> float:
    """Sand height in the lower bulb: the filled area 1 − (1 − h)² equals the elapsed share."""
    return 1.0 - math.sqrt(max(0.0, 1.0 - min(1.0, max(0.0, fraction_elapsed))))


class Hourglass(QWidget):
    """Paints an hourglass drained by `fraction`, digits below, and a distinct overtime state.

    Overtime is told apart by shape and text as well as colour (readable to colour-blind
    people): the glass is hatched, a warning triangle and the word "overtime" appear, and the
    digits carry a "+" sign.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self._painted_fraction = 0.0  # as of the last repaint asked for
        self.digits = "--:--"
        self.caption = ""
        self.overtime = False
        self.overtime_label = "超时 OVERTIME"
        self.running = False
        self.ink = INK  # digits and caption
        self.text_share = 0.22  # of the height, for the digits and their caption
        self.overtime_ink = SAND_OVERTIME
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 220)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def sizeHint(self) -> QSize:
        return QSize(260, 380)

    def show_reading(self, fraction: float, digits: str, *, overtime: bool, running: bool = True,
                     caption: str | None = None) -> None:
        """Set what to paint; repaints only when something visible changed: the digits, the
        state, or the sand by a pixel of the widget's height since the last repaint (at 5
        readings a second a 3-minute drain moves it about 0.4 px a reading at the default
        size: a repaint every few readings, not every one)."""
        changed = (
            abs(fraction - self._painted_fraction) * self.height() >= 1.0
            or digits != self.digits
            or overtime != self.overtime
            or running != self.running
            or (caption is not None and caption != self.caption)
        )
        self.fraction, self.digits = fraction, digits
        self.overtime, self.running = overtime, running
        if caption is not None:
            self.caption = caption
        if changed:
            self._painted_fraction = fraction
            self.update()

    # ---- painting ----------------------------------------------------------------------------

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        text_h = h * self.text_share
        glass_area = QRectF(0, 0, w, h - text_h)
        glass_h = glass_area.height() * 0.92
        glass_w = min(w * 0.8, glass_h * 0.62)
        glass = QRectF((w - glass_w) / 2, (glass_area.height() - glass_h) / 2, glass_w, glass_h)
        self._paint_glass(painter, glass)
        self._paint_digits(painter, QRectF(0, h - text_h, w, text_h))
        painter.end()

    def _paint_glass(self, p: QPainter, r: QRectF) -> None:
        cap = r.height() * 0.06
        inner = r.adjusted(r.width() * 0.06, cap, -r.width() * 0.06, -cap)
        neck_y = inner.center().y()
        neck_half = max(2.0, inner.width() * 0.035)
        cx = inner.center().x()
        bulb_h = inner.height() / 2

        top = QPolygonF([inner.topLeft(), inner.topRight(), QPointF(cx + neck_half, neck_y),
                         QPointF(cx - neck_half, neck_y)])
        bottom = QPolygonF([QPointF(cx - neck_half, neck_y), QPointF(cx + neck_half, neck_y),
                            inner.bottomRight(), inner.bottomLeft()])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(GLASS)
        p.drawPolygon(top)
        p.drawPolygon(bottom)

        sand = SAND_OVERTIME if self.overtime else SAND
        p.setBrush(sand)
        # Upper bulb: the triangle below the sand surface (apex at the neck).
        h_top = top_sand_height(self.fraction) * bulb_h
        if h_top > 0.5:
            half = (inner.width() / 2) * (h_top / bulb_h)
            surface = neck_y - h_top
            p.drawPolygon(QPolygonF([QPointF(cx - half, surface), QPointF(cx + half, surface),
                                     QPointF(cx, neck_y)]))
        # Lower bulb: a trapezoid from the floor up to the pile's surface.
        h_bottom = bottom_sand_height(self.fraction) * bulb_h
        if h_bottom > 0.5:
            half_floor = inner.width() / 2
            half_surface = half_floor * (1 - h_bottom / bulb_h)
            floor = inner.bottom()
            surface = floor - h_bottom
            p.drawPolygon(QPolygonF([
                QPointF(cx - half_surface, surface), QPointF(cx + half_surface, surface),
                QPointF(cx + half_floor, floor), QPointF(cx - half_floor, floor)]))
        # The falling stream.
        if self.running and not self.overtime and 0 < self.fraction < 1:
            p.setPen(QPen(sand, max(1.5, neck_half * 0.8)))
            p.drawLine(QPointF(cx, neck_y), QPointF(cx, inner.bottom() - h_bottom))
            p.setPen(Qt.PenStyle.NoPen)

        outline = QPainterPath()
        for bulb in (top, bottom):
            outline.addPolygon(bulb)
            outline.closeSubpath()
        if self.overtime:
            p.setBrush(QBrush(QColor(198, 40, 40, 110), Qt.BrushStyle.BDiagPattern))
            p.drawPath(outline)
            p.setPen(QPen(SAND_OVERTIME, max(2.0, r.width() * 0.025), Qt.PenStyle.DashLine))
        else:
            p.setPen(QPen(QColor("#78909c"), max(1.5, r.width() * 0.015)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(outline)

        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(FRAME)
        radius = cap * 0.3
        p.drawRoundedRect(QRectF(r.left(), r.top(), r.width(), cap), radius, radius)
        p.drawRoundedRect(QRectF(r.left(), r.bottom() - cap, r.width(), cap), radius, radius)
        if self.overtime:
            self._paint_warning(p, QRectF(cx - r.width() * 0.22, neck_y - r.width() * 0.5,
                                          r.width() * 0.44, r.width() * 0.4))

    def _paint_warning(self, p: QPainter, r: QRectF) -> None:
        """A warning triangle with "!": the overtime state has a shape of its own."""
        tri = QPolygonF([QPointF(r.center().x(), r.top()), r.bottomRight(), r.bottomLeft()])
        p.setBrush(QColor("#ffd600"))
        p.setPen(QPen(INK, max(2.0, r.width() * 0.05), Qt.PenStyle.SolidLine,
                      Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        p.drawPolygon(tri)
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(8, int(r.height() * 0.6)))
        p.setFont(font)
        p.drawText(r.adjusted(0, r.height() * 0.25, 0, 0), Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_digits(self, p: QPainter, r: QRectF) -> None:
        font = QFont(self.font())
        font.setBold(True)
        caption_h = r.height() * 0.32 if (self.caption or self.overtime) else 0.0
        font.setPixelSize(max(10, int((r.height() - caption_h) * 0.78)))
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setFamilies(["DejaVu Sans Mono", "Menlo", "Consolas", "monospace"])
        p.setFont(font)
        p.setPen(self.overtime_ink if self.overtime else self.ink)
        p.drawText(r.adjusted(0, caption_h, 0, 0), Qt.AlignmentFlag.AlignCenter, self.digits)
        if caption_h:
            small = QFont(self.font())
            small.setPixelSize(max(9, int(caption_h * 0.7)))
            small.setBold(self.overtime)
            p.setFont(small)
            text = self.overtime_label if self.overtime else self.caption
            p.drawText(QRectF(r.left(), r.top(), r.width(), caption_h),
                       Qt.AlignmentFlag.AlignCenter, text)
