"""Refused authentications are refused as before AND recorded (SQLite and PostgreSQL, a real
`counter-hq serve`): an unknown token, a revoked one, another hall's token on a hall route,
a counter's token where the hall's figures are read; each with its time, client address,
route, reason and a prefix of the token's SHA-256, never the token; the last 1000 only;
listed by `counter-hq report refusals`."""

from __future__ import annotations

import csv
import io
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from head_office import schema
from head_office.access import record_auth_refusal, token_hint
from head_office.store import hash_token
from tests.helpers.hq import HqServer

REPO = Path(__file__).resolve().parents[2]


def rows_of(server: HqServer, token: str) -> list[dict[str, object]]:
    with server.store.reader.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(schema.auth_refusals)
                .where(schema.auth_refusals.c.token_hint == token_hint(token))
                .order_by(schema.auth_refusals.c.id)
            ).mappings()
        ]


def get(server: HqServer, path: str, token: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{server.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )


def test_unknown_revoked_and_other_hall_tokens_are_refused_and_recorded(
    hq_server: HqServer,
) -> None:
    hall = f"A-{uuid.uuid4().hex[:8]}"
    unknown = secrets.token_urlsafe(32)
    answer = get(hq_server, "/api/v1/status", unknown)
    assert answer.status_code == 401 and answer.json()["code"] == "bad_token"
    revoked = hq_server.enroll(hall, "01")
    hq_server.store.revoke(hall, "01")
    answer = get(hq_server, "/api/v1/hall/roster", revoked)
    assert answer.status_code == 403 and answer.json()["code"] == "revoked"
    other = hq_server.enroll(f"{hall}-other", "01")
    answer = get(hq_server, "/api/v1/hall/roster", other, hall=hall)
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    counter = hq_server.enroll(hall, "02")
    assert get(hq_server, "/api/v1/hall", counter).status_code == 403  # the hall's figures

    for token, reason, route in (
        (unknown, "unknown_token", "GET /api/v1/status"),
        (revoked, "revoked_token", "GET /api/v1/hall/roster"),
        (other, "other_hall", "GET /api/v1/hall/roster"),
        (counter, "forbidden", "GET /api/v1/hall"),
    ):
        [row] = rows_of(hq_server, token)
        assert (row["reason"], row["route"], row["client"]) == (reason, route, "127.0.0.1")
        assert row["token_hint"] == hash_token(token)[:12]
        assert str(row["at"]).endswith("Z") and row["detail"]
        assert token not in str(row)
    # a token that works is not recorded
    assert get(hq_server, "/api/v1/status", counter).status_code == 200
    assert len(rows_of(hq_server, counter)) == 1


def test_the_token_itself_is_never_stored(hq_sqlite: HqServer) -> None:
    token = "never-store-me-" + secrets.token_hex(16)
    for path in ("/api/v1/status", "/api/v1/hall", "/api/v1/hall/roster"):
        assert get(hq_sqlite, path, token).status_code == 401
    assert len(rows_of(hq_sqlite, token)) == 3
    database = Path(hq_sqlite.db_url.removeprefix("sqlite:///"))
    for file in database.parent.glob(database.name + "*"):  # the database, its WAL
        assert token.encode() not in file.read_bytes()


def test_the_record_is_bounded_to_the_last_1000(hq_server: HqServer) -> None:
    marker = f"bound-{uuid.uuid4().hex[:8]}"
    for n in range(schema.AUTH_REFUSALS_KEPT + 20):
        record_auth_refusal(
            hq_server.store,
            client="192.0.2.1",
            token=f"{marker}-{n}",
            route=f"GET /{marker}",
            reason="unknown_token",
            detail="test",
        )
    with hq_server.store.reader.connect() as conn:
        total = conn.execute(select(func.count()).select_from(schema.auth_refusals)).scalar_one()
        oldest_kept = conn.execute(
            select(schema.auth_refusals.c.token_hint).order_by(schema.auth_refusals.c.id).limit(1)
        ).scalar_one()
    assert total == schema.AUTH_REFUSALS_KEPT
    assert oldest_kept == token_hint(f"{marker}-20")  # the oldest went first
    # over HTTP as well: still no more than the bound
    for _ in range(3):
        get(hq_server, "/api/v1/status", secrets.token_urlsafe(16))
    with hq_server.store.reader.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(schema.auth_refusals)).scalar_one()
            == schema.AUTH_REFUSALS_KEPT
        )


def test_report_refusals_lists_them(hq_sqlite: HqServer) -> None:
    token = secrets.token_urlsafe(32)
    get(hq_sqlite, "/api/v1/status", token)
    done = subprocess.run(
        [sys.executable, "-m", "head_office.cli", "report", "refusals", "--db", hq_sqlite.db_url],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {"at", "client", "token_hint", "route", "reason"} <= set(rows[0])
    mine = [r for r in rows if r["token_hint"] == token_hint(token)]
    assert [(r["reason"], r["route"]) for r in mine] == [("unknown_token", "GET /api/v1/status")]
    assert token not in done.stdout
