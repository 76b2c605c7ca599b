"""The desk's alerts with a real hall server (`counter-hq serve`): a counter's presence past
its target raises an overtime alert that shows in the desk's manager view's Alerts tab within
5 s, announced; acknowledging it there records the signed-in manager at the server."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from counter_app.application.hall_view import Desk, stop_counter_pullers
from counter_app.config import Config, HallServer
from counter_app.storage.events import verify
from counter_app.ui.manager import ManagerView
from counter_core.events import ALERT_ACKNOWLEDGED
from head_office.access import enroll_desk, enroll_reader
from tests.hall.support import HALL, Hall, wait_for
from tests.hall.test_desk import MANAGER, PIN, _counter
from tests.helpers.clock import FakeClock

COUNTER = "01"
WITHIN_S = 5.0


@pytest.fixture
def desk(hall: Hall, demo_config: Config, tmp_path: Path) -> Iterator[tuple[Desk, str]]:
    token = enroll_desk(hall.server.store, HALL, "desk")
    config = dataclasses.replace(
        demo_config,
        hall_id=HALL,
        counter_id="desk",
        hall_server=HallServer(hall.server.url, token=token),
    )
    where = Desk(config, tmp_path / "desk", pull_interval_s=0.2)
    where.staff.add(MANAGER, "赵主任", "manager", PIN)
    try:
        yield where, token
    finally:
        where.close()


def server_alerts(hall: Hall, token: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{hall.server.url}/api/v1/hall/alerts",
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["alerts"]
    return rows


def test_an_overtime_shows_in_the_desks_alerts_tab_within_5_s_and_is_acknowledged_there(
    qtbot: QtBot, hall: Hall, desk: tuple[Desk, str]
) -> None:
    where, token = desk
    view = ManagerView(where.session(MANAGER))
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    tab = view.alerts_tab
    assert tab is not None and view.tabs.indexOf(tab) == 1  # after the board
    assert tab.feed.can_ack
    sounds: list[float] = []
    tab.sound = lambda: sounds.append(time.monotonic())
    view.tabs.setCurrentWidget(tab)

    counter = hall.server.enroll(HALL, COUNTER)
    answer = httpx.post(
        f"{hall.server.url}/api/v1/presence",
        timeout=10,
        headers={"Authorization": f"Bearer {counter}"},
        json={
            "phase": "serving",
            "txn": str(uuid.uuid4()),
            "staff": "1001",
            "started_at": "2026-12-01T01:00:00.000Z",
            "elapsed_s": 200.0,
            "target_s": 175.0,
        },
    )
    assert answer.status_code == 200, answer.text
    posted = time.monotonic()
    qtbot.waitUntil(
        lambda: any(a.kind == "overtime" for a in tab.alerts), timeout=int(WITHIN_S * 1000)
    )
    assert time.monotonic() - posted < WITHIN_S
    (alert,) = tab.alerts
    assert alert.counter == COUNTER and not alert.acknowledged
    assert tab.table.item(0, 1).text() == "Overtime"
    assert "1001" in tab.table.item(0, 3).text()
    assert tab.table.item(0, 0).font().bold()
    qtbot.waitUntil(lambda: bool(sounds), timeout=2000)
    assert tab.banner.isVisible() and alert.text in tab.banner.text()  # no tray offscreen

    tab.table.selectRow(0)
    assert tab.ack_button.isEnabled()
    tab.ack_button.click()
    qtbot.waitUntil(lambda: tab.alerts[0].acknowledged, timeout=5000)
    assert not tab.table.item(0, 0).font().bold()
    assert not tab.banner.isVisible()
    # an event of the desk's own chain, which still verifies
    (ack,) = [e for e in where.store.events() if e.kind == ALERT_ACKNOWLEDGED]
    assert ack.counter == "desk"
    assert ack.payload == {
        "alert": alert.id,
        "alert_kind": "overtime",
        "counter": COUNTER,
        "txn": alert.txn,
        "by": MANAGER,
    }
    assert verify(where.db).ok, verify(where.db)

    # streamed to the hall server, which marks the alert when it ingests the event
    def acked_at_server() -> dict[str, Any] | None:
        found = [a for a in server_alerts(hall, token) if a["id"] == alert.id]
        return found[0] if found and found[0]["acknowledged_by"] else None

    wait_for(lambda: acked_at_server() is not None, WITHIN_S)
    stored = acked_at_server()
    assert stored is not None
    assert stored["acknowledged_by"] == MANAGER
    assert stored["acknowledged_at"] == ack.at
    assert stored["acknowledged_desk"] == "desk"
    assert stored["acknowledged_at"]
    assert MANAGER in tab.table.item(0, 5).text()
    tab.stop()
    if view.board is not None:
        view.board.stop()


def test_a_manager_at_a_counter_acknowledges_in_the_counters_own_chain(
    qtbot: QtBot, hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    """The hall view at a counter (`[hall_server]` with the hall's reader token): its Alerts
    tab acknowledges too, as an event of the counter's own chain, streamed to the hall server."""
    counter = _counter(hall, demo_config, tmp_path, COUNTER, clock)
    view: ManagerView | None = None
    try:
        service = counter.service
        server = service.config.hall_server
        assert server is not None
        service.config = dataclasses.replace(service.config, hall_server=dataclasses.replace(
            server, reader_token=enroll_reader(hall.server.store, HALL)))
        view = ManagerView(service.manager("9001"))  # what the staff window opens
        qtbot.addWidget(view)
        view.resize(800, 600)
        view.show()
        tab = view.alerts_tab
        assert tab is not None and tab.feed.can_ack
        tab.sound = lambda: None
        view.tabs.setCurrentWidget(tab)
        answer = httpx.post(
            f"{hall.server.url}/api/v1/presence",
            timeout=10, headers={"Authorization": f"Bearer {server.token}"},
            json={"phase": "serving", "txn": str(uuid.uuid4()), "staff": "1001",
                  "started_at": "2026-12-01T01:00:00.000Z", "elapsed_s": 200.0,
                  "target_s": 175.0})
        assert answer.status_code == 200, answer.text
        qtbot.waitUntil(lambda: any(a.kind == "overtime" for a in tab.alerts),
                        timeout=int(WITHIN_S * 1000))
        tab.table.selectRow(0)
        assert tab.ack_button.isEnabled()
        tab.ack_button.click()
        qtbot.waitUntil(lambda: tab.alerts[0].acknowledged, timeout=5000)
        alert = tab.alerts[0]
        (ack,) = [e for e in service.store.events() if e.kind == ALERT_ACKNOWLEDGED]
        assert ack.counter == COUNTER and ack.payload["by"] == "9001"
        assert ack.payload["alert"] == alert.id
        assert verify(service.db).ok
        desk_token = enroll_desk(hall.server.store, HALL, "desk")

        def acked_at_server() -> dict[str, Any] | None:
            found = [a for a in server_alerts(hall, desk_token) if a["id"] == alert.id]
            return found[0] if found and found[0]["acknowledged_by"] else None

        wait_for(lambda: acked_at_server() is not None, WITHIN_S)
        stored = acked_at_server()
        assert stored is not None and stored["acknowledged_by"] == "9001"
        assert stored["acknowledged_desk"] == COUNTER
        tab.stop()
        if view.board is not None:
            view.board.stop()
    finally:
        if view is not None:  # as the staff window closes it: before the counter closes
            view.close()
        stop_counter_pullers()
        counter.streamer.stop()
        counter.service.close()
