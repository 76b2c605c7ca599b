"""The review queue / overtime log tab: filtered, sortable table and the review forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QDate, QItemSelection, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.errors import ApplicationError, InvalidDecision
from counter_app.application.manager import Period
from counter_app.ui.manager.context import Filters, ManagerContext, named
from counter_app.ui.manager.review_model import (
    QueueRow,
    ReviewQueueModel,
    label,
)
from counter_core import events, periods
from counter_core.appeals import APPEAL_REASONS
from counter_core.figures import overtime_seconds
from counter_core.ratings import OVERTIME_REASONS, POOR_RATING_REASONS, RATING_LABELS
from counter_core.reviews import FOLLOW_UP_CAUSES, OVERTIME_CAUSES
from counter_core.timer import format_mmss

#: where the status column is shown: after when, counter and staff
STATUS_VISUAL_INDEX = 3
_FOLLOW_UP_WIDTHS = {"due": 120, "order_no": 110, "handover": 130}
_WIDTHS = {"when": 118, "counter": 64, "staff": 86, "type": 86, "target": 56, "actual": 56,
           "overtime": 66, "staff_reason": 120, "rating": 128, "issue": 155, "cause": 130,
           "note": 130, "status": 110, **_FOLLOW_UP_WIDTHS}


class ReviewTab(QWidget):
    """Every overtime case and poor rating in the period; record the cause or the follow-up."""

    #: a review was recorded (the view updates its "to review" counts)
    reviewed = Signal(str)

    def __init__(self, ctx: ManagerContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loaded_range: tuple[dt.date, dt.date] | None = None
        self._filters: Filters | None = None
        self._init_bar()
        self._init_table()
        self._init_detail()
        self._init_overtime_form()
        self._init_follow_up_form()
        self._init_appeal_form()
        self._init_layout()
        self._connect_signals()
        self._init_follow_up_tools()
        self._show_case(None)

    def _init_bar(self) -> None:
        self.kind = named(QComboBox(), "queueKind")
        for code, text in (("all", self.tr("Overtime and poor ratings")),
                           ("overtime", self.tr("Overtime only")),
                           ("poor", self.tr("Poor ratings only")),
                           ("appeals", self.tr("Appeals"))):
            self.kind.addItem(text, code)
        self.unreviewed = named(QCheckBox(self.tr("Unreviewed only")), "unreviewedOnly")
        self.overdue_only = named(QCheckBox(self.tr("Overdue follow-ups only")), "overdueOnly")
        self.count_label = named(QLabel(), "queueCount")

    def _init_table(self) -> None:
        ctx = self.ctx
        self.model = ReviewQueueModel(ctx.language, ctx.type_name, self,
                                      time_zone=ctx.time_zone)
        self.table = named(QTableView(), "reviewTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for i, column in enumerate(ReviewQueueModel.COLUMNS):
            self.table.setColumnWidth(i, _WIDTHS[column])
        # what a manager scans for comes first: the status beside who and when, so it is in
        # sight at the default size (the rest scrolls in)
        status = ReviewQueueModel.COLUMNS.index("status")
        header.moveSection(header.visualIndex(status), STATUS_VISUAL_INDEX)

    def _init_detail(self) -> None:
        self.detail = named(QLabel(wordWrap=True), "caseDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setMinimumWidth(260)
        self.message = named(QLabel(wordWrap=True), "reviewMessage")

    def _init_overtime_form(self) -> None:
        # nothing preselected: the first entry is "choose", so no cause is recorded unchosen
        self.cause = named(QComboBox(), "overtimeCause")
        self.cause.addItem(self.tr("Choose a cause…"), None)
        for choice in OVERTIME_CAUSES:
            self.cause.addItem(self.ctx.choice(choice), choice.code)
        self.note = named(QLineEdit(maxLength=events.MAX_NOTE), "overtimeNote")
        self.note.setPlaceholderText(self.tr("What happened (required for “other”)"))
        self.accept_change = named(
            QCheckBox(self.tr("Accept the type change: count against the new type's target")),
            "acceptTypeChange")
        self.record_button = named(QPushButton(self.tr("Record cause")), "recordCause")
        self.overtime_box = QGroupBox(self.tr("Overtime review"))
        form = QFormLayout(self.overtime_box)
        form.addRow(self.tr("Cause"), self.cause)
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.accept_change)
        form.addRow(self.record_button)

    def _init_follow_up_form(self) -> None:
        self.called_back = named(QCheckBox(self.tr("Customer called back")), "calledBack")
        self.follow_cause = named(QComboBox(), "followUpCause")
        self.follow_cause.addItem(self.tr("Choose a cause…"), None)
        for choice in FOLLOW_UP_CAUSES:
            self.follow_cause.addItem(self.ctx.choice(choice), choice.code)
        self.resolved = named(QCheckBox(self.tr("Resolved")), "resolved")
        self.follow_note = named(QLineEdit(maxLength=events.MAX_NOTE), "followUpNote")
        self.follow_button = named(QPushButton(self.tr("Record follow-up")), "recordFollowUp")
        self.follow_box = QGroupBox(self.tr("Poor-rating follow-up"))
        form = QFormLayout(self.follow_box)
        checks = QHBoxLayout()
        checks.addWidget(self.called_back)
        checks.addWidget(self.resolved)
        checks.addStretch(1)
        form.addRow(checks)
        form.addRow(self.tr("Cause"), self.follow_cause)
        form.addRow(self.tr("Note"), self.follow_note)
        form.addRow(self.follow_button)

    def _init_appeal_form(self) -> None:
        """Appeals (申诉): uphold or reject a clerk's appeal, with a note; never one's own."""
        self.appeal_text = named(QLabel(wordWrap=True), "appealText")
        self.appeal_decision = named(QComboBox(), "appealDecision")
        self.appeal_decision.addItem(self.tr("Choose a decision…"), None)
        self.appeal_decision.addItem(self.tr("Uphold: take the rating out of the figures"),
                                     True)
        self.appeal_decision.addItem(self.tr("Reject: the rating counts"), False)
        self.appeal_note = named(QLineEdit(maxLength=events.MAX_APPEAL_NOTE), "appealNote")
        self.appeal_note.setPlaceholderText(self.tr("Why (required to reject)"))
        self.appeal_button = named(QPushButton(self.tr("Record decision")), "recordAppeal")
        self.appeal_box = QGroupBox(self.tr("Appeal"))
        form = QFormLayout(self.appeal_box)
        form.addRow(self.appeal_text)
        form.addRow(self.tr("Decision"), self.appeal_decision)
        form.addRow(self.tr("Note"), self.appeal_note)
        form.addRow(self.appeal_button)

    def _init_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Show")))
        bar.addWidget(self.kind)
        bar.addWidget(self.unreviewed)
        bar.addWidget(self.overdue_only)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        panel = QWidget()
        panel_layout = QHBoxLayout(panel)
        panel_layout.setContentsMargins(0, 4, 0, 0)
        panel_layout.addWidget(self.detail, 3)
        panel_layout.addWidget(self.overtime_box, 4)
        panel_layout.addWidget(self.follow_box, 4)
        panel_layout.addWidget(self.appeal_box, 4)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

    def _connect_signals(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.record_button.clicked.connect(self.record_cause)
        self.follow_button.clicked.connect(self.record_follow_up)
        self.appeal_button.clicked.connect(self.record_appeal_decision)
        self.appeal_decision.currentIndexChanged.connect(self._update_buttons)
        self.cause.currentIndexChanged.connect(self._update_buttons)
        self.follow_cause.currentIndexChanged.connect(self._update_buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.unreviewed.toggled.connect(self._apply_filter)
        self.overdue_only.toggled.connect(self._apply_overdue)

    # ---- loading and filtering ------------------------------------------------------------

    def _kind_changed(self) -> None:
        appeals = self.kind.currentData() == "appeals"
        if self._filters is not None and (appeals or self._loaded_range is None):
            self.load(self._filters, force=True)  # into or out of the appeals' own list
        else:
            self._apply_filter()

    def load(self, filters: Filters, *, force: bool = False) -> None:
        """Query the period's cases when it changed (indexed), then filter staff/type in the
        model, which loads the details of the rows it shows. The appeals are listed whatever
        their day (an appeal comes days after the rating)."""
        self._filters = filters
        days = (filters.start, filters.end)
        if self.kind.currentData() == "appeals":
            selected = self.current_row()
            self.model.set_rows(self.ctx.data.appeal_queue())
            self._loaded_range = None
            if selected is not None:
                self.select_txn(selected.txn)
        elif force or days != self._loaded_range:
            selected = self.current_row()
            self.model.set_cases(self.ctx.data.review_cases(*days), self.ctx.data.queue_rows)
            self._loaded_range = days
            if selected is not None:
                self.select_txn(selected.txn)
        self._apply_filter()

    def _apply_filter(self) -> None:
        f = self._filters
        selected = self.current_row()
        self.model.set_filters(
            staff=f.staff if f else None, type_code=f.type_code if f else None,
            kind=str(self.kind.currentData()), unreviewed_only=self.unreviewed.isChecked())
        self._after_filter(selected)

    def _after_filter(self, selected: QueueRow | None) -> None:
        """Keep the selected case selected when it is still shown; count what is shown."""
        if selected is not None:
            self.select_txn(selected.txn)
        self._update_count()
        if self.current_row() is None:
            self._show_case(None)

    def _update_count(self) -> None:
        shown = self.model.rowCount()
        open_cases = len(self.model.open_cases())
        self.count_label.setText(self.tr("%n cases shown, %1 to review", "", shown)
                                 .replace("%1", str(open_cases)))

    # ---- selection -----------------------------------------------------------------------

    def current_row(self) -> QueueRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.source_row(rows[0].row()) if rows else None

    def select_txn(self, txn: str) -> bool:
        shown = self.model.row_of(txn)
        if shown is None:
            return False
        index = self.model.index(shown, 0)
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        self._show_case(self.current_row())

    def own_case(self, row: QueueRow | None) -> bool:
        """A case of the signed-in manager's own service: shown, never decided by them."""
        return bool(row and str(row.data.get("staff")) == self.ctx.manager)

    def _update_buttons(self) -> None:
        """Recording is possible only once a cause is chosen (nothing is preselected)."""
        self.record_button.setEnabled(self.cause.currentData() is not None)
        self.follow_button.setEnabled(self.follow_cause.currentData() is not None)
        self.appeal_button.setEnabled(self.appeal_decision.currentData() is not None)

    def _show_case(self, row: QueueRow | None) -> None:
        self.message.clear()
        self.message.setStyleSheet("")
        own = self.own_case(row)
        self.overtime_box.setEnabled(bool(row and row.is_overtime) and not own)
        self.follow_box.setEnabled(bool(row and row.is_poor) and not own)
        appealed = bool(row and row.appealed)
        self.appeal_box.setVisible(appealed)
        self.overtime_box.setVisible(not appealed or bool(row and row.is_overtime))
        self.appeal_box.setEnabled(bool(row and row.appeal_open) and not own)
        if row is None:
            self.detail.setText(self.tr("Select a case in the table to review it."))
            self._fill_forms({}, type_changed=False)  # nothing of the last case stays shown
            self._update_buttons()
            return
        d = row.data
        lines = [
            row.local.strftime("%Y-%m-%d %H:%M:%S") + "  ·  " + self.tr("Counter")
            + f" {d['counter']}",
            self.tr("Staff") + f": {self.ctx.staff_label(d['staff'])}",
            self.tr("Type") + f": {self.ctx.type_name(d['type'])}",
            self.tr("Time") + f": {format_mmss(d['duration_s'] or 0)}"
            + (f" / {format_mmss(d['target_s'])}" if d.get("target_s") else ""),
        ]
        if row.is_overtime:
            lines.append(self.tr("Overtime") + f": +{format_mmss(overtime_seconds(d))}")
            if row.type_changed_after_target:
                lines.append(self.tr("Type changed after target"))
            reason = label(OVERTIME_REASONS, d.get("overtime_reason"), self.ctx.language)
            lines.append(self.tr("Staff's reason") + ": " + (reason or self.tr("none given")))
        if d.get("rating") is not None:
            zh, en = RATING_LABELS[int(d["rating"])]
            text = self.tr("Rating") + f": {d['rating']} {zh if self.ctx.zh else en}"
            if d.get("rating_reason"):
                text += " — " + label(POOR_RATING_REASONS, d["rating_reason"], self.ctx.language)
            lines.append(text)
        self.detail.setText("\n".join(lines))
        self._fill_forms(d, type_changed=row.type_changed_after_target)
        if row.appealed:
            self._show_appeal(row)
        self._update_buttons()
        if own:
            self.message.setStyleSheet("color: #bf360c;")
            self.message.setText(self.tr("This is your own case: another manager decides it."))

    def _fill_forms(self, d: Mapping[str, Any], *, type_changed: bool) -> None:
        """The review and follow-up forms as case `d` has them: a recorded decision shown as
        recorded, an undecided case (or none selected: `{}`) on "choose" and empty."""
        self._set_combo(self.cause, d.get("cause"))
        self.note.setText(d.get("note") or "")
        self.accept_change.setChecked(False)
        self.accept_change.setVisible(type_changed)
        self.called_back.setChecked(bool(d.get("called_back")))
        self.resolved.setChecked(bool(d.get("resolved")))
        self._set_combo(self.follow_cause, d.get("follow_up_cause"))
        self.follow_note.setText(d.get("follow_up_note") or "")

    def _show_appeal(self, row: QueueRow) -> None:
        d = row.data
        reason = label(APPEAL_REASONS, d.get("appeal_reason"), self.ctx.language)
        lines = [self.tr("Reason") + f": {reason}"]
        if d.get("appeal_note"):
            lines.append(self.tr("Clerk's note") + f": {d['appeal_note']}")
        if not row.appeal_open:
            lines.append((self.tr("Upheld") if d.get("appeal_upheld") else self.tr("Rejected"))
                         + f" — {self.ctx.staff_label(str(d.get('appeal_decided_by')))}")
        self.appeal_text.setText("\n".join(lines))
        index = (self.appeal_decision.findData(bool(d["appeal_upheld"]))
                 if d.get("appeal_upheld") is not None else 0)
        self.appeal_decision.setCurrentIndex(max(0, index))
        self.appeal_note.setText(d.get("appeal_decision_note") or "")

    @staticmethod
    def _set_combo(combo: QComboBox, code: str | None) -> None:
        index = combo.findData(code) if code else -1
        combo.setCurrentIndex(max(0, index))

    # ---- recording -----------------------------------------------------------------------

    def record_cause(self) -> bool:
        """Record the manager's cause of the selected overtime case (`overtime_reviewed`)."""
        row = self.current_row()
        if row is None or not row.is_overtime:
            return False
        if self.own_case(row):
            self._error(self.tr("This is your own case: another manager decides it."))
            return False
        if self.cause.currentData() is None:
            self._error(self.tr("Choose a cause first."))
            return False
        cause, note = str(self.cause.currentData()), self.note.text()
        accept = row.type_changed_after_target and self.accept_change.isChecked()
        return self._record(row.txn, lambda: self.ctx.desk.review_overtime(
            row.txn, cause, note, accept_type_change=accept), self.tr("Cause recorded"))

    def record_follow_up(self) -> bool:
        """Record the follow-up of the selected poor rating (`rating_followed_up`)."""
        row = self.current_row()
        if row is None or not row.is_poor:
            return False
        if self.own_case(row):
            self._error(self.tr("This is your own case: another manager decides it."))
            return False
        if self.follow_cause.currentData() is None:
            self._error(self.tr("Choose a cause first."))
            return False
        called_back, resolved = self.called_back.isChecked(), self.resolved.isChecked()
        cause, note = str(self.follow_cause.currentData()), self.follow_note.text()
        return self._record(row.txn, lambda: self.ctx.desk.follow_up_rating(
            row.txn, called_back=called_back, cause=cause, resolved=resolved, note=note),
            self.tr("Follow-up recorded"))

    def record_appeal_decision(self) -> bool:
        """Uphold or reject the selected appeal (`appeal_decided`); never the appellant's."""
        row = self.current_row()
        if row is None or not row.appeal_open:
            return False
        if self.own_case(row):
            self._error(self.tr("You appealed this rating yourself: another manager decides "
                                "it."))
            return False
        upheld = self.appeal_decision.currentData()
        if upheld is None:
            self._error(self.tr("Choose a decision first."))
            return False
        note = self.appeal_note.text()
        if not upheld and not note.strip():
            self._error(self.tr("Say why the appeal is rejected in the note."))
            return False
        return self._record(row.txn, lambda: self.ctx.desk.decide_appeal(
            row.txn, upheld=bool(upheld), note=note), self.tr("Decision recorded"))

    def _record(self, txn: str, decide: Callable[[], None], done: str) -> bool:
        try:
            decide()
        except InvalidDecision as exc:  # refused as given: say why, change nothing
            self._error(exc.message)
            return False
        except ApplicationError as exc:  # the event was not committed: say so, change nothing
            self._error(self.tr("Not recorded: %1").replace("%1", exc.message))
            return False
        fresh = self.ctx.data.queue_row(txn)
        if fresh is not None:
            self.model.update_row(fresh)
        self._update_count()
        self.select_txn(txn)
        self._show_case(self.current_row())
        self.message.setStyleSheet("color: #2e7d32;")
        self.message.setText(done)
        self.reviewed.emit(txn)
        return True

    def _error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.message.setText(text)

    # ---- follow-ups: overdue filter, one cause for a time window, handing cases over --------

    def _init_follow_up_tools(self) -> None:
        """The outage form (one cause for every overtime case of a time window) and the
        shift handover, in one row under the table."""
        today = periods.today(self.ctx.time_zone)
        self.window_day = named(QDateEdit(QDate(today.year, today.month, today.day)),
                                "windowDay")
        self.window_day.setCalendarPopup(True)
        self.window_day.setDisplayFormat("yyyy-MM-dd")
        self.window_from = named(QTimeEdit(QTime(9, 0)), "windowFrom")
        self.window_to = named(QTimeEdit(QTime(10, 0)), "windowTo")
        for edit in (self.window_from, self.window_to):
            edit.setDisplayFormat("HH:mm")
        self.window_cause = named(QComboBox(), "windowCause")
        self.window_cause.addItem(self.tr("Choose a cause…"), None)
        for choice in OVERTIME_CAUSES:
            self.window_cause.addItem(self.ctx.choice(choice), choice.code)
        self.window_note = named(QLineEdit(maxLength=events.MAX_NOTE), "windowNote")
        self.window_note.setPlaceholderText(self.tr("e.g. the business system was down"))
        self.window_button = named(
            QPushButton(self.tr("Give one cause to all overtime cases in this window")),
            "windowCauseButton")
        # two rows in each box: on one row, the button's sentence squeezed the notes to "e…"
        # and the two boxes were wider than a 1024×768 screen in English
        window_box = QGroupBox(self.tr("One cause for a time window"))
        grid = QGridLayout(window_box)
        for column, widget in enumerate((self.window_day, self.window_from, QLabel("–"),
                                         self.window_to, self.window_cause)):
            grid.addWidget(widget, 0, column)
        grid.addWidget(self.window_note, 1, 0, 1, 4)
        grid.addWidget(self.window_button, 1, 4)
        grid.setColumnStretch(4, 1)

        self.handover_to = named(QComboBox(), "handoverTo")
        for number in self.ctx.data.managers():
            if number != self.ctx.manager:
                self.handover_to.addItem(self.ctx.staff_label(number), number)
        self.handover_note = named(QLineEdit(maxLength=events.MAX_NOTE), "handoverNote")
        self.handover_note.setPlaceholderText(self.tr("Note for the next shift"))
        self.handover_button = named(QPushButton(self.tr("Hand over open cases")),
                                     "handoverButton")
        handover_box = QGroupBox(self.tr("Shift handover"))
        grid = QGridLayout(handover_box)
        grid.addWidget(QLabel(self.tr("To")), 0, 0)
        grid.addWidget(self.handover_to, 0, 1)
        grid.addWidget(self.handover_note, 1, 0, 1, 2)
        grid.addWidget(self.handover_button, 1, 2)
        grid.setColumnStretch(1, 1)
        for note in (self.window_note, self.handover_note):
            note.setMinimumWidth(note.fontMetrics().horizontalAdvance("x" * 16))

        tools = QWidget()
        tools_layout = QHBoxLayout(tools)
        tools_layout.setContentsMargins(0, 0, 0, 0)
        tools_layout.addWidget(window_box, 3)
        tools_layout.addWidget(handover_box, 2)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(layout.count() - 1, tools)  # above the message line
        self.window_button.clicked.connect(self.give_cause_to_window)
        self.handover_button.clicked.connect(self.hand_over_open_cases)

    def confirm(self, text: str) -> bool:
        """Ask the manager to confirm (tests replace it)."""
        answer = QMessageBox.question(self, self.tr("Confirm"), text)
        return answer == QMessageBox.StandardButton.Yes

    def _apply_overdue(self) -> None:
        selected = self.current_row()
        self.model.set_overdue_only(self.overdue_only.isChecked())
        self._after_filter(selected)

    def _window_utc(self) -> tuple[str, str, dt.date]:
        q = self.window_day.date()
        day = dt.date(q.year(), q.month(), q.day())
        zone = periods.zone(self.ctx.time_zone)

        def at(t: QTime) -> str:
            moment = dt.datetime.combine(day, dt.time(t.hour(), t.minute()), tzinfo=zone)
            return periods.format_utc(moment)

        return at(self.window_from.time()), at(self.window_to.time()), day

    def give_cause_to_window(self) -> bool:
        """One `overtime_reviewed` per overtime case started in the window, after one
        confirmation, in one commit; the manager's own cases are skipped and listed."""
        cause = self.window_cause.currentData()
        if cause is None:
            self._error(self.tr("Choose a cause first."))
            return False
        start, end, day = self._window_utc()
        if end <= start:
            self._error(self.tr("The window ends before it starts: choose a later end time."))
            return False
        cases = [r for r in self.ctx.data.overtime_log(Period(first=day, last=day))
                 if start <= r["started_at"] < end]
        own = [r for r in cases if str(r.get("staff")) == self.ctx.manager]
        if len(cases) == len(own):
            self._error(self.tr("There is no overtime case in this window to give the cause "
                                "to.") if not own else
                        self.tr("The only overtime cases in this window are your own: another "
                                "manager decides them."))
            return False
        text = (self.tr("Give “%1” to all %2 overtime cases in this window?")
                .replace("%1", self.window_cause.currentText())
                .replace("%2", str(len(cases) - len(own))))
        if own:
            text += "\n" + self.tr("%1 of your own cases are skipped.").replace(
                "%1", str(len(own)))
        if not self.confirm(text):
            return False
        try:
            bulk = self.ctx.desk.review_overtime_window(start, end, str(cause),
                                                        self.window_note.text())
        except InvalidDecision as exc:
            self._error(exc.message)
            return False
        except ApplicationError as exc:
            self._error(self.tr("Not recorded: %1").replace("%1", exc.message))
            return False
        self._after_bulk(self.tr("Cause recorded for %n cases", "", len(bulk.drafts)),
                         bulk.skipped_own)
        return True

    def open_cases(self) -> list[str]:
        """The cases shown that still need a decision (what a handover passes on)."""
        return [row.txn for row in self.model.open_cases()]

    def hand_over_open_cases(self) -> bool:
        """Record `cases_handed_over`: the open cases shown go to the chosen manager."""
        to = self.handover_to.currentData()
        if to is None:
            self._error(self.tr("There is no other manager to hand the cases over to."))
            return False
        txns = self.open_cases()
        if not txns:
            self._error(self.tr("There is no open case to hand over."))
            return False
        if len(txns) > events.MAX_HANDOVER_TXNS:
            self._error(self.tr("At most %1 cases can be handed over at once: narrow the "
                                "period.").replace("%1", str(events.MAX_HANDOVER_TXNS)))
            return False
        text = (self.tr("Hand %1 open cases over to %2?").replace("%1", str(len(txns)))
                .replace("%2", self.handover_to.currentText()))
        if not self.confirm(text):
            return False
        try:
            self.ctx.desk.hand_over(txns, str(to), self.handover_note.text())
        except InvalidDecision as exc:
            self._error(exc.message)
            return False
        except ApplicationError as exc:
            self._error(self.tr("Not recorded: %1").replace("%1", exc.message))
            return False
        self._after_bulk(self.tr("%n cases handed over to %1", "", len(txns))
                         .replace("%1", self.handover_to.currentText()), ())
        return True

    def _after_bulk(self, done: str, skipped: tuple[str, ...]) -> None:
        if self._filters is not None:
            self.load(self._filters, force=True)
        self.message.setStyleSheet("color: #2e7d32;")
        text = done
        if skipped:
            text += " · " + self.tr("skipped (your own): %1").replace("%1", ", ".join(skipped))
        self.message.setText(text)
        self.reviewed.emit("")
