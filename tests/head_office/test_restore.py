"""A tested restore (docs/head_office.md, "Backups and restore"): a PostgreSQL head office with
WAL archiving, a base backup (pg_basebackup), a restore to a point in time (WAL replay up to
recovery_target_time); the counter's next sync resends what head office lost, and head office
ends holding every event, its chain verifying, with no incident."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from counter_app.application.sync import upload_pending
from counter_app.config import Config
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus, read_acked_seq, record_status
from counter_app.sync.uploader import RetryPolicy
from counter_core.chain import Event
from head_office import anchors
from head_office.store import Store
from tests.helpers.counter import CounterService
from tests.helpers.hq import (
    HqServer,
    _as_postgres,
    _pg_bin,
    counter_config,
    day_drafts,
    free_port,
)

FAST = RetryPolicy(attempts=20, base_s=0.05, cap_s=0.2)
DB = "counter_hq"


def _pg(name: str) -> str:
    found = _pg_bin(name)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} not found; install PostgreSQL 15")
    return found


def _run(cmd: list[str]) -> str:
    done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True)
    assert done.returncode == 0, f"{cmd[0]}: {done.stderr}"
    return done.stdout


@dataclass
class ArchivedCluster:
    """A PostgreSQL cluster archiving its WAL to `archive`, as docs/head_office.md says."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def sock(self) -> Path:
        return self.root / "sock"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/{DB}?host={self.sock}&port={self.port}"

    def connect(self, dbname: str = DB) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.sock), port=self.port, user="postgres",
                               dbname=dbname, autocommit=True)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.sock} -c listen_addresses='' -c fsync=off "
                   f"-c wal_level=replica -c archive_mode=on "
                   f"-c archive_command='test ! -f {self.archive}/%f && cp %p {self.archive}/%f'"
                   f" -c restore_command='cp {self.archive}/%f %p'")
        _run([_pg("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
              str(self.root / "log"), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(_as_postgres([_pg("pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                                     "stop"]), capture_output=True)

    def archived_through_now(self) -> None:
        """Switch to a new WAL segment and wait until the one just closed is archived."""
        with self.connect() as conn:
            row = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()
            assert row is not None
            segment = str(row[0])
        deadline = time.monotonic() + 30
        while not (self.archive / segment).exists():
            assert time.monotonic() < deadline, f"WAL segment {segment} was not archived"
            time.sleep(0.1)


@pytest.fixture
def archived_cluster() -> Iterator[ArchivedCluster]:
    if os.environ.get("COUNTER_HQ_SKIP_PG") == "1":
        pytest.skip("COUNTER_HQ_SKIP_PG=1")
    root = Path(tempfile.mkdtemp(prefix="hq-pitr-"))
    cluster = ArchivedCluster(root, free_port())
    for folder in (cluster.sock, cluster.archive):
        folder.mkdir()
    if os.geteuid() == 0:
        for folder in (root, cluster.sock, cluster.archive):
            shutil.chown(folder, "postgres", "postgres")
    _run([_pg("initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "-E",
          "UTF8", "--locale=C", "--no-sync"])
    cluster.start()
    with cluster.connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{DB}"')
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def sync(service: CounterService) -> SyncStatus:
    """One sync the way `counter-app sync --now` runs it (the application layer's use case:
    the anchor first, then the events head office lacks)."""
    office = service.config.head_office
    with HeadOfficeClient(office.url or "", office.token or "", timeout=10) as client:
        status = upload_pending(service.data_dir, client, retry=FAST, cancelled=lambda: False,
                                sleep=time.sleep)
    return record_status(service.db, status)


@dataclass
class Held:
    """What head office holds of the counter."""

    mark: int
    events: list[Event]
    verdict: str | None  # the chain's verification (None: it verifies)
    incidents: list[dict[str, Any]]
    anchored: list[int]  # the sequences of its anchors


def held(url: str, service: CounterService) -> Held:
    store = Store(url)
    try:
        who = store.counter(service.config.hall_id, service.config.counter_id)
        assert who is not None
        return Held(who.hw_seq, list(store.events(who)), store.verify(who),
                    anchors.counter_incidents(store.engine, who),
                    sorted(a["seq"] for a in anchors.stored_anchors(store.engine, who)))
    finally:
        store.close()


def poor_rating_alerts(cluster: ArchivedCluster) -> list[str]:
    """The transactions of the poor-rating alerts head office holds (with repeats, if any)."""
    with cluster.connect() as conn:
        return sorted(str(r[0]) for r in conn.execute(
            "SELECT txn FROM alerts WHERE kind = 'poor_rating'").fetchall())


def test_a_point_in_time_restore_is_made_whole_by_the_counters_next_sync(
    archived_cluster: ArchivedCluster, demo_config: Config, tmp_path: Path
) -> None:
    cluster = archived_cluster
    server = HqServer(cluster.url).start()
    service: CounterService | None = None
    try:
        config = counter_config(demo_config, server.url, server.enroll("SH-0001", "r1"),
                                counter="r1")
        service = CounterService(config, tmp_path / "counter")
        service.store.append_timed(day_drafts(40, seed=1))
        assert sync(service).ok
        first = service.store.last_seq()

        # the base backup, while head office serves
        backup = cluster.root / "base"
        _run([_pg("pg_basebackup"), "-h", str(cluster.sock), "-p", str(cluster.port), "-U",
              "postgres", "-D", str(backup), "-X", "stream", "-c", "fast"])
        _run([_pg("pg_verifybackup"), str(backup)])

        # more after the backup: in the WAL only, which the restore replays up to the target
        service.store.append_timed(day_drafts(30, seed=2, day=dt.date(2026, 11, 3)))
        assert sync(service).ok
        second = service.store.last_seq()
        time.sleep(1.0)
        with cluster.connect() as conn:
            row = conn.execute("SELECT to_char(now() AT TIME ZONE 'UTC', "
                               "'YYYY-MM-DD HH24:MI:SS.US') || '+00'").fetchone()
            assert row is not None
            target = str(row[0])
        time.sleep(1.0)

        # and more after the target: these, and the anchors that came with them, are lost
        service.store.append_timed(day_drafts(30, seed=3, day=dt.date(2026, 11, 4)))
        assert sync(service).ok
        third = service.store.last_seq()
        assert first < second < third
        assert read_acked_seq(service.db) == third
        assert third in held(cluster.url, service).anchored  # each sync anchors first
        cluster.archived_through_now()
        server.stop()

        # the disaster, and the restore to the target time
        cluster.stop("immediate")
        shutil.rmtree(cluster.data)
        shutil.copytree(backup, cluster.data)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(cluster.data)], check=True)
        (cluster.data / "recovery.signal").touch()
        with (cluster.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"recovery_target_time = '{target}'\n"
                       "recovery_target_action = 'promote'\n")
        cluster.start()
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(psycopg.OperationalError), cluster.connect() as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row is not None and row[0] is False:
                    break
            assert time.monotonic() < deadline, "the restore did not finish"
            time.sleep(0.2)
        restored = held(cluster.url, service)
        # the target's point: the base backup had `first`, the WAL replay brought `second`
        assert restored.mark == second, (restored.mark, first, second, third)
        assert restored.events == list(service.store.events())[:second]
        assert restored.verdict is None and restored.incidents == []
        assert max(restored.anchored) == second  # the anchors after the point are gone

        # the counter's next sync: the lower mark, and it resends what head office lacks
        server.start()
        status = sync(service)
        assert status.ok, status
        assert (status.sent, status.acked_seq) == (third - second, third)  # resent from the mark
        after = held(cluster.url, service)
        assert after.mark == third == service.store.last_seq()
        assert after.events == list(service.store.events())  # every event once, byte-exact
        assert after.verdict is None
        assert after.incidents == []  # neither the newer anchor nor the resend is an incident
        assert third in after.anchored  # the counter's anchor is made again
        # the poor ratings' alerts of the resent events are raised again, each once
        rated_poorly = [ev for ev in service.store.events()
                        if ev.kind == "rated" and ev.payload["rating"] <= 2]
        assert any(ev.seq > second for ev in rated_poorly)  # some were resent
        poor = {ev.payload["txn"] for ev in rated_poorly}
        deadline = time.monotonic() + 20
        while poor_rating_alerts(cluster) != sorted(poor):
            assert time.monotonic() < deadline, (poor_rating_alerts(cluster), sorted(poor))
            time.sleep(0.2)
    finally:
        if service is not None:
            service.close()
        server.close()
