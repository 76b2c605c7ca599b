"""The monthly summary as a one-page printable PDF, painted with Qt's own PDF writer."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, Qt, QTranslator
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
)

from counter_app.application.manager import MonthReport
from counter_app.ui.i18n import CATALOGUE, translations_dir

#: lupdate collects `translate("Context", "text")` calls into the catalogues
translate = QCoreApplication.translate

#: Latin first (a real bold face), then CJK fonts for the names and translated labels.
FONT_FAMILIES = ["DejaVu Sans", "Arial", "WenQuanYi Micro Hei", "Noto Sans CJK SC",
                 "Microsoft YaHei", "PingFang SC", "sans-serif"]



def _texts() -> dict[str, str]:
    """Every label of the page, translated (lupdate reads the literal calls)."""
    return {
        "Monthly service summary": translate("SummaryPdf", "Monthly service summary"),
        "Counter": translate("SummaryPdf", "Counter"),
        "Suggested service star": translate("SummaryPdf", "Suggested service star"),
        "score": translate("SummaryPdf", "score"),
        "No suggested star: nobody has enough ratings this month":
            translate("SummaryPdf", "No suggested star: nobody has enough ratings this month"),
        "Confirmed star": translate("SummaryPdf", "Confirmed star"),
        "by": translate("SummaryPdf", "by"),
        "Not yet confirmed by the duty manager":
            translate("SummaryPdf", "Not yet confirmed by the duty manager"),
        "Tie broken by": translate("SummaryPdf", "Tie broken by"),
        "Rule": translate("SummaryPdf", "Rule"),
        "Served": translate("SummaryPdf", "Served"),
        "Service level": translate("SummaryPdf", "Service level"),
        "Satisfaction rate": translate("SummaryPdf", "Satisfaction rate"),
        "Participation rate": translate("SummaryPdf", "Participation rate"),
        "Median time": translate("SummaryPdf", "Median time"),
        "90th percentile": translate("SummaryPdf", "90th percentile"),
        "Staff": translate("SummaryPdf", "Staff"),
        "Rated": translate("SummaryPdf", "Rated"),
        "Mean rating": translate("SummaryPdf", "Mean rating"),
        "Overtime rate": translate("SummaryPdf", "Overtime rate"),
        "Participation": translate("SummaryPdf", "Participation"),
        "Hours signed in": translate("SummaryPdf", "Hours signed in"),
        "Share serving": translate("SummaryPdf", "Share serving"),
        "Closes during service": translate("SummaryPdf", "Closes during service"),
        "Star score": translate("SummaryPdf", "Star score"),
        "Satisfaction rate and overtime rate per staff member":
            translate("SummaryPdf", "Satisfaction rate and overtime rate per staff member"),
        "Generated": translate("SummaryPdf", "Generated"),
    }


def ensure_gui_application(language: str | None = None) -> QGuiApplication:
    """Painting text needs a QGuiApplication; create an offscreen one for the command line,
    speaking the counter's `language` (the running app has installed its translator already)."""
    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        # a QApplication (not a bare QGuiApplication), so widgets can follow in the process
        from PySide6.QtWidgets import QApplication

        app = QApplication(["counter-app"])
        if language and language != "en":
            _install_translator(app, language)
    return app  # type: ignore[return-value]


def _install_translator(app: QCoreApplication, language: str) -> None:
    try:
        translator = QTranslator(app)
        if translator.load(f"{CATALOGUE}_{language}", str(translations_dir(language))):
            app.installTranslator(translator)
    except Exception:  # an English page is better than no page
        return


def _who(report: MonthReport, number: str) -> str:
    name = report.name(number)
    return f"{name} ({number})" if name != number else number


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def write_summary_pdf(report: MonthReport, path: Path, *, hall: str = "",
                      counter: str = "", language: str | None = None) -> None:
    """One A4 page: title, the star (suggested, confirmed, rule), the staff table, a chart."""
    ensure_gui_application(language)
    T = _texts()
    writer = QPdfWriter(str(path))
    writer.setResolution(150)
    writer.setTitle(T['Monthly service summary'] + f" {report.month}")
    writer.setCreator("Counter App")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait, QMarginsF(15, 15, 15, 15),
                                     QPageLayout.Unit.Millimeter))
    painter = QPainter(writer)
    try:
        _paint(painter, report, float(writer.width()), float(writer.height()), hall, counter,
               language or "en")
    finally:
        painter.end()


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(size)
    font.setBold(bold)
    # no "fi"/"ff" ligatures: copied or searched text must read as typed
    font.setFeature(QFont.Tag("liga"), 0)
    return font


def _paint(p: QPainter, report: MonthReport, width: float, height: float, hall: str,
           counter: str, language: str) -> None:
    T = _texts()
    y = 0.0

    def text(line: str, size: float, *, bold: bool = False, color: str = "#263238",
             x: float = 0.0, w: float | None = None, flags: int = 0) -> float:
        nonlocal y
        p.setFont(_font(size, bold))
        p.setPen(QColor(color))
        rect = QRectF(x, y, (w or width) - x, height - y)
        bound = p.boundingRect(rect, flags | int(Qt.TextFlag.TextWordWrap), line)
        p.drawText(rect, flags | int(Qt.TextFlag.TextWordWrap), line)
        return bound.height()

    y += text(T['Monthly service summary'] + f"  {report.month}", 18, bold=True)
    where = "  ·  ".join(part for part in (hall, T['Counter'] + f" {counter}" if counter else "")
                         if part)
    y += text(where, 10, color="#607d8b") + 20

    # ---- the star --------------------------------------------------------------------------
    box_top = y
    y += 14
    star = report.suggestion.star
    if star is not None:
        line = (T['Suggested service star'] + f":  {report.name(star.staff)} ({star.staff})  "
                + T['score'] + f" {_num(star.score)}")
    else:
        line = T['No suggested star: nobody has enough ratings this month']
    y += text("★ " + line, 14, bold=True, color="#8d6e00", x=16) + 6
    if report.confirmed:
        c = report.confirmed
        confirmed = (T['Confirmed star'] + f":  {_who(report, c['staff'])}, " + T['by']
                     + f" {_who(report, c['manager'])} {c['confirmed_at'][:10]}")
    else:
        confirmed = T['Not yet confirmed by the duty manager']
    y += text(confirmed, 10, x=16) + 6
    if report.suggestion.tie_broken_by:
        y += text(T['Tie broken by'] + f" {report.suggestion.tie_broken_by}", 9, x=16) + 4
    y += text(T['Rule'] + ": " + report.suggestion.rule.describe(language), 8.5,
              color="#455a64", x=16, w=width - 16) + 14
    p.setPen(QPen(QColor("#e0a526"), 3))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(0, box_top, width, y - box_top), 12, 12)
    y += 24

    # ---- totals: one card per KPI ----------------------------------------------------------
    t = report.totals
    cards = [
        (T['Served'], str(t.served)), (T['Service level'], _pct(t.service_level)),
        (T['Satisfaction rate'], _pct(t.satisfaction_rate)),
        (T['Participation rate'], _pct(t.participation_rate)),
        (T['Median time'], f"{_num(t.median_s, 0)} s"),
        (T['90th percentile'], f"{_num(t.p90_s, 0)} s"),
    ]
    card_w, card_h, gap = (width - 5 * 12) / 6, 90.0, 12.0
    for i, (label, value) in enumerate(cards):
        rect = QRectF(i * (card_w + gap), y, card_w, card_h)
        p.fillRect(rect, QColor("#f4f6f8"))
        p.setPen(QColor("#263238"))
        p.setFont(_font(13, True))
        p.drawText(rect.adjusted(8, 6, -8, -40), int(Qt.AlignmentFlag.AlignCenter), value)
        p.setPen(QColor("#607d8b"))
        p.setFont(_font(7.5))
        p.drawText(rect.adjusted(4, 50, -4, -4), int(Qt.AlignmentFlag.AlignCenter), label)
    y += card_h + 28

    # ---- table -----------------------------------------------------------------------------
    headers = [T['Staff'], T['Served'], T['Rated'], T['Mean rating'],
               T['Satisfaction rate'], T['Overtime rate'], T['Participation'],
               T['Hours signed in'], T['Share serving'], T['Closes during service'],
               T['Star score']]
    shares = [0.17, 0.06, 0.06, 0.08, 0.10, 0.09, 0.12, 0.08, 0.08, 0.08, 0.08]
    xs = [sum(shares[:i]) * width for i in range(len(shares))]
    row_h = 40.0
    head_h = 72.0
    p.setFont(_font(7.5, True))
    p.fillRect(QRectF(0, y, width, head_h), QColor("#eceff1"))
    p.setPen(QColor("#263238"))
    for header, x, share in zip(headers, xs, shares, strict=True):
        p.drawText(QRectF(x + 6, y, share * width - 10, head_h),
                   int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
                   | int(Qt.TextFlag.TextWordWrap), header)
    y += head_h
    p.setFont(_font(9))
    star_staff = star.staff if star else None
    for s in report.staff:
        cells = [f"{report.name(s.staff)} ({s.staff})" + (" ★" if s.staff == star_staff else ""),
                 str(s.served), str(s.rated), _num(s.mean_rating), _pct(s.satisfaction_rate),
                 _pct(s.overtime_rate), _pct(s.participation_rate), f"{s.signed_in_s / 3600:.1f}",
                 _pct(s.serving_share), str(s.closed_in_service), _num(report.score(s.staff))]
        if s.staff == star_staff:
            p.fillRect(QRectF(0, y, width, row_h), QColor("#fff8e1"))
        p.setPen(QColor("#263238"))
        for cell, x, share in zip(cells, xs, shares, strict=True):
            p.drawText(QRectF(x + 6, y, share * width - 12, row_h),
                       int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), cell)
        p.setPen(QPen(QColor("#cfd8dc"), 1))
        p.drawLine(0, int(y + row_h), int(width), int(y + row_h))
        y += row_h
    y += 30

    # ---- chart: satisfaction and overtime rate per staff -----------------------------------
    y += text(T['Satisfaction rate and overtime rate per staff member'], 11, bold=True) + 8
    for j, (label, color) in enumerate(((T['Satisfaction rate'], "#2e7d32"),
                                        (T['Overtime rate'], "#c62828"))):
        p.fillRect(QRectF(j * 260, y + 4, 22, 22), QColor(color))
        p.setPen(QColor("#263238"))
        p.setFont(_font(8.5))
        p.drawText(QRectF(j * 260 + 30, y, 220, 30), int(Qt.AlignmentFlag.AlignVCenter), label)
    y += 50
    chart_h = min(620.0, height - y - 60)
    if chart_h > 150 and report.staff:
        _bar_chart(p, report, QRectF(60, y, width - 60, chart_h))
        y += chart_h + 50
    p.setFont(_font(7.5))
    p.setPen(QColor("#90a4ae"))
    p.drawText(QRectF(0, height - 30, width, 30), int(Qt.AlignmentFlag.AlignRight),
               T['Generated'] + f" {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} · Counter App")


def _bar_chart(p: QPainter, report: MonthReport, area: QRectF) -> None:
    plot = QRectF(area.left(), area.top(), area.width(), area.height() - 50)
    p.setFont(_font(8))
    for tick in range(0, 101, 20):
        ty = plot.bottom() - plot.height() * tick / 100
        p.setPen(QPen(QColor("#eceff1"), 1))
        p.drawLine(int(plot.left()), int(ty), int(plot.right()), int(ty))
        p.setPen(QColor("#607d8b"))
        p.drawText(QRectF(plot.left() - 60, ty - 15, 52, 30),
                   int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), f"{tick}%")
    group = plot.width() / len(report.staff)
    bar = min(80.0, group * 0.32)
    colors = (QColor("#2e7d32"), QColor("#c62828"))
    for i, s in enumerate(report.staff):
        x0 = plot.left() + group * i + group / 2 - bar
        for j, (rate, color) in enumerate(zip((s.satisfaction_rate, s.overtime_rate), colors,
                                              strict=True)):
            value = rate or 0.0
            h = plot.height() * value
            rect = QRectF(x0 + j * bar, plot.bottom() - h, bar * 0.9, h)
            p.fillRect(rect, color)
            p.setPen(QColor("#263238"))
            p.drawText(QRectF(rect.left() - 20, rect.top() - 28, rect.width() + 40, 26),
                       int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                       f"{value * 100:.0f}%")
        p.setPen(QColor("#263238"))
        p.drawText(QRectF(plot.left() + group * i, plot.bottom() + 6, group, 40),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                   f"{report.name(s.staff)} ({s.staff})")
    p.setPen(QPen(QColor("#90a4ae"), 2))
    p.drawLine(int(plot.left()), int(plot.bottom()), int(plot.right()), int(plot.bottom()))
