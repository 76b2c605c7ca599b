"""SyncPanel: the manager view's "Sync now" button and the last sync's time, events and error."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from counter_app.sync.state import SyncStatus, parse_utc
from counter_app.ui.sync_runner import SyncRunner


def _local(text: str | None) -> str:
    moment = parse_utc(text)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "—"


class SyncPanel(QWidget):
    """Shows where the sync to head office stands and lets the manager start one."""

    def __init__(self, runner: SyncRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.button = QPushButton(self.tr("Sync now"), objectName="syncNow")
        self.button.clicked.connect(runner.sync_now)
        self.state = QLabel(objectName="syncState")
        self.detail = QLabel(objectName="syncDetail", wordWrap=True)
        self.next = QLabel(objectName="syncNext")
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Head office sync")))
        top.addStretch(1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.detail)
        layout.addWidget(self.next)
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
                "%1", _local(status.finished_at)))
            self.detail.setText(self.tr("%1 events sent; head office holds all %2 events")
                                .replace("%1", str(status.sent))
                                .replace("%2", str(status.acked_seq)))
        else:
            self.state.setText(self.tr("Last sync: %1 — FAILED").replace(
                "%1", _local(status.finished_at)))
            pending = status.pending
            waiting = ("" if pending is None else " " + self.tr("(%1 events waiting)")
                       .replace("%1", str(pending)))
            self.detail.setText(self.tr("Error: %1").replace("%1", status.error or "?") + waiting
                                + "\n" + self.tr("Last successful sync: %1").replace(
                                    "%1", _local(status.last_success_at)))
        when = self.runner.next_run
        self.next.setText(self.tr("Next sync: %1").replace(
            "%1", when.strftime("%Y-%m-%d %H:%M") if when else "—"))

    def showEvent(self, event: QShowEvent) -> None:
        self.show_status(self.runner.status)  # "next sync" may have moved while hidden
        super().showEvent(event)
