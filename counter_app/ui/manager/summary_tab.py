"""The monthly summary tab: per-staff figures, the suggested service star and its confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.errors import ApplicationError
from counter_app.application.manager import MonthReport
from counter_app.ui.manager import charts
from counter_app.ui.manager.context import ManagerContext, named
from counter_app.ui.widgets import header_lines
from counter_core.figures import StarRule

_pct = charts.percent  # one way to write a rate, in chart and table
#: a header section's room besides its text: the margins and the sort mark of the style
HEADER_PADDING = 18


def _num(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def months_between(first: dt.date, last: dt.date) -> list[str]:
    """'YYYY-MM' from the month of `last` back to the month of `first`."""
    out = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


class SummaryTab(QWidget):
    """Per staff for a month; the suggested star with its rule; the manager confirms."""

    confirmed = Signal(str, str)  # month, staff

    def __init__(self, ctx: ManagerContext, rule: StarRule | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rule = rule or StarRule()
        self.report: MonthReport | None = None

        self.month = named(QComboBox(), "summaryMonth")
        self.month.setMinimumContentsLength(8)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Month")))
        top.addWidget(self.month)
        top.addStretch(1)

        headers = [
            self.tr("Staff"), self.tr("Served"), self.tr("Rated"), self.tr("Mean rating"),
            self.tr("Satisfaction rate"), self.tr("Overtime rate"), self.tr("Participation"),
            self.tr("Hours signed in"), self.tr("Hours away"), self.tr("Share serving"),
            self.tr("Closes during service"), self.tr("Star score"), self.tr("Upheld appeals"),
        ]
        # as many columns as headers: a fixed count cut the last ones off twice
        self.table = named(QTableWidget(0, len(headers)), "summaryTable")
        # on two lines, and never narrower than a line of them: cut in the middle, the
        # centred headers read "tisfaction ra" and "暂离时长（小时" at the desk's size
        labels = [header_lines(text) for text in headers]
        self.table.setHorizontalHeaderLabels(labels)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        metrics = header.fontMetrics()
        widest = [max(metrics.horizontalAdvance(line) for line in text.split("\n"))
                  for text in labels]
        self.table.setMinimumWidth(sum(w + HEADER_PADDING for w in widest)
                                   + 2 * self.table.frameWidth())

        self.star = named(QLabel(wordWrap=True), "starSuggestion")
        self.rule_text = named(QLabel(wordWrap=True), "starRule")
        self.tie = named(QLabel(wordWrap=True), "muted")
        self.choice = named(QComboBox(), "starChoice")
        self.choice.setMinimumContentsLength(14)
        self.confirm_button = named(QPushButton(self.tr("Confirm star")), "confirmStar")
        self.confirm_button.clicked.connect(lambda: self.confirm_star())
        self.status = named(QLabel(wordWrap=True), "starStatus")
        confirm_row = QHBoxLayout()
        confirm_row.addWidget(QLabel(self.tr("Star of the month")))
        confirm_row.addWidget(self.choice)
        confirm_row.addWidget(self.confirm_button)
        confirm_row.addStretch(1)
        box = named(QFrame(), "starBox")
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(self.star)
        box_layout.addWidget(self.tie)
        box_layout.addWidget(self.rule_text)
        box_layout.addLayout(confirm_row)
        box_layout.addWidget(self.status)

        self.chart = charts.chart_view(self.tr("Satisfaction rate and overtime rate per staff "
                                               "member"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.chart, 1)
        layout.addWidget(box)
        self.month.currentIndexChanged.connect(lambda _: self.load())

    def set_months(self, months: list[str], current: str | None = None) -> None:
        self.month.blockSignals(True)
        self.month.clear()
        for month in months:
            self.month.addItem(month, month)
        if current and current in months:
            self.month.setCurrentIndex(months.index(current))
        self.month.blockSignals(False)

    def selected_month(self) -> str | None:
        data = self.month.currentData()
        return str(data) if data else None

    def rule_description(self) -> str:
        r = self.rule
        return self.tr(
            "Rule: a staff member needs at least %1 ratings in the month. Score = (C × m + sum "
            "of own ratings) ÷ (C + number of own ratings), with C = %2 and m = the hall's mean "
            "rating that month: a Bayesian average, so a few ratings stay close to the mean. "
            "The highest score is suggested; scores equal to two decimals go to the lower "
            "overtime rate, then to more ratings."
        ).replace("%1", str(r.min_ratings)).replace("%2", str(r.prior_weight))

    def load(self) -> None:
        month = self.selected_month()
        if month is None:
            self.table.setRowCount(0)
            self.star.setText(self.tr("No data yet"))
            self.confirm_button.setEnabled(False)
            return
        report = self.report = self.ctx.data.month_report(month, self.rule)
        star = report.suggestion.star
        self.table.setRowCount(len(report.staff))
        for i, s in enumerate(report.staff):
            cells = [self.ctx.staff_label(s.staff) + (" ★" if star and star.staff == s.staff
                                                      else ""),
                     str(s.served), str(s.rated), _num(s.mean_rating),
                     _pct(s.satisfaction_rate), _pct(s.overtime_rate),
                     _pct(s.participation_rate), f"{s.signed_in_s / 3600:.1f}",
                     f"{s.away_s / 3600:.1f}", _pct(s.serving_share), str(s.closed_in_service),
                     _num(report.score(s.staff)), str(s.upheld_appeals)]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if star and star.staff == s.staff:
                    item.setBackground(QColor("#fff8e1"))
                self.table.setItem(i, j, item)
        self._fit_table()
        charts.staff_rates(self.chart, [self.ctx.staff_label(s.staff) for s in report.staff],
                           [s.satisfaction_rate for s in report.staff],
                           [s.overtime_rate for s in report.staff])
        if star is not None:
            self.star.setText("★ " + self.tr("Suggested star: %1 — score %2 (mean %3 from %4 "
                                             "ratings)")
                              .replace("%1", self.ctx.staff_label(star.staff))
                              .replace("%2", _num(star.score))
                              .replace("%3", _num(star.mean_rating))
                              .replace("%4", str(star.rated)))
        else:
            self.star.setText(self.tr("No suggestion: nobody has %1 ratings this month yet")
                              .replace("%1", str(self.rule.min_ratings)))
        tie = report.suggestion.tie_broken_by
        self.tie.setText(self.tr("Tie on score, decided by: %1").replace("%1", tie) if tie else "")
        self.tie.setVisible(bool(tie))
        self.rule_text.setText(self.rule_description())
        self.choice.clear()
        for candidate in report.suggestion.ranking:
            if candidate.eligible:
                self.choice.addItem(self.ctx.staff_label(candidate.staff), candidate.staff)
        self.confirm_button.setEnabled(self.choice.count() > 0)
        self._show_confirmed(report)

    def _fit_table(self) -> None:
        """As tall as its rows (a hall has a handful of staff), so the chart gets the rest."""
        height = self.table.horizontalHeader().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(i) for i in range(self.table.rowCount()))
        self.table.setFixedHeight(min(height, 260))

    def _show_confirmed(self, report: MonthReport) -> None:
        if report.confirmed:
            c = report.confirmed
            self.status.setText(self.tr("Confirmed: %1, by %2 on %3")
                                .replace("%1", self.ctx.staff_label(c["staff"]))
                                .replace("%2", self.ctx.staff_label(c["manager"]))
                                .replace("%3", c["confirmed_at"][:10]))
            self.status.setStyleSheet("color: #2e7d32; font-weight: bold;")
            index = self.choice.findData(c["staff"])
            if index >= 0:
                self.choice.setCurrentIndex(index)
            deciders: list[dict[str, Any]] = getattr(
                self.ctx.data, "star_deciders", lambda _month: [])(report.month)
            if deciders:  # the hall view: two chains confirmed it minutes apart
                who = [self.tr("%1 at %2").replace("%1", self.ctx.staff_label(d["manager"]))
                       .replace("%2", d["counter"]) for d in deciders]
                self.status.setText(self.status.text() + "\n" + self.tr(
                    "Decided twice, minutes apart: %1 (counts) and %2: agree on one star")
                    .replace("%1", who[0]).replace("%2", ", ".join(who[1:])))
                self.status.setStyleSheet("color: #bf360c; font-weight: bold;")
        else:
            self.status.setText(self.tr("Not confirmed yet"))
            self.status.setStyleSheet("color: #bf360c;")

    def confirm_star(self, staff: str | None = None) -> bool:
        """Record `star_confirmed` for the chosen (default: suggested) staff member."""
        report, month = self.report, self.selected_month()
        if report is None or month is None:
            return False
        number = staff or self.choice.currentData()
        if not number:
            return False
        try:
            self.ctx.desk.confirm_star(month, str(number), report.score(str(number)))
        except ApplicationError as exc:
            self.status.setText(exc.message)
            self.status.setStyleSheet("color: #b71c1c; font-weight: bold;")
            return False
        confirmed = self.ctx.data.confirmed_star(month)
        self.report = MonthReport(report.month, report.staff, report.suggestion, report.names,
                                  confirmed, report.totals)
        self._show_confirmed(self.report)
        self.confirmed.emit(month, str(number))
        return True
