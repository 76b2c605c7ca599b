"""ManagerView: the duty manager's review queue, KPIs and charts, monthly summary and exports."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, QSignalBlocker, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.alerts_feed import AlertFeed, AlertsUnavailable
from counter_app.application.board import BoardUnavailable, HttpBoardSource
from counter_app.application.errors import ApplicationError
from counter_app.application.exports import export_overtime, format_of, write_summary_table
from counter_app.application.hall_view import HallMirrorData, hall_reading_config
from counter_app.application.manager import ManagerSession, Period
from counter_app.ui.manager.alerts_tab import AlertsTab
from counter_app.ui.manager.context import Filters, ManagerContext, named
from counter_app.ui.manager.hall_board import HallBoard
from counter_app.ui.manager.kpi_tab import KpiTab
from counter_app.ui.manager.review_tab import ReviewTab
from counter_app.ui.manager.summary_pdf import write_summary_pdf
from counter_app.ui.manager.summary_tab import SummaryTab, months_between
from counter_app.ui.widgets import ElidedLabel
from counter_core import periods

STYLE = """
QWidget#managerView { background: #f4f6f8; }
QLabel#managerTitle { font-size: 18px; font-weight: bold; color: #263238; }
QLabel#toReview { background: #fff3e0; color: #bf360c; border: 1px solid #ffb74d;
                  border-radius: 10px; padding: 3px 10px; font-weight: bold; }
QLabel#toReview[clear="true"] { background: #e8f5e9; color: #2e7d32; border-color: #81c784; }
QFrame#kpiCard { background: white; border: 1px solid #cfd8dc; border-radius: 6px; }
QLabel#kpiValue { font-size: 20px; font-weight: bold; color: #263238; }
QLabel#kpiTitle { color: #607d8b; font-size: 11px; }
QFrame#starBox { background: #fffdf3; border: 2px solid #e0a526; border-radius: 8px; }
QLabel#starSuggestion { font-size: 16px; font-weight: bold; color: #8d6e00; }
QLabel#starRule, QLabel#muted { color: #546e7a; }
QLabel#caseDetail { background: white; border: 1px solid #cfd8dc; border-radius: 4px;
                    padding: 6px; }
"""

#: how often a visible hall view looks for records the mirror pulled meanwhile
NEW_RECORDS_CHECK_MS = 2000

PRESETS = ("last7", "last30", "this_month", "last_month", "last365", "custom")


def _in_documents(file_name: str) -> str:
    """Where a save dialog starts: the user's documents folder (a relative name would open
    the current folder, the install folder when started from a shortcut)."""
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    return str(Path(folder) / file_name)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days a quick-range choice stands for (inclusive); None for "custom"."""
    if preset == "last7":
        return today - dt.timedelta(days=6), today
    if preset == "last30":
        return today - dt.timedelta(days=29), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last365":
        return today - dt.timedelta(days=364), today
    return None


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class ManagerView(QWidget):
    """The manager's screen; the host shows it only after a manager signs in."""

    #: emitted after any manager event was recorded (review, follow-up, star)
    recorded = Signal()

    def __init__(self, session: ManagerSession, parent: QWidget | None = None,
                 sync_panel: QWidget | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("managerView")
        self.setStyleSheet(STYLE)
        self.ctx = ManagerContext(session)
        self.today = today or periods.today(self.ctx.time_zone)
        self._dirty: set[str] = set()
        self.sync_panel = sync_panel
        self._init_header()
        self._init_filters()
        self._init_tabs()
        self._init_exports()
        self._init_layout()
        self._set_preset("last30")
        self._fill_months()
        self._connect_signals()
        self._update_to_review()
        self.apply_filters()
        self._seen_seq = self.ctx.data.last_seq()
        # the hall view's mirror fills from the hall server on a thread of its own: a visible
        # view shows what arrived (a local view changes only while it is hidden: showEvent)
        self.new_records_timer = QTimer(self, interval=NEW_RECORDS_CHECK_MS)
        self.new_records_timer.timeout.connect(self._check_new_records)
        if self.hall_view:
            self.new_records_timer.start()

    @property
    def hall_view(self) -> bool:
        """The view covers every counter of the hall (application.hall_view's mirror)."""
        return isinstance(self.ctx.data, HallMirrorData)

    def _init_header(self) -> None:
        config = self.ctx.config
        if self.hall_view:
            title = self.tr("Duty manager · %1 · every counter of the hall")
        else:
            title = self.tr("Duty manager · %1 · counter %2").replace("%2", config.counter_id)
        # elided ("…", the whole title its tooltip) where the window is too narrow for it
        self.title = named(ElidedLabel(title.replace("%1", config.hall_name_in(config.language))),
                           "managerTitle")
        self.to_review = named(QLabel(), "toReview")
        self.overdue = named(QLabel(), "overdueCount")  # 好差评: follow-ups past their deadline
        self.overdue.setStyleSheet("color: #b71c1c; font-weight: bold;")
        # records written by `counter-app demo-data` are never mistaken for real ones
        self.demo_label = named(QLabel(self.tr("DEMO DATA")), "demoData")
        self.demo_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.demo_label.setVisible(self.ctx.data.is_demo)
        self.chain_notice = named(QLabel(), "chainBreak")  # loud: the records were changed
        self.chain_notice.setWordWrap(True)
        self.chain_notice.setStyleSheet(
            "background: #b00020; color: white; font-weight: bold; padding: 8px;")
        self._show_chain_breaks()
        self.refresh_button = named(QPushButton(self.tr("Refresh")), "refresh")

    def _show_chain_breaks(self) -> None:
        breaks = self.ctx.data.chain_breaks()
        self.chain_notice.setVisible(bool(breaks))
        if not breaks:
            return
        lines = [self.tr("RECORDS CHANGED: the event chain of this counter is broken. Stored "
                         "events were changed outside the app; head office has been sent "
                         "everything and records the incident. Tell head office.")]
        for brk in breaks:
            lines.append(self.tr("Found %1: events %2–%3 do not verify (the last good one is "
                                 "%4); recorded as event %5.")
                         .replace("%1", brk.detected_at)
                         .replace("%2", str(brk.first_bad_seq))
                         .replace("%3", str(brk.last_bad_seq))
                         .replace("%4", str(brk.last_good_seq))
                         .replace("%5", str(brk.break_seq)))
        self.chain_notice.setText("\n".join(lines))

    def _init_filters(self) -> None:
        self.preset = named(QComboBox(), "rangePreset")
        for code, text in zip(PRESETS, (
                self.tr("Last 7 days"), self.tr("Last 30 days"), self.tr("This month"),
                self.tr("Last month"), self.tr("Last 12 months"), self.tr("Custom")),
                strict=True):
            self.preset.addItem(text, code)
        self.date_from = named(QDateEdit(), "dateFrom")
        self.date_to = named(QDateEdit(), "dateTo")
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.staff = named(QComboBox(), "staffFilter")
        self.type = named(QComboBox(), "typeFilter")
        self.type.addItem(self.tr("All types"), "")
        for kind in self.ctx.config.types:
            self.type.addItem(kind.name(self.ctx.language), kind.code)
        self._fill_staff()

    def _init_tabs(self) -> None:
        self.review_tab = ReviewTab(self.ctx)
        self.kpi_tab = KpiTab(self.ctx)
        self.summary_tab = SummaryTab(self.ctx)
        self.tabs = named(QTabWidget(), "managerTabs")
        # the hall view's first tab: a tile per counter, live from the hall server's presence
        self.board = self._hall_board() if self.hall_view else None
        if self.board is not None:
            self.tabs.addTab(self.board, self.tr("Hall board"))
        # the second: the hall server's alerts, acknowledged at the desk
        self.alerts_tab = self._alerts_tab() if self.hall_view else None
        if self.alerts_tab is not None:
            self.tabs.addTab(self.alerts_tab, self.tr("Alerts"))
        self.tabs.addTab(self.review_tab, self.tr("Review queue"))
        self.tabs.addTab(self.kpi_tab, self.tr("KPIs and charts"))
        self.tabs.addTab(self.summary_tab, self.tr("Monthly summary and star"))
        if self.sync_panel is not None:
            holder = QWidget()
            box = QVBoxLayout(holder)
            box.addWidget(self.sync_panel)
            box.addStretch(1)
            self.tabs.addTab(holder, self.tr("Head office"))

    def _hall_board(self) -> HallBoard | None:
        """The board over the hall server ([hall_server]); None when it cannot be read."""
        config = self.ctx.config
        try:
            source = HttpBoardSource.from_config(hall_reading_config(config))
        except BoardUnavailable:
            return None
        board = HallBoard(source, names=self.ctx.data.staff_names(),
                          type_names={t.code: t.name(self.ctx.language) for t in config.types},
                          zone=periods.zone(self.ctx.time_zone))
        board.start()
        self.destroyed.connect(lambda *_: board.stop(0))
        return board

    def _init_exports(self) -> None:
        self.export_log_button = named(QPushButton(self.tr("Export overtime log…")),
                                       "exportOvertime")
        self.export_summary_button = named(QPushButton(self.tr("Export monthly summary…")),
                                           "exportSummary")
        self.export_message = named(QLabel(), "muted")

    def _init_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title, 1)  # the room left, its title elided only past that
        header.addWidget(self.demo_label)
        header.addWidget(self.to_review)
        header.addWidget(self.overdue)
        header.addWidget(self.refresh_button)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("Period")))
        filters.addWidget(self.preset)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("–"))
        filters.addWidget(self.date_to)
        filters.addSpacing(12)
        filters.addWidget(QLabel(self.tr("Staff")))
        filters.addWidget(self.staff)
        filters.addSpacing(12)
        filters.addWidget(QLabel(self.tr("Type")))
        filters.addWidget(self.type)
        filters.addStretch(1)
        footer = QHBoxLayout()
        footer.addWidget(self.export_message, 1)
        footer.addWidget(self.export_log_button)
        footer.addWidget(self.export_summary_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.chain_notice)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(footer)
        # on a screen smaller than the view's least size (an 800×600 counter PC, the staff
        # window's manager tab) the view scrolls instead of growing past the screen, where a
        # window manager would cut its buttons off; at the least size or more it just fills
        self.scroll_area = named(QScrollArea(), "managerScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # not a stop of the Tab order
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)

    def _connect_signals(self) -> None:
        self.refresh_button.clicked.connect(self.refresh)
        self.export_log_button.clicked.connect(self._ask_export_overtime)
        self.export_summary_button.clicked.connect(self._ask_export_summary)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        self.staff.currentIndexChanged.connect(lambda _: self.apply_filters())
        self.type.currentIndexChanged.connect(lambda _: self.apply_filters())
        self.tabs.currentChanged.connect(self._tab_changed)
        self.review_tab.reviewed.connect(self._after_record)
        self.summary_tab.confirmed.connect(self._after_record)

    # ---- filters ---------------------------------------------------------------------------

    def filters(self) -> Filters:
        start, end = _day(self.date_from.date()), _day(self.date_to.date())
        if end < start:
            start, end = end, start
        return Filters(start, end, self.staff.currentData() or None,
                       self.type.currentData() or None)

    def set_filters(self, *, start: dt.date | None = None, end: dt.date | None = None,
                    staff: str | None = None, type_code: str | None = None) -> None:
        """Set several filters at once and apply them once (tests, benchmarks, callers)."""
        with QSignalBlocker(self.date_from), QSignalBlocker(self.date_to), \
                QSignalBlocker(self.staff), QSignalBlocker(self.type), \
                QSignalBlocker(self.preset):
            if start is not None:
                self.date_from.setDate(_qdate(start))
                self.preset.setCurrentIndex(PRESETS.index("custom"))
            if end is not None:
                self.date_to.setDate(_qdate(end))
                self.preset.setCurrentIndex(PRESETS.index("custom"))
            self.staff.setCurrentIndex(max(0, self.staff.findData(staff or "")))
            self.type.setCurrentIndex(max(0, self.type.findData(type_code or "")))
        self.apply_filters()

    def apply_filters(self) -> None:
        """Reload the visible tab for the current filters; the others when next shown."""
        filters = self.filters()
        self._dirty |= {"review", "kpi"}
        current = self.tabs.currentWidget()
        if current is self.review_tab:
            self.review_tab.load(filters)
            self._dirty.discard("review")
        elif current is self.kpi_tab:
            self.kpi_tab.load(filters)
            self._dirty.discard("kpi")

    def _set_preset(self, preset: str) -> None:
        days = preset_range(preset, self.today)
        with QSignalBlocker(self.preset), QSignalBlocker(self.date_from), \
                QSignalBlocker(self.date_to):
            self.preset.setCurrentIndex(PRESETS.index(preset))
            if days:
                self.date_from.setDate(_qdate(days[0]))
                self.date_to.setDate(_qdate(days[1]))

    def _preset_changed(self) -> None:
        preset = str(self.preset.currentData())
        if preset != "custom":
            self._set_preset(preset)
            self.apply_filters()

    def _dates_edited(self) -> None:
        with QSignalBlocker(self.preset):
            self.preset.setCurrentIndex(PRESETS.index("custom"))
        self.apply_filters()

    def _fill_staff(self) -> None:
        with QSignalBlocker(self.staff):
            current = self.staff.currentData()
            self.staff.clear()
            self.staff.addItem(self.tr("All staff"), "")
            for number in self.ctx.data.staff_in_transactions():
                self.staff.addItem(self.ctx.staff_label(number), number)
            self.staff.setCurrentIndex(max(0, self.staff.findData(current or "")))

    def _fill_months(self) -> None:
        first, last = self.ctx.data.date_span()
        if first is None or last is None:
            months: list[str] = []
        else:
            months = months_between(first, max(last, self.today))
        previous = (self.today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        self.summary_tab.set_months(months, self.summary_tab.selected_month() or previous)
        self._dirty.add("summary")

    def _alerts_tab(self) -> AlertsTab | None:
        """The alerts over the hall server; acknowledging needs the desk's token (a counter's
        hall view reads with the hall's reader token instead)."""
        record = getattr(self.ctx.desk, "acknowledge_alert", None)  # the hall view's chain
        recorder = (None if record is None else
                    lambda alert, _staff: record(alert.id, alert.kind, alert.counter, alert.txn))
        try:
            feed = AlertFeed.for_hall_view(self.ctx.config, recorder)
        except AlertsUnavailable:
            return None
        tab = AlertsTab(feed, manager=self.ctx.manager, names=self.ctx.data.staff_names(),
                        zone=periods.zone(self.ctx.time_zone))

        def closed(*_: object) -> None:
            with contextlib.suppress(RuntimeError):  # the tab may be gone already
                tab.stop(0)
            feed.close()

        self.destroyed.connect(closed)
        return tab

    # ---- tabs and refresh ------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.review_tab and "review" in self._dirty:
            self.review_tab.load(self.filters())
            self._dirty.discard("review")
        elif widget is self.kpi_tab and "kpi" in self._dirty:
            self.kpi_tab.load(self.filters())
            self._dirty.discard("kpi")
        elif widget is self.summary_tab and "summary" in self._dirty:
            self.summary_tab.load()
            self._dirty.discard("summary")

    def sizeHint(self) -> QSize:
        """What the view's content asks for (a scroll area alone asks for little)."""
        content = self.scroll_area.widget()
        return content.sizeHint() if content is not None else super().sizeHint()

    def showEvent(self, event: QShowEvent) -> None:
        """Coming back to the view after serving at the counter shows the new records."""
        if self.ctx.data.last_seq() != self._seen_seq:
            self.refresh()
        super().showEvent(event)

    def _check_new_records(self) -> None:
        if self.isVisible() and self.ctx.data.last_seq() != self._seen_seq:
            self.refresh()

    def refresh(self) -> None:
        """Re-read everything (new transactions since the view opened)."""
        self._seen_seq = self.ctx.data.last_seq()
        self._show_chain_breaks()
        self.ctx.refresh_names()
        self._fill_staff()
        self._fill_months()
        self._update_to_review()
        filters = self.filters()
        self._dirty = {"review", "kpi", "summary"}
        self.kpi_tab.invalidate()
        if self.tabs.currentWidget() is self.review_tab:
            self.review_tab.load(filters, force=True)
            self._dirty.discard("review")
        self._tab_changed(self.tabs.currentIndex())

    def _after_record(self, *args: object) -> None:
        self._seen_seq = self.ctx.data.last_seq()  # our own event: nothing to reload
        self._update_to_review()
        self._dirty.update({"kpi", "summary"} - {self._current_name()})
        self.kpi_tab.invalidate()  # the Pareto chart counts the manager's causes
        self.recorded.emit()

    def _current_name(self) -> str:
        widget = self.tabs.currentWidget()
        return {id(self.review_tab): "review", id(self.kpi_tab): "kpi",
                id(self.summary_tab): "summary"}.get(id(widget), "")

    def _update_to_review(self) -> None:
        overtime, poor = self.ctx.data.unreviewed_counts()
        self.unreviewed = (overtime, poor)
        if overtime or poor:
            text = self.tr("To review: %1 overtime · %n poor ratings", "", poor)
            text = text.replace("%1", str(overtime))
        else:
            text = self.tr("All cases reviewed")
        self.to_review.setText(text)
        overdue = self.ctx.data.overdue_count()
        self.overdue.setText(self.tr("%n follow-ups overdue", "", overdue))
        self.overdue.setVisible(overdue > 0)
        self.to_review.setProperty("clear", not (overtime or poor))
        self.to_review.style().unpolish(self.to_review)
        self.to_review.style().polish(self.to_review)

    # ---- exports ---------------------------------------------------------------------------

    def export_overtime(self, path: Path) -> int:
        """The overtime log of the chosen period as CSV or XLSX (by the file's suffix)."""
        f = self.filters()
        config = self.ctx.config
        count = export_overtime(self.ctx.data, Period(f.start, f.end, f.staff, f.type_code),
                                path, language=config.language, types=config.types)
        self.export_message.setText(self.tr("%1 overtime cases exported to %2")
                                    .replace("%1", str(count)).replace("%2", str(path)))
        return count

    def export_summary(self, path: Path, month: str | None = None) -> int:
        """The monthly summary as CSV, XLSX or PDF (by the file's suffix)."""
        fmt = format_of(path)
        month = month or self.summary_tab.selected_month()
        if month is None:
            return 0
        config = self.ctx.config
        report = self.ctx.data.month_report(month, self.summary_tab.rule)
        if fmt == "pdf":
            write_summary_pdf(report, path,
                              hall=f"{config.hall_name_in(config.language)} ({config.hall_id})",
                              counter=config.counter_id, language=config.language)
            count = len(report.staff)
        else:
            count = write_summary_table(report, fmt, path, language=config.language)
        self.export_message.setText(self.tr("Summary of %1 exported to %2")
                                    .replace("%1", month).replace("%2", str(path)))
        return count

    def _ask_export_overtime(self) -> None:
        f = self.filters()
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export overtime log"), _in_documents(f"overtime-{f.start}-{f.end}.xlsx"),
            self.tr("Excel workbook (*.xlsx);;CSV (*.csv)"))
        if name:
            self._run_export(lambda: self.export_overtime(Path(name)))

    def _ask_export_summary(self) -> None:
        month = self.summary_tab.selected_month() or ""
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export monthly summary"), _in_documents(f"summary-{month}.pdf"),
            self.tr("PDF (*.pdf);;Excel workbook (*.xlsx);;CSV (*.csv)"))
        if name:
            self._run_export(lambda: self.export_summary(Path(name)))

    def _run_export(self, action: Callable[[], object]) -> None:
        try:
            action()
        except ApplicationError as exc:
            self.export_message.setText(self.tr("Export failed: %1").replace("%1", exc.message))
        except (OSError, ValueError) as exc:
            self.export_message.setText(self.tr("Export failed: %1").replace("%1", str(exc)))
