"""The counter's sync against a real counter-hq: real counter data, a faulty network, restarts."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from counter_app import cli, paths
from counter_app.config import Config
from counter_app.storage.db import connect
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus, read_acked_seq, read_status, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from counter_core import projection
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import (
    FaultProxy,
    HqServer,
    PgCluster,
    counter_config,
    day_drafts,
    running_server,
)

FAST_RETRY = RetryPolicy(attempts=60, base_s=0.01, cap_s=0.05, rng=random.Random(3))


def make_counter(demo_config: Config, tmp_path: Path, server: HqServer, counter: str,
                 *, url: str | None = None) -> CounterService:
    config = counter_config(demo_config, url or server.url, server.enroll("SH-0001", counter),
                            counter=counter)
    return CounterService(config, tmp_path / f"data-{counter}")


def upload(service: CounterService, *, url: str | None = None,
           retry: RetryPolicy | None = None, **kwargs: Any) -> SyncStatus:
    """The worker's part of a sync, safe on any thread: its own read-only connection, HTTP."""
    reader = connect(paths.database_path(service.data_dir), readonly=True)
    config = service.config
    try:
        with HeadOfficeClient(url or config.head_office.url or "", config.head_office.token or "",
                              timeout=10) as client:
            return Uploader(LocalLog(reader), client, retry=retry or FAST_RETRY, **kwargs).run()
    finally:
        reader.conn.close()


def sync(service: CounterService, **kwargs: Any) -> SyncStatus:
    """One sync run the way the app does it: upload, then the writer's thread records."""
    return record_status(service.db, upload(service, **kwargs))


def assert_head_office_holds_exactly(server: HqServer, service: CounterService) -> None:
    who = server.store.counter(service.config.hall_id, service.config.counter_id)
    assert who is not None
    local = list(service.store.events())
    assert server.store.events(who) == local  # every event once, in order, byte-exact
    assert who.hw_seq == len(local)
    assert server.store.verify(who) is None
    counts = server.store.counts(who)
    assert (counts["conflicts"], counts["rejected"]) == (0, 0)


@pytest.fixture
def counter_id(request: pytest.FixtureRequest) -> str:
    return f"c{abs(hash(request.node.nodeid)) % 10**8}"


def test_real_transactions_reach_head_office_and_project_the_same(
    hq_server: HqServer, demo_config: Config, tmp_path: Path, clock: FakeClock, counter_id: str
) -> None:
    service = CounterService(counter_config(demo_config, hq_server.url,
                                            hq_server.enroll("SH-0001", counter_id),
                                            counter=counter_id), tmp_path / "data", clock=clock)
    try:
        service.sign_in("1001", "1234")
        for seconds, rating in ((95, 5), (240, 2), (30, None)):
            service.machine.start()
            clock.advance(seconds)
            service.machine.complete()
            if service.machine.overtime_reason_for:
                service.machine.give_overtime_reason("complex")
            if rating:
                service.machine.rate(rating)
            clock.advance(31)
            service.machine.expire()
        status = sync(service)
        assert status.ok, status
        assert status.sent == service.store.last_seq()
        assert read_acked_seq(service.db) == service.store.last_seq()
        assert_head_office_holds_exactly(hq_server, service)
        who = hq_server.store.counter("SH-0001", counter_id)
        assert who is not None
        with hq_server.store.engine.connect() as conn:
            from head_office.schema import transactions
            rows = {r["txn"]: r for r in conn.execute(
                transactions.select().where(transactions.c.counter_id == who.id)).mappings()}
        local = {r["txn"]: r for r in service.db.query("SELECT * FROM transactions")}
        assert set(rows) == set(local)
        for txn, row in local.items():
            assert {c: rows[txn][c] for c in projection.COLUMNS} == row
    finally:
        service.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_faulty_network_still_gives_every_event_exactly_once(
    hq_server: HqServer, demo_config: Config, tmp_path: Path, counter_id: str, seed: int
) -> None:
    service = make_counter(demo_config, tmp_path, hq_server, f"{counter_id}-{seed}")
    try:
        with FaultProxy(hq_server.port, rate=0.45, seed=seed) as proxy:
            service.store.append_timed(day_drafts(150, seed=seed))
            for _ in range(20):  # the scheduler's later runs, compressed
                status = sync(service, url=proxy.url, batch_events=40)
                if status.ok:
                    break
            # the counter kept working; the next night picks up the rest
            service.store.append_timed(day_drafts(60, seed=seed + 10))
            for _ in range(20):
                status = sync(service, url=proxy.url, batch_events=40)
                if status.ok:
                    break
        assert status.ok, status
        assert proxy.requests > 15 and sum(proxy.faults.values()) > 5, proxy.faults
        assert_head_office_holds_exactly(hq_server, service)
        recorded = read_status(service.db)
        assert recorded is not None and recorded.acked_seq == service.store.last_seq()
    finally:
        service.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def restartable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HqServer]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database("restart")
    with running_server(url) as server:
        yield server


def test_server_restart_mid_sync_loses_nothing(
    restartable: HqServer, demo_config: Config, tmp_path: Path
) -> None:
    service = make_counter(demo_config, tmp_path, restartable, "07")
    service.store.append_timed(day_drafts(200))
    restarted = threading.Event()

    def restart_after_first_batch(seq: int) -> None:
        if restarted.is_set():
            return
        restarted.set()
        restartable.stop(kill=True)  # as abrupt as a power cut at head office

        def back() -> None:
            time.sleep(0.5)
            restartable.start()

        threading.Thread(target=back, daemon=True).start()

    try:
        status = sync(service, batch_events=100, on_progress=restart_after_first_batch,
                      retry=RetryPolicy(attempts=40, base_s=0.2, cap_s=0.5))
        assert restarted.is_set()
        assert status.ok, status
        assert_head_office_holds_exactly(restartable, service)
    finally:
        service.close()


def test_head_office_killed_at_random_moments_loses_nothing(
    restartable: HqServer, demo_config: Config, tmp_path: Path
) -> None:
    service = make_counter(demo_config, tmp_path, restartable, "08")
    service.store.append_timed(day_drafts(200, seed=8))
    rng = random.Random(8)
    done = threading.Event()
    kills = 0

    def chaos() -> None:
        nonlocal kills
        while not done.is_set() and kills < 3:
            time.sleep(rng.uniform(0.05, 0.4))  # mid-request as likely as between requests
            restartable.stop(kill=True)
            kills += 1
            restartable.start()

    killer = threading.Thread(target=chaos, daemon=True)
    try:
        killer.start()
        status = upload(service, batch_events=20, on_progress=lambda _seq: time.sleep(0.03),
                        retry=RetryPolicy(attempts=200, base_s=0.05, cap_s=0.2))
        done.set()
        killer.join(30)
        assert kills >= 1
        assert status.ok, status
        assert_head_office_holds_exactly(restartable, service)
    finally:
        done.set()
        service.close()


def write_config(path: Path, url: str, token: str) -> Path:
    demo = paths.resource_path("demo_config.toml").read_text(encoding="utf-8")
    (path.parent / "hq.token").write_text(token + "\n", encoding="utf-8")
    path.write_text(demo + f'\n[head_office]\nurl = "{url}"\ntoken_file = "hq.token"\n'
                    '\n[sync]\nwindow = "01:00-05:00"\n', encoding="utf-8")
    return path


def test_counter_app_sync_command(hq_sqlite: HqServer, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from counter_app import config as config_module

    token = hq_sqlite.enroll("SH-0001", "cli")
    config_path = write_config(tmp_path / "counter.toml", hq_sqlite.url, token)
    text = config_path.read_text().replace('id = "03"', 'id = "cli"')
    config_path.write_text(text)
    data_dir = tmp_path / "data"
    service = CounterService(config_module.load(config_path), data_dir)
    service.store.append_timed(day_drafts(30))
    total = service.store.last_seq()
    service.close()
    common = ["--config", str(config_path), "--data-dir", str(data_dir)]

    assert cli.main(["sync", *common, "--now"]) == 0
    assert f"head office holds all {total} events" in capsys.readouterr().out
    assert cli.main(["sync", *common]) == 0  # synced tonight already: not due
    assert "not due: next sync at" in capsys.readouterr().out

    # head office down: the counter goes on, the failure is recorded, nothing lost
    down = write_config(tmp_path / "down.toml", "http://127.0.0.1:9", token)
    down.write_text(down.read_text().replace('id = "03"', 'id = "cli"'))
    service = CounterService(config_module.load(down), data_dir)
    service.store.append_timed(day_drafts(5, seed=9))
    service.close()
    assert cli.main(["sync", "--config", str(down), "--data-dir", str(data_dir), "--now",
                     "--attempts", "1"]) == 1
    assert "unreachable" in capsys.readouterr().err
    reader = connect(paths.database_path(data_dir), readonly=True)
    status = read_status(reader)
    assert status is not None and not status.ok and status.failures == 1
    assert status.last_success_at is not None and status.pending is None
    reader.conn.close()

    assert cli.main(["sync", *common]) == 0  # the retry waits for its backoff
    assert "not due" in capsys.readouterr().out
    assert cli.main(["sync", *common, "--now"]) == 0
    added = len(day_drafts(5, seed=9))
    assert f"OK: {added} events sent" in capsys.readouterr().out
    who = hq_sqlite.store.counter("SH-0001", "cli")
    assert who is not None and who.hw_seq == total + added


def test_a_busy_head_office_says_when_to_come_back_and_everyone_gets_through(
    demo_config: Config, tmp_path: Path
) -> None:
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}", "--max-uploads", "1") as server:
        services = [make_counter(demo_config, tmp_path, server, f"busy{n}") for n in range(4)]
        try:
            for n, service in enumerate(services):
                service.store.append_timed(day_drafts(120, seed=n))
            waits: list[float] = []

            def wait(seconds: float) -> None:
                waits.append(seconds)
                time.sleep(seconds)

            def run(service: CounterService) -> SyncStatus:
                return upload(service, batch_events=50, sleep=wait,
                              retry=RetryPolicy(attempts=20, base_s=0.01, cap_s=0.02))

            with ThreadPoolExecutor(4) as pool:
                statuses = list(pool.map(run, services))
            assert all(s.ok for s in statuses), statuses
            assert 2.0 in waits  # 429's Retry-After was honoured
            for service in services:
                assert_head_office_holds_exactly(server, service)
        finally:
            for service in services:
                service.close()


def test_a_replaced_counter_database_gets_a_new_history_at_head_office(
    hq_sqlite: HqServer, demo_config: Config, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    from head_office import cli as hq_cli
    from head_office import reports

    old = make_counter(demo_config, tmp_path, hq_sqlite, "replaced")
    old.store.append_timed(day_drafts(20, seed=1))
    assert sync(old).ok
    old.close()
    # the database failed its check and was set aside: the counter starts a fresh one
    config = old.config
    fresh = CounterService(config, tmp_path / "fresh")
    try:
        fresh.store.append_timed(day_drafts(10, seed=2))
        refused = sync(fresh)
        assert not refused.ok and refused.permanent
        assert "different history" in (refused.error or "")
        assert "--new-history" in (refused.error or "")

        assert hq_cli.main(["enroll", "--db", hq_sqlite.db_url, "--hall", config.hall_id,
                            "--counter", config.counter_id, "--new-history"]) == 0
        token = capsys.readouterr().out.strip().splitlines()[-1]
        fresh.config = counter_config(config, config.head_office.url, token,
                                      counter=config.counter_id)
        assert sync(fresh).ok
        assert_head_office_holds_exactly(hq_sqlite, fresh)
        chains = {r["counter"]: r for r in reports.chains(hq_sqlite.store,
                                                           hall=config.hall_id)}
        kept = [r for c, r in chains.items() if c.startswith("replaced~")]
        assert len(kept) == 1 and kept[0]["chain"] == "ok" and kept[0]["revoked_at"]
        # with its log_opened and the demo accounts' staff_added
        assert kept[0]["events"] == 1 + 4 + len(day_drafts(20, seed=1))
        # both histories still count for the same counter in reports
        (row,) = [r for r in reports.service_level(
            hq_sqlite.store, reports.month_period("2026-11", "UTC"), by="counter",
            hall=config.hall_id) if r["counter"] == "replaced"]
        assert row["completed"] + row["voided"] + row["interrupted"] == 30
    finally:
        fresh.close()


def test_demo_history_syncs_and_head_office_agrees_with_the_counter(
    hq_server: HqServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`counter-app demo-data` (interruptions, type changes, reviews, stars) then
    `counter-app sync`: head office's projection equals the counter's, row for row."""
    from counter_core import reviews
    from head_office import reports
    from head_office.schema import transactions

    token = hq_server.enroll("SH-0001", "demo")
    config_path = write_config(tmp_path / "counter.toml", hq_server.url, token)
    config_path.write_text(config_path.read_text().replace('id = "03"', 'id = "demo"'))
    common = ["--config", str(config_path), "--data-dir", str(tmp_path / "data")]
    # the demo's manager confirms October's star on 2 November
    assert cli.main(["demo-data", *common, "--days", "5", "--end", "2026-11-02"]) == 0
    assert cli.main(["sync", *common, "--now"]) == 0
    capsys.readouterr()

    local_db = connect(paths.database_path(tmp_path / "data"), readonly=True)
    try:
        local = {r["txn"]: r for r in local_db.query("SELECT * FROM transactions")}
        from counter_app.storage.events import event_from_row

        log = [event_from_row(r) for r in local_db.query("SELECT * FROM events ORDER BY seq")]
    finally:
        local_db.conn.close()
    who = hq_server.store.counter("SH-0001", "demo")
    assert who is not None and who.hw_seq == len(log)
    assert hq_server.store.events(who) == log
    with hq_server.store.reader.connect() as conn:
        held = {r["txn"]: dict(r) for r in conn.execute(
            transactions.select().where(transactions.c.counter_id == who.id)).mappings()}
    assert set(held) == set(local) and len(local) > 50
    for txn, row in local.items():
        assert {c: held[txn][c] for c in projection.COLUMNS} == row
    overtime_causes = {key[0]: row["cause"] for key, row in reviews.rebuild(log)["reviews"].items()
                       if key[1] == "overtime"}
    assert overtime_causes, "the demo history has overtime reviews"
    assert {t: held[t]["review_cause"] for t in overtime_causes} == overtime_causes
    (star,) = reviews.rebuild(log)["stars"].values()
    ranking = reports.stars(hq_server.store, reports.month_period(star["month"], "Asia/Shanghai"),
                            hall="SH-0001")
    assert [r["staff"] for r in ranking if r["confirmed"]] == [star["staff"]]
    # head office ranks with the counter's own rule: the same suggestion, the same score
    (suggested,) = [r for r in ranking if r["star"]]
    assert (suggested["staff"], suggested["score"]) == (star["staff"], star["score"])


def test_counter_app_sync_while_the_app_runs_uploads_and_leaves_the_writing_to_it(
    hq_sqlite: HqServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from counter_app import config as config_module

    token = hq_sqlite.enroll("SH-0001", "running")
    config_path = write_config(tmp_path / "counter.toml", hq_sqlite.url, token)
    config_path.write_text(config_path.read_text().replace('id = "03"', 'id = "running"'))
    app = CounterService(config_module.load(config_path), tmp_path / "data")
    try:
        app.store.append_timed(day_drafts(10))
        assert cli.main(["sync", "--config", str(config_path), "--data-dir",
                         str(tmp_path / "data"), "--now"]) == 0
        out = capsys.readouterr()
        assert "OK:" in out.out and "Counter App is running" in out.err
        assert read_status(app.db) is None  # the app's own writer was left alone
        assert_head_office_holds_exactly(hq_sqlite, app)
        app.store.append_timed(day_drafts(2, seed=3))  # and the app goes on writing
    finally:
        app.close()
