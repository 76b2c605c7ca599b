"""`counter-hq user`: web logins added, listed, disabled, enabled and given a new password
from the command line; bad input is one clear line and exit status 2; every change is in the
audit trail as login "cli" from "local"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from head_office.store import Store
from head_office.web import audit, users
from tests.helpers.hq import REPO

PASSWORD = "Correct-horse-42"


def hq(db: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "head_office.cli", *args, "--db", db],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    for hall in ("SH-01", "SH-02", "BJ-01"):
        assert hq(url, "enroll", "--hall", hall, "--counter", "C1").returncode == 0
    return url


def refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done
    assert words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_add_list_disable_enable_and_a_new_password(db: str) -> None:
    done = hq(
        db,
        "user",
        "add",
        "--login",
        "boss",
        "--role",
        "hq",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert "every hall" in done.stdout
    done = hq(
        db,
        "user",
        "add",
        "--login",
        "region.east",
        "--role",
        "hall",
        "--hall",
        "SH-01",
        "--hall",
        "SH-02",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    listed = hq(db, "user", "list").stdout.splitlines()
    assert listed[0].split("\t")[:4] == ["login", "role", "halls", "state"]
    rows = {line.split("\t")[0]: line.split("\t") for line in listed[1:]}
    assert rows["boss"][1:4] == ["hq", "*", "enabled"]
    assert rows["region.east"][1:4] == ["hall", "SH-01,SH-02", "enabled"]

    assert hq(db, "user", "disable", "--login", "region.east").returncode == 0
    assert "disabled" in hq(db, "user", "list").stdout.splitlines()[2]
    store = Store(db)
    try:
        assert users.check_password(store.engine, "region.east", PASSWORD) is None
        assert hq(db, "user", "enable", "--login", "region.east").returncode == 0
        region = users.check_password(store.engine, "region.east", PASSWORD)
        assert region is not None and region.sees("SH-02") and not region.sees("BJ-01")
        done = hq(
            db,
            "user",
            "password",
            "--login",
            "region.east",
            "--password-stdin",
            stdin="Fresh-and-long-99\n",
        )
        assert done.returncode == 0, done.stderr
        assert users.check_password(store.engine, "region.east", PASSWORD) is None
        assert users.check_password(store.engine, "region.east", "Fresh-and-long-99")
        with store.engine.connect() as conn:
            stored = conn.execute(users.users.select()).all()
        assert all(row.password_hash.startswith("$argon2id$") for row in stored)
        trail = list(audit.entries(store.engine))
    finally:
        store.close()
    assert [(e["login"], e["ip"], e["action"]) for e in trail] == [
        ("cli", "local", "admin_change")
    ] * 5
    assert [e["target"] for e in reversed(trail)] == [
        "user boss",
        "user region.east",
        "user region.east",
        "user region.east",
        "user region.east",
    ]
    assert "halls SH-01,SH-02" in trail[-2]["detail"]
    assert all(PASSWORD not in e["detail"] for e in trail)


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("Short-1", "at least 12 characters"),
        ("alllowercaseletters", "at least two of"),
        ("--------------", "at least two of"),
        ("", "at least 12 characters"),
    ],
)
def test_the_password_policy(db: str, password: str, words: str) -> None:
    refused(
        hq(
            db,
            "user",
            "add",
            "--login",
            "ann",
            "--role",
            "hq",
            "--password-stdin",
            stdin=password + "\n",
        ),
        words,
    )
    assert "ann" not in hq(db, "user", "list").stdout


def test_bad_requests_are_one_clear_line(db: str) -> None:
    refused(
        hq(
            db,
            "user",
            "add",
            "--login",
            "ann",
            "--role",
            "hall",
            "--hall",
            "NOPE-9",
            "--password-stdin",
            stdin=PASSWORD,
        ),
        "no hall NOPE-9",
    )
    refused(
        hq(
            db,
            "user",
            "add",
            "--login",
            "ann",
            "--role",
            "hall",
            "--password-stdin",
            stdin=PASSWORD,
        ),
        "at least one --hall",
    )
    refused(
        hq(
            db,
            "user",
            "add",
            "--login",
            "ann",
            "--role",
            "hq",
            "--hall",
            "SH-01",
            "--password-stdin",
            stdin=PASSWORD,
        ),
        "give no --hall",
    )
    refused(hq(db, "user", "add", "--login", "ann", "--role", "hq"), "--password-stdin")
    refused(
        hq(
            db,
            "user",
            "add",
            "--login",
            "bad login!",
            "--role",
            "hq",
            "--password-stdin",
            stdin=PASSWORD,
        ),
        "a login is",
    )
    refused(hq(db, "user", "disable", "--login", "ghost"), "no login ghost")
    refused(
        hq(db, "user", "password", "--login", "ghost", "--password-stdin", stdin=PASSWORD),
        "no login ghost",
    )
    refused(hq(db, "user", "disable"), "needs --login")
    assert (
        hq(
            db, "user", "add", "--login", "ann", "--role", "hq", "--password-stdin", stdin=PASSWORD
        ).returncode
        == 0
    )
    refused(
        hq(db, "user", "add", "--login", "ann", "--role", "hq", "--password-stdin", stdin=PASSWORD),
        "exists already",
    )
    refused(
        hq(db, "user", "password", "--login", "ann", "--password-stdin", stdin="ann"), "at least 12"
    )


def test_no_database_no_users(tmp_path: Path) -> None:
    refused(hq(f"sqlite:///{tmp_path / 'typo.sqlite'}", "user", "list"), "no head office database")
