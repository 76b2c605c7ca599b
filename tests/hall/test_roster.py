"""One roster for the hall, with real processes: a real `counter-hq serve` on its own SQLite as
the hall server, `counter-hq staff` run against its database as an operator would, and
counters' data folders whose configuration says `[roster] managed_by = "hall_server"`,
driven through the application layer (tests/helpers/counter.py).

A clerk added once at the hall server signs in at every counter of the hall, and from the
cache when the hall server is down; a disable there reaches the counters at the next pull;
another hall's counter never receives this hall's accounts; an unchanged roster is a 304; a
manager's sign-in is checked at the hall server while it is reachable; every roster the
counter caches is a `roster_applied` event, and `verify` finds a staff table edited by hand.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from counter_app import config as config_module
from counter_app.application.errors import SignInRefused
from counter_app.config import Config, ConfigError, HallServer
from counter_app.storage.events import stored_events, verify
from counter_app.storage.staff import CachedAccount, NotAManager
from counter_app.sync.authority import COUNTER, HALL_SERVER, HEAD_OFFICE, authority_of
from counter_app.sync.protocol import Refused, SyncError
from counter_app.sync.roster_pull import parse_roster
from counter_core import events, pins
from head_office import roster as hall_roster
from head_office import schema
from tests.hall.support import HALL, Hall, wait_for
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService

REPO = Path(__file__).resolve().parents[2]
OTHER_HALL = "BJ-0002"
CLERK, CLERK_PIN = "1001", "2468"
MANAGER, MANAGER_PIN = "9001", "135790"


def staff_cli(
    hall: Hall, *args: str, pin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`counter-hq staff …` against the hall server's database, the PIN on stdin."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "head_office.cli",
            "staff",
            *args,
            "--db",
            hall.server.db_url,
            *(["--pin-stdin"] if pin is not None else []),
        ],
        input=f"{pin}\n" if pin is not None else "",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


def add_staff(hall: Hall, number: str, name: str, role: str, pin: str, hall_id: str = HALL) -> None:
    staff_cli(
        hall, "add", "--hall", hall_id, "--number", number, "--name", name, "--role", role, pin=pin
    )


MakeCounter = Callable[..., CounterService]


@pytest.fixture
def make_counter(
    hall: Hall, demo_config: Config, tmp_path: Path, clock: FakeClock
) -> Iterator[MakeCounter]:
    opened: list[CounterService] = []

    def make(counter: str, hall_id: str = HALL, *, background: bool = False) -> CounterService:
        token_file = tmp_path / f"{hall_id}-{counter}.token"
        token_file.write_text(hall.server.enroll(hall_id, counter) + "\n", encoding="utf-8")
        config = dataclasses.replace(
            demo_config,
            hall_id=hall_id,
            counter_id=counter,
            roster_managed_by="hall_server",
            hall_server=HallServer(hall.server.url, token_file=str(token_file)),
        )
        service = CounterService(
            config,
            tmp_path / f"data-{hall_id}-{counter}",
            clock=clock,
            demo_accounts=False,
            pull_roster=background,
        )
        opened.append(service)
        return service

    yield make
    for service in opened:
        service.close()


@pytest.fixture
def roster(hall: Hall) -> Hall:
    """The hall server with a clerk and a manager in hall SH-0001's roster."""
    add_staff(hall, CLERK, "王芳", "staff", CLERK_PIN)
    add_staff(hall, MANAGER, "陈经理", "manager", MANAGER_PIN)
    return hall


def applied(service: CounterService) -> list[dict[str, object]]:
    return [
        ev.payload
        for ev in stored_events(service.db, 0, 100_000)
        if ev.kind == events.ROSTER_APPLIED
    ]


def test_a_clerk_added_once_signs_in_at_every_counter_of_the_hall(
    roster: Hall, make_counter: MakeCounter
) -> None:
    first, second = make_counter("01"), make_counter("02")
    for service in (first, second):
        assert service.staff.is_empty()
        assert service.pull_roster_now() is True
        staff = service.sign_in(CLERK, CLERK_PIN)
        assert (staff.number, staff.name, staff.role) == (CLERK, "王芳", "staff")
        service.sign_out()
        assert service.staff_names() == {CLERK: "王芳", MANAGER: "陈经理"}
        # the cache is recorded in the counter's own chain: version and digest, no names
        [payload] = applied(service)
        at = hall_roster.current_version(roster.server.store, HALL)
        assert payload["version"] == {"seq": 2, "hash": at.hash}
        assert payload["accounts"] == 2
        assert "王芳" not in str(payload) and "scrypt" not in str(payload)
        report = verify(service.db)
        assert report.ok, report
        # an unchanged roster is neither cached again nor recorded again
        assert service.pull_roster_now() is False
        assert len(applied(service)) == 1


def test_the_cache_signs_in_while_the_hall_server_is_down(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01")
    service.pull_roster_now()
    roster.server.stop()
    staff = service.sign_in(CLERK, CLERK_PIN)
    assert staff.number == CLERK
    service.sign_out()
    began = time.monotonic()
    manager = service.sign_in(MANAGER, MANAGER_PIN)  # the hall server unreachable: the cache
    assert manager.is_manager and time.monotonic() - began < 5
    service.sign_out()
    with pytest.raises(SignInRefused, match="Unknown staff number or wrong PIN"):
        service.sign_in(CLERK, "1111")
    with pytest.raises(SyncError):
        service.pull_roster_now()
    assert service.sign_in(CLERK, CLERK_PIN).number == CLERK  # the cache stays


def test_a_disable_at_the_hall_server_reaches_the_counters_at_the_next_pull(
    roster: Hall, make_counter: MakeCounter
) -> None:
    first, second = make_counter("01"), make_counter("02")
    for service in (first, second):
        service.pull_roster_now()
    staff_cli(roster, "disable", "--hall", HALL, "--number", CLERK)
    first.sign_in(CLERK, CLERK_PIN)  # not pulled yet: the cache still says enabled
    first.sign_out()
    for service in (first, second):
        assert service.pull_roster_now() is True
        with pytest.raises(SignInRefused, match=r"^This account is disabled$"):
            service.sign_in(CLERK, CLERK_PIN)
        assert applied(service)[-1]["version"]["seq"] == 3  # type: ignore[index]
        assert verify(service.db).ok
    staff_cli(roster, "enable", "--hall", HALL, "--number", CLERK)
    first.pull_roster_now()
    assert first.sign_in(CLERK, CLERK_PIN).number == CLERK


def test_a_counter_of_another_hall_never_receives_this_halls_accounts(
    roster: Hall, make_counter: MakeCounter
) -> None:
    add_staff(roster, "2001", "赵刚", "staff", "8642", hall_id=OTHER_HALL)
    other = make_counter("01", hall_id=OTHER_HALL)
    other.pull_roster_now()
    assert other.staff_names() == {"2001": "赵刚"}
    with pytest.raises(SignInRefused):
        other.sign_in(CLERK, CLERK_PIN)
    # asking for this hall's roster with the other hall's token: refused, and recorded
    token = Path(str(other.config.hall_server.token_file)).read_text().strip()  # type: ignore[union-attr]
    answer = httpx.get(
        f"{roster.server.url}/api/v1/hall/roster",
        params={"hall": HALL},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    with roster.server.store.reader.connect() as conn:
        recorded = conn.execute(schema.auth_refusals.select()).mappings().all()
    assert [(r["reason"], r["route"]) for r in recorded] == [
        ("other_hall", "GET /api/v1/hall/roster")
    ]
    assert token not in str(recorded)


def test_a_roster_naming_another_hall_is_never_cached() -> None:
    answer = {"hall": OTHER_HALL, "version": {"seq": 1, "hash": "a" * 64}, "accounts": []}
    with pytest.raises(SyncError, match="not this counter's hall"):
        parse_roster(answer, HALL)
    bad_hash = {
        "hall": HALL,
        "version": {"seq": 1, "hash": "a" * 64},
        "accounts": [
            {
                "number": "1",
                "name": "n",
                "role": "staff",
                "pin_hash": "md5$x",
                "pin_scheme": "md5",
                "disabled": False,
            }
        ],
    }
    with pytest.raises(SyncError, match="PIN hash"):
        parse_roster(bad_hash, HALL)


def test_an_unchanged_roster_is_a_304_and_a_change_a_new_etag(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01")
    token = Path(str(service.config.hall_server.token_file)).read_text().strip()  # type: ignore[union-attr]
    url, auth = f"{roster.server.url}/api/v1/hall/roster", {"Authorization": f"Bearer {token}"}
    first = httpx.get(url, headers=auth)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert {a["number"] for a in first.json()["accounts"]} == {CLERK, MANAGER}
    assert all(
        a["pin_hash"].startswith("scrypt$") and a["pin_scheme"] == "scrypt"
        for a in first.json()["accounts"]
    )
    again = httpx.get(url, headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    staff_cli(
        roster, "role", "--hall", HALL, "--number", CLERK, "--role", "manager", check=False
    )  # a clerk's 4-digit PIN is no manager's: refused, nothing changed
    assert httpx.get(url, headers={**auth, "If-None-Match": etag}).status_code == 304
    staff_cli(roster, "pin", "--hall", HALL, "--number", CLERK, pin="9753")
    changed = httpx.get(url, headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    # the counter's own pull sends its etag: nothing new, nothing recorded
    service.pull_roster_now()
    assert service.pull_roster_now() is False and len(applied(service)) == 1


def test_a_managers_sign_in_is_checked_at_the_hall_server_while_it_is_reachable(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01")
    service.pull_roster_now()
    staff_cli(roster, "pin", "--hall", HALL, "--number", MANAGER, pin="864200")
    # not pulled yet: the cache still holds the old PIN, the hall server's answer stands
    with pytest.raises(SignInRefused, match="Unknown staff number or wrong PIN"):
        service.sign_in(MANAGER, MANAGER_PIN)
    assert service.sign_in(MANAGER, "864200").is_manager
    service.sign_out()
    # a manager disabled at the hall server is refused at once too (another manager first)
    add_staff(roster, "9002", "刘经理", "manager", "975310")
    staff_cli(roster, "disable", "--hall", HALL, "--number", MANAGER)
    with pytest.raises(SignInRefused, match=r"^This account is disabled$"):
        service.sign_in(MANAGER, "864200")
    roster.server.stop()  # unreachable: the cache decides (the old PIN, still enabled)
    assert service.sign_in(MANAGER, MANAGER_PIN).is_manager


def test_the_hall_servers_sign_in_check_is_throttled_per_counter(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01")
    token = Path(str(service.config.hall_server.token_file)).read_text().strip()  # type: ignore[union-attr]
    url, auth = f"{roster.server.url}/api/v1/hall/sign-in", {"Authorization": f"Bearer {token}"}
    answers = [
        httpx.post(url, headers=auth, json={"number": n, "pin": "000000"}).json()
        for n in (MANAGER, "4242", MANAGER, MANAGER, "77", MANAGER)
    ]
    assert [a["result"] for a in answers] == ["wrong"] * 5 + ["throttled"]
    assert answers[-1]["wait_s"] > 0
    other = make_counter("02")
    token2 = Path(str(other.config.hall_server.token_file)).read_text().strip()  # type: ignore[union-attr]
    right = httpx.post(
        url,
        headers={"Authorization": f"Bearer {token2}"},
        json={"number": MANAGER, "pin": MANAGER_PIN},
    ).json()
    assert right["result"] == "ok"  # another counter is not slowed down
    # the PIN never reaches the server's database or log
    with roster.server.store.reader.connect() as conn:
        for table in (schema.roster_log, schema.roster_accounts, schema.auth_refusals):
            assert MANAGER_PIN not in str(conn.execute(table.select()).all())


def test_a_hall_readers_token_reads_no_roster(roster: Hall) -> None:
    from head_office.access import enroll_reader

    token = enroll_reader(roster.server.store, HALL)
    answer = httpx.get(
        f"{roster.server.url}/api/v1/hall/roster", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403 and "counters and desks" in answer.json()["detail"]


def test_the_staff_table_edited_by_hand_fails_verify(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01")
    service.pull_roster_now()
    assert verify(service.db).ok
    service.db.execute("UPDATE staff SET role = 'manager' WHERE number = ?", [CLERK])
    service.db.conn.commit()
    report = verify(service.db)
    assert not report.ok
    assert "roster_applied" in str(report.projection_problem)
    # the next pull fetches the whole roster (no If-None-Match) and puts it back, recorded
    assert service.pull_roster_now() is True and verify(service.db).ok
    assert len(applied(service)) == 2
    with pytest.raises(NotAManager):
        service.staff.authorize_manager(CLERK, CLERK_PIN)
    # an emptied roster empties the cache
    service.staff.apply_roster(0, "0" * 64, [])
    assert verify(service.db).ok and service.staff.is_empty()


def test_the_roster_is_pulled_in_the_background_at_start(
    roster: Hall, make_counter: MakeCounter
) -> None:
    service = make_counter("01", background=True)

    def signed_in() -> bool:
        try:
            service.sign_in(CLERK, CLERK_PIN)
        except SignInRefused:
            return False
        return True

    wait_for(signed_in, 10)
    assert len(applied(service)) == 1


def test_managed_by_hall_server_needs_a_hall_server() -> None:
    base = {
        "hall": {"id": "H", "name": "N"},
        "counter": {"id": "1"},
        "transaction_types": [{"code": "a", "name_zh": "甲", "name_en": "A"}],
        "roster": {"managed_by": "hall_server"},
    }
    with pytest.raises(ConfigError, match=r"roster\.managed_by.*\[hall_server\]"):
        config_module.parse(base, "counter.toml")
    ok = config_module.parse(
        {**base, "hall_server": {"url": "http://127.0.0.1:1", "token": "t"}}, "counter.toml"
    )
    assert authority_of(ok) == HALL_SERVER
    assert authority_of(dataclasses.replace(ok, roster_managed_by="counter")) == COUNTER
    assert authority_of(dataclasses.replace(ok, roster_managed_by="head_office")) == HEAD_OFFICE


def test_a_plaintext_url_off_loopback_is_refused_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "counter.toml"
    path.write_text(
        '[hall]\nid = "H"\nname = "N"\n[counter]\nid = "1"\n'
        '[[transaction_types]]\ncode = "a"\nname_zh = "甲"\nname_en = "A"\n'
        '[hall_server]\nurl = "http://10.0.0.5:8700"\ntoken = "t"\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR), pytest.raises(ConfigError, match="refusing plain HTTP"):
        config_module.load(path)
    assert any(
        "refusing plain HTTP" in r.getMessage() and r.levelno == logging.ERROR
        for r in caplog.records
    )


def test_a_revoked_counter_pulls_nothing(roster: Hall, make_counter: MakeCounter) -> None:
    service = make_counter("01")
    service.pull_roster_now()
    roster.server.store.revoke(HALL, "01")
    staff_cli(roster, "disable", "--hall", HALL, "--number", CLERK)
    with pytest.raises(Refused) as refused:
        service.pull_roster_now()
    assert refused.value.status == 403
    assert service.sign_in(CLERK, CLERK_PIN).number == CLERK  # the cache it had stays


def test_a_hall_server_that_does_not_answer_holds_a_managers_sign_in_at_most_2_s(
    demo_config: Config, tmp_path: Path, clock: FakeClock
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the kernel, and nothing ever answers
    try:
        config = dataclasses.replace(
            demo_config,
            hall_id=HALL,
            counter_id="01",
            roster_managed_by="hall_server",
            hall_server=HallServer(f"http://127.0.0.1:{silent.getsockname()[1]}", token="t"),
        )
        service = CounterService(
            config, tmp_path / "data", clock=clock, demo_accounts=False, pull_roster=False
        )
        try:
            service.staff.apply_roster(
                1,
                "c" * 64,
                [CachedAccount(MANAGER, "陈经理", "manager", pins.hash_pin(MANAGER_PIN), False)],
            )
            began = time.monotonic()
            assert service.sign_in(MANAGER, MANAGER_PIN).is_manager  # the cache decided
            assert time.monotonic() - began < 2.5
        finally:
            service.close()
    finally:
        silent.close()
