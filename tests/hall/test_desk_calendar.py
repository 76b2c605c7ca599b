"""The hall view's follow-up deadlines count on head office's working-day calendar as the hall
server has it (real hall server, counters and desk): the desk's puller caches the calendar in
its data folder, and a poor rating's due day moves past the hall's holidays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from counter_app.application.calendar import CALENDAR_FILE
from counter_core import periods
from head_office import cli
from tests.hall.support import wait_for
from tests.hall.test_desk import MANAGER, World, world  # noqa: F401  (the fixture)


def test_the_desks_deadlines_follow_the_hall_servers_calendar(
    world: World, tmp_path: Path  # noqa: F811
) -> None:
    data = world.desk.session(MANAGER).data
    poor = world.cases["c1_poor"]
    before = data.queue_row(poor)
    assert before is not None and before["follow_up_due"] is not None
    # the next 20 days are public holidays at this hall (head office's calendar, at the hall
    # server): the due day moves past them
    today = periods.today(world.desk_config.time_zone)
    days = [today + dt.timedelta(days=n) for n in range(1, 21)]
    by_year: dict[int, list[str]] = {}
    for day in days:
        by_year.setdefault(day.year, []).append(day.isoformat())
    calendar = tmp_path / "calendar.toml"
    calendar.write_text("".join(f"[calendar.{year}]\nholidays = {holidays!r}\n".replace("'", '"')
                                for year, holidays in by_year.items()), encoding="utf-8")
    assert cli.main(["calendar", "set", "--db", world.hall.server.db_url,
                     "--file", str(calendar)]) == 0
    world.desk.close()  # a restart: the puller asks for the calendar at its first pull
    desk = type(world.desk)(world.desk_config, world.desk.data_dir, pull_interval_s=0.2)
    world.desk = desk
    wait_for(lambda: (desk.data_dir / CALENDAR_FILE).exists(), 10.0)
    after = desk.session(MANAGER).data.queue_row(poor)
    assert after is not None
    assert after["follow_up_due"] > days[-1] >= before["follow_up_due"]
