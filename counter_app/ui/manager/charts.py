"""QtCharts for the KPI tab: each function redraws one chart from domain.reports series."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import shiboken6
from PySide6.QtCharts import (
    QAbstractAxis,
    QAreaSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QMargins, QPointF, Qt, QTime
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from counter_app.domain.reports import Bin, DayPoint, ParetoBar, SatisfactionBin

#: lupdate collects `translate("Context", "text")` calls into the catalogues
translate = QCoreApplication.translate

GREEN, RED, BLUE, AMBER = "#2e7d32", "#c62828", "#1565c0", "#e0a526"



def chart_view(title: str, parent: QWidget | None = None) -> QChartView:
    """An antialiased chart view; each redraw puts a fresh chart in it (see `_fresh`)."""
    view = QChartView(_new_chart(title), parent)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


def _new_chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont()
    font.setPointSizeF(10)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    chart.setBackgroundRoundness(4)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    return chart


def _fresh(view: QChartView, title: str | None = None) -> QChart:
    """Replace the view's chart with an empty one: removing axes from a live chart leaves
    their labels behind in the scene, so a redraw starts from a new chart."""
    old = view.chart()
    chart = _new_chart(title if title is not None else old.title())
    view.setChart(chart)
    shiboken6.delete(old)  # setChart releases the old chart without deleting it
    return chart


def _axis_font(axis: QAbstractAxis, size: float = 8.0) -> None:
    font = QFont()
    font.setPointSizeF(size)
    axis.setLabelsFont(font)


def _value_axis(low: float, high: float, fmt: str, title: str = "") -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(low, high)
    axis.setLabelFormat(fmt)
    if title:
        axis.setTitleText(title)
        font = QFont()
        font.setPointSizeF(8)
        axis.setTitleFont(font)
    _axis_font(axis)
    return axis


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= m * step:
            return m * step
    return 10 * step


def histogram(view: QChartView, bins: Sequence[Bin], target_s: float | None,
              target_label: str) -> None:
    """Handling-time histogram as a stepped area, with a dashed line at the target."""
    chart = _fresh(view)
    if not bins:
        return
    upper = QLineSeries()
    width = bins[0].high - bins[0].low if bins[0].high is not None else 30.0
    peak = 0
    for b in bins:
        high = b.high if b.high is not None else b.low + width
        upper.append(QPointF(b.low / 60, b.count))
        upper.append(QPointF(high / 60, b.count))
        peak = max(peak, b.count)
    area = QAreaSeries(upper)
    upper.setParent(area)  # QAreaSeries does not own its boundary line: tie their lifetimes
    area.setName(translate("ManagerCharts", "Transactions"))
    area.setColor(QColor(BLUE).lighter(150))
    area.setBorderColor(QColor(BLUE))
    chart.addSeries(area)
    top = _nice_max(peak * 1.1)
    x_max = (bins[-1].low + width) / 60
    x_axis = _value_axis(0, x_max, "%.0f", translate("ManagerCharts", "minutes (last bin: longer)"))
    x_axis.setTickCount(min(16, int(x_max) + 1) if x_max <= 15 else 11)
    y_axis = _value_axis(0, top, "%.0f")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    area.attachAxis(x_axis)
    area.attachAxis(y_axis)
    if target_s:
        line = QLineSeries()
        line.setName(target_label)
        line.append(target_s / 60, 0)
        line.append(target_s / 60, top)
        line.setPen(QPen(QColor(RED), 2.5, Qt.PenStyle.DashLine))
        chart.addSeries(line)
        line.attachAxis(x_axis)
        line.attachAxis(y_axis)


def _qdatetime(day: dt.date, hour: int = 12, minute: int = 0) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(hour, minute))


def _msecs(day: dt.date) -> int:
    return _qdatetime(day).toMSecsSinceEpoch()


def daily_trend(view: QChartView, points: Sequence[DayPoint], title: str | None = None) -> None:
    """Service level and satisfaction per day (or week), in percent."""
    chart = _fresh(view, title)
    if not points:
        return
    level, satisfaction = QLineSeries(), QLineSeries()
    level.setName(translate("ManagerCharts", "Service level"))
    satisfaction.setName(translate("ManagerCharts", "Satisfaction rate"))
    level.setPen(QPen(QColor(BLUE), 2))
    satisfaction.setPen(QPen(QColor(GREEN), 2))
    low = 100.0
    for p in points:
        when = _msecs(p.day)
        if p.service_level is not None:
            level.append(when, p.service_level * 100)
            low = min(low, p.service_level * 100)
        if p.satisfaction_rate is not None:
            satisfaction.append(when, p.satisfaction_rate * 100)
            low = min(low, p.satisfaction_rate * 100)
    chart.addSeries(level)
    chart.addSeries(satisfaction)
    x_axis = QDateTimeAxis()
    span = (points[-1].day - points[0].day).days
    x_axis.setFormat("MM-dd" if span < 120 else "yyyy-MM")
    x_axis.setTickCount(max(2, min(8, span + 1)))
    first, last = points[0].day, points[-1].day
    if first == last:
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    x_axis.setRange(_qdatetime(first, 0), _qdatetime(last, 23, 59))
    _axis_font(x_axis)
    y_axis = _value_axis(max(0.0, math.floor(low / 10) * 10 - 10), 100, "%.0f%%")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    for series in (level, satisfaction):
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)


def pareto(view: QChartView, bars: Sequence[ParetoBar], names: dict[str, str]) -> None:
    """Overtime causes, most frequent first, with the cumulative share as a line."""
    chart = _fresh(view)
    if not bars:
        return
    counts = QBarSet(translate("ManagerCharts", "Cases"))
    counts.setColor(QColor(AMBER))
    cumulative = QLineSeries()
    cumulative.setName(translate("ManagerCharts", "Cumulative %"))
    cumulative.setPen(QPen(QColor(RED), 2))
    cumulative.setPointsVisible(True)
    categories = []
    for i, bar in enumerate(bars):
        counts.append(bar.count)
        cumulative.append(i, bar.cumulative * 100)
        categories.append(names.get(bar.cause, bar.cause))
    series = QBarSeries()
    series.append(counts)
    series.setLabelsVisible(True)
    chart.addSeries(series)
    chart.addSeries(cumulative)
    x_axis = QBarCategoryAxis()
    x_axis.append(categories)
    _axis_font(x_axis, 7.5)
    y_axis = _value_axis(0, _nice_max(bars[0].count * 1.15), "%.0f")
    y_pct = _value_axis(0, 100, "%.0f%%")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(y_pct, Qt.AlignmentFlag.AlignRight)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)
    cumulative.attachAxis(x_axis)
    cumulative.attachAxis(y_pct)


def rating_distribution(view: QChartView, counts: dict[int, int], labels: dict[int, str]) -> None:
    """How many customers pressed each of the five buttons, poor ones in warm colours."""
    chart = _fresh(view)
    colors = {1: "#b71c1c", 2: "#ef6c00", 3: "#9e9d24", 4: "#558b2f", 5: "#2e7d32"}
    series = QStackedBarSeries()  # one set per value, so each bar keeps its own colour
    for value in (1, 2, 3, 4, 5):
        bar_set = QBarSet(labels[value])
        bar_set.setColor(QColor(colors[value]))
        for other in (1, 2, 3, 4, 5):
            bar_set.append(counts.get(value, 0) if other == value else 0)
        series.append(bar_set)
    series.setBarWidth(0.7)
    chart.addSeries(series)
    x_axis = QBarCategoryAxis()
    x_axis.append([str(v) for v in (1, 2, 3, 4, 5)])  # the legend carries the words
    _axis_font(x_axis)
    y_axis = _value_axis(0, _nice_max(max(counts.values() or [0]) * 1.1), "%.0f")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)
    legend = chart.legend()  # the words of the scale, whole, beside the bars
    legend.setVisible(True)
    legend.setAlignment(Qt.AlignmentFlag.AlignRight)
    font = QFont()
    font.setPointSizeF(8)
    legend.setFont(font)


def satisfaction_by_handling(view: QChartView, bins: Sequence[SatisfactionBin]) -> None:
    """Satisfaction rate per handling-time band (share of target): does overtime cost it?"""
    chart = _fresh(view)
    within = QBarSet(translate("ManagerCharts", "Within target"))
    over = QBarSet(translate("ManagerCharts", "Over target"))
    within.setColor(QColor(GREEN))
    over.setColor(QColor(RED))
    categories = []
    for b in bins:
        value = (b.satisfaction_rate or 0.0) * 100
        is_over = b.low >= 1.0
        within.append(0 if is_over else value)
        over.append(value if is_over else 0)
        categories.append(f"{b.low * 100:.0f}" if b.high is not None
                          else f"{b.low * 100:.0f}+")
    series = QBarSeries()
    series.append(within)
    series.append(over)
    series.setBarWidth(0.9)
    chart.addSeries(series)
    x_axis = QBarCategoryAxis()
    x_axis.append(categories)
    x_axis.setTitleText(translate("ManagerCharts", "handling time, % of target (bin start)"))
    font = QFont()
    font.setPointSizeF(8)
    x_axis.setTitleFont(font)
    _axis_font(x_axis)
    y_axis = _value_axis(0, 100, "%.0f%%")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)


def staff_rates(view: QChartView, labels: Sequence[str], satisfaction: Sequence[float | None],
                overtime: Sequence[float | None]) -> None:
    """Satisfaction rate and overtime rate per staff member, side by side, in percent."""
    chart = _fresh(view)
    sat = QBarSet(translate("ManagerCharts", "Satisfaction rate"))
    over = QBarSet(translate("ManagerCharts", "Overtime rate"))
    sat.setColor(QColor(GREEN))
    over.setColor(QColor(RED))
    for s, o in zip(satisfaction, overtime, strict=True):
        sat.append((s or 0.0) * 100)
        over.append((o or 0.0) * 100)
    series = QBarSeries()
    series.append(sat)
    series.append(over)
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value%")
    series.setLabelsPrecision(3)
    chart.addSeries(series)
    x_axis = QBarCategoryAxis()
    x_axis.append(list(labels))
    _axis_font(x_axis)
    y_axis = _value_axis(0, 100, "%.0f%%")
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)
