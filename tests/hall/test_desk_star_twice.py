"""The month's star confirmed by two chains minutes apart (the desk and a counter's hall view,
real hall server and counters): the summary tab says so, naming both, the one that counts
first."""

from __future__ import annotations

import dataclasses

from pytestqt.qtbot import QtBot

from counter_app.application.hall_view import counter_hall_session
from counter_app.ui.manager import ManagerView
from counter_core import periods
from head_office.access import enroll_reader
from tests.hall.support import HALL, wait_for
from tests.hall.test_desk import MANAGER, World, world  # noqa: F401  (the fixture)


def test_a_star_decided_twice_says_so_in_the_summary(qtbot: QtBot, world: World) -> None:  # noqa: F811
    month = periods.today(world.desk_config.time_zone).strftime("%Y-%m")
    desk = world.desk.session(MANAGER)
    desk.desk.confirm_star(month, "1001", None)
    service = world.c1.service
    server = service.config.hall_server
    assert server is not None
    service.config = dataclasses.replace(service.config, hall_server=dataclasses.replace(
        server, reader_token=enroll_reader(world.hall.server.store, HALL)))
    at_counter = counter_hall_session(service.config, service.data_dir, service.db, "9001")
    assert at_counter is not None
    at_counter.desk.confirm_star(month, "1002", None)  # seconds later, another chain
    wait_for(lambda: len(desk.data.star_deciders(month)) == 2, 10.0)  # type: ignore[attr-defined]

    view = ManagerView(desk)
    qtbot.addWidget(view)
    view.show()
    tab = view.summary_tab
    view.tabs.setCurrentWidget(tab)
    tab.month.setCurrentIndex(tab.month.findData(month))
    tab.load()
    text = tab.status.text()
    assert "Decided twice" in text, text
    first, second = text.index("9001"), text.index(MANAGER)
    assert first < second  # the later confirmation (counter 01's) counts and comes first
    assert "1002" in text.splitlines()[0]  # the star that counts
