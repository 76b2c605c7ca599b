"""Refused uploads leave a bounded record per counter (SQLite and PostgreSQL): the last 100
refusals, each with reason, sequence, hash, size and a 2 KB sample, never the whole offered
event; a flood of large refused requests adds no more than that."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import func, select

from counter_core.chain import Event
from counter_core.transaction import Draft
from head_office import schema
from tests.helpers.hq import HqServer, chained

#: a large note (near the 1 MB body limit in total) in every refused event
NOTE = "x" * 400_000


def post(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=60,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def big(hall: str, counter: str, seq: int, prev_hash: str) -> Event:
    (ev,) = chained(hall, counter, [("2026-11-03T02:00:00.000Z", Draft(
        "signed_in", {"staff": "1001", "role": "staff", "filler": NOTE}))],
        first_seq=seq, prev_hash=prev_hash, seed=seq)
    return ev


def held(server: HqServer, counter_id: int) -> tuple[int, int, int]:
    """(refusal rows, their samples' total length, rejected rows) of one counter."""
    with server.store.reader.connect() as conn:
        rows, sample = conn.execute(
            select(func.count(), func.coalesce(func.sum(func.length(schema.refusals.c.sample)),
                                               0))
            .where(schema.refusals.c.counter_id == counter_id)).one()
        rejected = conn.execute(select(func.count()).select_from(schema.rejected).where(
            schema.rejected.c.counter_id == counter_id)).scalar_one()
    return int(rows), int(sample), int(rejected)


def test_a_flood_of_refused_uploads_keeps_a_bounded_record(hq_server: HqServer) -> None:
    hall = f"R-{uuid.uuid4().hex[:8]}"
    token = hq_server.enroll(hall, "01")
    hq_server.enroll(hall, "02")
    who = hq_server.store.counter(hall, "01")
    assert who is not None
    size_before = _sqlite_size(hq_server)
    # 60 broken chains (from a wrong head) and 60 events of another counter, 8 at a time
    offers = [[big(hall, "01", 1 + n, "ab" * 32)] for n in range(60)]
    offers += [[big(hall, "02", 1 + n, "00" * 32)] for n in range(60)]
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda batch: post(hq_server, token, batch).status_code, offers))
    assert sorted(set(codes)) == [403, 422]
    rows, sample, rejected = held(hq_server, who.id)
    assert rows == 100  # the last 100 only
    assert sample <= 100 * 2048
    assert rejected == 0  # no whole offered event anywhere
    with hq_server.store.reader.connect() as conn:
        kept = [dict(r) for r in conn.execute(schema.refusals.select().where(
            schema.refusals.c.counter_id == who.id).order_by(schema.refusals.c.id)).mappings()]
    offered = {ev.hash: ev for batch in offers for ev in batch}
    for row in kept:
        ev = offered[row["hash"]]
        assert row["seq"] == ev.seq
        assert row["size"] == len(json.dumps(ev.as_dict(), ensure_ascii=False).encode())
        assert row["size"] > 400_000 and len(row["sample"].encode()) <= 2048
        assert json.dumps(ev.as_dict(), ensure_ascii=False).startswith(row["sample"])
        assert "broken chain" in row["reason"] or "token is hall" in row["reason"]
    growth = _sqlite_size(hq_server) - size_before
    assert growth < 5_000_000, f"120 refused 400 KB uploads grew the database by {growth} B"
    # and the counter's honest upload still goes
    (good,) = chained(hall, "01", [("2026-11-03T02:00:00.000Z", Draft(
        "signed_in", {"staff": "1001", "role": "staff"}))])
    answer = post(hq_server, token, [good])
    assert answer.status_code == 200, answer.text


def test_the_record_keeps_each_counters_latest_refusals(hq_server: HqServer) -> None:
    hall = f"R-{uuid.uuid4().hex[:8]}"
    tokens = {c: hq_server.enroll(hall, c) for c in ("01", "02")}
    sent = {"01": 103, "02": 3}
    for counter, token in tokens.items():
        for n in range(sent[counter]):
            (ev,) = chained(hall, counter, [("2026-11-03T02:00:00.000Z", Draft(
                "signed_in", {"staff": "1001"}))], first_seq=1 + n, prev_hash="cd" * 32)
            assert post(hq_server, token, [ev]).status_code == 422
    for counter, expected in (("01", list(range(4, 104))), ("02", [1, 2, 3])):
        who = hq_server.store.counter(hall, counter)
        assert who is not None
        assert held(hq_server, who.id)[0] == len(expected)
        assert [r["seq"] for r in hq_server.store.incidents(who)["refusals"]] == expected


def _sqlite_size(server: HqServer) -> int:
    """The SQLite database's size with its WAL (0 on PostgreSQL, checked by rows only)."""
    if not server.db_url.startswith("sqlite:///"):
        return 0
    path = Path(server.db_url.removeprefix("sqlite:///"))
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
