"""Appeals (申诉) decided at the manager desk, with real processes (the hall server, two
counters streaming to it, a desk mirroring the hall): a clerk appeals a poor rating of an
earlier day at their counter, the desk sees it and decides it into the desk's own chain, the
decision reaches the hall server and comes back in the mirror; no manager decides their own
appeal; two chains deciding one appeal: the later wins, minutes apart it is flagged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from counter_app.application.errors import InvalidDecision
from counter_app.application.hall_view import HallMirrorData, counter_hall_session
from counter_app.storage.events import verify
from counter_core import periods
from counter_core.events import APPEAL_DECIDED
from head_office.access import enroll_reader
from tests.hall.support import HALL, wait_for
from tests.hall.test_desk import MANAGER, PIN, World, world  # noqa: F401  (the fixture)
from tests.ui.test_appeals import _served


def appeal_row(data: HallMirrorData, txn: str) -> dict[str, Any] | None:
    return next((r for r in data.appeal_queue() if r["txn"] == txn), None)


def desk_decisions(hall_world: World) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in hall_world.desk.db.execute(
        "SELECT payload FROM events WHERE kind = ? ORDER BY seq", [APPEAL_DECIDED])]


def appealed_yesterday(hall_world: World, staff: str, txn: str, rating: int = 1) -> None:
    """`staff` served `txn` yesterday at counter 02, rated `rating`, and appeals it today."""
    service = hall_world.c2.service
    tz = service.config.time_zone
    yesterday = periods.today(tz) - dt.timedelta(days=1)
    service.store.append_timed(_served(txn, staff, yesterday, rating, tz))
    if service.machine.staff is not None:
        service.sign_out()
    service.sign_in(staff, PIN if staff == MANAGER else
                    ("999999" if staff == "9001" else "1234"))
    service.appeal(txn, "system_fault", "")
    service.sign_out()


def test_the_desk_decides_a_counters_appeal_into_its_own_chain(world: World) -> None:  # noqa: F811
    upheld, rejected = "appeal-upheld", "appeal-rejected"
    appealed_yesterday(world, "1002", upheld)
    appealed_yesterday(world, "1002", rejected, rating=2)
    session = world.desk.session(MANAGER)
    wait_for(lambda: all(appeal_row(session.data, t) is not None for t in (upheld, rejected)),
             10.0)
    assert appeal_row(session.data, upheld)["appeal_upheld"] is None  # type: ignore[index]

    held_before = world.hall.held("desk")
    session.desk.decide_appeal(upheld, upheld=True, note="系统故障属实")
    session.desk.decide_appeal(rejected, upheld=False, note="评价属实")
    # two events of the desk's own chain, naming the transactions
    assert [(d["txn"], d["upheld"], d["by"]) for d in desk_decisions(world)] == [
        (upheld, True, MANAGER), (rejected, False, MANAGER)]
    assert verify(world.desk.db).ok, verify(world.desk.db)
    # streamed to the hall server, and back in the mirror
    wait_for(lambda: world.hall.held("desk") >= held_before + 2, 5.0)

    def decided() -> bool:
        rows = [appeal_row(session.data, t) or {} for t in (upheld, rejected)]
        return [r.get("appeal_upheld") for r in rows] == [1, 0]

    wait_for(decided, 10.0)
    row = appeal_row(session.data, upheld)
    assert row is not None and row["appeal_decided_by"] == MANAGER
    assert not row["decided_twice"]


def test_no_manager_decides_their_own_appeal_at_the_desk(world: World) -> None:  # noqa: F811
    txn = "appeal-own"
    appealed_yesterday(world, "9001", txn, rating=2)  # the counter's manager, as a clerk
    world.desk.staff.add("9001", "钱经理", "manager", "999999")
    own = world.desk.session("9001")
    wait_for(lambda: appeal_row(own.data, txn) is not None, 10.0)
    with pytest.raises(InvalidDecision, match="own"):
        own.desk.decide_appeal(txn, upheld=True, note="")
    assert desk_decisions(world) == []  # nothing recorded
    # another manager may
    world.desk.session(MANAGER).desk.decide_appeal(txn, upheld=False, note="评价属实")
    assert [d["by"] for d in desk_decisions(world)] == [MANAGER]


def test_two_chains_deciding_one_appeal_the_later_wins_and_is_flagged(world: World) -> None:  # noqa: F811
    txn = "appeal-twice"
    appealed_yesterday(world, "1002", txn)
    desk = world.desk.session(MANAGER)
    wait_for(lambda: appeal_row(desk.data, txn) is not None, 10.0)
    desk.desk.decide_appeal(txn, upheld=True, note="")
    # the duty manager at counter 01, with the hall's reader token: its own hall view
    service = world.c1.service
    server = service.config.hall_server
    assert server is not None
    reader = enroll_reader(world.hall.server.store, HALL)
    service.config = dataclasses.replace(
        service.config, hall_server=dataclasses.replace(server, reader_token=reader))
    at_counter = counter_hall_session(service.config, service.data_dir, service.db, "9001")
    assert at_counter is not None
    wait_for(lambda: (appeal_row(at_counter.data, txn) or {}).get("appeal_upheld") == 1, 10.0)
    at_counter.desk.decide_appeal(txn, upheld=False, note="复核后维持差评")  # seconds later

    def settled() -> bool:
        row = appeal_row(desk.data, txn) or {}
        return row.get("appeal_upheld") == 0 and bool(row.get("decided_twice"))

    wait_for(settled, 10.0)
    row = appeal_row(desk.data, txn)
    assert row is not None and row["appeal_decided_by"] == "9001"
    (who,) = row["decided_by"]
    assert [(w["counter"], w["manager"]) for w in who] == [("01", "9001"), ("desk", MANAGER)]
    assert verify(service.db).ok and verify(world.desk.db).ok
