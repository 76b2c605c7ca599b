"""The hall view's "Alerts" tab: the hall server's alerts (overtime, poor rating, a counter not
reporting), unacknowledged first and bold, with "Acknowledge" in the hall view: an
`alert_acknowledged` event of the desk's (or counter's) own chain, recorded on the UI thread
(the chain's writer) and shown at once; the hall server marks the alert when the event reaches
it, and the last column says who acknowledged it.

The feed (counter_app.application.alerts_feed) is read every 2 s off the UI thread. Alerts new
to this view are announced: a desktop notification (QSystemTrayIcon) where the desktop has a
tray, else a banner in the window, and a sound (the shipped WAV through QtMultimedia when it is
installed, else the system beep). Both are injectable for tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Protocol

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from counter_app import paths
from counter_app.application.alerts_feed import Alert, AlertsUnavailable, FeedUpdate

log = logging.getLogger(__name__)

POLL_MS = 2000
SOUND_FILE = "alert.wav"
COLUMNS = 6


class Feed(Protocol):
    """What the tab reads: application.alerts_feed.AlertFeed."""

    can_ack: bool

    def poll(self) -> FeedUpdate: ...

    def acknowledge(self, alert: str, staff: str) -> Alert: ...


# (title, message): a desktop notification
Notifier = Callable[[str, str], None]


def system_sound() -> Callable[[], None]:
    """The shipped WAV through QtMultimedia when it can be loaded, else the system beep."""
    wav = paths.resource_path(SOUND_FILE)
    try:
        from PySide6.QtMultimedia import QSoundEffect
    except ImportError:  # QtMultimedia is missing or its libraries are (libpulse)
        return QApplication.beep
    if not wav.is_file():
        return QApplication.beep
    effect = QSoundEffect(QApplication.instance())
    effect.setSource(QUrl.fromLocalFile(str(wav)))
    return effect.play


class _Carrier(QObject):
    arrived = Signal(str, object)  # "poll" | "ack", the answer or an AlertsUnavailable


class _Task(QRunnable):
    def __init__(self, what: str, work: Callable[[], object], carrier: _Carrier) -> None:
        super().__init__()
        self.what, self.work, self.carrier = what, work, carrier

    def run(self) -> None:
        try:
            answer: object = self.work()
        except AlertsUnavailable as exc:
            answer = exc
        except Exception as exc:  # a feed's bug must not take the desk down
            log.exception("the alerts feed failed")
            answer = AlertsUnavailable(f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(RuntimeError):  # the tab was closed meanwhile
            self.carrier.arrived.emit(self.what, answer)


class AlertsTab(QWidget):
    """The list, the Acknowledge button, the banner; `notified` fires per announcement."""

    notified = Signal(str, str)

    def __init__(
        self,
        feed: Feed,
        *,
        manager: str,
        names: Mapping[str, str] | None = None,
        zone: dt.tzinfo | None = None,
        notifier: Notifier | None = None,
        sound: Callable[[], None] | None = None,
        poll_ms: int = POLL_MS,
        autostart: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.feed = feed
        self.manager = manager
        self.names = dict(names or {})
        self.zone = zone
        self.alerts: tuple[Alert, ...] = ()
        self._in_flight: set[str] = set()
        self._tray: QSystemTrayIcon | None = None
        self.notifier: Notifier = notifier or self._desktop_notify
        self.sound: Callable[[], None] = sound or system_sound()

        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # a poll and an ack one after the other
        self._carrier = _Carrier(self)
        self._carrier.arrived.connect(self._on_answer)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel(self, objectName="alertBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #b71c1c; color: white; font-size: 15px; "
            "font-weight: bold; padding: 6px; border-radius: 4px;"
        )
        self.banner.hide()
        outer.addWidget(self.banner)
        self.problem = QLabel(self, objectName="alertProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("background: #fff3e0; color: #bf360c; padding: 4px;")
        self.problem.hide()
        outer.addWidget(self.problem)

        self.table = QTableWidget(0, COLUMNS, self, objectName="alertList")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Time"),
                self.tr("Alert"),
                self.tr("Counter"),
                self.tr("Staff"),
                self.tr("What happened"),
                self.tr("Acknowledged"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.setStyleSheet("QTableWidget::item { padding: 3px 4px; }")
        header = self.table.horizontalHeader()
        for column in (0, 1, 2, 3, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_button)
        outer.addWidget(self.table, 1)

        self.empty = QLabel(self.tr("No alerts in the past hour"), self, objectName="noAlerts")
        outer.addWidget(self.empty)
        row = QHBoxLayout()
        self.count = QLabel(self, objectName="alertCount")
        row.addWidget(self.count, 1)
        self.ack_button = QPushButton(self.tr("Acknowledge"), self, objectName="acknowledge")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        if not feed.can_ack:
            self.ack_button.setToolTip(self.tr("Acknowledge at the manager desk"))
        row.addWidget(self.ack_button)
        outer.addLayout(row)
        self._show_count()
        self._update_button()

        self._timer = QTimer(self, interval=max(50, poll_ms))
        self._timer.timeout.connect(self.poll)
        if autostart:
            self.start()

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    # ---- reading -------------------------------------------------------------------------------

    def start(self) -> None:
        self._timer.start()
        self.poll()

    def stop(self, wait_ms: int = 3000) -> None:
        self._timer.stop()
        self._pool.waitForDone(wait_ms)
        if self._tray is not None:
            self._tray.hide()

    def poll(self) -> bool:
        return self._run("poll", self.feed.poll)

    def _run(self, what: str, work: Callable[[], object]) -> bool:
        if what in self._in_flight:
            return False
        self._in_flight.add(what)
        self._pool.start(_Task(what, work, self._carrier))
        return True

    def _on_answer(self, what: str, answer: object) -> None:
        self._in_flight.discard(what)
        if isinstance(answer, AlertsUnavailable):
            log.info("alerts: %s: %s", what, answer)
            if what == "ack":
                self._say(
                    self.tr("The alert could not be acknowledged: %1").replace(
                        "%1", str(answer)[:300]
                    )
                )
                self._update_button()
            else:
                self._say(
                    self.tr(
                        "The hall server's alerts cannot be read: the list shows the "
                        "last known (%1)"
                    ).replace("%1", str(answer)[:300])
                )
        elif isinstance(answer, FeedUpdate):
            self.problem.hide()
            self.show_update(answer)
        elif isinstance(answer, Alert):
            self.problem.hide()
            self.show_alerts(
                tuple(
                    sorted(
                        [answer if a.id == answer.id else a for a in self.alerts],
                        key=lambda a: (a.acknowledged, -a.seq),
                    )
                )
            )

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()

    # ---- the list ------------------------------------------------------------------------------

    def show_update(self, update: FeedUpdate) -> None:
        self.show_alerts(update.alerts)
        if update.new:
            self.announce(update.new)

    def show_alerts(self, alerts: tuple[Alert, ...]) -> None:
        selected = self.selected()
        chosen = selected.id if selected else None
        self.alerts = alerts
        self.table.setRowCount(len(alerts))
        for row, alert in enumerate(alerts):
            cells = (
                self.when(alert.at),
                self.kind_name(alert.kind),
                alert.counter,
                self.staff_name(alert.staff),
                alert.text,
                self.ack_text(alert),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, alert.id)
                font = QFont(item.font())
                font.setBold(not alert.acknowledged)
                item.setFont(font)
                self.table.setItem(row, column, item)
            if alert.id == chosen:
                self.table.selectRow(row)
        self.table.resizeRowsToContents()
        self.empty.setVisible(not alerts)
        if all(a.acknowledged for a in alerts):
            self.banner.hide()  # nothing left to announce
        self._show_count()
        self._update_button()

    def _show_count(self) -> None:
        open_ = sum(not a.acknowledged for a in self.alerts)
        self.count.setText(self.tr("%1 not acknowledged").replace("%1", str(open_)))

    def when(self, utc: str) -> str:
        try:
            moment = dt.datetime.fromisoformat(utc.replace("Z", "+00:00")).astimezone(self.zone)
        except ValueError:
            return utc
        today = dt.datetime.now(self.zone).date()
        return moment.strftime("%H:%M:%S" if moment.date() == today else "%m-%d %H:%M")

    def kind_name(self, kind: str) -> str:
        return {
            "overtime": self.tr("Overtime"),
            "poor_rating": self.tr("Poor rating"),
            "not_reporting": self.tr("Not reporting"),
        }.get(kind, kind)

    def staff_name(self, number: str | None) -> str:
        if not number:
            return ""
        name = self.names.get(number)
        return f"{name} ({number})" if name else number

    def ack_text(self, alert: Alert) -> str:
        if not alert.acknowledged:
            return self.tr("Not yet")
        return (
            self.tr("%1 at %2")
            .replace("%1", self.staff_name(alert.acknowledged_by))
            .replace("%2", self.when(alert.acknowledged_at or ""))
        )

    def selected(self) -> Alert | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.alerts):
            return None
        return self.alerts[rows[0].row()]

    def _update_button(self) -> None:
        alert = self.selected()
        self.ack_button.setEnabled(
            self.feed.can_ack
            and alert is not None
            and not alert.acknowledged
            and "ack" not in self._in_flight
        )

    # ---- acknowledging -------------------------------------------------------------------------

    def acknowledge_selected(self) -> bool:
        """Acknowledge the selected alert as the signed-in manager, off the UI thread."""
        alert = self.selected()
        if alert is None or alert.acknowledged or not self.feed.can_ack:
            return False
        if getattr(self.feed, "records_here", False):
            # an event of this desk's (or counter's) chain: on the thread owning its writer
            try:
                answer: object = self.feed.acknowledge(alert.id, self.manager)
            except AlertsUnavailable as exc:
                answer = exc
            self._on_answer("ack", answer)
            return not isinstance(answer, AlertsUnavailable)
        started = self._run("ack", lambda: self.feed.acknowledge(alert.id, self.manager))
        self._update_button()
        return started

    # ---- announcing ----------------------------------------------------------------------------

    def announce(self, new: tuple[Alert, ...]) -> None:
        """A notification (one per poll, however many arrived) and the sound."""
        latest = new[-1]
        title = (
            self.tr("Alert · counter %1").replace("%1", latest.counter)
            if len(new) == 1
            else self.tr("%1 new alerts").replace("%1", str(len(new)))
        )
        message = f"{self.kind_name(latest.kind)}: {latest.text}"
        try:
            self.notifier(title, message)
            self.sound()
        except Exception:  # a notification that fails must not stop the list
            log.exception("alerts: the notification failed")
        self.notified.emit(title, message)

    def _desktop_notify(self, title: str, message: str) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
                self._tray = QSystemTrayIcon(icon, self)
                self._tray.show()
            self._tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 10_000)
            return
        self.banner.setText(f"{title} — {message}")  # no tray on this desktop: in the window
        self.banner.show()
