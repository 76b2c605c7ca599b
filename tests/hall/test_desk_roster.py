"""The manager desk under `[roster] managed_by = "hall_server"`, with a real hall server: the
desk caches the hall's roster as a counter does, so a clerk of any counter is shown by name in
the hall view and the hall's manager signs in at the desk; with the hall server gone, a
restarted desk still has the names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from counter_app.application.hall_view import Desk
from counter_app.config import Config, HallServer
from head_office.access import enroll_desk
from tests.hall.support import HALL, Hall, wait_for
from tests.hall.test_roster import CLERK, MANAGER, MANAGER_PIN, add_staff, roster  # noqa: F401


def desk_config(hall: Hall, demo_config: Config, url: str | None = None) -> Config:
    return dataclasses.replace(
        demo_config, hall_id=HALL, counter_id="desk", roster_managed_by="hall_server",
        hall_server=HallServer(url or hall.server.url,
                               token=enroll_desk(hall.server.store, HALL, "desk")))


def test_the_desk_names_every_clerk_of_the_hall_and_keeps_the_names_offline(
    roster: Hall, demo_config: Config, tmp_path: Path  # noqa: F811
) -> None:
    config = desk_config(roster, demo_config)
    desk = Desk(config, tmp_path / "desk", pull_interval_s=0.2)
    try:
        def named() -> bool:
            desk.record_statuses()  # what the window's timer does every second
            return desk.session(MANAGER).data.staff_names().get(CLERK) == "王芳"

        wait_for(named, 10.0)
        assert desk.sign_in(MANAGER, MANAGER_PIN).number == MANAGER  # the hall's manager
    finally:
        desk.close()
    # the hall server out of reach: a restarted desk still names the clerk from its cache
    offline = dataclasses.replace(config, hall_server=dataclasses.replace(
        config.hall_server, url="http://127.0.0.1:9"))  # type: ignore[arg-type]
    again = Desk(offline, tmp_path / "desk", pull_interval_s=0.2)
    try:
        assert again.session(MANAGER).data.staff_names().get(CLERK) == "王芳"
        assert again.sign_in(MANAGER, MANAGER_PIN).number == MANAGER
    finally:
        again.close()
