"""The manager view's charts as a manager reads them: whole cause names, round ticks, axes
that say what they count, each type's own target, thin days marked, one way to write a rate."""

from __future__ import annotations

import datetime as dt
import html
import math

import pytest
from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QChartView,
    QLineSeries,
    QScatterSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsSimpleTextItem
from pytestqt.qtbot import QtBot

from counter_app.ui.desk import DEFAULT_SIZE
from counter_app.ui.manager import ManagerView, charts
from counter_core.periods import format_utc, zone
from counter_core.reviews import OVERTIME_CAUSES
from counter_core.transaction import Draft
from tests.helpers import contrast
from tests.helpers.counter import CounterService

HALL_ZONE = zone("Asia/Shanghai")
BUSY, THIN = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
CAUSES = ("complex_request", "missing_documents", "system")


def _at(day: dt.date, seconds: float) -> str:
    local = dt.datetime.combine(day, dt.time(9, 0), tzinfo=HALL_ZONE)
    return format_utc(local + dt.timedelta(seconds=seconds))


def _serve(items: list[tuple[str, Draft]], txn: str, day: dt.date, offset: float,
           type_: str, target: float, duration: float, rating: int) -> None:
    overtime = max(0.0, duration - target)
    items += [
        (_at(day, offset), Draft("started", {"txn": txn, "staff": "1001", "type": type_,
                                             "target_s": target})),
        (_at(day, offset + duration), Draft("completed", {
            "txn": txn, "duration_s": duration, "target_s": target, "overtime_s": overtime})),
        (_at(day, offset + duration + 5), Draft("rated", {"txn": txn, "rating": rating})),
    ]


@pytest.fixture
def view(qtbot: QtBot, service: CounterService) -> ManagerView:
    """A busy day (30 transactions, overtime with three causes) and a thin one (3)."""
    items: list[tuple[str, Draft]] = [(_at(BUSY, -60), Draft("signed_in", {
        "staff": "1001", "role": "staff"}))]
    for n in range(30):
        late = n % 3 == 0
        _serve(items, f"b{n}", BUSY, n * 600, "payment" if n % 2 else "sim",
               180.0 if n % 2 else 300.0, 400.0 if late else 120.0, 5 if n % 4 else 2)
        if late:
            items.append((_at(BUSY, n * 600 + 420), Draft("overtime_reason", {
                "txn": f"b{n}", "reason": "complex"})))
    for n in range(3):
        _serve(items, f"t{n}", THIN, n * 600, "payment", 180.0, 100.0, 4)
    service.store.append_timed(items)
    manager = service.manager("9001")
    for n, cause in zip((0, 6, 12), CAUSES, strict=True):
        manager.desk.review_overtime(f"b{n}", cause, "")
    widget = ManagerView(manager, today=THIN)
    qtbot.addWidget(widget)
    widget.resize(*DEFAULT_SIZE)  # the desk's own size: labels must fit here
    widget.show()
    widget.set_filters(start=BUSY, end=THIN)
    widget.tabs.setCurrentWidget(widget.kpi_tab)
    qtbot.waitExposed(widget)
    return widget


def _charts(view: ManagerView) -> list[QChartView]:
    tab = view.kpi_tab
    return [tab.histogram, tab.trend, tab.pareto, tab.ratings, tab.satisfaction]


def test_every_value_axis_says_what_it_counts_and_ticks_at_round_values(
        view: ManagerView) -> None:
    for chart_view in _charts(view):
        for axis in chart_view.chart().axes():
            if not isinstance(axis, QValueAxis):
                continue
            title = chart_view.chart().title()
            assert axis.titleText(), f"{title}: an axis without a title"
            if axis.tickType() == QValueAxis.TickType.TicksDynamic:
                step = axis.tickInterval()
                mantissa = step / 10 ** math.floor(math.log10(step))
                assert round(mantissa, 6) in (1.0, 2.0, 2.5, 5.0), (title, step)
                assert math.isclose(axis.max() / step, round(axis.max() / step)), (title, step)


def test_the_pareto_names_each_cause_whole(view: ManagerView) -> None:
    axis = next(a for a in view.kpi_tab.pareto.chart().axes()
                if isinstance(a, QBarCategoryAxis))
    shown = {c.replace("<br>", "" if view.ctx.zh else " ") for c in axis.categories()}
    full = {c.en for c in OVERTIME_CAUSES if c.code in CAUSES} | {
        c.zh for c in OVERTIME_CAUSES if c.code in CAUSES}
    assert shown & full == shown - {"Not stated", "未说明"}
    assert len(shown) >= 3
    assert not axis.labelsTruncated()


def test_the_histogram_draws_each_types_own_target(view: ManagerView) -> None:
    def target_lines() -> list[QLineSeries]:  # the histogram itself is an area series
        return [s for s in view.kpi_tab.histogram.chart().series() if isinstance(s, QLineSeries)]

    targets = sorted({t.target_s for t in view.ctx.config.types if t.target_s is not None})
    assert len(targets) >= 2
    assert [line.at(0).x() * 60 for line in target_lines()] == targets
    sim = view.ctx.config.type_named("sim")
    assert sim is not None and sim.target_s == 300.0
    assert any(sim.name(view.ctx.language) in line.name() for line in target_lines())
    view.type.setCurrentIndex(view.type.findData("sim"))
    assert [line.at(0).x() * 60 for line in target_lines()] == [300.0]


def test_a_thin_day_is_marked_and_a_busy_one_is_not(view: ManagerView) -> None:
    (thin,) = [s for s in view.kpi_tab.trend.chart().series() if isinstance(s, QScatterSeries)]
    thin_day = dt.datetime.combine(THIN, dt.time(12, 0)).timestamp() * 1000
    xs = {thin.at(i).x() for i in range(thin.count())}
    assert xs == {thin_day}  # both of its rates, on the thin day only
    assert thin.count() == 2
    assert str(charts.THIN_SAMPLE) in thin.name()


def test_the_staff_chart_writes_each_rate_as_the_table_does(view: ManagerView,
                                                              qtbot: QtBot) -> None:
    tab = view.summary_tab
    view.tabs.setCurrentWidget(tab)
    tab.month.setCurrentIndex(max(0, tab.month.findData("2026-03")))
    qtbot.wait(10)
    table_texts = {tab.table.item(0, column).text() for column in (4, 5)}
    labels = {item.text() for item in tab.chart.chart().childItems()
              if isinstance(item, QGraphicsSimpleTextItem)}
    assert table_texts <= labels, (table_texts, labels)
    assert all(text.endswith("%") and "." in text for text in labels)


def test_each_handling_band_has_one_bar_on_its_own_range_label(view: ManagerView) -> None:
    """Satisfaction by handling time: a band is within or over the target, so it has one
    bar, standing on its label (stacked sets, not side by side beside it), and the label
    says which range of the target the band covers."""
    chart = view.kpi_tab.satisfaction.chart()
    (series,) = chart.series()
    assert isinstance(series, QStackedBarSeries)
    axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
    shown = [html.unescape(c.replace("<br>", "")) for c in axis.categories()]  # rich text
    assert shown == ["<50", "50–75", "75–100", "100–125", "125–150", "150–200", "≥200"]
    assert not axis.labelsTruncated()
    within, over = series.barSets()
    for i in range(within.count()):
        assert within.at(i) == 0 or over.at(i) == 0, axis.categories()[i]
    assert any(within.at(i) > 0 for i in range(3))
    assert all(within.at(i) == 0 for i in range(3, within.count()))


def test_the_pareto_writes_each_count_above_its_bar_in_readable_ink(view: ManagerView) -> None:
    """Above the bar, dark on the chart's white (AA: 4.5:1 at least), where the cumulative
    line does not cross it; white inside the amber bar read at 1.97:1."""
    chart = view.kpi_tab.pareto.chart()
    (bars,) = [s for s in chart.series() if isinstance(s, QBarSeries)]
    assert bars.isLabelsVisible()
    assert bars.labelsPosition() == QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd
    (counts,) = bars.barSets()
    # the plot as painted, just inside its top corner: where no bar reaches
    corner = chart.plotArea().topLeft() + QPointF(4, 4)
    at = view.kpi_tab.pareto.mapFromScene(corner)
    painted = view.kpi_tab.pareto.grab().toImage().pixelColor(at)
    assert contrast.ratio(counts.labelColor(), painted) >= 4.5
    top = next(a for a in chart.axes(Qt.Orientation.Vertical, bars) if isinstance(a, QValueAxis))
    assert top.max() >= 1.1 * max(counts.at(i) for i in range(counts.count()))  # room above
