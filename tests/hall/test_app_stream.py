"""The running app streams to its `[hall_server]`: the streamer starts with the app, each
run's status is recorded by the writer (the UI thread) as `hall.*`, presence follows the
counter's phase, and the streamer's threads end when the app finishes."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import httpx

from counter_app.config import Config, HallServer
from counter_app.sync.hall_stream import read_hall_acked_seq, read_hall_status
from counter_app.ui.app import CounterApp
from head_office.access import enroll_desk
from tests.hall.support import HALL, Hall, wait_for
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


def test_the_app_streams_records_its_hall_mark_sends_presence_and_stops(
    qtbot, hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    config = dataclasses.replace(
        demo_config, hall_id=HALL, counter_id="05",
        hall_server=HallServer(hall.server.url, token=hall.server.enroll(HALL, "05")))
    service = CounterService(config, tmp_path / "data", clock=clock)
    desk = enroll_desk(hall.server.store, HALL, "desk")
    try:
        app = CounterApp(service)
        qtbot.addWidget(app.staff_window)
        qtbot.addWidget(app.customer_screen)
        assert app.hall_stream is not None
        assert app.controller.sign_in("1001", "1234") is None
        app.controller.start_transaction()
        head = service.store.last_seq()
        wait_for(lambda: hall.held("05") >= head, 5.0)
        # the status arrives by queued signal and is written on this (the writer's) thread
        qtbot.waitUntil(lambda: read_hall_acked_seq(service.db) >= head, timeout=5000)
        status = read_hall_status(service.db)
        assert status is not None and status.ok

        def phase() -> str | None:
            rows = httpx.get(f"{hall.server.url}/api/v1/hall/presence", timeout=10,
                             headers={"Authorization": f"Bearer {desk}"}).json()["counters"]
            return next((r["phase"] for r in rows if r["counter"] == "05"), None)

        wait_for(lambda: phase() == "serving", 5.0)
        clock.advance(20)
        app.controller.complete_transaction()
        wait_for(lambda: phase() == "rating", 5.0)  # waiting for the customer's rating

        app.finish()
        assert not any(t.name in ("hall-stream", "hall-presence") and t.is_alive()
                       for t in threading.enumerate())
    finally:
        service.close()
