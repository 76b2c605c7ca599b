"""SyncRunner: runs the nightly sync off the UI thread and records its status on the UI thread.

The worker thread only reads the counter database (its own read-only connection) and talks
HTTP; the new mark and status come back by signal and are written by the main thread through
the counter's single writer (`Counter.record_sync_status`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from counter_app.application.counter import Counter
from counter_app.application.errors import ApplicationError
from counter_app.application.sync import start_anchors, upload_pending
from counter_app.sync.protocol import HeadOfficeClient, SyncError, Timeouts
from counter_app.sync.scheduler import SyncSchedule
from counter_app.sync.state import SyncStatus
from counter_core.periods import utc_now, zone

if TYPE_CHECKING:  # loaded with the first sync, after the windows show
    from counter_app.sync.anchors import AnchorSender
    from counter_app.sync.uploader import RetryPolicy

log = logging.getLogger(__name__)

#: re-check the schedule at least this often (the PC may have slept, the clock jumped)
RECHECK_MS = 10 * 60 * 1000
#: an unanswered request is given up after this long (connect: 5 s), so quitting stays quick
CLIENT_TIMEOUT: Timeouts = (5.0, 20.0, 20.0, 20.0)  # connect 5 s, the rest 20 s
ClientFactory = Callable[[], HeadOfficeClient]
Now = Callable[[], dt.datetime]


class _Carrier(QObject):
    finished = Signal(object)  # SyncStatus, emitted from the worker thread


class _SyncJob(QRunnable):
    """One sync run on a pool thread: read-only database, HTTP, nothing written."""

    def __init__(self, data_dir: Path, make_client: ClientFactory, cancelled: threading.Event,
                 retry: RetryPolicy | None) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python keeps it (and its carrier) until the result is in
        self.data_dir = data_dir
        self.make_client = make_client
        self.cancelled = cancelled
        self.retry = retry
        self.carrier = _Carrier()

    def run(self) -> None:
        try:
            with self.make_client() as client:
                status = upload_pending(self.data_dir, client, retry=self.retry,
                                        cancelled=self.cancelled.is_set, sleep=self._sleep)
        except SyncError as exc:
            status = SyncStatus(ok=False, finished_at=utc_now(), error=str(exc),
                                permanent=True)
        except Exception as exc:  # never let a sync bug reach the counter
            log.exception("sync crashed")
            status = SyncStatus(ok=False, finished_at=utc_now(),
                                error=f"sync failed unexpectedly: {exc}")
        self.carrier.finished.emit(status)

    def _sleep(self, seconds: float) -> None:
        self.cancelled.wait(seconds)  # shutdown() wakes a backoff at once


class _HallJob(QRunnable):
    """Fetch the hall-wide figures from head office on a pool thread."""

    def __init__(self, make_client: ClientFactory, month: str | None) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.make_client = make_client
        self.month = month
        self.carrier = _Carrier()

    def run(self) -> None:
        try:
            with self.make_client() as client:
                result: object = client.hall(month=self.month)
        except SyncError as exc:
            result = str(exc)
        except Exception as exc:
            log.exception("fetching the hall figures crashed")
            result = f"could not fetch the hall figures: {exc}"
        self.carrier.finished.emit(result)


class SyncRunner(QObject):
    """Schedules sync for the running counter; `sync_now()` is the manager's button."""

    status_changed = Signal(object)  # SyncStatus | None (None: never synced)
    busy_changed = Signal(bool)
    hall_loaded = Signal(object)  # the GET /api/v1/hall answer (a dict)
    hall_failed = Signal(str)

    def __init__(self, service: Counter, parent: QObject | None = None, *,
                 make_client: ClientFactory | None = None, now: Now | None = None,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(parent)
        self.service = service
        config = service.config
        self.configured = bool(config.head_office.url)
        self.schedule = SyncSchedule.for_counter(config.hall_id, config.counter_id,
                                                 config.sync_window)
        self._make_client = make_client or (
            lambda: HeadOfficeClient.from_config(config, timeout=CLIENT_TIMEOUT))
        hall_zone = zone(config.time_zone)
        #: the nightly window is the hall's night, whatever zone this PC is set to
        self._now: Now = now or (lambda: dt.datetime.now(hall_zone))
        self._retry = retry
        self._data_dir = service.data_dir
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._cancel = threading.Event()
        self._job: _SyncJob | None = None
        self._hall_job: _HallJob | None = None
        self._anchors: AnchorSender | None = None
        try:
            self.status: SyncStatus | None = service.sync_status()
        except ApplicationError as exc:
            log.error("could not read the sync status: %s", exc)
            self.status = None
        self.next_run: dt.datetime | None = None
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._on_timer)

    @property
    def time_zone(self) -> str:
        """The hall's zone: its night for the schedule, its days and months for the figures."""
        return self.service.config.time_zone

    @property
    def busy(self) -> bool:
        return self._job is not None

    def start(self) -> None:
        """Arm the schedule (a missed night syncs right away: the catch-up)."""
        if self.configured:
            self._arm()
            self._anchors = self._anchors or start_anchors(  # the head, every few minutes
                self._data_dir, self._make_client,
                self.service.config.head_office.anchor_interval_s)
        self.status_changed.emit(self.status)

    def sync_now(self) -> bool:
        """Start a sync unless one is running or head office is not configured."""
        if self.busy or not self.configured:
            return False
        self._timer.stop()
        self._job = _SyncJob(self._data_dir, self._make_client, self._cancel, self._retry)
        self._job.carrier.finished.connect(self._on_finished)
        self.busy_changed.emit(True)
        self._pool.start(self._job)
        return True

    def fetch_hall(self, month: str | None = None) -> bool:
        """Ask head office for the whole hall's figures (month YYYY-MM, default this month);
        the answer comes as `hall_loaded` or `hall_failed`."""
        if not self.configured or self._hall_job is not None:
            return False
        self._hall_job = _HallJob(self._make_client, month)
        self._hall_job.carrier.finished.connect(self._on_hall)
        self._pool.start(self._hall_job)
        return True

    def _on_hall(self, result: object) -> None:
        self._hall_job = None
        if isinstance(result, dict):
            self.hall_loaded.emit(result)
        else:
            self.hall_failed.emit(str(result))

    def shutdown(self, wait_ms: int = 5000) -> None:
        """Stop between requests and wait a little; a sync cut short resends harmlessly."""
        self._timer.stop()
        self._cancel.set()
        if self._anchors is not None:
            self._anchors.stop()
        self._pool.waitForDone(wait_ms)

    def sync_on_exit(self, bound_s: float) -> SyncStatus | None:
        """One sync on the way out, at most `bound_s` seconds (None: not configured, or cut
        short). It runs on its own thread, which is abandoned at the bound: a dead network or
        a slow head office never holds the exit; what it did not send goes at the next start."""
        if not self.configured:
            return None
        from counter_app.sync.uploader import RetryPolicy  # not loaded before the first sync

        cancel = threading.Event()
        result: list[SyncStatus] = []

        def work() -> None:
            try:
                with self._make_client() as client:
                    result.append(upload_pending(
                        self._data_dir, client, retry=RetryPolicy(attempts=1),
                        cancelled=cancel.is_set, sleep=lambda seconds: None))
            except SyncError as exc:
                result.append(SyncStatus(ok=False, finished_at=utc_now(), error=str(exc),
                                         permanent=True))
            except Exception as exc:  # never let a sync bug stop the exit
                log.warning("exit sync failed: %s", exc)

        worker = threading.Thread(target=work, name="exit-sync", daemon=True)
        worker.start()
        worker.join(bound_s)
        cancel.set()
        if not result:
            log.warning("exit sync did not finish within %.0f s; it goes at the next start",
                        bound_s)
            return None
        try:
            self.status = self.service.record_sync_status(result[0])
        except Exception as exc:
            log.error("could not record the exit sync's status: %s", exc)
        return result[0]

    def _arm(self) -> None:
        """Plan the next sync from the status (once: the backoff's jitter is drawn here)."""
        self.next_run = self.schedule.next_run(self._now(), self.status)
        self._wait()

    def _wait(self) -> None:
        delay_ms = int((self.next_run - self._now()).total_seconds() * 1000) \
            if self.next_run else 0
        self._timer.start(min(max(0, delay_ms), RECHECK_MS))

    def _on_timer(self) -> None:
        if self.next_run is not None and self._now() >= self.next_run:
            self.sync_now()
        else:
            self._wait()  # a long wait is re-checked in steps (the PC may sleep)

    def _on_finished(self, status: SyncStatus) -> None:
        self._job = None
        try:
            self.status = self.service.record_sync_status(status)  # the writer, this thread
        except Exception as exc:  # the status is a convenience; the counter goes on
            log.error("could not record the sync status: %s", exc)
            self.status = status.after(self.status)
        if not self._cancel.is_set():
            self._arm()
        self.busy_changed.emit(False)
        self.status_changed.emit(self.status)
