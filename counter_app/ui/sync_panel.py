"""The manager view's head office tab: sync status with "Sync now", and the whole hall's figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app.sync.state import SyncStatus, parse_utc
from counter_app.ui.sync_runner import SyncRunner
from counter_app.ui.widgets import label, named
from counter_core.periods import today as periods_today
from counter_core.periods import zone


def _local(text: str | None, tz: str) -> str:
    """A stored UTC time as the hall's wall-clock time."""
    moment = parse_utc(text)
    return moment.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M") if moment else "—"


class SyncPanel(QWidget):
    """Shows where the sync to head office stands and lets the manager start one."""

    def __init__(self, runner: SyncRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.button = named(QPushButton(self.tr("Sync now")), "syncNow")
        self.button.clicked.connect(runner.sync_now)
        self.state = label("syncState")
        self.detail = label("syncDetail", wrap=True)
        self.next = label("syncNext")
        self.marks = label("syncMarks", wrap=True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Head office sync")))
        top.addStretch(1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.detail)
        layout.addWidget(self.next)
        layout.addWidget(self.marks)
        runner.status_changed.connect(self.show_status)
        runner.busy_changed.connect(self.show_busy)
        self.show_status(runner.status)

    def show_busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy and self.runner.configured)
        if busy:
            self.state.setText(self.tr("Syncing…"))

    def show_status(self, status: SyncStatus | None) -> None:
        self.button.setEnabled(self.runner.configured and not self.runner.busy)
        if not self.runner.configured:
            self.state.setText(self.tr("No head office configured"))
            self.detail.setText(self.tr("Set [head_office] url and token in the configuration."))
            self.next.clear()
            return
        if status is None:
            self.state.setText(self.tr("Not synced yet"))
            self.detail.clear()
        elif status.ok:
            self.state.setText(self.tr("Last sync: %1 — OK").replace(
                "%1", _local(status.finished_at, self.runner.time_zone)))
            self.detail.setText(self.tr("%1 events sent; head office holds all %2 events")
                                .replace("%1", str(status.sent))
                                .replace("%2", str(status.acked_seq)))
        else:
            self.state.setText(self.tr("Last sync: %1 — FAILED").replace(
                "%1", _local(status.finished_at, self.runner.time_zone)))
            pending = status.pending
            waiting = ("" if pending is None else " " + self.tr("(%n events waiting)", "", pending))
            self.detail.setText(self.tr("Error: %1").replace("%1", status.error or "?") + waiting
                                + "\n" + self.tr("Last successful sync: %1").replace(
                                    "%1", _local(status.last_success_at, self.runner.time_zone)))
        self.marks.setText(self._marks(status))
        when = self.runner.next_run
        self.next.setText(self.tr("Next sync: %1").replace(
            "%1", when.strftime("%Y-%m-%d %H:%M") if when else "—"))

    def showEvent(self, event: QShowEvent) -> None:
        self.show_status(self.runner.status)  # "next sync" may have moved while hidden
        super().showEvent(event)

    def _marks(self, status: SyncStatus | None) -> str:
        """What head office's answers marked: invalid events, reviews held pending."""
        if status is None:
            return ""
        lines = []
        if status.marked_invalid:
            lines.append(self.tr("Head office marked %n events invalid: see the log", "",
                                 status.marked_invalid))
        if status.held_pending:
            lines.append(self.tr("Head office held %n reviews pending until their transaction "
                                 "arrives: see the log", "", status.held_pending))
        return "\n".join(lines)


def _pct(value: object) -> str:
    """A rate as head office sends it (a fraction 0–1), shown as a percentage."""
    return "—" if value is None else f"{100 * float(value):.1f} %"  # type: ignore[arg-type]


def _month_back(today: dt.date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04}-{index % 12 + 1:02}"


class HallPanel(QWidget):
    """The whole hall as head office knows it (as of each counter's last sync), per counter and
    per staff, beside the manager's live view of this counter."""

    COUNTER_COLUMNS = ("counter", "last_sync_at", "completed", "service_level",
                       "satisfaction_rate", "participation_rate", "overtime")
    STAFF_COLUMNS = ("staff", "completed", "service_level", "satisfaction_rate",
                     "participation_rate", "mean_rating", "overtime")

    def __init__(self, runner: SyncRunner, staff_names: dict[str, str] | None = None,
                 parent: QWidget | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.staff_names = staff_names or {}
        day = today or periods_today(runner.time_zone)
        self.month = named(QComboBox(), "hallMonth")
        for back in range(6):
            self.month.addItem(_month_back(day, back))
        self.refresh_button = named(QPushButton(self.tr("Refresh")), "hallRefresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.month.currentIndexChanged.connect(lambda _index: self.refresh())
        self.message = label("hallMessage", wrap=True)
        self.total = label("hallTotal", wrap=True)
        self.counters = self._table([
            self.tr("Counter"), self.tr("Last sync"), self.tr("Served"),
            self.tr("Service level"), self.tr("Satisfaction"), self.tr("Participation"),
            self.tr("Overtime")], "hallCounters")
        self.staff = self._table([
            self.tr("Staff"), self.tr("Served"), self.tr("Service level"),
            self.tr("Satisfaction"), self.tr("Participation"), self.tr("Mean rating"),
            self.tr("Overtime")], "hallStaff")
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Whole hall, as of each counter's last sync")))
        top.addStretch(1)
        top.addWidget(self.month)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.total)
        layout.addWidget(self.counters, 1)
        layout.addWidget(self.staff, 1)
        runner.hall_loaded.connect(self.show_hall)
        runner.hall_failed.connect(self.show_problem)
        if not runner.configured:
            self.refresh_button.setEnabled(False)
            self.message.setText(self.tr("No head office configured"))

    def _table(self, headers: list[str], name: str) -> QTableWidget:
        table = named(QTableWidget(0, len(headers)), name)
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def refresh(self) -> None:
        if self.runner.fetch_hall(self.month.currentText()):
            self.message.setText(self.tr("Asking head office…"))

    def show_problem(self, text: str) -> None:
        self.message.setText(self.tr("Head office did not answer: %1").replace("%1", text))

    def show_hall(self, data: dict[str, Any]) -> None:
        self.message.clear()
        synced = {c["counter"]: c for c in data.get("counters_synced", [])}
        total = data.get("total")
        if total:
            self.total.setText(
                self.tr("Hall %1: %2 served, service level %3, satisfaction %4, "
                        "participation %5")
                .replace("%1", str(data.get("hall", ""))).replace("%2", str(total["completed"]))
                .replace("%3", _pct(total["service_level"]))
                .replace("%4", _pct(total["satisfaction_rate"]))
                .replace("%5", _pct(total["participation_rate"])))
        else:
            self.total.setText(self.tr("Head office has no transactions of this hall for %1")
                               .replace("%1", self.month.currentText()))
        by_counter = {r["counter"]: r for r in data.get("by_counter", [])}
        rows = []
        for counter in sorted(set(synced) | set(by_counter)):
            figures = by_counter.get(counter, {})
            rows.append([counter, _local(synced.get(counter, {}).get("last_sync_at"),
                                         self.runner.time_zone),
                         str(figures.get("completed", 0)),
                         _pct(figures.get("service_level")),
                         _pct(figures.get("satisfaction_rate")),
                         _pct(figures.get("participation_rate")),
                         str(figures.get("overtime", 0))])
        self._fill(self.counters, rows)
        self._fill(self.staff, [
            [self._staff_label(r["staff"]), str(r["completed"]), _pct(r["service_level"]),
             _pct(r["satisfaction_rate"]), _pct(r["participation_rate"]),
             "—" if r["mean_rating"] is None else f"{r['mean_rating']:.2f}", str(r["overtime"])]
            for r in data.get("by_staff", [])
        ])

    def _staff_label(self, number: str) -> str:
        name = self.staff_names.get(number)
        return f"{name} ({number})" if name else number

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c > 0 and value[:1].isdigit():
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)


class HeadOfficePanel(QWidget):
    """The manager view's head office tab: sync status and "Sync now", then the whole hall."""

    def __init__(self, runner: SyncRunner, staff_names: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sync = SyncPanel(runner)
        self.hall = HallPanel(runner, staff_names)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sync)
        layout.addWidget(self.hall, 1)
        self._loaded = False
        runner.status_changed.connect(self._after_sync)

    def _after_sync(self, status: SyncStatus | None) -> None:
        if status is not None and status.ok and self.isVisible():
            self.hall.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        if not self._loaded:
            self._loaded = True
            self.hall.refresh()
        super().showEvent(event)
