"""The KPIs and charts tab: headline numbers and five charts for the filtered period."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from counter_app.ui.manager import charts
from counter_app.ui.manager.context import Filters, ManagerContext, named
from counter_core import figures as reports
from counter_core.ratings import RATING_LABELS
from counter_core.reviews import OVERTIME_CAUSES
from counter_core.timer import format_mmss

#: Longer periods show the trend per week: a year of daily points is unreadable (and slow).
WEEKLY_AFTER_DAYS = 92


_pct = charts.percent  # one way to write a rate, in chart and table


class KpiCard(QFrame):
    """A big number with its name underneath."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kpiCard")
        self.value = named(QLabel("–"), "kpiValue")
        self.title = named(QLabel(title, wordWrap=True), "kpiTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        layout.addWidget(self.value)
        layout.addWidget(self.title)

    def set(self, text: str, tooltip: str = "") -> None:
        self.value.setText(text)
        self.setToolTip(tooltip)


class KpiTab(QWidget):
    """Served, service level, median/p90, overtime, satisfaction, participation; the charts."""

    def __init__(self, ctx: ManagerContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.kpis: reports.Kpis | None = None
        self._filters: Filters | None = None
        self.cards = {
            "served": KpiCard(self.tr("Served")),
            "service_level": KpiCard(self.tr("Service level (within target)")),
            "median": KpiCard(self.tr("Median time")),
            "p90": KpiCard(self.tr("90th percentile")),
            "overtime": KpiCard(self.tr("Overtime cases")),
            "satisfaction": KpiCard(self.tr("Satisfaction rate (4–5)")),
            "participation": KpiCard(self.tr("Participation (rated)")),
            "mean": KpiCard(self.tr("Mean rating")),
        }
        cards = QHBoxLayout()
        cards.setSpacing(6)
        for card in self.cards.values():
            cards.addWidget(card)

        self.histogram = charts.chart_view(self.tr("Handling time"))
        self.trend = charts.chart_view(self.tr("Daily service level and satisfaction"))
        self.pareto = charts.chart_view(self.tr("Overtime causes (Pareto)"))
        self.ratings = charts.chart_view(self.tr("Rating distribution"))
        self.satisfaction = charts.chart_view(self.tr("Satisfaction by handling time"))
        grid = QGridLayout()
        grid.setSpacing(6)
        grid.addWidget(self.histogram, 0, 0)
        grid.addWidget(self.trend, 0, 1, 1, 2)
        grid.addWidget(self.pareto, 1, 0)
        grid.addWidget(self.ratings, 1, 1)
        grid.addWidget(self.satisfaction, 1, 2)
        for column in range(3):
            grid.setColumnStretch(column, 1)
        self.note = named(QLabel(wordWrap=True), "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(cards)
        layout.addLayout(grid, 1)
        layout.addWidget(self.note)

    def load(self, filters: Filters) -> None:
        """Recompute everything for `filters`: aggregate queries, no rows as Python objects."""
        self._filters = filters
        weekly = (filters.end - filters.start).days > WEEKLY_AFTER_DAYS
        report = self.ctx.data.kpi_report(filters.start, filters.end, filters.staff,
                                          filters.type_code, weekly=weekly)
        k = self.kpis = report.kpis
        self.cards["served"].set(str(k.served), self.tr("%1 voided, %2 interrupted")
                                 .replace("%1", str(k.voided)).replace("%2", str(k.interrupted)))
        self.cards["service_level"].set(_pct(k.service_level), self.tr("%1 of %2 timed")
                                        .replace("%1", str(k.within_target))
                                        .replace("%2", str(k.timed)))
        self.cards["median"].set(format_mmss(k.median_s) if k.median_s is not None else "–")
        self.cards["p90"].set(format_mmss(k.p90_s) if k.p90_s is not None else "–")
        self.cards["overtime"].set(str(k.overtime))
        self.cards["satisfaction"].set(_pct(k.satisfaction_rate), self.tr("%1 of %2 ratings")
                                       .replace("%1", str(k.satisfied))
                                       .replace("%2", str(k.rated)))
        self.cards["participation"].set(_pct(k.participation_rate))
        # ratings an upheld appeal took out: shown apart, never deleted
        self.cards["mean"].set("–" if k.mean_rating is None else f"{k.mean_rating:.2f}",
                               self.tr("upheld appeals: %1").replace("%1",
                                                                     str(k.upheld_appeals)))

        targets = self._targets(filters)
        p90 = k.p90_s or 0.0
        longest = max((t for t, _ in targets), default=0.0)
        max_s = max(60.0, math.ceil(max(longest * 1.5, p90 * 1.4) / 60) * 60)
        charts.histogram(self.histogram, report.histogram(bin_s=max_s / 30, max_s=max_s),
                         targets)
        charts.daily_trend(self.trend, report.trend,
                           self.tr("Weekly service level and satisfaction") if weekly
                           else self.tr("Daily service level and satisfaction"), weekly=weekly)
        names = self.cause_names()
        charts.pareto(self.pareto, reports.pareto(report.causes), names)
        labels = {v: f"{v} {zh if self.ctx.zh else en}" for v, (zh, en) in RATING_LABELS.items()}
        charts.rating_distribution(self.ratings, report.ratings, labels)
        charts.satisfaction_by_handling(self.satisfaction, report.satisfaction)
        self.note.setText(self.tr(
            "Overtime causes: the manager's cause where reviewed, else the staff's reason. "
            "Satisfaction by handling time counts rated, timed transactions.")
            + " " + self.tr("Ratings taken out by upheld appeals (not in the figures): %1.")
            .replace("%1", str(k.upheld_appeals)))

    def invalidate(self) -> None:
        """Nothing kept to forget: every load asks the read model afresh (which keeps only the
        calendar's day spans)."""

    def cause_names(self) -> dict[str, str]:
        """The overtime causes' full names for the Pareto chart's axis (wrapped, never cut)."""
        names = {c.code: self.ctx.choice(c) for c in OVERTIME_CAUSES}
        names["unknown"] = self.tr("Not stated")
        return names

    def _targets(self, filters: Filters) -> list[tuple[float, str]]:
        """The target lines: the filtered type's, else every type's that has one (types
        differ: a payment's 3:00 is not a SIM card's 5:00); types with the same target share
        one line, named after all of them."""
        kinds = ([self.ctx.config.type_named(filters.type_code)] if filters.type_code
                 else list(self.ctx.config.types))
        by_target: dict[float, list[str]] = {}
        for kind in kinds:
            if kind is not None and kind.target_s is not None:
                by_target.setdefault(kind.target_s, []).append(kind.name(self.ctx.language))
        separator = "、" if self.ctx.zh else ", "
        return [(target, f"{separator.join(names)} {format_mmss(target)}")  # the legend is narrow
                for target, names in sorted(by_target.items())]
