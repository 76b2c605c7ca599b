"""Test support for head office and sync: a real counter-hq subprocess, a throwaway PostgreSQL,
a fault-injecting HTTP proxy, and generated counter histories.

PYTEST_DONT_REWRITE: test modules import it directly and conftest lists it in pytest_plugins.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import httpx
import pytest

from counter_app.config import Config, HeadOffice
from counter_core.chain import GENESIS_HASH, Event, seal
from counter_core.transaction import Draft
from head_office.store import Store

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---- generated history --------------------------------------------------------------------

def day_drafts(transactions: int, day: dt.date = dt.date(2026, 11, 2), *, seed: int = 7,
               staff: tuple[str, ...] = ("1001", "1002")) -> list[tuple[str, Draft]]:
    """A counter's day as (UTC time, draft) pairs: sign-ins, transactions, ratings, reasons."""
    rng = random.Random(seed)
    now = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC)  # 09:00 in Shanghai
    out: list[tuple[str, Draft]] = []

    def at(advance_s: float) -> str:
        nonlocal now
        now += dt.timedelta(seconds=advance_s)
        return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    per_staff = max(1, transactions // len(staff))
    done = 0
    for who in staff:
        out.append((at(5), Draft("signed_in", {"staff": who, "role": "staff"})))
        for _ in range(per_staff):
            if done == transactions:
                break
            done += 1
            txn = str(uuid.UUID(int=rng.getrandbits(128)))
            kind, target = rng.choice((("payment", 180.0), ("payment", 180.0), ("sim", 300.0),
                                       ("enquiry", None)))
            out.append((at(rng.uniform(20, 200)), Draft("started", {
                "txn": txn, "staff": who, "type": kind, "target_s": target})))
            if rng.random() < 0.02:
                out.append((at(5), Draft("voided", {"txn": txn, "elapsed_s": 5.0})))
                continue
            duration = round(rng.lognormvariate(4.85, 0.5), 3)
            over = round(max(0.0, duration - target), 3) if target else 0.0
            out.append((at(duration), Draft("completed", {
                "txn": txn, "duration_s": duration, "target_s": target, "overtime_s": over})))
            if rng.random() < 0.8:
                rating = rng.choice((5, 5, 5, 4, 4, 3, 2, 1))
                out.append((at(4), Draft("rated", {"txn": txn, "rating": rating})))
            else:
                out.append((at(30), Draft("rating_timed_out", {"txn": txn})))
            if over > 0:
                out.append((at(2), Draft("overtime_reason", {
                    "txn": txn, "reason": rng.choice(("complex", "system", "documents"))})))
        out.append((at(5), Draft("signed_out", {"staff": who})))
    return out


def chained(hall: str, counter: str, drafts: list[tuple[str, Draft]], *, first_seq: int = 1,
            prev_hash: str = GENESIS_HASH, seed: int = 1) -> list[Event]:
    """Seal drafts into a chain exactly as a counter's EventStore would."""
    rng = random.Random(seed)
    out: list[Event] = []
    for seq, (at, draft) in enumerate(drafts, start=first_seq):
        ev = seal(Event(seq=seq, uuid=str(uuid.UUID(int=rng.getrandbits(128))), kind=draft.kind,
                        at=at, hall=hall, counter=counter, payload=draft.payload,
                        prev_hash=prev_hash))
        out.append(ev)
        prev_hash = ev.hash
    return out


def counter_config(base: Config, url: str | None, token: str | None, *,
                   hall: str | None = None, counter: str | None = None,
                   reader_token: str | None = None) -> Config:
    """The demo configuration pointed at a head office (`reader_token`: the hall's, for the
    manager view's hall figures)."""
    return replace(base, head_office=HeadOffice(url, token, reader_token=reader_token),
                   hall_id=hall or base.hall_id,
                   counter_id=counter or base.counter_id)


# ---- a throwaway PostgreSQL ---------------------------------------------------------------

def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


@dataclass
class PgCluster:
    """A PostgreSQL cluster in a temporary folder, reached through a Unix socket."""

    root: Path
    port: int
    _created: int = 0

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://postgres@/{database}"
                f"?host={self.socket_dir}&port={self.port}")

    def new_database(self, prefix: str = "hq") -> str:
        """A fresh empty database's URL."""
        import psycopg

        self._created += 1
        name = f"{prefix}_{os.getpid()}_{self._created}"
        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgres_cluster(*, fsync: bool = False) -> Iterator[PgCluster]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; install PostgreSQL "
                           "15 (see .ci/run) or set COUNTER_HQ_SKIP_PG=1")
    root = Path(tempfile.mkdtemp(prefix="hq-pg-"))
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "sock", "postgres", "postgres")
    port = free_port()
    data = root / "data"
    subprocess.run(_as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                                 "-E", "UTF8", "--locale=C", "--no-sync"]),
                   check=True, capture_output=True)
    options = (f"-p {port} -k {root / 'sock'} -c listen_addresses='' "
               f"-c fsync={'on' if fsync else 'off'} -c max_connections=100")
    subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l",
                                 str(root / "log"), "-w", "start"]),
                   check=True, capture_output=True)
    try:
        yield PgCluster(root, port)
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if os.environ.get("COUNTER_HQ_SKIP_PG") == "1":
        pytest.skip("COUNTER_HQ_SKIP_PG=1")
    with postgres_cluster() as cluster:
        yield cluster


# ---- counter-hq in a subprocess -----------------------------------------------------------

def _drain(stream: IO[bytes] | None) -> None:
    """Read a subprocess's output to its end (a pipe nobody reads fills up and blocks it)."""
    if stream is None:
        return
    with contextlib.suppress(ValueError, OSError):
        while stream.read(65536):
            pass


@dataclass
class HqServer:
    """`counter-hq serve` in a subprocess on a free loopback port."""

    db_url: str
    port: int = field(default_factory=free_port)
    options: tuple[str, ...] = ()  # more `counter-hq serve` options
    process: subprocess.Popen[bytes] | None = None
    _store: Store | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> Store:
        """The same database, opened in the test process (to enrol and to inspect)."""
        if self._store is None:
            self._store = Store(self.db_url)
        return self._store

    def start(self) -> HqServer:
        # COUNTER_HQ_PYTHON: the interpreter of a head-office-only venv (`setup.sh hq`), run
        # outside the checkout so that it imports the installed distribution, not the source
        python = os.environ.get("COUNTER_HQ_PYTHON") or sys.executable
        self.process = subprocess.Popen(
            [python, "-m", "head_office.cli", "serve", "--db", self.db_url,
             "--port", str(self.port), "--log-level", "warning", *self.options],
            cwd=Path(python).parent if python != sys.executable else REPO,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"counter-hq serve exited: {err}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    # drain the server's log, or a full pipe blocks its next warning
                    threading.Thread(target=_drain, args=(self.process.stderr,),
                                     daemon=True).start()
                    return self
            time.sleep(0.05)
        raise RuntimeError("counter-hq serve did not start within 30 s")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def close(self) -> None:
        self.stop()
        if self._store is not None:
            self._store.close()
            self._store = None

    def enroll(self, hall: str, counter: str) -> str:
        return self.store.enroll(hall, counter)


@contextlib.contextmanager
def running_server(db_url: str, *options: str) -> Iterator[HqServer]:
    server = HqServer(db_url, options=options).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def hq_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HqServer]:
    path = tmp_path_factory.mktemp("hq") / "hq.sqlite"
    with running_server(f"sqlite:///{path}") as server:
        yield server


@pytest.fixture(scope="module")
def hq_postgres(pg_cluster: PgCluster) -> Iterator[HqServer]:
    with running_server(pg_cluster.new_database()) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def hq_server(request: pytest.FixtureRequest) -> HqServer:
    """counter-hq serving SQLite, then PostgreSQL."""
    name = "hq_sqlite" if request.param == "sqlite" else "hq_postgres"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# ---- a fault-injecting HTTP proxy ---------------------------------------------------------

FAULTS = ("drop", "reset", "delay", "duplicate_request", "duplicate_response", "truncate")


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    lines = head.split(b"\r\n")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    # one request per connection: the proxy's faults are easier to reason about
    kept = [line for line in lines if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n" + body


class FaultProxy:
    """Sits between counter and head office and misbehaves at random, by a seeded dice."""

    def __init__(self, upstream_port: int, *, rate: float = 0.35, seed: int = 1,
                 max_delay_s: float = 0.2) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self.rng = random.Random(seed)
        self.max_delay_s = max_delay_s
        self.faults: Tally[str] = Tally()
        self.requests = 0
        self.upstream_down = False
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _pick(self) -> tuple[str | None, float]:
        with self._lock:
            self.requests += 1
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.rate else None
            if fault:
                self.faults[fault] += 1
            return fault, self.rng.uniform(0, self.max_delay_s)

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as up:
            up.sendall(request)
            parts = []
            while chunk := up.recv(65536):
                parts.append(chunk)
        return b"".join(parts)

    def _handle(self, client: socket.socket) -> None:
        request = _read_request(client)
        if request is None:
            return
        fault, delay = self._pick()
        try:
            if fault == "drop":  # the request never reaches head office
                return
            if fault == "delay":
                time.sleep(delay)
            response = self._forward(request)
            if fault == "duplicate_request":  # head office sees the request twice
                response = self._forward(request)
            if fault == "reset":  # head office did the work; the answer is lost
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if fault == "truncate":
                client.sendall(response[: len(response) // 2])
                return
            client.sendall(response)
            if fault == "duplicate_response":
                client.sendall(response)
        except OSError:
            pass  # head office down (restart tests): the client sees the connection drop
