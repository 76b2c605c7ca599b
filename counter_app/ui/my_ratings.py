"""“My ratings” (F12 on the staff window): the clerk's own poor ratings of earlier days, and
their appeal (申诉).

Each line shows the date only, never the time (an appeal must not point at a customer), the
type, the rating and the appeal's state; the clerk chooses a reason (and a note when it is
“other”) and appeals it. A manager other than the clerk decides it in the review tab.
Keyboard only: arrows choose a line, Tab the reason and the note, Enter appeals, Esc closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.counter import Counter
from counter_app.application.errors import ApplicationError
from counter_app.ui.messages import translate_message
from counter_app.ui.widgets import label, named
from counter_core import appeals
from counter_core.events import MAX_APPEAL_NOTE
from counter_core.ratings import RATING_LABELS

# fits an 800×600 screen with room to spare
SIZE = (720, 480)


class MyRatingsDialog(QDialog):
    """The signed-in clerk's poor ratings of earlier days; appeal one."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.language = counter.config.language
        self.setWindowTitle(self.tr("My ratings"))
        self.resize(*SIZE)
        self.ratings: list[appeals.MyRating] = []
        explanation = QLabel(
            self.tr(
                "Your poor ratings of earlier days (never today's), by date only. If one was not "
                "deserved, appeal it: a manager other than you decides. An upheld appeal takes the "
                "rating out of satisfaction and the star; it is never deleted."
            )
        )
        explanation.setWordWrap(True)
        self.table = named(QTableWidget(0, 4), "myRatings")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Date"), self.tr("Type"), self.tr("Rating"), self.tr("Appeal")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.reason = named(QComboBox(), "appealReason")
        self.reason.addItem(self.tr("Choose a reason…"), None)
        for choice in appeals.APPEAL_REASONS:
            self.reason.addItem(
                choice.zh if self.language.startswith("zh") else choice.en, choice.code
            )
        self.note = named(QLineEdit(maxLength=MAX_APPEAL_NOTE), "appealNote")
        self.note.setPlaceholderText(self.tr("Note (required for “other”)"))
        self.appeal_button = named(QPushButton(self.tr("Appeal")), "appealButton")
        self.appeal_button.setDefault(True)
        self.close_button = QPushButton(self.tr("Close"))
        self.message = label("muted", wrap=True)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        form.addRow(self.tr("Note"), self.note)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.appeal_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.appeal_button.clicked.connect(self.appeal)
        self.close_button.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._update)
        self.reason.currentIndexChanged.connect(self._update)
        self.load()

    # ---- the list -------------------------------------------------------------------------

    def load(self) -> None:
        try:
            self.ratings = self.counter.my_ratings()
        except ApplicationError as exc:
            self.ratings = []
            self._say(self._translated(exc.message), error=True)
        self.table.setRowCount(len(self.ratings))
        for i, r in enumerate(self.ratings):
            zh, en = RATING_LABELS[r.rating]
            kind = self.counter.config.type_named(r.type)
            cells = [
                r.day.isoformat(),
                kind.name(self.language) if kind else r.type,
                f"{r.rating} {zh if self.language.startswith('zh') else en}",
                self.state_text(r.state),
            ]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.txn)
                self.table.setItem(i, j, item)
        if not self.ratings and not self.message.text():
            self._say(self.tr("No poor ratings of earlier days."))
        first = next(
            (i for i, r in enumerate(self.ratings) if r.state == appeals.NOT_APPEALED),
            0 if self.ratings else None,
        )
        if first is not None:
            self.table.selectRow(first)
        self.table.setFocus()
        self._update()

    def state_text(self, state: str) -> str:
        return {
            appeals.NOT_APPEALED: self.tr("Not appealed"),
            appeals.OPEN: self.tr("Appealed, waiting for a manager"),
            appeals.UPHELD: self.tr("Upheld: not counted"),
            appeals.REJECTED: self.tr("Rejected"),
        }[state]

    def selected(self) -> appeals.MyRating | None:
        rows = self.table.selectionModel().selectedRows()
        return self.ratings[rows[0].row()] if rows else None

    def _update(self) -> None:
        chosen = self.selected()
        open_to_appeal = chosen is not None and chosen.state == appeals.NOT_APPEALED
        self.reason.setEnabled(open_to_appeal)
        self.note.setEnabled(open_to_appeal)
        self.appeal_button.setEnabled(open_to_appeal and self.reason.currentData() is not None)

    # ---- appealing ------------------------------------------------------------------------

    def appeal(self) -> bool:
        """Appeal the selected rating with the chosen reason and note."""
        chosen = self.selected()
        if chosen is None or chosen.state != appeals.NOT_APPEALED:
            self._say(self.tr("Choose a rating you have not appealed yet."), error=True)
            return False
        reason = self.reason.currentData()
        if reason is None:
            self._say(self.tr("Choose a reason first."), error=True)
            return False
        try:
            self.counter.appeal(chosen.txn, str(reason), self.note.text())
        except ApplicationError as exc:
            self._say(self._translated(exc.message), error=True)
            return False
        self.reason.setCurrentIndex(0)
        self.note.clear()
        self.load()
        self._say(self.tr("Appeal recorded: a manager other than you decides it."))
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter appeals (when it can), wherever the focus is; Esc closes."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.appeal_button.isEnabled():
                self.appeal()
            return
        super().keyPressEvent(event)

    def _translated(self, text: str) -> str:
        known = {
            "Say why in the note when choosing “other”": self.tr(
                "Say why in the note when choosing “other”"
            ),
            "Choose a reason first": self.tr("Choose a reason first."),
            "Sign in first: only your own ratings can be appealed": self.tr(
                "Sign in first: only your own ratings can be appealed"
            ),
            "Finish the current customer first": self.tr("Finish the current customer first"),
            "Only your own poor ratings of earlier days can be appealed, once each": self.tr(
                "Only your own poor ratings of earlier days can be appealed, once each"
            ),
        }
        return known.get(text) or translate_message(text)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(
            "color: #b71c1c; font-weight: bold;" if error else "color: #2e7d32;"
        )
        self.message.setText(text)


def show_my_ratings(counter: Counter, parent: QWidget | None = None) -> MyRatingsDialog:
    """Open “My ratings” (modal); returns the dialog after it closed."""
    dialog = MyRatingsDialog(counter, parent)
    dialog.exec()
    return dialog
