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
    QAbstractBarSeries,
    QAbstractSeries,
    QAreaSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QScatterSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QMargins, QPointF, Qt, QTime
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QWidget

from counter_core.figures import Bin, DayPoint, ParetoBar, SatisfactionBin

#: lupdate collects `translate("Context", "text")` calls into the catalogues
translate = QCoreApplication.translate

GREEN, RED, BLUE, AMBER = "#2e7d32", "#c62828", "#1565c0", "#e0a526"
INK = "#212121"  # text on a chart's white plot



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
        _title(axis, title)
    _axis_font(axis)
    return axis


def _title(axis: QAbstractAxis, text: str) -> None:
    """The axis's title (what it counts, in which unit), in the charts' small font."""
    axis.setTitleText(text)
    font = QFont()
    font.setPointSizeF(8)
    axis.setTitleFont(font)


def _nice_step(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 × a power of ten that is at least `value`."""
    if value <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= m * step * (1 + 1e-9):
            return m * step
    return 10 * step


def _nice_max(value: float) -> float:
    return _nice_step(value)


def round_ticks(axis: QValueAxis, peak: float, *, whole: bool = True) -> None:
    """0 up to a round top above `peak`, with 4–5 ticks at round values (0, 5, 10, … or
    0, 250, 500, …): a count axis never shows 62.5 or 137; `whole` keeps steps ≥ 1."""
    step = _nice_step(max(peak, 1.0 if whole else 0.0) * 1.1 / 4)
    if whole:
        step = max(1.0, step)
    top = step * max(1, math.ceil(peak * 1.1 / step))
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0)
    # the axis lays out its ticks at each call: a wider range under the old, finer interval
    # (or a finer interval over the old, wider range) would lay out thousands of them first
    if step >= axis.tickInterval():
        axis.setTickInterval(step)
        axis.setRange(0, top)
    else:
        axis.setRange(0, top)
        axis.setTickInterval(step)
    axis.setLabelFormat("%.0f" if step >= 1 or not whole else "%.1f")


def wrapped(label: str, width: int = 9) -> str:
    """A category label on as many lines as it needs (never cut short): words filled up to
    `width` characters a line, or, for Chinese (no spaces), halves once it has more than 4
    characters. Axis labels are rich text: a break is a <br>."""
    if " " not in label:
        if len(label) > 4 and any("\u3400" <= c <= "\u9fff" for c in label):
            middle = (len(label) + 1) // 2
            return label[:middle] + "<br>" + label[middle:]
        return label
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


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


#: dash patterns for several types' target lines on one histogram
_DASHES = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
           Qt.PenStyle.DashDotDotLine)
_TARGET_COLOURS = (RED, "#6a1b9a", "#ef6c00", "#00838f")


def histogram(view: QChartView, bins: Sequence[Bin],
              targets: Sequence[tuple[float, str]]) -> None:
    """Handling-time histogram as a stepped area, with a line at each type's own target
    (`targets`: seconds and label, the filtered type's alone or every type's)."""
    if not bins:
        _empty(view)
        return
    width = bins[0].high - bins[0].low if bins[0].high is not None else 30.0
    points, peak = [], 0
    for b in bins:
        high = b.high if b.high is not None else b.low + width
        points += [QPointF(b.low / 60, b.count), QPointF(high / 60, b.count)]
        peak = max(peak, b.count)
    x_max = (bins[-1].low + width) / 60
    shape = len(targets)
    live = _reusable(view, "histogram", shape)
    if live is None:
        chart = _fresh(view)
        upper = QLineSeries()
        area = QAreaSeries(upper)
        upper.setParent(area)  # QAreaSeries does not own its boundary line: tie their lifetimes
        area.setName(translate("ManagerCharts", "Transactions"))
        area.setColor(QColor(BLUE).lighter(150))
        area.setBorderColor(QColor(BLUE))
        chart.addSeries(area)
        x_axis = _value_axis(0, x_max, "%.0f", translate(
            "ManagerCharts", "handling time, minutes (last bar: longer)"))
        y_axis = _value_axis(0, 1, "%.0f", translate("ManagerCharts", "transactions"))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        area.attachAxis(x_axis)
        area.attachAxis(y_axis)
        series: list[QAbstractSeries] = [area, upper]
        for i in range(shape):
            line = QLineSeries()
            line.setPen(QPen(QColor(_TARGET_COLOURS[i % len(_TARGET_COLOURS)]), 2.5,
                             _DASHES[i % len(_DASHES)]))
            chart.addSeries(line)
            line.attachAxis(x_axis)
            line.attachAxis(y_axis)
            series.append(line)
        # the y axis says "transactions": the legend names only the target lines, small
        for marker in chart.legend().markers(area):
            marker.setVisible(False)
        legend_font = QFont()
        legend_font.setPointSizeF(7.5)
        chart.legend().setFont(legend_font)
        live = _live[view] = _Live(chart, "histogram", series, [x_axis, y_axis], shape=shape)
    bottom, left = live.axes
    boundary = live.series[1]
    assert isinstance(bottom, QValueAxis) and isinstance(left, QValueAxis)
    assert isinstance(boundary, QLineSeries)
    boundary.replace(points)
    minutes = max(1.0, _nice_step(x_max / 8))  # whole minutes, 1, 2 or 5 apart
    bottom.setRange(0, minutes * math.ceil(x_max / minutes))
    bottom.setTickType(QValueAxis.TickType.TicksDynamic)
    bottom.setTickAnchor(0)
    bottom.setTickInterval(minutes)
    round_ticks(left, peak)
    top = left.max()
    for target_line, (target_s, label) in zip(live.series[2:], targets, strict=True):
        assert isinstance(target_line, QLineSeries)
        target_line.setName(label)
        target_line.replace([QPointF(target_s / 60, 0), QPointF(target_s / 60, top)])


def _qdatetime(day: dt.date, hour: int = 12, minute: int = 0) -> QDateTime:
    return QDateTime(QDate(day.year, day.month, day.day), QTime(hour, minute))


def _msecs(day: dt.date) -> int:
    return _qdatetime(day).toMSecsSinceEpoch()


#: fewer transactions than this in a day (or week) of the trend: its point is marked thin
THIN_SAMPLE = 20


def daily_trend(view: QChartView, points: Sequence[DayPoint], title: str | None = None,
                *, weekly: bool = False) -> None:
    """Service level and satisfaction per day (or week), in percent; days with fewer than
    THIN_SAMPLE transactions get a hollow marker (a rate over a few customers says little)."""
    if not points:
        _empty(view, title)
        return
    level_points, satisfaction_points, thin_points = [], [], []
    low = 100.0
    for p in points:
        when = float(_msecs(p.day))
        if p.service_level is not None:
            level_points.append(QPointF(when, p.service_level * 100))
            low = min(low, p.service_level * 100)
            if p.served < THIN_SAMPLE:
                thin_points.append(QPointF(when, p.service_level * 100))
        if p.satisfaction_rate is not None:
            satisfaction_points.append(QPointF(when, p.satisfaction_rate * 100))
            low = min(low, p.satisfaction_rate * 100)
            if p.served < THIN_SAMPLE:
                thin_points.append(QPointF(when, p.satisfaction_rate * 100))
    live = _reusable(view, "trend", None)
    if live is None:
        chart = _fresh(view, title)
        level, satisfaction = QLineSeries(), QLineSeries()
        level.setName(translate("ManagerCharts", "Service level"))
        satisfaction.setName(translate("ManagerCharts", "Satisfaction rate"))
        level.setPen(QPen(QColor(BLUE), 2))
        satisfaction.setPen(QPen(QColor(GREEN), 2))
        thin = QScatterSeries()
        thin.setName(translate("ManagerCharts", "fewer than %1 transactions")
                     .replace("%1", str(THIN_SAMPLE)))
        thin.setMarkerSize(8)
        thin.setColor(QColor("white"))
        thin.setBorderColor(QColor("#616161"))
        chart.addSeries(level)
        chart.addSeries(satisfaction)
        chart.addSeries(thin)
        x_axis = QDateTimeAxis()
        _axis_font(x_axis)
        y_axis = _value_axis(0, 100, "%.0f%%", translate("ManagerCharts", "% of transactions"))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (level, satisfaction, thin):
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
        live = _live[view] = _Live(chart, "trend", [level, satisfaction, thin],
                                   [x_axis, y_axis])
    elif title is not None:
        live.chart.setTitle(title)
    level_line, satisfaction_line, thin_marks = live.series
    bottom, left = live.axes
    assert isinstance(level_line, QLineSeries) and isinstance(satisfaction_line, QLineSeries)
    assert isinstance(thin_marks, QScatterSeries)
    assert isinstance(bottom, QDateTimeAxis) and isinstance(left, QValueAxis)
    level_line.replace(level_points)
    satisfaction_line.replace(satisfaction_points)
    thin_marks.replace(thin_points)
    for marker in live.chart.legend().markers(thin_marks):  # named only when there are some
        marker.setVisible(bool(thin_points))
    span = (points[-1].day - points[0].day).days
    bottom.setFormat("MM-dd" if span < 120 else "yyyy-MM")
    bottom.setTickCount(max(2, min(8, span + 1)))
    _title(bottom, translate("ManagerCharts", "week") if weekly
           else translate("ManagerCharts", "day"))
    first, last = points[0].day, points[-1].day
    if first == last:
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    bottom.setRange(_qdatetime(first, 0), _qdatetime(last, 23, 59))
    left.setRange(max(0.0, math.floor(low / 10) * 10 - 10), 100)
    left.setTickType(QValueAxis.TickType.TicksDynamic)
    left.setTickAnchor(0)
    left.setTickInterval(10 if left.max() - left.min() <= 50 else 20)


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
        # each count above its bar in dark ink: inside, white on amber read at 1.97:1, and
        # the cumulative line crossed the first bar's middle, where its count was (the
        # axis keeps 10 % above the highest bar for it: round_ticks)
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
        counts.setLabelColor(QColor(INK))
        chart.addSeries(series)
        chart.addSeries(cumulative)
        x_axis = QBarCategoryAxis()
        x_axis.setTruncateLabels(False)  # the whole cause, on more lines if it must
        _axis_font(x_axis, 7.0)
        y_axis = _value_axis(0, 1, "%.0f", translate("ManagerCharts", "overtime cases"))
        y_pct = _value_axis(0, 100, "%.0f%%", translate("ManagerCharts", "cumulative share"))
        y_pct.setTickType(QValueAxis.TickType.TicksDynamic)
        y_pct.setTickAnchor(0)
        y_pct.setTickInterval(25)
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
    bottom.setCategories([wrapped(names.get(bar.cause, bar.cause)) for bar in bars])
    round_ticks(left, bars[0].count)


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
        _title(x_axis, translate("ManagerCharts", "rating (button pressed)"))
        y_axis = _value_axis(0, 1, "%.0f", translate("ManagerCharts", "ratings"))
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
    round_ticks(left, max(counts.values() or [0]))


def band_labels(bins: Sequence[SatisfactionBin]) -> list[str]:
    """Each handling band as the range of the target it covers, in percent: "<50", "50–75",
    …, "≥200" (a lower bound alone read as a point, not a range). The axis reads its labels
    as rich text: "<" is written "&lt;", and a range breaks after its dash, as a band is
    narrower than "100–125" at the desk's size."""
    def pct(share: float) -> str:
        return f"{share * 100:.0f}"

    labels = []
    for b in bins:
        if b.high is None:
            labels.append(f"≥{pct(b.low)}")
        elif b.low <= 0:
            labels.append(f"&lt;{pct(b.high)}")
        else:
            labels.append(f"{pct(b.low)}–<br>{pct(b.high)}")
    return labels


def satisfaction_by_handling(view: QChartView, bins: Sequence[SatisfactionBin]) -> None:
    """Satisfaction rate per handling-time band (share of target): does overtime cost it?

    One bar per band, on its label, green within the target and red over it (stacked sets:
    a band has a value in one of them only)."""
    categories = band_labels(bins)
    live = _reusable(view, "satisfaction", categories)
    if live is None:
        chart = _fresh(view)
        within = QBarSet(translate("ManagerCharts", "Within target"))
        over = QBarSet(translate("ManagerCharts", "Over target"))
        within.setColor(QColor(GREEN))
        over.setColor(QColor(RED))
        within.append([0.0] * len(bins))
        over.append([0.0] * len(bins))
        series = QStackedBarSeries()
        series.append(within)
        series.append(over)
        series.setBarWidth(0.7)
        chart.addSeries(series)
        x_axis = QBarCategoryAxis()
        x_axis.append(categories)
        x_axis.setTitleText(translate("ManagerCharts", "handling time, % of target"))
        font = QFont()
        font.setPointSizeF(8)
        x_axis.setTitleFont(font)
        _axis_font(x_axis)
        y_axis = _value_axis(0, 100, "%.0f%%",
                             translate("ManagerCharts", "satisfaction rate (4–5)"))
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


def percent(rate: float | None) -> str:
    """A rate as every table, card and chart label of the manager view writes it."""
    return "–" if rate is None else f"{rate * 100:.1f}%"


def staff_rates(view: QChartView, labels: Sequence[str], satisfaction: Sequence[float | None],
                overtime: Sequence[float | None]) -> None:
    """Satisfaction rate and overtime rate per staff member, side by side, in percent, each
    bar labelled as the summary table writes the number (`percent`)."""
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
    chart.addSeries(series)
    x_axis = QBarCategoryAxis()
    x_axis.append(list(labels))
    x_axis.setTruncateLabels(False)
    _axis_font(x_axis)
    y_axis = _value_axis(0, 100, "%.0f%%", translate("ManagerCharts", "% of transactions"))
    chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x_axis)
    series.attachAxis(y_axis)
    _bar_labels(chart, series, [[percent(v) for v in rates]
                                for rates in (satisfaction, overtime)])


def _bar_labels(chart: QChart, series: QBarSeries, texts: Sequence[Sequence[str]]) -> None:
    """Our own label above each bar (QBarSeries' labels know only significant digits, so
    50 % would read "50" in the chart and "50.0%" in the table); kept in place as the plot
    area moves."""
    sets = series.barSets()
    font = QFont()
    font.setPointSizeF(7.5)
    items: list[tuple[QGraphicsSimpleTextItem, float, float]] = []
    width = series.barWidth()
    for j, (bar_set, row) in enumerate(zip(sets, texts, strict=True)):
        for i, text in enumerate(row):
            item = QGraphicsSimpleTextItem(text, chart)
            item.setFont(font)
            x = i - width / 2 + (j + 0.5) * width / len(sets)
            items.append((item, x, bar_set.at(i)))

    def place() -> None:
        for item, x, value in items:
            at = chart.mapToPosition(QPointF(x, value), series)
            box = item.boundingRect()
            item.setPos(at.x() - box.width() / 2, at.y() - box.height() - 1)

    chart.plotAreaChanged.connect(place)
    place()
