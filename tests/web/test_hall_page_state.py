"""The hall page's review queue and counters' state against a real `counter-hq serve` (SQLite
and PostgreSQL): overtime not reviewed, overdue follow-ups, open appeals and the upheld-appeal
rate, and per counter its last sync, last anchor, clock skew, app version and chain status,
each what head_office.reports computes for the same data."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import httpx
import pytest

from counter_core.chain import Event
from counter_core.transaction import Draft
from head_office import reports
from head_office.web import pages
from tests.helpers.hq import HqServer, chained, day_drafts
from tests.web.support import add_user, signed_in
from tests.web.test_pages import TZ, cells, value

NOVEMBER = "2026-11"
CODE = "c" * 64


@dataclass
class Queue:
    server: HqServer
    hall: str
    counters: list[str]
    poor: int
    overtime: int
    reviewed: int


def _history(hall: str, counter: str, seed: int) -> tuple[list[Event], int, int]:
    """A day of November at the counter, then the managers' work on it: the first poor rating
    appealed and upheld, the second appealed and rejected, the third appealed and open, the
    fourth followed up; one overtime case reviewed. Returns (chain, poor ratings, overtime)."""
    drafts = day_drafts(40, dt.date(2026, 11, 2), seed=seed)
    served_by = {d.payload["txn"]: d.payload["staff"] for _, d in drafts if d.kind == "started"}
    poor = [d.payload["txn"] for _, d in drafts
            if d.kind == "rated" and d.payload["rating"] <= 2]
    over = [d.payload["txn"] for _, d in drafts
            if d.kind == "completed" and d.payload["overtime_s"] > 0]
    assert len(poor) >= 4 and over, "the seed gives too few poor ratings or overtime"
    at = "2026-11-05T0{}:00:00.000Z"
    work = [
        Draft("overtime_reviewed", {"txn": over[0], "cause": "system", "note": "",
                                    "manager": "9001"}),
        *(Draft("rating_appealed", {"txn": txn, "staff": served_by[txn],
                                    "reason": "system_fault", "note": ""})
          for txn in poor[:3]),
        Draft("appeal_decided", {"txn": poor[0], "upheld": True, "by": "9001", "note": ""}),
        Draft("appeal_decided", {"txn": poor[1], "upheld": False, "by": "9001", "note": ""}),
        Draft("rating_followed_up", {"txn": poor[3], "called_back": True, "cause": "other",
                                     "resolved": True, "note": "", "manager": "9001"}),
    ]
    drafts += [(at.format(n), d) for n, d in enumerate(work)]
    return chained(hall, counter, drafts, seed=seed), len(poor), len(over)


@pytest.fixture(scope="module")
def queue(hq_server: HqServer) -> Queue:
    hall = f"Q-{uuid.uuid4().hex[:8]}"
    ids, poor, overtime = [f"{hall}-01", f"{hall}-02"], 0, 0
    for n, counter in enumerate(ids):
        token = hq_server.enroll(hall, counter)
        chain, p, o = _history(hall, counter, seed=40 + n)
        poor, overtime = poor + p, overtime + o
        headers = {"Authorization": f"Bearer {token}"}
        answer = httpx.post(f"{hq_server.url}/api/v1/events", timeout=60, headers=headers,
                            json={"events": [e.as_dict() for e in chain]})
        assert answer.status_code == 200, answer.text
        assert not answer.json().get("invalid"), answer.text
        if n == 0:  # counter 01 reports its head with a clock 7 s behind
            clock = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=7)).isoformat()
            anchored = httpx.post(f"{hq_server.url}/api/v1/anchor", timeout=30, headers=headers,
                                  json={"head": {"seq": chain[-1].seq, "hash": chain[-1].hash},
                                        "app_version": "0.3.1", "code_hash": CODE,
                                        "clock": clock})
            assert anchored.status_code == 200, anchored.text
    return Queue(hq_server, hall, ids, poor, overtime, reviewed=len(ids))


def test_the_review_queue_shows_reports_figures(queue: Queue) -> None:
    client = signed_in(queue.server, add_user(queue.server, "hall", (queue.hall,)))
    page = client.get(f"/halls/{queue.hall}?month={NOVEMBER}")
    assert page.status_code == 200
    shown = {k: v["value"] for k, v in cells(page.text)["review-queue"].items()}
    store = queue.server.store
    # by hand: each counter has one overtime case reviewed, three appeals of which one is
    # upheld and one still open, and one poor rating followed up
    assert shown["unreviewed_overtime"] == value(queue.overtime - queue.reviewed)
    assert shown["open_appeals"] == value(len(queue.counters))
    standing = reports.halls(store, hall=queue.hall, tz=TZ)[0]
    assert standing["upheld_appeals"] == len(queue.counters)
    assert shown["upheld_appeal_rate"] == value(standing["upheld_appeal_rate"])
    assert standing["upheld_appeal_rate"] == pytest.approx(len(queue.counters) / queue.poor)
    # November is long past its 好差评 deadlines: every poor rating not followed up is overdue
    overdue = reports.overdue_follow_ups(store, hall=queue.hall, tz=TZ)[queue.hall]
    assert shown["overdue_follow_ups"] == value(overdue) == value(queue.poor - len(queue.counters))
    # the same figures reach the page as pages.review_state computes them
    period = pages.choose(NOVEMBER, None, None, TZ)
    _, unreviewed = pages.pareto(store, queue.hall, period, "zh")
    assert pages.review_state(store, queue.hall, unreviewed, TZ)["open_appeals"] == 2
    english = client.get(f"/halls/{queue.hall}?month={NOVEMBER}&lang=en").text
    assert "Appeals waiting for a decision" in english
    assert "待裁定的申诉" in page.text


def test_each_counter_shows_sync_anchor_skew_version_and_chain(queue: Queue) -> None:
    client = signed_in(queue.server, add_user(queue.server, "hq"))
    shown = cells(client.get(f"/halls/{queue.hall}").text)["chains"]
    expected = {r["counter"]: r for r in reports.chains(queue.server.store, hall=queue.hall)}
    assert set(shown) == set(queue.counters)
    for counter, row in shown.items():
        want = expected[counter]
        assert row["last_sync_at"] == value(want["last_sync_at"]) != "None"
        assert row["last_anchor"] == value(want["last_anchor_seq"])
        assert row["clock_skew_s"] == value(want["clock_skew_s"])
        assert row["app_version"] == value(want["app_version"])
    anchored, silent = shown[queue.counters[0]], shown[queue.counters[1]]
    assert anchored["app_version"] == "0.3.1"
    assert 6.0 <= float(anchored["clock_skew_s"] or 0) <= 60.0  # 7 s behind, plus the trip
    assert silent["last_anchor"] == "None" and silent["app_version"] == "None"
    page = client.get(f"/halls/{queue.hall}").text
    assert page.count('<td data-col="chain">ok</td>') == len(queue.counters)
