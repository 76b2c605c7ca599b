"""“My figures” (Shift+F12 on the staff window): the signed-in clerk's own served count,
service level, satisfaction and ratings summary for this month and last, from this counter's
records. Never another clerk's figures; the ranking rules are the ones the manager view and
head office's /rules page state."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
from counter_core.ratings import RATING_LABELS

if TYPE_CHECKING:  # the figures load when the clerk opens them
    from counter_core.figures import OwnMonth

# fits an 800×600 screen with room to spare
SIZE = (560, 500)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


class MyFiguresDialog(QDialog):
    """The signed-in clerk's own figures, this month and last."""

    def __init__(self, counter: Counter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.language = counter.config.language
        self.setWindowTitle(self.tr("My figures"))
        self.resize(*SIZE)
        explanation = QLabel(self.tr(
            "Your own figures at this counter; nobody else's. Service level: transactions "
            "within their target ÷ timed ones. Satisfaction: ratings of 4–5 ÷ ratings counted "
            "(an upheld appeal is not counted)."))
        explanation.setWordWrap(True)
        self.table = named(QTableWidget(0, 2), "myFigures")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.message = label("muted", wrap=True)
        close = QPushButton(self.tr("Close"))
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.months: list[OwnMonth] = []
        self.load()

    def load(self) -> None:
        try:
            self.months = self.counter.my_figures()
        except ApplicationError as exc:
            self.months = []
            self.message.setText(self._translated(exc.message))
        self.table.setColumnCount(len(self.months))
        self.table.setHorizontalHeaderLabels([m.month for m in self.months])
        rows = self.row_labels()
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([name for name, _ in rows])
        for j, month in enumerate(self.months):
            for i, (_, value) in enumerate(rows):
                self.table.setItem(i, j, QTableWidgetItem(value(month)))

    def rating_label(self, n: int) -> str:
        words = RATING_LABELS[n][0 if self.language.startswith("zh") else 1]
        return self.tr("Rated %1 (%2)").replace("%1", str(n)).replace("%2", words)

    def row_labels(self) -> list[tuple[str, Callable[[OwnMonth], str]]]:

        def rating(n: int) -> tuple[str, Callable[[OwnMonth], str]]:
            return self.rating_label(n), lambda m: str(m.ratings[n])

        return [
            (self.tr("Served"), lambda m: str(m.served)),
            (self.tr("Service level"), lambda m: _pct(m.service_level)),
            (self.tr("Satisfaction"), lambda m: _pct(m.satisfaction_rate)),
            (self.tr("Ratings"), lambda m: str(m.rated)),
            (self.tr("Mean rating"),
             lambda m: "—" if m.mean_rating is None else f"{m.mean_rating:.2f}"),
            *[rating(n) for n in (5, 4, 3, 2, 1)],
            (self.tr("Appeals upheld"), lambda m: str(m.upheld_appeals)),
        ]

    def cell(self, row: str, month: str) -> str:
        """The text shown for a row's label and a month (what a test reads)."""
        names = [name for name, _ in self.row_labels()]
        col = [m.month for m in self.months].index(month)
        item = self.table.item(names.index(row), col)
        return item.text() if item is not None else ""

    def _translated(self, text: str) -> str:
        known = {"Sign in first: only your own figures are shown":
                 self.tr("Sign in first: only your own figures are shown")}
        return known.get(text) or translate_message(text)


def show_my_figures(counter: Counter, parent: QWidget | None = None) -> MyFiguresDialog:
    """Open “My figures” (modal); returns the dialog after it closed."""
    dialog = MyFiguresDialog(counter, parent)
    dialog.exec()
    return dialog
