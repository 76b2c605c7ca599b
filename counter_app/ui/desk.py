"""The manager desk's window (`counter-app manager`): a manager's sign-in, then the manager view
over every counter of the hall (application.hall_view.Desk)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.errors import ApplicationError
from counter_app.application.hall_view import Desk, SignInError
from counter_app.config import Config
from counter_app.ui.app import application
from counter_app.ui.i18n import install_translator
from counter_app.ui.messages import translate_message
from counter_app.ui.start_refusal import show_start_refusal
from counter_app.ui.widgets import named

log = logging.getLogger(__name__)

#: the desk's window at its default size: the manager view's tabs fit without scrolling
DEFAULT_SIZE = (1280, 800)
STATUS_CHECK_MS = 1000
#: the sign-in form's width: a form, centred, not two fields across a 1920-pixel screen
SIGN_IN_WIDTH = 440


class DeskWindow(QWidget):
    """Sign-in page, then the manager view (built on sign-in, over the hall mirror)."""

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setObjectName("deskWindow")
        self.setWindowTitle(self.tr("Counter App · manager desk · %1")
                            .replace("%1", desk.config.hall_name_in(desk.config.language)))
        self.resize(*DEFAULT_SIZE)
        self.manager_view: QWidget | None = None
        self.stack = QStackedWidget(self)
        self.sign_in_page = self._sign_in_page()
        self.stack.addWidget(self.sign_in_page)
        # where the mirror stands: a hall server out of reach is said, never silent
        self.hall_status = named(QLabel(), "hallStatus")
        self.hall_status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.hall_status)
        self._status_timer = QTimer(self, interval=STATUS_CHECK_MS)
        self._status_timer.timeout.connect(self._check_status)
        self._status_timer.start()
        self._check_status()

    def _check_status(self) -> None:
        self.desk.record_statuses()
        problem = self.desk.puller.last_error
        if problem:
            self.hall_status.setStyleSheet("background: #fff3e0; color: #bf360c; padding: 4px;")
            self.hall_status.setText(self.tr(
                "The hall server cannot be reached: the view shows what arrived until now "
                "(%1)").replace("%1", problem[:300]))
        elif self.desk.puller.runs == 0:
            self.hall_status.setStyleSheet("color: #546e7a; padding: 4px;")
            self.hall_status.setText(self.tr("Reading the hall from the hall server…"))
        else:
            self.hall_status.setStyleSheet("color: #546e7a; padding: 4px;")
            self.hall_status.setText(self.tr("Every counter of the hall, up to date"))

    def _sign_in_page(self) -> QWidget:
        page = QWidget()
        title = named(QLabel(self.tr("Manager desk · %1 · every counter of the hall")
                             .replace("%1", self.desk.config.hall_name_in(
                                 self.desk.config.language))), "managerTitle")
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        title.setWordWrap(True)
        self.number = named(QLineEdit(), "deskNumber")
        self.pin = named(QLineEdit(), "deskPin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.sign_in_button = named(QPushButton(self.tr("Sign in")), "deskSignIn")
        self.message = named(QLabel(), "deskMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b71c1c;")
        form_box = named(QWidget(), "deskSignInForm")
        form_box.setMaximumWidth(SIGN_IN_WIDTH)
        form = QFormLayout()
        form.addRow(self.tr("Manager number"), self.number)
        form.addRow(self.tr("PIN"), self.pin)
        column = QVBoxLayout(form_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title)
        column.addLayout(form)
        column.addWidget(self.sign_in_button)
        column.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(form_box, 3)
        row.addStretch(1)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addLayout(row)
        box.addStretch(2)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.pin.returnPressed.connect(self.sign_in)
        return page

    def sign_in(self) -> bool:
        """Open the manager view for the number and PIN entered; a refusal in words."""
        try:
            staff = self.desk.sign_in(self.number.text(), self.pin.text())
        except SignInError as exc:
            self.message.setText(self.tr("Not signed in: %1")
                                 .replace("%1", translate_message(str(exc))))
            return False
        except ApplicationError as exc:
            self.message.setText(self.tr("Not signed in: %1")
                                 .replace("%1", translate_message(exc.message)))
            return False
        finally:
            self.pin.clear()
        self.message.clear()
        # lazy, deliberately: the manager view loads QtCharts
        from counter_app.ui.manager import ManagerView

        self.manager_view = ManagerView(self.desk.session(staff.number), parent=self)
        self.stack.addWidget(self.manager_view)
        self.stack.setCurrentWidget(self.manager_view)
        self.setWindowTitle(f"{self.windowTitle()} · {staff.number}")
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        self._status_timer.stop()
        super().closeEvent(event)


def run_desk(config: Config, data_dir: Path, *, smoke_test: bool = False) -> int:
    """The desk's process: open the desk, show its window, run Qt until it is closed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = application()
    install_translator(app, config.language)
    try:
        desk = Desk(config, data_dir)
    except ApplicationError as exc:
        print(f"counter-app: {exc.message}", file=sys.stderr)
        if not smoke_test:
            show_start_refusal(exc.message, config.language)
        return 2
    try:
        if not desk.has_manager():
            message = QCoreApplication.translate(
                "DeskWindow", "The desk's data folder %1 has no manager account. Add one with "
                "counter-app --config \"%2\" --data-dir \"%1\" staff add --role manager "
                "--number NUMBER --name NAME").replace("%1", str(data_dir)).replace(
                "%2", config.source)
            print(f"counter-app: {message}", file=sys.stderr)
            if not smoke_test:
                show_start_refusal(message, config.language)
            return 2
        window = DeskWindow(desk)
        window.show()
        if smoke_test:
            QTimer.singleShot(300, lambda: app.exit(0 if window.isVisible() else 1))
        code = app.exec()
        window.deleteLater()
        return code
    finally:
        desk.close()
