"""`counter-hq serve --workers N` on PostgreSQL: every worker answers, concurrent uploads are
stored once, and exactly one worker leads (runs the alert loop and the webhook outboxes),
replaced within seconds when it dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from counter_app import paths
from counter_app.config import Config
from counter_app.storage.db import connect
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader
from head_office.leader import APPLICATION_NAME, LOCK_KEY, RETRY_S
from tests.helpers.counter import CounterService
from tests.helpers.hq import REPO, HqServer, PgCluster, counter_config, day_drafts


@pytest.fixture
def two_workers(pg_cluster: PgCluster) -> Iterator[HqServer]:
    server = HqServer(pg_cluster.new_database("workers"), options=("--workers", "2")).start()
    try:
        yield server
    finally:
        server.close()


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def worker_pids(server: HqServer, count: int = 2, timeout_s: float = 30) -> list[int]:
    """uvicorn's worker processes (not multiprocessing's resource tracker), once there are
    `count` of them."""
    assert server.process is not None
    deadline = time.monotonic() + timeout_s
    while True:
        found = []
        for pid in _children(server.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in cmdline:
                found.append(pid)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of head office's end of the loopback connection from `client_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if (local == f"0100007F:{server_port:04X}"
                and remote == f"0100007F:{client_port:04X}"):
            return inode
    return None


def answering_pid(server: HqServer, workers: list[int]) -> int | None:
    """Which worker answers one new connection's GET /api/v1/health (the process holding
    the server's end of that connection, read from /proc)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        inode = _socket_inode(server.port, sock.getsockname()[1])
        assert inode is not None
        for pid in workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return pid
                except OSError:
                    continue
    return None


def leaders(cluster: PgCluster, url: str) -> list[int]:
    """The worker pids of the sessions holding head office's advisory lock on `url`'s
    database (pg_locks, and pg_stat_activity's application_name for the pid)."""
    dbname = url.split("@/")[1].split("?")[0]
    with psycopg.connect(host=str(cluster.socket_dir), port=cluster.port, user="postgres",
                         dbname=dbname, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = %s AND l.objid = %s AND l.objsubid = 1",
            ((LOCK_KEY >> 32) & 0xFFFFFFFF, LOCK_KEY & 0xFFFFFFFF)).fetchall()
    out = []
    for (name,) in rows:
        assert name.startswith(APPLICATION_NAME), name
        out.append(int(name.rsplit(" ", 1)[1]))
    return out


def wait_for_leaders(cluster: PgCluster, url: str, *, not_pid: int | None = None,
                     timeout_s: float = 20) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = leaders(cluster, url)
        if (found and not_pid not in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def upload(service: CounterService, url: str) -> SyncStatus:
    reader = connect(paths.database_path(service.data_dir), readonly=True)
    config = service.config
    try:
        with HeadOfficeClient(url, config.head_office.token or "", timeout=10) as client:
            return Uploader(LocalLog(reader), client, batch_events=25,
                            retry=RetryPolicy(attempts=60, base_s=0.05, cap_s=0.3)).run()
    finally:
        reader.conn.close()


def test_both_workers_answer(two_workers: HqServer) -> None:
    """Each worker answers connections of its own. The server counts as started once one
    answers; the other may still be importing (seconds on a loaded CI machine), and until it
    accepts the kernel hands every connection to the first: ask until both have answered."""
    workers = worker_pids(two_workers)
    assert len(workers) == 2, workers
    seen: set[int | None] = set()
    deadline = time.monotonic() + 30
    while seen != set(workers) and time.monotonic() < deadline:
        seen |= {answering_pid(two_workers, workers) for _ in range(20)}
        time.sleep(0.2)
    assert seen == set(workers), (seen, workers)


def test_concurrent_uploads_through_two_workers_are_stored_once(
    two_workers: HqServer, demo_config: Config, tmp_path: Path
) -> None:
    services = []
    for name, seed in (("w1", 1), ("w2", 2)):
        config = counter_config(demo_config, two_workers.url,
                                two_workers.enroll("SH-0001", name), counter=name)
        service = CounterService(config, tmp_path / f"data-{name}")
        service.store.append_timed(day_drafts(120, seed=seed))
        services.append(service)
    try:
        # each counter twice at once, as a scheduler's run and a `sync --now` would
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda s: upload(s, two_workers.url),
                                    [*services, *services]))
        assert all(r.ok for r in results), results
        for service in services:
            who = two_workers.store.counter("SH-0001", service.config.counter_id)
            assert who is not None
            local = list(service.store.events())
            assert two_workers.store.events(who) == local  # every event once, in order
            assert who.hw_seq == len(local)
            assert two_workers.store.verify(who) is None
            counts = two_workers.store.counts(who)
            assert (counts["conflicts"], counts["rejected"]) == (0, 0)
    finally:
        for service in services:
            service.close()


def test_one_leader_and_a_dead_leader_is_replaced(two_workers: HqServer,
                                                  pg_cluster: PgCluster) -> None:
    workers = worker_pids(two_workers)
    assert len(workers) == 2
    first = wait_for_leaders(pg_cluster, two_workers.db_url)
    assert len(first) == 1 and first[0] in workers, (first, workers)
    time.sleep(2 * RETRY_S)  # the follower has tried, and failed, at least once meanwhile
    assert leaders(pg_cluster, two_workers.db_url) == first
    os.kill(first[0], signal.SIGKILL)
    killed_at = time.monotonic()
    after = wait_for_leaders(pg_cluster, two_workers.db_url, not_pid=first[0])
    assert len(after) == 1 and after[0] != first[0], after
    assert time.monotonic() - killed_at < 3 * RETRY_S + 2
    # uvicorn replaces the dead worker; the new one follows, and the service still answers
    assert len(worker_pids(two_workers)) == 2
    assert leaders(pg_cluster, two_workers.db_url) == after


def test_sqlite_with_several_workers_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "head_office.cli", "serve", "--db",
         f"sqlite:///{tmp_path / 'hq.sqlite'}", "--workers", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "counter-hq: --workers 2 needs a PostgreSQL --db: SQLite takes one writer at a time, "
        "so serve it with one worker (--workers 1)"]
    assert done.stdout == ""


def test_zero_workers_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "head_office.cli", "serve", "--db",
         f"sqlite:///{tmp_path / 'hq.sqlite'}", "--workers", "0"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr.strip()) == (
        2, "counter-hq: --workers must be 1 or more, got 0")


def test_every_serve_option_reaches_the_workers(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from head_office import cli

    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    args = cli.build_parser().parse_args([
        "serve", "--db", db, "--port", "9100", "--workers", "3", "--max-uploads", "7",
        "--body-timeout", "12.5", "--time-zone", "Asia/Urumqi", "--session-idle-min", "15",
        "--audit-retention-days", "400", "--trusted-proxy", "10.0.0.9",
        "--alert-webhook", "http://127.0.0.1:9/hook#kinds=overtime", "--alert-format", "wecom",
        "--log-level", "warning"])
    options = {k: v for k, v in vars(args).items() if k != "handler"}
    captured: dict[str, object] = {}

    def fake_run(target: object, **kwargs: object) -> None:
        captured.update(kwargs, target=target, env=os.environ[cli.ENV_SERVE_OPTIONS])

    monkeypatch.setattr("uvicorn.run", fake_run)
    monkeypatch.setattr(cli, "_is_postgresql", lambda _url: True)  # the options, not the db
    store = cli.Store(db)
    try:
        assert cli._serve(args, store) == 0
    finally:
        store.close()
    assert captured["target"] == "head_office.cli:worker_app"
    assert (captured["factory"], captured["workers"], captured["port"]) == (True, 3, 9100)
    assert json.loads(str(captured["env"])) == options  # every option, as parsed

    class NoLock:
        def __init__(self, url: str) -> None:
            self.url = url

    monkeypatch.setattr("head_office.leader.Leadership", NoLock)
    app = cli.worker_app()
    assert app.state.settings.time_zone == "Asia/Urumqi"
    assert app.state.settings.max_uploads == 7
    assert app.state.leadership.url == db
    assert [(h.url, h.format, h.kinds) for h in app.state.outbox.hooks] == [
        ("http://127.0.0.1:9/hook", "wecom", frozenset({"overtime"}))]
    web = app.state.web.settings
    assert (web.idle_s, web.audit_retention_days, web.trusted_proxies) == (
        15 * 60, 400, ("10.0.0.9",))
    app.state.store.close()
