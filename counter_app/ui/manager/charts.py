"""QtCharts for the KPI tab: each function redraws one chart from domain.reports series."""

from __future__ import annotations

import datetime as dt
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractSeries,
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

from counter_core.figures import Bin, DayPoint, ParetoBar, SatisfactionBin

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


@dataclass
class _Live:
    """A chart drawn by one of the functions below, with what its next redraw changes."""

    chart: QChart
    kind: str
    series: list[QAbstractSeries]
    axes: list[QAbstractAxis]
    sets: list[QBarSet] = field(default_factory=list)
    shape: object = None  # what must stay the same for an update in place


#: The chart each view shows, while its series and axes can be updated in place: a filter
#: change then replaces points and ranges instead of building (and laying out) a new chart.
_live: weakref.WeakKeyDictionary[QChartView, _Live] = weakref.WeakKeyDictionary()


def _reusable(view: QChartView, kind: str, shape: object) -> _Live | None:
    live = _live.get(view)
    if live is None or live.kind != kind or live.shape != shape or live.chart is not view.chart():
        return None
    return live


def _empty(view: QChartView, title: str | None = None) -> None:
    _live.pop(view, None)
    _fresh(view, title)


def histogram(view: QChartView, bins: Sequence[Bin], target_s: float | None,
              target_label: str) -> None:
    """Handling-time histogram as a stepped area, with a dashed line at the target."""
    if not bins:
        _empty(view)
        return
    width = bins[0].high - bins[0].low if bins[0].high is not None else 30.0
    points, peak = [], 0
    for b in bins:
        high = b.high if b.high is not None else b.low + width
        points += [QPointF(b.low / 60, b.count), QPointF(high / 60, b.count)]
        peak = max(peak, b.count)
    top = _nice_max(peak * 1.1)
    x_max = (bins[-1].low + width) / 60
    live = _reusable(view, "histogram", bool(target_s))
    if live is None:
        chart = _fresh(view)
        upper = QLineSeries()
        area = QAreaSeries(upper)
        upper.setParent(area)  # QAreaSeries does not own its boundary line: tie their lifetimes
        area.setName(translate("ManagerCharts", "Transactions"))
        area.setColor(QColor(BLUE).lighter(150))
        area.setBorderColor(QColor(BLUE))
        chart.addSeries(area)
        x_axis = _value_axis(0, x_max, "%.0f",
                             translate("ManagerCharts", "minutes (last bin: longer)"))
        y_axis = _value_axis(0, top, "%.0f")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        area.attachAxis(x_axis)
        area.attachAxis(y_axis)
        series: list[QAbstractSeries] = [area, upper]
        if target_s:
            line = QLineSeries()
            line.setPen(QPen(QColor(RED), 2.5, Qt.PenStyle.DashLine))
            chart.addSeries(line)
            line.attachAxis(x_axis)
            line.attachAxis(y_axis)
            series.append(line)
        live = _live[view] = _Live(chart, "histogram", series, [x_axis, y_axis],
                                   shape=bool(target_s))
    bottom, left = live.axes
    boundary = live.series[1]
    assert isinstance(bottom, QValueAxis) and isinstance(left, QValueAxis)
    assert isinstance(boundary, QLineSeries)
    boundary.replace(points)
    bottom.setRange(0, x_max)
    bottom.setTickCount(min(16, int(x_max) + 1) if x_max <= 15 else 11)
    left.setRange(0, top)
    if target_s:
        target_line = live.series[2]
        assert isinstance(target_line, QLineSeries)
        target_line.setName(target_label)
        target_line.replace([QPointF(target_s / 60, 0), QPointF(target_s / 60, top)])


def _qdatetime(day: dt.date, hour: int = 12, minute: int = 0) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(hour, minute))


def _msecs(day: dt.date) -> int:
    return _qdatetime(day).toMSecsSinceEpoch()


def daily_trend(view: QChartView, points: Sequence[DayPoint], title: str | None = None) -> None:
    """Service level and satisfaction per day (or week), in percent."""
    if not points:
        _empty(view, title)
        return
    level_points, satisfaction_points = [], []
    low = 100.0
    for p in points:
        when = float(_msecs(p.day))
        if p.service_level is not None:
            level_points.append(QPointF(when, p.service_level * 100))
            low = min(low, p.service_level * 100)
        if p.satisfaction_rate is not None:
            satisfaction_points.append(QPointF(when, p.satisfaction_rate * 100))
            low = min(low, p.satisfaction_rate * 100)
    live = _reusable(view, "trend", None)
    if live is None:
        chart = _fresh(view, title)
        level, satisfaction = QLineSeries(), QLineSeries()
        level.setName(translate("ManagerCharts", "Service level"))
        satisfaction.setName(translate("ManagerCharts", "Satisfaction rate"))
        level.setPen(QPen(QColor(BLUE), 2))
        satisfaction.setPen(QPen(QColor(GREEN), 2))
        chart.addSeries(level)
        chart.addSeries(satisfaction)
        x_axis = QDateTimeAxis()
        _axis_font(x_axis)
        y_axis = _value_axis(0, 100, "%.0f%%")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (level, satisfaction):
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
        live = _live[view] = _Live(chart, "trend", [level, satisfaction], [x_axis, y_axis])
    elif title is not None:
        live.chart.setTitle(title)
    level_line, satisfaction_line = live.series
    bottom, left = live.axes
    assert isinstance(level_line, QLineSeries) and isinstance(satisfaction_line, QLineSeries)
    assert isinstance(bottom, QDateTimeAxis) and isinstance(left, QValueAxis)
    level_line.replace(level_points)
    satisfaction_line.replace(satisfaction_points)
    span = (points[-1].day - points[0].day).days
    bottom.setFormat("MM-dd" if span < 120 else "yyyy-MM")
    bottom.setTickCount(max(2, min(8, span + 1)))
    first, last = points[0].day, points[-1].day
    if first == last:
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    bottom.setRange(_qdatetime(first, 0), _qdatetime(last, 23, 59))
    left.setRange(max(0.0, math.floor(low / 10) * 10 - 10), 100)


def pareto(view: QChartView, bars: Sequence[ParetoBar], names: dict[str, str]) -> None:
    """Overtime causes, most frequent first, with the cumulative share as a line."""
    if not bars:
        _empty(view)
        return
    live = _reusable(view, "pareto", None)
    if live is None:
        chart = _fresh(view)
        counts = QBarSet(translate("ManagerCharts", "Cases"))
        counts.setColor(QColor(AMBER))
        cumulative = QLineSeries()
        cumulative.setName(translate("ManagerCharts", "Cumulative %"))
        cumulative.setPen(QPen(QColor(RED), 2))
        cumulative.setPointsVisible(True)
        series = QBarSeries()
        series.append(counts)
        series.setLabelsVisible(True)
        chart.addSeries(series)
        chart.addSeries(cumulative)
        x_axis = QBarCategoryAxis()
        _axis_font(x_axis, 7.5)
        y_axis = _value_axis(0, 1, "%.0f")
        y_pct = _value_axis(0, 100, "%.0f%%")
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(y_pct, Qt.AlignmentFlag.AlignRight)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
        cumulative.attachAxis(x_axis)
        cumulative.attachAxis(y_pct)
        live = _live[view] = _Live(chart, "pareto", [series, cumulative],
                                   [x_axis, y_axis, y_pct], [counts])
    (bar_set,) = live.sets
    cumulative_line = live.series[1]
    bottom, left, _ = live.axes
    assert isinstance(cumulative_line, QLineSeries) and isinstance(bottom, QBarCategoryAxis)
    assert isinstance(left, QValueAxis)
    if bar_set.count():
        bar_set.remove(0, bar_set.count())
    bar_set.append([float(bar.count) for bar in bars])
    cumulative_line.replace([QPointF(i, bar.cumulative * 100) for i, bar in enumerate(bars)])
    bottom.setCategories([names.get(bar.cause, bar.cause) for bar in bars])
    left.setRange(0, _nice_max(bars[0].count * 1.15))


def rating_distribution(view: QChartView, counts: dict[int, int], labels: dict[int, str]) -> None:
    """How many customers pressed each of the five buttons, poor ones in warm colours."""
    live = _reusable(view, "ratings", None)
    if live is None:
        chart = _fresh(view)
        colors = {1: "#b71c1c", 2: "#ef6c00", 3: "#9e9d24", 4: "#558b2f", 5: "#2e7d32"}
        series = QStackedBarSeries()  # one set per value, so each bar keeps its own colour
        sets = []
        for value in (1, 2, 3, 4, 5):
            bar_set = QBarSet(labels[value])
            bar_set.setColor(QColor(colors[value]))
            bar_set.append([0.0] * 5)
            series.append(bar_set)
            sets.append(bar_set)
        series.setBarWidth(0.7)
        chart.addSeries(series)
        x_axis = QBarCategoryAxis()
        x_axis.append([str(v) for v in (1, 2, 3, 4, 5)])  # the legend carries the words
        _axis_font(x_axis)
        y_axis = _value_axis(0, 1, "%.0f")
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
        live = _live[view] = _Live(chart, "ratings", [series], [x_axis, y_axis], sets)
    for value, bar_set in zip((1, 2, 3, 4, 5), live.sets, strict=True):
        bar_set.setLabel(labels[value])
        bar_set.replace(value - 1, counts.get(value, 0))
    left = live.axes[1]
    assert isinstance(left, QValueAxis)
    left.setRange(0, _nice_max(max(counts.values() or [0]) * 1.1))


def satisfaction_by_handling(view: QChartView, bins: Sequence[SatisfactionBin]) -> None:
    """Satisfaction rate per handling-time band (share of target): does overtime cost it?"""
    categories = [f"{b.low * 100:.0f}" if b.high is not None else f"{b.low * 100:.0f}+"
                  for b in bins]
    live = _reusable(view, "satisfaction", categories)
    if live is None:
        chart = _fresh(view)
        within = QBarSet(translate("ManagerCharts", "Within target"))
        over = QBarSet(translate("ManagerCharts", "Over target"))
        within.setColor(QColor(GREEN))
        over.setColor(QColor(RED))
        within.append([0.0] * len(bins))
        over.append([0.0] * len(bins))
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
        live = _live[view] = _Live(chart, "satisfaction", [series], [x_axis, y_axis],
                                   [within, over], shape=categories)
    within, over = live.sets
    for i, b in enumerate(bins):
        value = (b.satisfaction_rate or 0.0) * 100
        is_over = b.low >= 1.0
        within.replace(i, 0 if is_over else value)
        over.replace(i, value if is_over else 0)


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
