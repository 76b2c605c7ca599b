"""Purging a departed clerk (SQLite and PostgreSQL, a real `counter-hq serve`): `counter-hq
staff purge` and the hq login's web POST remove the name and photo from the roster's accounts;
the chains' events and hashes stay as they were (the chains and the roster still verify), the
figures per staff number are unchanged, and the pages say "former staff #N". A clerk disabled
longer than the staff retention is shown without a name even unpurged."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from head_office import reports, roster, schema
from head_office.web import audit
from tests.helpers.hq import HqServer, chained, day_drafts, running_server
from tests.web.support import add_user, csrf_of, signed_in

REPO = Path(__file__).resolve().parents[2]
NOVEMBER = reports.month_period("2026-11", "Asia/Shanghai")
NAME, PHOTO = "王芳", "photos/1001.png"


@dataclass
class Hall:
    server: HqServer
    hall: str
    counter: str


def _hall(server: HqServer) -> Hall:
    """A hall whose counter served a day by 1001 and 1002; 1001 (named, with a photo) has
    left: disabled in the roster. 9001 is the manager."""
    hall = f"P-{uuid.uuid4().hex[:8]}"
    counter = f"{hall}-01"
    token = server.enroll(hall, counter)
    store = server.store
    chain = chained(hall, counter, day_drafts(20, dt.date(2026, 11, 2)))
    result = store.ingest(store.authenticate(token), chain)
    assert result.stored == len(chain) and not result.invalid
    roster.add(store, hall, "9001", "陈经理", "manager", "135790")
    roster.add(store, hall, "1001", NAME, "staff", "2468", photo=PHOTO)
    roster.add(store, hall, "1002", "李强", "staff", "1357")
    roster.set_disabled(store, hall, "1001", True)
    return Hall(server, hall, counter)


@pytest.fixture
def hall(hq_server: HqServer) -> Hall:
    return _hall(hq_server)


def cli(server: HqServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "head_office.cli", "staff", *args, "--db", server.db_url],
        capture_output=True, text=True, cwd=REPO, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)})


def chain_rows(h: Hall) -> list[tuple[int, str, str]]:
    with h.server.store.reader.connect() as conn:
        return [(r.seq, r.hash, r.body) for r in conn.execute(
            select(schema.events.c.seq, schema.events.c.hash, schema.events.c.body)
            .join(schema.counters, schema.counters.c.id == schema.events.c.counter_id)
            .where(schema.counters.c.hall == h.hall).order_by(schema.events.c.seq))]


def account(h: Hall, number: str) -> dict[str, object]:
    return next(a for a in roster.roster(h.server.store, h.hall).accounts
                if a["number"] == number)


def by_staff(h: Hall) -> list[dict[str, object]]:
    return reports.figures(h.server.store, NOVEMBER, by=("hall", "staff"), hall=h.hall)


def test_the_cli_purge_keeps_chain_and_numbers_and_drops_the_name(hall: Hall) -> None:
    store = hall.server.store
    (counter,) = store.counters(hall.hall)
    before_chain, before_figures = chain_rows(hall), by_staff(hall)
    assert store.verify(counter) is None and before_chain
    assert {r["staff"] for r in before_figures} == {"1001", "1002"}

    done = cli(hall.server, "purge", "--hall", hall.hall, "--staff", "1001")
    assert done.returncode == 0, done.stderr
    assert "purged" in done.stdout

    assert chain_rows(hall) == before_chain  # every event, hash and body as it was
    assert store.verify(counter) is None  # the chain still verifies
    assert by_staff(hall) == before_figures  # the numbers are unchanged
    assert roster.verify(store, hall.hall) is None  # the roster log still verifies
    gone = account(hall, "1001")
    assert gone["name"] == roster.PURGED_NAME and gone["photo"] is None
    assert account(hall, "1002")["name"] == "李强"  # nobody else's
    with store.reader.connect() as conn:
        assert NAME not in str(conn.execute(select(schema.roster_accounts)).all())
    assert roster.shown_names(store, hall.hall, retention_days=None)["1001"] is None
    entry = next(audit.entries(store.engine, login="cli", action=audit.ADMIN_CHANGE))
    assert entry["target"] == f"staff {hall.hall}/1001" and "purged" in entry["detail"]
    # the verify notices a name written back after the purge
    with store.engine.begin() as conn:
        conn.execute(schema.roster_accounts.update()
                     .where(schema.roster_accounts.c.hall == hall.hall,
                            schema.roster_accounts.c.number == "1001").values(name=NAME))
    assert "name or photo" in (roster.verify(store, hall.hall) or "")


def test_an_enabled_clerk_or_a_second_purge_is_refused_in_words(hall: Hall) -> None:
    enabled = cli(hall.server, "purge", "--hall", hall.hall, "--staff", "1002")
    assert enabled.returncode != 0 and "not disabled" in enabled.stderr
    assert "Traceback" not in enabled.stderr
    assert account(hall, "1002")["name"] == "李强"
    assert cli(hall.server, "purge", "--hall", hall.hall, "--staff", "1001").returncode == 0
    again = cli(hall.server, "purge", "--hall", hall.hall, "--staff", "1001")
    assert again.returncode != 0 and "purged already" in again.stderr
    unknown = cli(hall.server, "purge", "--hall", hall.hall, "--staff", "7777")
    assert unknown.returncode != 0 and "no staff 7777" in unknown.stderr


def test_the_web_purge_is_for_hq_logins_audited_and_shows_former_staff(hall: Hall) -> None:
    server = hall.server
    page_path = f"/halls/{hall.hall}?month=2026-11"
    local = signed_in(server, add_user(server, "hall", (hall.hall,)))
    page = local.get(page_path)
    assert NAME in page.text  # disabled today: within the retention, the name still shows
    assert 'id="purge"' not in page.text  # a hall login has no purge form
    refused = local.post(f"/halls/{hall.hall}/staff/purge",
                         data={"csrf": csrf_of(page), "staff": "1001"})
    assert refused.status_code == 403
    assert account(hall, "1001")["name"] == NAME

    boss_login = add_user(server, "hq")
    boss = signed_in(server, boss_login)
    token = csrf_of(boss.get(page_path))
    still_here = boss.post(f"/halls/{hall.hall}/staff/purge",
                           data={"csrf": token, "staff": "1002"})
    assert still_here.status_code == 400 and "请先停用" in still_here.text
    done = boss.post(f"/halls/{hall.hall}/staff/purge", data={"csrf": token, "staff": "1001"})
    assert done.status_code == 303
    after = local.get(page_path)
    assert NAME not in after.text and "前员工 #1001" in after.text
    assert "former staff #1001" in local.get(page_path + "&lang=en").text
    assert "李强" in after.text
    entry = next(audit.entries(server.store.engine, login=boss_login,
                               action=audit.ADMIN_CHANGE))
    assert entry["target"] == f"staff {hall.hall}/1001"
    assert roster.verify(server.store, hall.hall) is None


def test_names_of_staff_gone_longer_than_the_retention_are_not_shown(hall: Hall) -> None:
    store = hall.server.store
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    shown = roster.shown_names(store, hall.hall, retention_days=365, now=soon)
    assert shown["1001"] == NAME  # gone a month: kept
    later = roster.shown_names(store, hall.hall, retention_days=10, now=soon)
    assert later["1001"] is None and later["1002"] == "李强"  # enabled: always named
    assert roster.shown_names(store, hall.hall, retention_days=None, now=soon)["1001"] == NAME
    roster.set_disabled(store, hall.hall, "1001", False)  # came back
    assert roster.shown_names(store, hall.hall, retention_days=10, now=soon)["1001"] == NAME


def test_serve_staff_retention_days_zero_hides_a_departed_name(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}",
                        "--staff-retention-days", "0") as server:
        h = _hall(server)
        page = signed_in(server, add_user(server, "hq")).get(f"/halls/{h.hall}?month=2026-11")
        assert page.status_code == 200
        assert NAME not in page.text and "前员工 #1001" in page.text
        assert "李强" in page.text
