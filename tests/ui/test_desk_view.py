"""The manager desk's window (pytest-qt, offscreen): a manager signs in at the desk and the
manager view, at the desk's default size, shows both counters' rows from the hall mirror; a
wrong PIN is refused in words; the "decided twice" flag shows in the row."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from counter_app.application.hall_view import Desk, hall_session
from counter_app.config import Config, HallServer
from counter_app.storage.mirror import open_mirror_readonly
from counter_app.ui.desk import DEFAULT_SIZE, DeskWindow
from counter_app.ui.manager import ManagerView
from head_office.access import enroll_desk
from tests.hall.support import HALL, Hall, wait_for
from tests.hall.test_desk import MANAGER, PIN, Counter, _counter, serve
from tests.helpers.clock import FakeClock


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    where = Hall(tmp_path)
    try:
        yield where
    finally:
        where.server.close()


@pytest.fixture
def desk_world(
    hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> Iterator[tuple[Desk, list[str], list[Counter]]]:
    counters = [_counter(hall, demo_config, tmp_path, name, clock) for name in ("01", "02")]
    txns = [
        serve(counters[0], clock, "1001", seconds=400, rating=5),
        serve(counters[1], clock, "1001", seconds=30, rating=1),
    ]
    config = dataclasses.replace(
        demo_config,
        hall_id=HALL,
        counter_id="desk",
        hall_server=HallServer(hall.server.url, token=enroll_desk(hall.server.store, HALL, "desk")),
    )
    desk = Desk(config, tmp_path / "desk", pull_interval_s=0.2)
    desk.staff.add(MANAGER, "赵主任", "manager", PIN)
    try:
        data = desk.session(MANAGER).data
        wait_for(lambda: all(data.queue_row(t) is not None for t in txns), 15.0)
        yield desk, txns, counters
    finally:
        desk.close()
        for c in counters:
            c.streamer.stop()
            c.service.close()


def test_the_desk_signs_a_manager_in_and_shows_both_counters_rows_at_its_default_size(
    qtbot,
    desk_world: tuple[Desk, list[str], list[Counter]],  # type: ignore[no-untyped-def]
) -> None:
    desk, txns, _ = desk_world
    window = DeskWindow(desk)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert (window.width(), window.height()) == DEFAULT_SIZE

    qtbot.waitUntil(lambda: "up to date" in window.hall_status.text(), timeout=5000)
    window.number.setText(MANAGER)
    window.pin.setText("000000")
    assert not window.sign_in()
    assert window.message.text() and window.manager_view is None

    window.number.setText(MANAGER)
    window.pin.setText(PIN)
    assert window.sign_in()
    view = window.manager_view
    assert isinstance(view, ManagerView) and view.hall_view
    assert view.isVisible() and window.stack.currentWidget() is view
    title = view.title.text()
    assert desk.config.hall_name in title and "%" not in title and "counter 03" not in title
    # the hall view opens on the hall board: a tile for each counter of the hall
    assert view.board is not None and view.tabs.widget(0) is view.board
    assert view.tabs.currentWidget() is view.board
    qtbot.waitUntil(lambda: {"01", "02"} <= set(view.board.counters()), timeout=10000)
    view.tabs.setCurrentWidget(view.review_tab)
    model = view.review_tab.model
    assert {r.txn for r in model.rows} == set(txns)
    counter_column = model.COLUMNS.index("counter")
    shown = {
        model.data(model.index(i, counter_column), Qt.ItemDataRole.DisplayRole)
        for i in range(model.rowCount())
    }
    assert shown == {"01", "02"}
    # the review table fits the view at the default size: no column off to the right unseen
    table = view.review_tab.table
    assert table.isVisible() and table.viewport().width() > 600


def test_a_case_decided_twice_says_so_in_its_row(
    qtbot,
    desk_world: tuple[Desk, list[str], list[Counter]],  # type: ignore[no-untyped-def]
) -> None:
    desk, txns, counters = desk_world
    session = desk.session(MANAGER)
    view = ManagerView(session)
    qtbot.addWidget(view)
    view.show()
    view.tabs.setCurrentWidget(view.review_tab)  # past the hall board, its first tab
    txn = txns[0]
    session.desk.review_overtime(txn, "system", "")
    # a second chain (counter 02's manager, the same case, seconds later)
    other = counters[1].service
    second = hall_session(
        other.config, other.db, HALL, "02", "9001", open_mirror_readonly(desk.mirror_path)
    )
    second.desk.review_overtime(txn, "complex_request", "")
    wait_for(lambda: bool((session.data.queue_row(txn) or {}).get("decided_twice")), 10.0)
    # the visible view refreshes by itself when the mirror brings new records
    model = view.review_tab.model
    status = model.COLUMNS.index("status")

    def flagged() -> bool:
        row = model.row_of(txn)
        return row is not None and "decided twice" in str(
            model.data(model.index(row, status), Qt.ItemDataRole.DisplayRole)
        )

    qtbot.waitUntil(flagged, timeout=10000)
    row = model.row_of(txn)
    assert row is not None
    tip = model.data(model.index(row, status), Qt.ItemDataRole.ToolTipRole)
    assert MANAGER in tip and "9001" in tip


def test_a_hall_server_out_of_reach_is_said_in_the_window(
    qtbot,
    demo_config: Config,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    config = dataclasses.replace(
        demo_config,
        hall_id=HALL,
        counter_id="desk",
        hall_server=HallServer("http://127.0.0.1:9", token="t"),
    )
    desk = Desk(config, tmp_path / "desk", pull_interval_s=0.2)
    try:
        window = DeskWindow(desk)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: "cannot be reached" in window.hall_status.text(), timeout=5000)
    finally:
        desk.close()
