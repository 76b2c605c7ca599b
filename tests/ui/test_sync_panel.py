"""SyncRunner and SyncPanel in Qt: sync runs off the UI thread, the panel shows how it went."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from counter_app.config import Config
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import read_status
from counter_app.sync.uploader import RetryPolicy
from counter_app.ui.sync_panel import HeadOfficePanel, SyncPanel
from counter_app.ui.sync_runner import SyncRunner
from head_office.access import enroll_reader
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer, counter_config, day_drafts


class GatedTransport(httpx.HTTPTransport):
    """A real transport that holds every request until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.waiting.set()
        self.gate.wait(20)
        return super().handle_request(request)


@pytest.fixture
def counter(hq_sqlite: HqServer, demo_config: Config, tmp_path: Path,
            clock: FakeClock, request: pytest.FixtureRequest) -> Iterator[CounterService]:
    name = request.node.name[-20:]
    config = counter_config(demo_config, hq_sqlite.url, hq_sqlite.enroll("SH-0001", name),
                            counter=name,
                            reader_token=enroll_reader(hq_sqlite.store, "SH-0001"))
    service = CounterService(config, tmp_path / "data", clock=clock)
    service.store.append_timed(day_drafts(40))
    yield service
    service.close()


def test_sync_runs_off_the_ui_thread_and_the_panel_reports_it(
    qtbot: QtBot, counter: CounterService, hq_sqlite: HqServer
) -> None:
    transport = GatedTransport()
    config = counter.config
    runner = SyncRunner(counter, make_client=lambda: HeadOfficeClient(
        config.head_office.url or "", config.head_office.token or "", transport=transport))
    panel = SyncPanel(runner)
    qtbot.addWidget(panel)
    assert panel.state.text() == "Not synced yet"

    runner.start()  # never synced: due at once
    qtbot.waitUntil(transport.waiting.is_set, timeout=5000)
    assert runner.busy and not panel.button.isEnabled()
    assert panel.state.text() == "Syncing…"
    # the counter goes on serving while the upload waits on the network
    counter.sign_in("1001", "1234")
    counter.machine.start()
    counter.machine.complete()
    transport.gate.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=10000)

    status = runner.status
    assert status is not None and status.ok, status
    assert read_status(counter.db) == status  # recorded by the main thread's writer
    assert "OK" in panel.state.text()
    assert f"{status.sent} events sent" in panel.detail.text()
    assert panel.button.isEnabled()
    assert runner.next_run is not None and "Next sync:" in panel.next.text()

    # "Sync now" sends what was recorded meanwhile
    with qtbot.waitSignal(runner.status_changed, timeout=10000):
        panel.button.click()
    assert runner.status is not None and runner.status.ok
    assert runner.status.acked_seq == counter.store.last_seq()
    who = hq_sqlite.store.counter(config.hall_id, config.counter_id)
    assert who is not None and who.hw_seq == counter.store.last_seq()
    runner.shutdown()


def test_head_office_down_is_shown_and_retried_later(
    qtbot: QtBot, counter: CounterService
) -> None:
    config = counter.config
    runner = SyncRunner(counter, make_client=lambda: HeadOfficeClient(
        "http://127.0.0.1:9", config.head_office.token or "", timeout=2),
        retry=RetryPolicy(attempts=2, base_s=0.01, cap_s=0.01))
    panel = SyncPanel(runner)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(runner.status_changed, timeout=10000):
        runner.sync_now()
    status = runner.status
    assert status is not None and not status.ok and status.failures == 1
    assert "FAILED" in panel.state.text() and "unreachable" in panel.detail.text()
    assert runner.next_run is not None and runner.next_run > runner._now()
    runner.shutdown()


def test_without_head_office_the_panel_says_so(
    qtbot: QtBot, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    service = CounterService(demo_config, tmp_path / "data", clock=clock)
    try:
        runner = SyncRunner(service)
        panel = SyncPanel(runner)
        qtbot.addWidget(panel)
        runner.start()
        assert not runner.sync_now()
        assert not panel.button.isEnabled()
        assert panel.state.text() == "No head office configured"
    finally:
        service.close()


def column(table: QTableWidget) -> list[str]:
    """The first column's texts."""
    items = [table.item(r, 0) for r in range(table.rowCount())]
    return [item.text() for item in items if item is not None]


def test_head_office_tab_shows_the_whole_hall_after_a_sync(
    qtbot: QtBot, counter: CounterService, hq_sqlite: HqServer
) -> None:
    from tests.helpers.hq import chained

    # another counter of the same hall has synced too
    other = hq_sqlite.enroll("SH-0001", "other-counter")
    with HeadOfficeClient(hq_sqlite.url, other) as client:
        client.upload(chained("SH-0001", "other-counter", day_drafts(10, seed=5)))
    runner = SyncRunner(counter)
    panel = HeadOfficePanel(runner, counter.staff.names())
    qtbot.addWidget(panel)
    with qtbot.waitSignal(runner.status_changed, timeout=10000):
        runner.sync_now()
    month = "2026-11"  # the generated days' month
    with QSignalBlocker(panel.hall.month):
        panel.hall.month.insertItem(0, month)
        panel.hall.month.setCurrentIndex(0)
    with qtbot.waitSignal(runner.hall_loaded, timeout=10000):
        panel.hall.refresh()
    assert {"other-counter", counter.config.counter_id} <= set(column(panel.hall.counters))
    staff = column(panel.hall.staff)
    assert "王芳 (1001)" in staff
    assert "served" in panel.hall.total.text()
    runner.shutdown()


def test_hall_panel_says_when_head_office_does_not_answer(
    qtbot: QtBot, counter: CounterService
) -> None:
    runner = SyncRunner(counter, make_client=lambda: HeadOfficeClient(
        "http://127.0.0.1:9", "t", timeout=2))
    panel = HeadOfficePanel(runner)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(runner.hall_failed, timeout=10000):
        panel.hall.refresh()
    assert "did not answer" in panel.hall.message.text()
    runner.shutdown()


def test_quitting_during_a_backoff_does_not_wait_for_it(
    qtbot: QtBot, counter: CounterService
) -> None:
    import time

    runner = SyncRunner(counter, make_client=lambda: HeadOfficeClient(
        "http://127.0.0.1:9", "t", timeout=2),
        retry=RetryPolicy(attempts=5, base_s=60, cap_s=60))
    runner.sync_now()
    qtbot.wait(300)  # the first try has failed; the job now waits 30–60 s to retry
    assert runner.busy
    started = time.monotonic()
    runner.shutdown(wait_ms=10_000)
    assert time.monotonic() - started < 3


def test_after_tonights_sync_the_runner_waits_for_tomorrows_slot(
    qtbot: QtBot, counter: CounterService
) -> None:
    import datetime as dt

    from counter_app.sync.state import SyncStatus, record_status
    from counter_app.ui.sync_runner import RECHECK_MS

    now = dt.datetime(2026, 11, 10, 9, 0).astimezone()
    record_status(counter.db, SyncStatus(ok=True, finished_at=now.astimezone(
        dt.UTC).isoformat().replace("+00:00", "Z")))
    runner = SyncRunner(counter, now=lambda: now)
    runner.start()
    assert not runner.busy
    slot = runner.schedule.next_slot(now)
    assert runner.next_run == slot and slot.date() == dt.date(2026, 11, 11)
    assert runner._timer.isActive() and runner._timer.interval() == RECHECK_MS
    runner._on_timer()  # a re-check before the slot keeps the plan
    assert runner.next_run == slot and not runner.busy
    now = slot  # the slot comes
    runner._on_timer()
    assert runner.busy
    qtbot.waitUntil(lambda: not runner.busy, timeout=10000)
    assert runner.status is not None and runner.status.ok
    runner.shutdown()
