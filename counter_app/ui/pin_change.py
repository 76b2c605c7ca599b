"""The PIN change a sign-in may require first: a manager's PIN shorter than six digits.

`change_pin_at_sign_in` asks for the new PIN twice and has the counter record the change (an
event in its chain); it returns the new PIN, or None when the clerk cancelled.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.counter import Counter
from counter_app.application.errors import PinNotChanged, StorageFailed
from counter_app.ui.messages import translate_message
from counter_app.ui.widgets import label
from counter_core import pins


class PinChangeDialog(QDialog):
    """New PIN, again, OK: the change is recorded before the dialog closes."""

    def __init__(self, counter: Counter, number: str, old_pin: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.number = number
        self._old = old_pin
        self.new_pin: str | None = None
        self.setWindowTitle(self.tr("Change your PIN"))
        explanation = QLabel(
            self.tr("A manager's PIN must have at least %1 digits. Choose a new PIN for %2 "
                    "before signing in.")
            .replace("%1", str(pins.MANAGER_MIN_DIGITS)).replace("%2", number))
        explanation.setWordWrap(True)
        self.pin = QLineEdit(placeholderText=self.tr("New PIN"),
                             echoMode=QLineEdit.EchoMode.Password)
        self.again = QLineEdit(placeholderText=self.tr("New PIN again"),
                               echoMode=QLineEdit.EchoMode.Password)
        self.error = label("error", wrap=True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        for widget in (explanation, self.pin, self.again, self.error, buttons):
            box.addWidget(widget)

    def accept(self) -> None:
        new, again = self.pin.text(), self.again.text()
        if new != again:
            self.error.setText(self.tr("The two PINs differ"))
            return
        if len(new) < pins.MANAGER_MIN_DIGITS or not (new.isascii() and new.isdigit()):
            self.error.setText(self.tr("The new PIN must be %1 to 12 digits")
                               .replace("%1", str(pins.MANAGER_MIN_DIGITS)))
            return
        try:
            self.counter.change_pin(self.number, self._old, new)
        except PinNotChanged as exc:
            if "differ from the old" in exc.message:
                self.error.setText(self.tr("The new PIN must differ from the old one"))
            else:
                self.error.setText(translate_message(exc.message))
            return
        except StorageFailed as exc:
            self.error.setText(translate_message(exc.message))
            return
        self.new_pin = new
        super().accept()


def change_pin_at_sign_in(counter: Counter, number: str, old_pin: str,
                          parent: QWidget | None = None) -> str | None:
    """The new PIN once changed and recorded, or None when cancelled."""
    dialog = PinChangeDialog(counter, number, old_pin, parent)
    dialog.exec()
    return dialog.new_pin


def cancelled_text() -> str:
    """What the sign-in page says when the change was cancelled."""
    return QCoreApplication.translate("PinChangeDialog",
                                      "Not signed in: your PIN must be changed first")
