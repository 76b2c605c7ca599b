"""Head office validates every chained event (counter_core.validation), on SQLite and
PostgreSQL: an event that chains but says nonsense is stored, marked invalid with its reason,
listed in the 200 answer, kept out of every projection and report, and never holds back the
events after it. Also the version 3 → 4 migration."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select

from counter_core.chain import Event
from counter_core.transaction import Draft
from head_office import reports, schema
from head_office.store import Store
from tests.helpers.hq import HqServer, chained, day_drafts

MONTH = "2026-11"


def post(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=60,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def at(minute: int) -> str:
    return f"2026-11-03T02:{minute:02d}:00.000Z"


def started(txn: str) -> Draft:
    return Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180})


def completed(txn: str, duration: float) -> Draft:
    return Draft("completed", {"txn": txn, "duration_s": duration, "target_s": 180,
                               "overtime_s": 0.0})


def rated(txn: str, rating: int) -> Draft:
    return Draft("rated", {"txn": txn, "rating": rating})


#: case → (drafts after t1's start and completion, index of the bad one among them, what its
#: reason says, the report's completed, rated and mean rating over the valid events)
CASES: dict[str, tuple[list[Draft], int, str, tuple[int, int, float]]] = {
    "rating of 999": ([rated("t1", 999), rated("t1", 4)], 0, "rating", (2, 2, 4.5)),
    "second rating": ([rated("t1", 4), rated("t1", 1)], 1, "already rated", (2, 2, 4.5)),
    "duration of -5000 s": ([started("t2"), completed("t2", -5000.0), completed("t2", 90.0)],
                            1, "duration_s", (3, 1, 5.0)),
    "started reusing an id": ([rated("t1", 4), started("t1")], 1, "already started",
                              (2, 2, 4.5)),
}


def case_chain(hall: str, counter: str, case: str) -> tuple[list[Event], Event, str]:
    middle, bad_index, reason, _ = CASES[case]
    drafts = [Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1"),
              completed("t1", 100.0), *middle, started("t3"), completed("t3", 60.0),
              rated("t3", 5), Draft("signed_out", {"staff": "1001"})]
    events = chained(hall, counter, [(at(i), d) for i, d in enumerate(drafts)])
    return events, events[3 + bad_index], reason


@pytest.mark.parametrize("case", list(CASES))
def test_an_event_that_chains_but_says_nonsense_is_stored_marked_and_passed(
    hq_server: HqServer, case: str
) -> None:
    hall, counter = f"V-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    events, bad, reason = case_chain(hall, counter, case)
    answer = post(hq_server, token, events)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    # the mark moves past it: the valid events after it are stored and counted
    assert got["high_water"] == {"seq": events[-1].seq, "hash": events[-1].hash}
    assert got["stored"] == len(events)
    (invalid,) = got["invalid"]
    assert (invalid["seq"], invalid["kind"]) == (bad.seq, bad.kind)
    assert reason in invalid["reason"]
    store = hq_server.store
    who = store.counter(hall, counter)
    assert who is not None
    assert store.events(who) == events  # stored byte for byte; the chain verifies
    assert store.verify(who) is None
    assert store.invalid_events(who) == {bad.seq: invalid["reason"]}
    (kept,) = store.incidents(who)["rejected"]
    assert kept["seq"] == bad.seq and kept["reason"].startswith("invalid: ")
    # in no projection: the transactions are what the valid events say
    with store.reader.connect() as conn:
        rows = {r["txn"]: dict(r) for r in conn.execute(schema.transactions.select().where(
            schema.transactions.c.counter_id == who.id)).mappings()}
    assert all(r["status"] == "completed" for r in rows.values())
    assert all(r["rating"] in (None, 4, 5) for r in rows.values())
    assert all(r["duration_s"] >= 0 for r in rows.values())
    if case == "started reusing an id":
        assert rows["t1"]["rating"] == 4 and rows["t1"]["last_seq"] == 4
    # in no report figure
    done, rated_n, mean = CASES[case][3]
    period = reports.month_period(MONTH, "UTC")
    (row,) = [r for r in reports.service_level(store, period, by="counter", hall=hall)]
    assert (row["completed"], row["rated"], row["mean_rating"]) == (done, rated_n, mean)
    # a resend is all duplicates, with no second mark
    again = post(hq_server, token, events).json()
    assert (again["duplicates"], again["invalid"]) == (len(events), [])
    assert len(store.incidents(who)["rejected"]) == 1


def test_the_next_batch_continues_after_an_invalid_event(hq_server: HqServer) -> None:
    """The bad event ends a batch: the next batch chains from it and is checked against the
    lifecycle state the valid events left (t1 rated once, so a later rating is refused)."""
    hall, counter = f"V-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    events, bad, _ = case_chain(hall, counter, "rating of 999")
    first = post(hq_server, token, events[:bad.seq])
    assert first.status_code == 200 and [i["seq"] for i in first.json()["invalid"]] == [bad.seq]
    second = post(hq_server, token, events[bad.seq:])
    assert second.status_code == 200, second.text
    assert second.json()["invalid"] == []
    assert second.json()["high_water"]["seq"] == events[-1].seq
    late = chained(hall, counter, [(at(30), rated("t1", 2))], first_seq=events[-1].seq + 1,
                   prev_hash=events[-1].hash)
    third = post(hq_server, token, late).json()
    assert [(i["seq"], "already rated" in i["reason"]) for i in third["invalid"]] == [
        (late[0].seq, True)]


def test_a_full_batch_with_invalid_events_is_validated_quickly(hq_server: HqServer) -> None:
    hall, counter = f"V-{uuid.uuid4().hex[:8]}", "01"
    token = hq_server.enroll(hall, counter)
    drafts = day_drafts(200)
    bad_at = {50, 200, 350}
    for index in sorted(bad_at, reverse=True):
        when = drafts[index][0]
        drafts.insert(index, (when, Draft("rated", {"txn": "no-such-txn", "rating": 3})))
    events = chained(hall, counter, drafts[:500])
    assert len(events) == 500
    began = time.perf_counter()
    answer = post(hq_server, token, events)
    took = time.perf_counter() - began
    assert answer.status_code == 200, answer.text
    bad = [e.seq for e in events if e.payload.get("txn") == "no-such-txn"]
    assert len(bad) == len(bad_at)
    assert [i["seq"] for i in answer.json()["invalid"]] == bad
    assert answer.json()["high_water"]["seq"] == 500
    assert took < 10, f"a 500-event batch took {took:.1f} s"


def test_a_version_3_database_gains_validation_marks_and_bounded_refusals(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = Store(url)
    old.enroll("SH-M", "01")
    who = old.counter("SH-M", "01")
    assert who is not None
    with old.engine.begin() as conn:
        for table in (schema.pending_refs, schema.refusals):
            table.drop(conn)
        conn.exec_driver_sql("ALTER TABLE events DROP COLUMN invalid")
        conn.execute(schema.rejected.insert().values(
            counter_id=who.id, seq=7, reason="broken chain", offered="x" * 500_000,
            first_at=at(0), last_at=at(0), times=1))
        conn.execute(schema.schema_version.update().values(version=3))
    old.close()
    migrated = Store(url)
    try:
        inspector = inspect(migrated.engine)
        assert {"refusals", "pending_refs"} <= set(inspector.get_table_names())
        assert "invalid" in {c["name"] for c in inspector.get_columns("events")}
        with migrated.engine.connect() as conn:
            assert conn.execute(select(schema.schema_version.c.version)).scalar_one() == \
                    schema.SCHEMA_VERSION
            (offered,) = conn.execute(select(schema.rejected.c.offered)).scalars()
        assert len(offered) == schema.SAMPLE_BYTES  # the old whole body cut to a sample
        who = migrated.counter("SH-M", "01")
        assert who is not None
        events, bad, _ = case_chain("SH-M", "01", "second rating")
        result = migrated.ingest(who, events)
        assert [a.seq for a in result.invalid] == [bad.seq]
        assert list(migrated.invalid_events(who)) == [bad.seq]
    finally:
        migrated.close()


def test_invalid_sign_outs_and_star_confirmations_stay_out_of_the_reports(
    hq_server: HqServer,
) -> None:
    """The reports that read events themselves (hours signed in, confirmed stars) skip the
    invalid ones: a sign-out with a negative session length, a star confirmed with a score
    that is not a number."""
    hall = f"V-{uuid.uuid4().hex[:8]}"
    drafts = [Draft("signed_in", {"staff": "1001", "role": "staff"}), started("t1"),
              completed("t1", 100.0), rated("t1", 5)]
    clean = [*drafts, Draft("signed_out", {"staff": "1001", "session_s": 7200.0})]
    dirty = [*drafts, Draft("signed_out", {"staff": "1001", "session_s": -5000.0}),
             Draft("star_confirmed", {"month": MONTH, "staff": "1001", "score": "high",
                                      "manager": "9001"}),
             Draft("signed_out", {"staff": "1001", "session_s": 7200.0})]
    for counter, chain in (("01", clean), ("02", dirty)):
        token = hq_server.enroll(hall, counter)
        stamps = ["01:00", "01:10", "01:12", "01:13", "01:30", "01:40"][:len(chain) - 1]
        events = chained(hall, counter, [(f"2026-11-03T{hm}:00.000Z", d) for hm, d in
                                         zip([*stamps, "03:00"], chain, strict=True)])
        answer = post(hq_server, token, events)
        assert answer.status_code == 200, answer.text
        expected = [] if counter == "01" else [5, 6]
        assert [i["seq"] for i in answer.json()["invalid"]] == expected
    store = hq_server.store
    period = reports.month_period(MONTH, "UTC")
    rows = {r["counter"]: r for r in reports.service_level(store, period, by="counter",
                                                           hall=hall)}
    assert rows["02"]["hours_signed_in"] == rows["01"]["hours_signed_in"] > 0
    (star,) = reports.stars(store, period, hall=hall)
    assert star["staff"] == "1001" and star["confirmed"] is False
