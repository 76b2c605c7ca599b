"""The audit trail against a real `counter-hq serve` (SQLite and PostgreSQL): logins, failed
logins, logouts, exports, administrative changes and views of the trail are recorded with who,
when and from where; only hq logins see and export it; the CSV is formula-safe; old entries
are purged, never before six months."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import httpx

from counter_core.periods import format_utc, parse_utc
from head_office.schema import audit as audit_table
from head_office.store import Store
from head_office.web import audit, exports, i18n
from tests.helpers.hq import REPO, HqServer, running_server
from tests.web.support import PASSWORD, add_user, browser, csrf_of, login, new_hall, signed_in


def trail(client: httpx.Client, **params: str) -> list[dict[str, str]]:
    answer = client.get("/audit.csv", params=params)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    # headers are in the page's language (Chinese by default): read them back as the row keys
    key_of = {i18n.text(c.label, "zh"): c.key for c in exports.AUDIT}
    return [{key_of[h]: v for h, v in row.items()}
            for row in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))]


def test_logins_exports_and_changes_are_recorded(hq_server: HqServer) -> None:
    hall, _ = new_hall(hq_server)
    name = add_user(hq_server, "hall", (hall,))
    boss = add_user(hq_server, "hq")
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)

    client = browser(hq_server)
    assert login(client, name, "Not-the-password-9").status_code == 401
    assert login(client, name).status_code == 303
    token = csrf_of(client.get("/account"))
    changed = client.post(
        "/account/password",
        data={
            "csrf": token,
            "current": PASSWORD,
            "new": "Brand-new-pass-11",
            "repeat": "Brand-new-pass-11",
        },
    )
    assert changed.status_code == 200
    assert client.post("/logout", data={"csrf": token}).status_code == 303

    hq = signed_in(hq_server, boss)
    assert hq.get("/audit").status_code == 200
    rows = trail(hq)
    mine = [r for r in rows if r["login"] in (name, boss)]
    got = {(r["login"], r["action"]) for r in mine}
    assert {
        (name, "login_failed"),
        (name, "login"),
        (name, "admin_change"),
        (name, "logout"),
        (boss, "login"),
        (boss, "page_view_staff"),
    } <= got
    for row in mine:
        assert row["ip"] == "127.0.0.1"
        assert parse_utc(row["at"]) >= before and row["at"].endswith("Z")
    change = next(r for r in mine if r["action"] == "admin_change")
    assert change["target"] == f"user {name}" and "password" in change["detail"]
    # the export itself is recorded, as the next export shows
    again = trail(hq, login=boss)
    assert {r["action"] for r in again} >= {"export", "login", "page_view_staff"}
    assert all(r["login"] == boss for r in again)
    # and nothing of it is a password
    assert all(PASSWORD not in str(r) and "Brand-new-pass-11" not in str(r) for r in rows)
    page = hq.get("/audit", params={"login": name})
    assert name in page.text and "login_failed" in page.text


def test_only_hq_logins_see_the_trail(hq_sqlite: HqServer) -> None:
    hall, _ = new_hall(hq_sqlite)
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hall", (hall,)))
    for path in ("/audit", "/audit.csv", "/audit.csv?login=cli"):
        answer = client.get(path)
        assert answer.status_code == 403
        assert "text/html" in answer.headers["content-type"]
        assert "login_failed" not in answer.text


def test_the_csv_is_formula_safe(hq_sqlite: HqServer) -> None:
    hostile = '=HYPERLINK("http://evil.example","x")'
    client = browser(hq_sqlite)
    assert login(client, hostile, "Whatever-it-is-1").status_code == 401
    hq = signed_in(hq_sqlite, add_user(hq_sqlite, "hq"))
    raw = hq.get("/audit.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in raw
    assert "\n=HYPERLINK" not in raw and ",=HYPERLINK" not in raw
    page = hq.get("/audit")
    assert "&#34;http://evil.example&#34;" in page.text or "&quot;http" in page.text


def test_the_client_address_behind_a_trusted_proxy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    with running_server(db, "--trusted-proxy", "127.0.0.1") as server:
        hall, _ = new_hall(server)
        name = add_user(server, "hall", (hall,))
        proxied = browser(server, headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
        assert login(proxied, name).status_code == 303
        ips = [r["ip"] for r in audit.entries(server.store.engine, login=name)]
        assert ips == ["203.0.113.9"]  # the address the proxy saw, not one the client wrote
    with running_server(db) as server:
        forged = browser(server, headers={"X-Forwarded-For": "203.0.113.9"})
        assert login(forged, name).status_code == 303
        ips = [r["ip"] for r in audit.entries(server.store.engine, login=name)]
        assert ips[0] == "127.0.0.1"  # no trusted proxy: the header is not believed


def test_old_entries_are_purged_after_the_retention(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    store = Store(db)
    now = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        for days in (10, 190, 199, 201, 400):
            conn.execute(
                audit_table.insert().values(
                    at=format_utc(now - dt.timedelta(days=days)),
                    login=f"old-{days}",
                    action="login",
                    target="",
                    ip="127.0.0.1",
                    detail="",
                )
            )
    store.close()
    with running_server(db) as server:  # purged as the server starts (then daily)
        kept = {r["login"] for r in audit.entries(server.store.engine)}
    assert {"old-10", "old-190", "old-199"} <= kept
    assert not {"old-201", "old-400"} & kept
    with running_server(db, "--audit-retention-days", "365") as server:
        kept = {r["login"] for r in audit.entries(server.store.engine)}
    assert "old-199" in kept


def test_a_retention_under_six_months_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "head_office.cli",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'hq.sqlite'}",
            "--audit-retention-days",
            "182",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "at least 183 days" in done.stderr
    assert "Traceback" not in done.stderr


def test_purge_keeps_six_months_whatever_it_is_told(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    try:
        try:
            audit.purge(store.engine, 30)
        except ValueError as exc:
            assert "183" in str(exc)
        else:
            raise AssertionError("a 30-day retention was accepted")
    finally:
        store.close()
