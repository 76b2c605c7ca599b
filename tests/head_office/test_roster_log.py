"""The hall server's roster log (SQLite and PostgreSQL): every change is an entry of a per-hall
hash chain in the counters' staff kinds and payload shapes; `counter-hq staff verify` checks
the chain and the accounts table against it and finds an edited row in either; the PIN rules
are the counter's; the PIN is read from stdin only and never stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, update

from counter_core import events, pins
from counter_core.chain import GENESIS_HASH
from counter_core.roster import pin_digest
from head_office import roster, schema
from tests.helpers.hq import HqServer

REPO = Path(__file__).resolve().parents[2]


def cli(server: HqServer, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "head_office.cli", "staff", *args, "--db", server.db_url],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.fixture
def hall(hq_server: HqServer) -> str:
    """A hall with a manager and a clerk, the clerk's PIN changed and the clerk disabled."""
    name = f"R-{uuid.uuid4().hex[:8]}"
    roster.add(hq_server.store, name, "9001", "陈经理", "manager", "135790")
    roster.add(hq_server.store, name, "1001", "王芳", "staff", "2468", photo="photos/1001.png")
    roster.set_pin(hq_server.store, name, "1001", "8642")
    roster.set_disabled(hq_server.store, name, "1001", True)
    return name


def log_rows(server: HqServer, hall: str) -> list[dict[str, object]]:
    with server.store.reader.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(schema.roster_log)
                .where(schema.roster_log.c.hall == hall)
                .order_by(schema.roster_log.c.seq)
            ).mappings()
        ]


def edit(server: HqServer, statement: object) -> None:
    with server.store.engine.begin() as conn:
        conn.execute(statement)  # type: ignore[call-overload]


def test_each_change_is_a_chained_entry_in_the_counters_staff_shapes(
    hq_server: HqServer, hall: str
) -> None:
    rows = log_rows(hq_server, hall)
    assert [r["kind"] for r in rows] == [
        events.STAFF_ADDED,
        events.STAFF_ADDED,
        events.STAFF_PIN_CHANGED,
        events.STAFF_DISABLED,
    ]
    prev = GENESIS_HASH
    for row in rows:
        payload = json.loads(str(row["payload"]))
        assert events.validate_payload(str(row["kind"]), payload) is None
        assert row["prev_hash"] == prev
        prev = str(row["hash"])
    assert roster.current_version(hq_server.store, hall) == roster.Version(4, prev)
    # the log carries digests, never the PIN hash, a name or a photo
    with hq_server.store.reader.connect() as conn:
        account = conn.execute(
            select(schema.roster_accounts).where(
                schema.roster_accounts.c.hall == hall, schema.roster_accounts.c.number == "1001"
            )
        ).one()
    text = json.dumps(rows, ensure_ascii=False)
    assert account.pin_hash not in text and "王芳" not in text and "photos/" not in text
    assert pin_digest(account.pin_hash) in text
    assert pins.check_pin("8642", account.pin_hash) and account.disabled == 1
    assert roster.verify(hq_server.store, hall) is None


@pytest.mark.parametrize(
    "change",
    ["payload", "hash", "deleted", "pin_hash", "role", "name", "disabled", "extra_account"],
)
def test_verify_detects_an_edited_row(hq_server: HqServer, hall: str, change: str) -> None:
    log, accounts = schema.roster_log, schema.roster_accounts
    entry = (log.c.hall == hall) & (log.c.seq == 2)
    clerk = (accounts.c.hall == hall) & (accounts.c.number == "1001")
    statement = {
        "payload": update(log)
        .where(entry)
        .values(
            payload=str(log_rows(hq_server, hall)[1]["payload"]).replace('"staff"', '"manager"')
        ),
        "hash": update(log).where(entry).values(hash="ab" * 32),
        "deleted": log.delete().where(entry),
        "pin_hash": update(accounts).where(clerk).values(pin_hash=pins.hash_pin("0000")),
        "role": update(accounts).where(clerk).values(role="manager"),
        "name": update(accounts).where(clerk).values(name="李强"),
        "disabled": update(accounts).where(clerk).values(disabled=0),
        "extra_account": accounts.insert().values(
            hall=hall,
            number="6666",
            name="x",
            role="manager",
            pin_hash="scrypt$1$1$1$00$00",
            disabled=0,
        ),
    }[change]
    edit(hq_server, statement)
    problem = roster.verify(hq_server.store, hall)
    assert problem is not None
    done = cli(hq_server, "verify", "--hall", hall)
    assert done.returncode == 1 and "does not verify" in done.stdout, done.stdout + done.stderr


def test_the_cli_keeps_the_counters_pin_rules_and_reads_the_pin_from_stdin(
    hq_server: HqServer,
) -> None:
    hall = f"C-{uuid.uuid4().hex[:8]}"
    short = cli(
        hq_server,
        "add",
        "--hall",
        hall,
        "--number",
        "9001",
        "--name",
        "M",
        "--role",
        "manager",
        "--pin-stdin",
        stdin="1234\n",
    )
    assert short.returncode == 2 and "at least 6 digits" in short.stderr
    no_stdin = cli(hq_server, "add", "--hall", hall, "--number", "9001", "--name", "M")
    assert no_stdin.returncode == 2 and "--pin-stdin" in no_stdin.stderr
    added = cli(
        hq_server,
        "add",
        "--hall",
        hall,
        "--number",
        "9001",
        "--name",
        "M",
        "--role",
        "manager",
        "--pin-stdin",
        stdin="135790\n",
    )
    assert added.returncode == 0, added.stderr
    again = cli(
        hq_server,
        "add",
        "--hall",
        hall,
        "--number",
        "9001",
        "--name",
        "M",
        "--pin-stdin",
        stdin="2468\n",
    )
    assert again.returncode == 2 and "already has staff 9001" in again.stderr
    last = cli(hq_server, "disable", "--hall", hall, "--number", "9001")
    assert last.returncode == 2 and "last enabled manager" in last.stderr
    clerk = cli(
        hq_server,
        "add",
        "--hall",
        hall,
        "--number",
        "1001",
        "--name",
        "C",
        "--pin-stdin",
        stdin="2468\n",
    )
    assert clerk.returncode == 0
    promote = cli(hq_server, "role", "--hall", hall, "--number", "1001", "--role", "manager")
    assert promote.returncode == 2 and "--pin-stdin" in promote.stderr
    promote = cli(
        hq_server,
        "role",
        "--hall",
        hall,
        "--number",
        "1001",
        "--role",
        "manager",
        "--pin-stdin",
        stdin="975310\n",
    )
    assert promote.returncode == 0, promote.stderr
    listed = cli(hq_server, "list", "--hall", hall)
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [
        "number,name,role,disabled",
        "1001,C,manager,False",
        "9001,M,manager,False",
    ]
    assert "975310" not in json.dumps(log_rows(hq_server, hall))
    ok = cli(hq_server, "verify", "--hall", hall)
    assert ok.returncode == 0 and "verifies (4 entries)" in ok.stdout
    assert roster.check_sign_in(hq_server.store, hall, "1001", "975310") == roster.OK
    assert roster.check_sign_in(hq_server.store, hall, "1001", "2468") == roster.WRONG
    assert roster.check_sign_in(hq_server.store, hall, "4040", "2468") == roster.WRONG
