"""Head office's central settings at the counter, with a real `counter-hq serve --signing-key`
and real data folders driven through the application layer: the signed settings are pulled,
verified, cached and applied over the TOML (a type's target changes); a document that does not
verify is refused and the cache kept; an offline start uses the cache; every `started` records
the settings version; `[roster] managed_by = "head_office"` pulls a verified roster."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from counter_app import config as config_module
from counter_app.config import Config, ConfigError, HeadOffice
from counter_app.storage.events import stored_events
from counter_app.sync.protocol import SyncError
from counter_app.sync.roster_pull import http_factory
from counter_app.sync.settings_pull import settings_puller
from counter_core import events
from counter_core import settings as hall_settings
from head_office import roster as hall_roster
from head_office import settings as central
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import REPO, HqServer, free_port, running_server

HALL = "SH-0001"
TYPES = [
    {"code": "payment", "name_zh": "缴费", "name_en": "Payment", "target_s": 240,
     "promise_zh": "四分钟内办结", "promise_en": "Done within four minutes"},
    {"code": "enquiry", "name_zh": "咨询", "name_en": "Enquiry"},
]


def create_key(path: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "head_office.cli", "signing-key", "create",
                           str(path)], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[HqServer, str]]:
    public = create_key(tmp_path / "signing.pem")
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}",
                        "--signing-key", str(tmp_path / "signing.pem")) as server:
        yield server, public


def put(server: HqServer, target: float, **more: object) -> int:
    types = copy.deepcopy(TYPES)
    types[0]["target_s"] = target
    found = hall_settings.parse({"transaction_types": types, **more})
    return central.put(server.store, HALL, found, "test").version


Make = Callable[..., CounterService]


@pytest.fixture
def make_counter(tmp_path: Path, demo_config: Config, clock: FakeClock
                 ) -> Iterator[Make]:
    opened: list[CounterService] = []

    def make(server_url: str, token: str, public: str, *, folder: str = "data",
             roster_by: str = "counter") -> CounterService:
        config = dataclasses.replace(
            demo_config, hall_id=HALL, counter_id="01", settings_managed_by="head_office",
            roster_managed_by=roster_by,
            head_office=HeadOffice(server_url, token, signing_key=public))
        service = CounterService(config, tmp_path / folder, clock=clock,
                                 demo_accounts=roster_by == "counter", pull_roster=False)
        opened.append(service)
        return service

    yield make
    for service in opened:
        service.close()


def started(service: CounterService) -> list[dict[str, object]]:
    return [ev.payload for ev in stored_events(service.db, 0, 100_000)
            if ev.kind == events.STARTED]


def serve_one(service: CounterService, clock: FakeClock) -> None:
    service.sign_in("1001", "1234")
    service.start_transaction()
    service.void()
    clock.advance(10)
    service.sign_out()


def test_signed_settings_are_pulled_applied_and_recorded_in_every_started(
        office: tuple[HqServer, str], make_counter: Make, clock: FakeClock) -> None:
    server, public = office
    toml_target = config_module.load().type_named("payment")
    assert toml_target is not None and toml_target.target_s != 240
    put(server, 240, follow_up_working_days=9, time_zone="Asia/Urumqi")
    counter = make_counter(server.url, server.enroll(HALL, "01"), public)
    assert counter.settings_version is None  # nothing cached yet: the TOML's
    assert counter.pull_settings_now() is True
    assert counter.settings_version == 1
    payment = counter.config.type_named("payment")
    assert payment is not None and payment.target_s == 240
    assert counter.config.promise_for(payment) == hall_settings.Promise(
        "四分钟内办结", "Done within four minutes")
    assert [t.code for t in counter.config.types] == ["payment", "enquiry"]
    assert counter.config.follow_up_working_days == 9
    assert counter.config.time_zone == "Asia/Urumqi"
    assert counter.config.language == config_module.load().language  # the machine's own
    assert counter.pull_settings_now() is False  # unchanged: a 304
    serve_one(counter, clock)
    assert [(p["type"], p["target_s"], p["settings_version"]) for p in started(counter)] == [
        ("payment", 240.0, 1)]


def test_a_new_version_waits_for_an_idle_moment(
        office: tuple[HqServer, str], make_counter: Make, clock: FakeClock) -> None:
    server, public = office
    put(server, 240)
    counter = make_counter(server.url, server.enroll(HALL, "01"), public)
    counter.pull_settings_now()
    counter.sign_in("1001", "1234")
    counter.start_transaction()
    put(server, 420)
    assert counter.pull_settings_now() is False  # mid-transaction: kept for later
    assert counter.settings_version == 1
    counter.void()
    counter.heartbeat()  # the next idle moment
    assert counter.settings_version == 2
    counter.start_transaction()
    assert [(p["target_s"], p["settings_version"]) for p in started(counter)] == [
        (240.0, 1), (420.0, 2)]


def test_an_offline_start_uses_the_cache(
        office: tuple[HqServer, str], make_counter: Make, clock: FakeClock) -> None:
    server, public = office
    put(server, 240)
    token = server.enroll(HALL, "01")
    first = make_counter(server.url, token, public)
    assert first.pull_settings_now()
    first.close()
    server.stop()  # head office unreachable from now on
    again = make_counter(f"http://127.0.0.1:{free_port()}", token, public)
    assert again.settings_version == 1
    payment = again.config.type_named("payment")
    assert payment is not None and payment.target_s == 240
    with pytest.raises(SyncError, match="unreachable"):
        again.pull_settings_now()
    assert again.settings_version == 1
    serve_one(again, clock)
    assert started(again)[-1]["settings_version"] == 1


def test_unsigned_or_otherwise_signed_settings_are_refused_and_the_cache_kept(
        office: tuple[HqServer, str], make_counter: Make, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    server, public = office
    put(server, 240)
    token = server.enroll(HALL, "01")
    counter = make_counter(server.url, token, public)
    assert counter.pull_settings_now()
    counter.close()
    # the same database served without a key, then with another key: neither verifies
    server.stop()
    other_key = tmp_path / "other.pem"
    create_key(other_key)
    for options in ((), ("--signing-key", str(other_key))):
        with running_server(server.db_url, *options) as impostor:
            put(impostor, 900)
            again = make_counter(impostor.url, token, public)
            assert again.settings_version is not None
            before = again.settings_version
            with pytest.raises(SyncError, match="does not verify"):
                again.pull_settings_now()
            assert again.settings_version == before  # the cache stays
            payment = again.config.type_named("payment")
            assert payment is not None and payment.target_s == 240
            again.close()


def test_a_document_altered_in_transit_is_refused_and_logged(
        office: tuple[HqServer, str], demo_config: Config,
        caplog: pytest.LogCaptureFixture) -> None:
    server, public = office
    put(server, 240)
    config = dataclasses.replace(
        demo_config, hall_id=HALL, settings_managed_by="head_office",
        head_office=HeadOffice(server.url, server.enroll(HALL, "01"), signing_key=public))
    real = http_factory(config, "head_office")

    def altered(request: httpx.Request) -> httpx.Response:
        with real(10.0) as http:
            answer = http.get(request.url.path, params=dict(request.url.params))
        body = answer.json()
        body["settings"]["transaction_types"][0]["target_s"] = 9999
        return httpx.Response(200, content=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"})

    puller = settings_puller(
        config, start=False,
        make_http=lambda timeout: httpx.Client(base_url=server.url,
                                               transport=httpx.MockTransport(altered)))
    assert puller is not None
    with pytest.raises(SyncError, match="altered"):
        puller.pull_once()
    assert puller.take() is None
    # and the thread logs it, keeping nothing
    puller.interval_s = 60
    with caplog.at_level(logging.WARNING):
        puller.start()
        try:
            from tests.hall.support import wait_for
            wait_for(lambda: puller.last_error is not None, 10)
        finally:
            puller.stop()
    assert "altered" in (puller.last_error or "")
    assert any("does not verify" in r.getMessage() for r in caplog.records)


def test_the_roster_comes_verified_from_head_office_when_it_manages_it(
        office: tuple[HqServer, str], make_counter: Make) -> None:
    server, public = office
    hall_roster.add(server.store, HALL, "1001", "王芳", "staff", "2468", None)
    counter = make_counter(server.url, server.enroll(HALL, "01"), public, roster_by="head_office")
    assert counter.pull_roster_now() is True
    assert counter.sign_in("1001", "2468").number == "1001"


def test_head_office_management_needs_head_office_and_its_key() -> None:
    base = {"hall": {"id": HALL, "name": "Hall"}, "counter": {"id": "01"},
            "transaction_types": TYPES}
    with pytest.raises(ConfigError, match=r"settings\.managed_by.*signing_key"):
        config_module.parse({**base, "settings": {"managed_by": "head_office"},
                             "head_office": {"url": "http://127.0.0.1:1", "token": "t"}}, "c")
    with pytest.raises(ConfigError, match=r"head_office\.signing_key.*base64"):
        config_module.parse({**base, "head_office": {"signing_key": "zz!"}}, "c")
    with pytest.raises(ConfigError, match=r"settings\.managed_by: expected one of"):
        config_module.parse({**base, "settings": {"managed_by": "the_hall"}}, "c")
