"""A hall server relaying head office (`counter-hq serve --upstream`), with real processes: a
`counter-hq serve --signing-key` as head office, a `counter-hq serve --upstream …` as the hall
server, and a counter's data folder pulling through the hall server only.

Head office's signed settings and roster and its calendar reach the hall server within its pull
interval and are served as they came, so the counter verifies head office's own signature; a
change at head office follows; the hall server's own roster and settings commands are refused
for the hall; a document altered at the hall server is refused by the counter; a document that
does not verify with head office's key is refused by the hall server; head office down, the
hall server goes on serving what it relayed."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from counter_app import config as config_module
from counter_app.config import Config, ConfigError, HallServer
from counter_app.storage.events import stored_events
from counter_app.sync.protocol import SyncError
from counter_core import events
from counter_core import settings as hall_settings
from counter_core.signed import load_public_key
from counter_core.workdays import WorkCalendar
from head_office import roster as hall_roster
from head_office import settings as central
from head_office import upstream
from head_office.access import enroll_desk
from head_office.calendar import read_calendar, set_calendar
from head_office.schema import relayed_documents
from tests.hall.support import wait_for
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import REPO, HqServer, running_server

HALL = "SH-0001"
TYPES = [
    {"code": "payment", "name_zh": "缴费", "name_en": "Payment", "target_s": 240},
    {"code": "enquiry", "name_zh": "咨询", "name_en": "Enquiry"},
]
HOLIDAY = "2026-10-01"


def hq(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "head_office.cli", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, timeout=60)


def put(server: HqServer, target: float) -> int:
    types = copy.deepcopy(TYPES)
    types[0]["target_s"] = target
    found = hall_settings.parse({"transaction_types": types, "follow_up_working_days": 7})
    return central.put(server.store, HALL, found, "test").version


@dataclass
class Hall:
    office: HqServer
    server: HqServer
    public: str
    folder: Path

    def relayed_version(self) -> int | None:
        found = upstream.relayed(self.server.store, HALL, upstream.SETTINGS)
        return None if found is None else int(found.document["version"])


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    done = hq("signing-key", "create", str(tmp_path / "signing.pem"))
    assert done.returncode == 0, done.stderr
    public = done.stdout.strip()
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}",
                        "--signing-key", str(tmp_path / "signing.pem")) as office:
        put(office, 240)
        hall_roster.add(office.store, HALL, "1001", "王芳", "staff", "2468", None)
        hall_roster.add(office.store, HALL, "9001", "李主任", "manager", "135790", None)
        holiday = dt.date.fromisoformat(HOLIDAY)
        set_calendar(office.store, WorkCalendar(frozenset({holiday}), frozenset()))
        token_file = tmp_path / "upstream.token"
        token_file.write_text(enroll_desk(office.store, HALL, "hall-server") + "\n")
        with running_server(f"sqlite:///{tmp_path / 'hall.sqlite'}",
                            "--upstream", office.url, "--upstream-token-file", str(token_file),
                            "--upstream-key", public, "--upstream-interval", "1") as server:
            found = Hall(office, server, public, tmp_path)
            wait_for(lambda: found.relayed_version() == 1
                     and upstream.relayed(server.store, HALL, upstream.ROSTER) is not None, 15)
            yield found


Make = Callable[[], CounterService]


@pytest.fixture
def make_counter(hall: Hall, demo_config: Config, clock: FakeClock) -> Iterator[Make]:
    opened: list[CounterService] = []
    token = hall.server.enroll(HALL, "01")

    def make() -> CounterService:
        config = dataclasses.replace(
            demo_config, hall_id=HALL, counter_id="01", settings_managed_by="hall_server",
            roster_managed_by="hall_server",
            hall_server=HallServer(hall.server.url, token, signing_key=hall.public))
        service = CounterService(config, hall.folder / "counter", clock=clock,
                                 demo_accounts=False, pull_roster=False)
        opened.append(service)
        return service

    yield make
    for service in opened:
        service.close()


def test_head_offices_settings_roster_and_calendar_reach_the_counter_through_the_hall_server(
        hall: Hall, make_counter: Make, clock: FakeClock) -> None:
    counter = make_counter()
    assert counter.pull_settings_now() is True
    assert counter.settings_version == 1
    payment = counter.config.type_named("payment")
    assert payment is not None and payment.target_s == 240
    assert counter.config.follow_up_working_days == 7
    # the roster head office keeps: a clerk added there signs in at the hall's counter
    assert counter.pull_roster_now() is True
    assert counter.sign_in("1001", "2468").number == "1001"
    counter.start_transaction()
    counter.void()
    clock.advance(5)
    counter.sign_out()
    (started,) = [e.payload for e in stored_events(counter.db, 0, 1000)
                  if e.kind == events.STARTED]
    assert (started["target_s"], started["settings_version"]) == (240.0, 1)
    # served as it came: head office's signature, verified with head office's key
    answer = httpx.get(f"{hall.server.url}/api/v1/hall/settings",
                       headers={"Authorization": f"Bearer {counter.config.hall_server.token}"})
    assert answer.status_code == 200 and answer.headers["ETag"] == '"settings-1"'
    from counter_core.signed import verify_document

    verify_document(answer.json(), load_public_key(hall.public))
    # the calendar is head office's
    calendar = read_calendar(hall.server.store)
    assert calendar is not None and dt.date.fromisoformat(HOLIDAY) in calendar.holidays
    # a manager's sign-in is checked at the hall server against head office's accounts
    token = counter.config.hall_server.token
    for pin, result in (("135790", "ok"), ("000000", "wrong")):
        checked = httpx.post(f"{hall.server.url}/api/v1/hall/sign-in",
                             json={"number": "9001", "pin": pin},
                             headers={"Authorization": f"Bearer {token}"})
        assert checked.status_code == 200 and checked.json()["result"] == result

    # a change at head office follows within the hall server's pull interval
    assert put(hall.office, 420) == 2
    hall_roster.set_disabled(hall.office.store, HALL, "1001", True)
    wait_for(lambda: hall.relayed_version() == 2, 10)
    assert counter.pull_settings_now() is True and counter.settings_version == 2
    payment = counter.config.type_named("payment")
    assert payment is not None and payment.target_s == 420
    wait_for(lambda: _disabled_at_hall_server(hall, "1001"), 10)
    assert counter.pull_roster_now() is True
    with pytest.raises(Exception, match="disabled"):
        counter.sign_in("1001", "2468")


def _disabled_at_hall_server(hall: Hall, number: str) -> bool:
    found = upstream.relayed(hall.server.store, HALL, upstream.ROSTER)
    accounts = {a["number"]: a for a in upstream.roster_accounts(found)} if found else {}
    return bool(accounts.get(number, {}).get("disabled"))


def test_the_hall_servers_own_roster_and_settings_commands_are_refused_for_the_hall(
        hall: Hall, tmp_path: Path) -> None:
    with pytest.raises(hall_roster.RosterError, match="from head office"):
        hall_roster.add(hall.server.store, HALL, "1002", "张伟", "staff", "1357", None)
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[[transaction_types]]\ncode = "payment"\nname_zh = "缴费"\n'
                             'name_en = "Payment"\ntarget_s = 60\n', encoding="utf-8")
    done = hq("settings", "set", "--db", hall.server.db_url, "--hall", HALL,
              "--file", str(settings_file))
    assert done.returncode != 0 and "from head office" in done.stderr
    assert "Traceback" not in done.stderr
    assert hall.relayed_version() == 1
    done = hq("staff", "add", "--db", hall.server.db_url, "--hall", HALL, "--number", "1002",
              "--name", "张伟", "--role", "staff", "--pin-stdin", stdin="1357\n")
    assert done.returncode != 0 and "from head office" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_document_altered_at_the_hall_server_is_refused_by_the_counter(
        hall: Hall, make_counter: Make) -> None:
    counter = make_counter()
    assert counter.pull_settings_now() is True
    # the hall server is stopped (or it would relay head office's again), its copy altered
    hall.server.stop()
    found = upstream.relayed(hall.server.store, HALL, upstream.SETTINGS)
    assert found is not None
    forged = copy.deepcopy(found.document)
    forged["version"] = 3
    forged["settings"]["transaction_types"][0]["target_s"] = 9999
    with hall.server.store.engine.begin() as conn:
        conn.execute(sa.update(relayed_documents)
                     .where(relayed_documents.c.kind == upstream.SETTINGS)
                     .values(document=json.dumps(forged), etag='"settings-3"'))
    hall.server.options = ()  # the same database served without pulling from head office
    hall.server.start()
    with pytest.raises(SyncError, match="does not verify"):
        counter.pull_settings_now()
    assert counter.settings_version == 1
    payment = counter.config.type_named("payment")
    assert payment is not None and payment.target_s == 240


def test_the_hall_server_refuses_what_head_offices_key_did_not_sign_and_keeps_serving(
        hall: Hall, tmp_path: Path) -> None:
    token = enroll_desk(hall.office.store, HALL, "hall-server-2")
    other = hq("signing-key", "create", str(tmp_path / "other.pem")).stdout.strip()
    hall.server.stop()  # its own pulls would relay the new version first
    put(hall.office, 300)  # a new version: head office answers with a document, not a 304
    before = upstream.relayed(hall.server.store, HALL, upstream.SETTINGS)
    puller = upstream.UpstreamPuller(
        hall.server.store, upstream.Upstream(hall.office.url, token, load_public_key(other)))
    with pytest.raises(upstream.UpstreamError, match="does not verify"):
        puller.pull_once()
    assert upstream.relayed(hall.server.store, HALL, upstream.SETTINGS) == before
    # head office down: the hall server logs it and goes on serving what it relayed
    hall.office.stop()
    puller = upstream.UpstreamPuller(
        hall.server.store, upstream.Upstream(hall.office.url, token, load_public_key(hall.public)))
    puller.round()
    assert puller.last_error is not None and "unreachable" in puller.last_error
    hall.server.start()  # pulling from a head office that does not answer
    time.sleep(1.5)
    assert hall.relayed_version() == 1
    counter_token = hall.server.enroll(HALL, "02")
    answer = httpx.get(f"{hall.server.url}/api/v1/hall/roster",
                       headers={"Authorization": f"Bearer {counter_token}"})
    assert answer.status_code == 200
    assert {a["number"] for a in answer.json()["accounts"]} == {"1001", "9001"}


def test_serve_upstream_options_are_checked_in_words(tmp_path: Path) -> None:
    token = tmp_path / "t"
    token.write_text("abc\n")
    key = hq("signing-key", "create", str(tmp_path / "k.pem")).stdout.strip()
    db = f"sqlite:///{tmp_path / 'h.sqlite'}"
    for options, said in (
        (["--upstream", "http://10.1.2.3:8700", "--upstream-token-file", str(token),
          "--upstream-key", key], "plain HTTP"),
        (["--upstream", "https://hq.example", "--upstream-key", key], "--upstream-token-file"),
        (["--upstream", "https://hq.example", "--upstream-token-file", str(token),
          "--upstream-key", "zz!"], "--upstream-key"),
        (["--upstream-key", key], "needs --upstream"),
    ):
        done = hq("serve", "--db", db, "--port", "1", *options)
        assert done.returncode != 0 and said in done.stderr, (options, done.stderr)
        assert "Traceback" not in done.stderr


def test_settings_through_the_hall_server_need_its_url_and_head_offices_key() -> None:
    base = {"hall": {"id": HALL, "name": "Hall"}, "counter": {"id": "01"},
            "transaction_types": TYPES, "settings": {"managed_by": "hall_server"}}
    with pytest.raises(ConfigError, match=r"settings\.managed_by.*hall server"):
        config_module.parse(base, "c")
    with pytest.raises(ConfigError, match=r"settings\.managed_by.*signing_key"):
        config_module.parse({**base, "hall_server": {"url": "http://127.0.0.1:1", "token": "t"}},
                            "c")
