"""Who reads what, against a real `counter-hq serve`: a counter's token uploads its own chain
and reads its own status only; the hall's figures need the hall's reader token."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from counter_app.config import HeadOffice
from counter_app.config import load as load_config
from counter_app.sync.protocol import HeadOfficeClient, Refused, SyncError
from counter_core.chain import Event
from head_office.access import enroll_reader, revoke_reader
from tests.helpers.hq import REPO, HqServer, chained, day_drafts


def get(server: HqServer, path: str, token: str, **params: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params=params, timeout=30,
                     headers={"Authorization": f"Bearer {token}"})


def upload(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=30,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def one_shape(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"detail", "code", "seq"} and isinstance(body["detail"], str)
    assert body["code"] == code
    return dict(body)


def new_hall(server: HqServer) -> tuple[str, dict[str, str]]:
    """A hall of two counters that have each synced a day."""
    hall = f"H-{uuid.uuid4().hex[:6]}"
    tokens = {}
    for n in ("01", "02"):
        tokens[n] = server.enroll(hall, n)
        answer = upload(server, tokens[n], chained(hall, n, day_drafts(8, seed=int(n))))
        assert answer.status_code == 200, answer.text
    return hall, tokens


def test_a_counter_token_cannot_read_its_colleagues_figures(hq_sqlite: HqServer) -> None:
    hall, tokens = new_hall(hq_sqlite)
    for params in ({}, {"month": "2026-11"}, {"day": "2026-11-02", "tz": "UTC"}):
        body = one_shape(get(hq_sqlite, "/api/v1/hall", tokens["01"], **params), 403,
                         "forbidden")
        # nothing of the colleague's counter "02" (the random hall id may itself hold "02")
        assert "reader" in body["detail"] and "02" not in body["detail"].replace(hall, "")
    # it still reads its own status and writes its own chain
    status = get(hq_sqlite, "/api/v1/status", tokens["01"])
    assert status.status_code == 200, status.text
    assert (status.json()["hall"], status.json()["counter"]) == (hall, "01")


def test_the_halls_reader_token_reads_its_hall_only_and_uploads_nothing(
    hq_sqlite: HqServer,
) -> None:
    hall, _tokens = new_hall(hq_sqlite)
    other, _ = new_hall(hq_sqlite)
    reader = enroll_reader(hq_sqlite.store, hall)
    view = get(hq_sqlite, "/api/v1/hall", reader, month="2026-11", tz="UTC")
    assert view.status_code == 200, view.text
    assert view.json()["hall"] == hall
    assert {c["counter"] for c in view.json()["counters_synced"]} == {"01", "02"}
    assert {r["hall"] for r in view.json()["by_counter"]} == {hall} != {other}
    one_shape(get(hq_sqlite, "/api/v1/status", reader), 403, "forbidden")
    events = chained(hall, "01", day_drafts(2))
    one_shape(upload(hq_sqlite, reader, events), 403, "forbidden")
    assert hq_sqlite.store.counter(hall, "01").hw_seq == len(  # type: ignore[union-attr]
        chained(hall, "01", day_drafts(8, seed=1)))
    # a new reader token replaces the old; a revoked one is refused
    again = enroll_reader(hq_sqlite.store, hall)
    one_shape(get(hq_sqlite, "/api/v1/hall", reader), 401, "bad_token")
    assert get(hq_sqlite, "/api/v1/hall", again).status_code == 200
    assert revoke_reader(hq_sqlite.store, hall)
    one_shape(get(hq_sqlite, "/api/v1/hall", again), 403, "revoked")
    one_shape(httpx.get(f"{hq_sqlite.url}/api/v1/hall", timeout=30), 401, "no_token")


def test_the_command_line_issues_and_revokes_the_readers_token(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "head_office.cli", *args,
                               "--db", hq_sqlite.db_url, "--hall", hall],
                              cwd=REPO, capture_output=True, text=True, timeout=60)

    done = cli("enroll", "--reader")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert get(hq_sqlite, "/api/v1/hall", token).json()["hall"] == hall
    assert cli("revoke", "--reader").returncode == 0
    one_shape(get(hq_sqlite, "/api/v1/hall", token), 403, "revoked")
    neither = cli("enroll")
    assert neither.returncode == 2 and "--counter" in neither.stderr


def test_the_counters_client_reads_the_hall_with_the_reader_token_only(
    hq_sqlite: HqServer, tmp_path: Path
) -> None:
    """The manager view's hall panel (HeadOfficeClient.hall): with `[head_office]
    reader_token_file` it reads the hall; without, it says what is missing and asks nothing."""
    hall, tokens = new_hall(hq_sqlite)
    (tmp_path / "reader.token").write_text(enroll_reader(hq_sqlite.store, hall) + "\n")
    (tmp_path / "hq.token").write_text(tokens["01"])
    config = replace(load_config(None), source=str(tmp_path / "counter.toml"),
                     head_office=HeadOffice(hq_sqlite.url, token_file="hq.token",
                                            reader_token_file="reader.token"))
    with HeadOfficeClient.from_config(config) as client:
        held = hq_sqlite.store.counter(hall, "01")
        assert held is not None and client.status().seq == held.hw_seq  # its own status
        assert client.hall(month="2026-11", tz="UTC")["hall"] == hall
    alone = replace(config, head_office=HeadOffice(hq_sqlite.url, token_file="hq.token"))
    with HeadOfficeClient.from_config(alone) as client, \
            pytest.raises(SyncError, match="reader_token_file"):
        client.hall(month="2026-11")
    # and the counter's own token, sent by hand, is refused by head office
    with HeadOfficeClient(hq_sqlite.url, tokens["01"], reader_token=tokens["01"]) as client, \
            pytest.raises(Refused) as refused:
        client.hall(month="2026-11")
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
