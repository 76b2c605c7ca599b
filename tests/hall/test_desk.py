"""The manager desk and the hall view, with real processes: a real `counter-hq serve` as the
hall server, two counters' data folders streaming real events to it (the HallStreamer), and a
desk (its own data folder and chain) mirroring the whole hall.

The review queue, KPIs and monthly summary cover both counters (a clerk who worked at both is
one row, the star rule's hall mean is the hall's); a decision at the desk is an event of the
desk's chain, reaches the hall server and comes back in the mirror; when two chains decide one
case the later wins and, minutes apart, the case is flagged "decided twice"; a manager at a
counter with [hall_server] sees the same hall view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from counter_app.application.errors import CannotOpen, InvalidDecision
from counter_app.application.hall_view import (
    Desk,
    HallMirrorData,
    NotADesk,
    counter_hall_session,
    stop_counter_pullers,
)
from counter_app.application.manager import LocalManagerData
from counter_app.application.sync import start_streaming
from counter_app.config import Config, HallServer
from counter_app.storage.events import verify
from counter_app.sync.hall_stream import HallStreamer
from counter_app.sync.state import SyncStatus
from counter_core import periods
from counter_core.events import CASES_HANDED_OVER, OVERTIME_REVIEWED
from head_office import schema
from head_office.access import enroll_desk, enroll_reader
from tests.hall.support import HALL, Hall, wait_for
from tests.helpers.clock import FakeClock, clear_of_midnight
from tests.helpers.counter import CounterService

MANAGER, PIN = "8001", "246810"


@dataclass
class Counter:
    service: CounterService
    streamer: HallStreamer
    statuses: queue.Queue[SyncStatus]


def _counter(hall: Hall, base: Config, folder: Path, name: str, clock: FakeClock) -> Counter:
    config = dataclasses.replace(
        base,
        hall_id=HALL,
        counter_id=name,
        hall_server=HallServer(hall.server.url, token=hall.server.enroll(HALL, name)),
    )
    service = CounterService(config, folder / f"counter-{name}", clock=clock)
    statuses: queue.Queue[SyncStatus] = queue.Queue()
    streamer = start_streaming(service.data_dir, config, record=statuses.put)
    assert streamer is not None
    return Counter(service, streamer, statuses)


def serve(counter: Counter, clock: FakeClock, staff: str, *, seconds: float, rating: int) -> str:
    """One transaction by `staff`: `seconds` long, rated `rating`; its id."""
    service = counter.service
    if service.machine.staff is None or service.machine.staff.number != staff:
        if service.machine.staff is not None:
            service.sign_out()
        service.sign_in(staff, "1234")
    service.start_transaction()
    running = service.machine.running
    assert running is not None
    txn = running.txn
    clock.advance(seconds)
    service.complete()
    service.rate(rating)
    clock.advance(31)
    service.expire()  # the rating window (and a poor rating's reasons) ends
    if service.machine.overtime_reason_for:
        service.give_overtime_reason("complex")
    return txn


@dataclass
class World:
    hall: Hall
    c1: Counter
    c2: Counter
    desk: Desk
    desk_config: Config
    cases: dict[str, str]

    def mirrored(self) -> bool:
        """Every case in the desk's mirror, and every rating of both counters: the cases
        alone arrived before the last transaction's rating now and then under load, and the
        hall's mean then read 3.0 instead of 3.4."""
        data = self.desk.session(MANAGER).data
        if not all(data.queue_row(t) is not None for t in self.cases.values()):
            return False
        day = served_day(self)
        tz = self.desk_config.time_zone
        rated = sum(LocalManagerData(c.service.db, tz).kpi_report(day, day).kpis.rated
                    for c in (self.c1, self.c2))
        return data.kpi_report(day, day).kpis.rated == rated


@pytest.fixture
def world(hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    c1 = _counter(hall, demo_config, tmp_path, "01", clock)
    c2 = _counter(hall, demo_config, tmp_path, "02", clock)
    desk_config = dataclasses.replace(
        demo_config,
        hall_id=HALL,
        counter_id="desk",
        hall_server=HallServer(hall.server.url, token=enroll_desk(hall.server.store, HALL, "desk")),
    )
    desk = Desk(desk_config, tmp_path / "desk", pull_interval_s=0.2)
    desk.staff.add(MANAGER, "赵主任", "manager", PIN)
    clear_of_midnight([desk_config.time_zone])  # the hall fixture's start took a while
    try:
        # 1001 works at both counters; 1002 at counter 02 only
        cases = {
            "c1_over": serve(c1, clock, "1001", seconds=400, rating=5),  # overtime
            "c1_poor": serve(c1, clock, "1001", seconds=60, rating=1),  # poor rating
            "c2_over": serve(c2, clock, "1001", seconds=500, rating=4),
            "c2_poor": serve(c2, clock, "1002", seconds=90, rating=2),
        }
        serve(c2, clock, "1002", seconds=100, rating=5)
        for c in (c1, c2):
            c.service.sign_out()
        world = World(hall, c1, c2, desk, desk_config, cases)
        wait_for(world.mirrored, 15.0)
        yield world
    finally:
        desk.close()
        stop_counter_pullers()
        for c in (c1, c2):
            c.streamer.stop()
            c.service.close()


def served_day(world: World) -> dt.date:
    """The hall's local day the world's transactions started on (not "today" when the test
    asserts: that may already be the next day)."""
    tz = world.desk_config.time_zone
    days = {periods.local_date(at, tz) for c in (world.c1, world.c2)
            for (at,) in c.service.db.execute("SELECT started_at FROM transactions")}
    assert len(days) == 1, days
    return days.pop()


def today(world: World) -> tuple[dt.date, dt.date]:
    """The period of one day that holds the world's transactions."""
    day = served_day(world)
    return day, day


def test_the_desk_sees_every_counter_of_the_hall_a_clerk_at_two_counters_is_one_row(
    world: World,
) -> None:
    session = world.desk.session(MANAGER)
    data = session.data
    assert isinstance(data, HallMirrorData)
    first, last = today(world)
    queue_rows = data.review_queue(first, last)
    assert {r["txn"] for r in queue_rows} == set(world.cases.values())
    assert {r["counter"] for r in queue_rows} == {"01", "02"}
    assert not any(r["decided_twice"] for r in queue_rows)
    assert sorted(data.staff_in_transactions()) == ["1001", "1002"]
    assert data.counters() == ["01", "02"]

    # KPIs: the hall's five transactions, the sum of the two counters' own figures
    kpis = data.kpi_report(first, last)
    own = [
        LocalManagerData(c.service.db, world.desk_config.time_zone).kpi_report(first, last)
        for c in (world.c1, world.c2)
    ]
    assert kpis.kpis.served == 5 == sum(k.kpis.served for k in own)
    assert kpis.kpis.overtime == 2

    # the monthly summary: 1001 once, with both counters' work; the hall mean is the hall's
    month = served_day(world).strftime("%Y-%m")
    report = data.month_report(month)
    rows = {s.staff: s for s in report.staff}
    assert set(rows) == {"1001", "1002"}
    assert rows["1001"].served == 3 and rows["1002"].served == 2
    assert report.suggestion.hall_mean == pytest.approx((5 + 1 + 4 + 2 + 5) / 5)
    one_counter = LocalManagerData(world.c1.service.db, world.desk_config.time_zone)
    assert one_counter.month_report(month).suggestion.hall_mean == pytest.approx(3.0)
    # names are not in the events: the desk's own staff table gives them where it has them
    assert "1001" not in report.names
    world.desk.staff.add("1001", "王芳", "staff", "1234", by=MANAGER)
    assert data.month_report(month).names["1001"] == "王芳"


def test_a_decision_at_the_desk_is_a_desk_event_that_reaches_the_hall_and_the_mirror(
    world: World,
) -> None:
    session = world.desk.session(MANAGER)
    txn = world.cases["c1_over"]
    session.desk.review_overtime(txn, "complex_request", "long file")
    # an event of the desk's own chain, naming the transaction by its id
    mine = [e for e in world.desk.store.events() if e.kind == OVERTIME_REVIEWED]
    assert [(e.counter, e.payload["txn"]) for e in mine] == [("desk", txn)]
    # the desk's chain reaches the hall server, which joins it to counter 01's transaction
    wait_for(lambda: world.hall.held("desk") >= world.desk.store.last_seq(), 5.0)
    with world.hall.server.store.engine.connect() as conn:
        cause = conn.execute(
            sa.select(schema.transactions.c.review_cause).where(schema.transactions.c.txn == txn)
        ).scalar_one()
    assert cause == "complex_request"
    # and comes back through the mirror
    wait_for(lambda: (session.data.queue_row(txn) or {}).get("cause") == "complex_request", 5.0)
    row = session.data.queue_row(txn)
    assert row is not None and row["reviewed_by"] == MANAGER and not row["decided_twice"]
    assert session.data.unreviewed_counts() == (1, 2)
    # a poor rating of counter 02 and the star of the month, decided at the desk, too
    session.desk.follow_up_rating(
        world.cases["c2_poor"], called_back=True, cause="attitude", resolved=True, note=""
    )
    month = served_day(world).strftime("%Y-%m")
    session.desk.confirm_star(month, "1002", 4.2)
    wait_for(lambda: (session.data.confirmed_star(month) or {}).get("staff") == "1002", 5.0)
    wait_for(lambda: session.data.unreviewed_counts() == (1, 1), 5.0)


def test_one_cause_for_a_window_at_the_desk_covers_every_counters_cases_and_hands_over(
    world: World,
) -> None:
    """The outage form at the desk: every overtime case of the window, whichever counter
    served it (the desk's own chain holds none), one cause in one commit of the desk's chain;
    the open cases handed over to the next shift's manager, too."""
    session = world.desk.session(MANAGER)
    overtime = [world.cases["c1_over"], world.cases["c2_over"]]
    started = sorted(str((session.data.queue_row(t) or {})["started_at"]) for t in overtime)
    start = started[0]
    end = periods.format_utc(periods.parse_utc(started[-1]) + dt.timedelta(seconds=1))
    bulk = session.desk.review_overtime_window(start, end, "system", "business system down")
    assert sorted(d.payload["txn"] for d in bulk.drafts) == sorted(overtime)
    mine = [e for e in world.desk.store.events() if e.kind == OVERTIME_REVIEWED]
    assert sorted(e.payload["txn"] for e in mine) == sorted(overtime)
    assert {e.counter for e in mine} == {"desk"}
    # the hall server joins both to their counters' transactions, and the mirror says so
    wait_for(lambda: world.hall.held("desk") >= world.desk.store.last_seq(), 5.0)
    with world.hall.server.store.engine.connect() as conn:
        causes = dict(conn.execute(
            sa.select(schema.transactions.c.txn, schema.transactions.c.review_cause)
            .where(schema.transactions.c.txn.in_(overtime))).all())
    assert causes == {txn: "system" for txn in overtime}
    wait_for(lambda: all((session.data.queue_row(t) or {}).get("cause") == "system"
                         for t in overtime), 5.0)
    # a window with no case left to decide is refused in words, recording nothing
    seq = world.desk.store.last_seq()
    with pytest.raises(InvalidDecision, match="no overtime case"):
        session.desk.review_overtime_window(end, periods.format_utc(
            periods.parse_utc(end) + dt.timedelta(seconds=1)), "system", "")
    assert world.desk.store.last_seq() == seq
    # the poor ratings still open go to the next shift's manager, as one desk event
    session.desk.hand_over([world.cases["c1_poor"], world.cases["c2_poor"]], "8002", "night")
    (handed,) = [e for e in world.desk.store.events() if e.kind == CASES_HANDED_OVER]
    assert handed.payload["txns"] == [world.cases["c1_poor"], world.cases["c2_poor"]]
    assert handed.payload["to"] == "8002" and handed.counter == "desk"


def test_two_chains_deciding_one_case_the_later_wins_and_minutes_apart_is_flagged(
    world: World,
) -> None:
    txn = world.cases["c2_over"]
    desk = world.desk.session(MANAGER)
    desk.desk.review_overtime(txn, "system", "the system was slow")
    wait_for(lambda: (desk.data.queue_row(txn) or {}).get("cause") == "system", 5.0)

    # the duty manager at counter 01 (a counter with [hall_server]) decides it too, seconds
    # later, into counter 01's own chain
    service = world.c1.service
    # without the hall's reader token the counter's own token reads its own status only: the
    # manager view stays the counter's own
    assert counter_hall_session(service.config, service.data_dir, service.db, "9001") is None
    server = service.config.hall_server
    assert server is not None
    reader = enroll_reader(world.hall.server.store, HALL)
    service.config = dataclasses.replace(
        service.config, hall_server=dataclasses.replace(server, reader_token=reader)
    )
    session = service.manager("9001")  # what the staff window opens
    assert isinstance(session.data, HallMirrorData)
    at_counter = counter_hall_session(service.config, service.data_dir, service.db, "9001")
    assert at_counter is not None and isinstance(at_counter.data, HallMirrorData)
    wait_for(lambda: at_counter.data.queue_row(txn) is not None, 10.0)
    first, last = today(world)
    # the same hall view at the counter: both counters' cases
    assert {r["counter"] for r in at_counter.data.review_queue(first, last)} == {"01", "02"}
    at_counter.desk.review_overtime(txn, "missing_documents", "no ID card")
    assert any(
        e.kind == OVERTIME_REVIEWED and e.payload["txn"] == txn for e in service.store.events()
    )

    def settled() -> bool:
        row = desk.data.queue_row(txn) or {}
        return row.get("cause") == "missing_documents" and bool(row.get("decided_twice"))

    wait_for(settled, 10.0)  # the later wins, and the two were minutes (seconds) apart
    row = desk.data.queue_row(txn)
    assert row is not None and row["reviewed_by"] == "9001"
    (who,) = row["decided_by"]
    assert [(w["counter"], w["manager"]) for w in who] == [("01", "9001"), ("desk", MANAGER)]
    # the counter's own mirror agrees
    wait_for(lambda: bool((at_counter.data.queue_row(txn) or {}).get("decided_twice")), 10.0)
    assert (at_counter.data.queue_row(txn) or {})["cause"] == "missing_documents"
    # both chains still verify: another chain's case is decided in the log, shown by the mirror
    assert verify(service.db).ok, verify(service.db)
    assert verify(world.desk.db).ok, verify(world.desk.db)


def test_a_desk_needs_a_hall_server_and_a_folder_of_its_own(
    world: World, demo_config: Config, tmp_path: Path
) -> None:
    with pytest.raises(NotADesk, match=r"\[hall_server\]"):
        Desk(dataclasses.replace(demo_config, hall_server=None), tmp_path / "nowhere")
    # a counter's data folder (it holds transactions) is never taken for a desk's
    world.c1.streamer.stop()
    service = world.c1.service
    folder = service.data_dir
    service.close()
    config = dataclasses.replace(world.desk_config, counter_id="01")
    with pytest.raises(CannotOpen, match="counter's data folder"):
        Desk(config, folder)
    # the mirror holds the whole hall's records: its owner's only
    assert world.desk.mirror_path.stat().st_mode & 0o077 == 0
    # the desk records what its folder is
    assert (
        world.desk.db.execute("SELECT value FROM meta WHERE key = 'folder.kind'").fetchone()[0]
        == "desk"
    )


def test_the_hall_events_route_is_for_the_halls_reader_and_desks_only(world: World) -> None:
    url = f"{world.hall.server.url}/api/v1/hall/events"
    token = world.desk_config.hall_server.token  # type: ignore[union-attr]
    ok = httpx.get(
        url,
        params={"counter": "01", "after": 0, "limit": 3},
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200, ok.text
    page = ok.json()
    assert [e["seq"] for e in page["events"]] == [1, 2, 3] and page["more"] is True
    assert page["next_after"] == 3
    counter_token = world.c1.service.config.hall_server.token  # type: ignore[union-attr]
    refused = httpx.get(
        url,
        params={"counter": "01"},
        timeout=10,
        headers={"Authorization": f"Bearer {counter_token}"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    unknown = httpx.get(
        url, params={"counter": "99"}, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert unknown.status_code == 404 and set(unknown.json()) == {"detail", "code", "seq"}
    bad = httpx.get(
        url,
        params={"counter": "01", "after": -1},
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 400 and "detail" in bad.json()


def test_a_decision_that_arrives_before_its_transaction_is_applied_when_it_comes(
    tmp_path: Path,
) -> None:
    from counter_app.storage.mirror import HallMirror, decided_twice, open_mirror
    from counter_core.transaction import Draft
    from tests.helpers.hq import chained

    txn = "6f1c8a52-0000-4000-8000-000000000001"
    counter = chained(
        HALL,
        "01",
        [
            ("2026-11-02T01:00:00.000Z", Draft("signed_in", {"staff": "1001", "role": "staff"})),
            (
                "2026-11-02T01:00:05.000Z",
                Draft(
                    "started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180.0}
                ),
            ),
            (
                "2026-11-02T01:07:05.000Z",
                Draft(
                    "completed",
                    {"txn": txn, "duration_s": 420.0, "target_s": 180.0, "overtime_s": 240.0},
                ),
            ),
        ],
    )
    review = {"txn": txn, "note": "", "manager": MANAGER}
    desk = chained(
        HALL,
        "desk",
        [("2026-11-02T02:00:00.000Z", Draft(OVERTIME_REVIEWED, {**review, "cause": "system"}))],
    )
    other = chained(
        HALL,
        "02",
        [
            (
                "2026-11-02T02:03:00.000Z",
                Draft(OVERTIME_REVIEWED, {**review, "cause": "policy", "manager": "9001"}),
            )
        ],
        seed=2,
    )
    db = open_mirror(tmp_path / "hall_mirror.sqlite")
    mirror = HallMirror(db)
    assert mirror.add(HALL, "desk", "desk", desk, desk[-1].seq) == 1
    assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0  # no transaction yet
    mirror.add(HALL, "01", "counter", counter, counter[-1].seq)
    assert db.execute("SELECT cause FROM reviews WHERE txn = ?", [txn]).fetchone()[0] == "system"
    mirror.add(HALL, "02", "counter", other, other[-1].seq)
    # counter 02's decision three minutes later wins, and the case is flagged
    assert db.execute("SELECT cause FROM reviews WHERE txn = ?", [txn]).fetchone()[0] == "policy"
    assert (txn, "overtime") in decided_twice(db)
    # pulled again (a lost answer): nothing is stored twice
    assert mirror.add(HALL, "01", "counter", counter, counter[-1].seq) == 0
    assert mirror.marks() == {(HALL, "desk"): 1, (HALL, "01"): 3, (HALL, "02"): 1}
    mirror.restart(HALL, "01")  # the server holds less than the mirror: asked again from 0
    assert mirror.marks()[HALL, "01"] == 0
    assert mirror.add(HALL, "01", "counter", counter, counter[-1].seq) == 0
    assert mirror.marks()[HALL, "01"] == 3


def hall_mirror_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "hall-mirror" and t.is_alive()]


def test_closing_a_counter_stops_its_hall_views_puller(
    hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    counter = _counter(hall, demo_config, tmp_path, "01", clock)
    service = counter.service
    try:
        server = service.config.hall_server
        assert server is not None
        reader = enroll_reader(hall.server.store, HALL)
        service.config = dataclasses.replace(
            service.config, hall_server=dataclasses.replace(server, reader_token=reader)
        )
        before = len(hall_mirror_threads())
        assert isinstance(service.manager("9001").data, HallMirrorData)  # the puller starts
        assert len(hall_mirror_threads()) == before + 1
    finally:
        counter.streamer.stop()
        service.close()  # what the app's exit runs after its event loop
    wait_for(lambda: len(hall_mirror_threads()) == before, 3.0)
