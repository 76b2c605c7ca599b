"""counter-hq's protocol against a real server (SQLite and PostgreSQL): storing and refusing."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter_core import projection
from counter_core.chain import Event, seal
from counter_core.transaction import Draft
from head_office.access import enroll_reader
from tests.helpers.hq import HqServer, PgCluster, chained, day_drafts, running_server

HALL = "SH-0100"


def new_counter(server: HqServer, hall: str = HALL) -> tuple[str, str]:
    counter = uuid.uuid4().hex[:8]
    return counter, server.enroll(hall, counter)


def body(events: Sequence[Event]) -> bytes:
    return json.dumps({"events": [e.as_dict() for e in events]}).encode()


def post(server: HqServer, token: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", content=content, timeout=30,
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json", **headers})


def stored(server: HqServer, counter: str, hall: str = HALL) -> dict[str, int]:
    who = server.store.counter(hall, counter)
    assert who is not None
    return {**server.store.counts(who), "hw": who.hw_seq}


def history(counter: str, n_txn: int = 10, hall: str = HALL) -> list[Event]:
    return chained(hall, counter, day_drafts(n_txn))


def test_batches_are_stored_in_order_and_resending_is_a_no_op(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = history(counter, 20)
    first = post(hq_server, token, body(events[:30]))
    assert first.status_code == 200, first.text
    assert first.json() == {"high_water": {"seq": 30, "hash": events[29].hash}, "stored": 30,
                            "duplicates": 0, "conflicts": [], "aside": [],
                            "invalid": [], "pending": []}
    # overlapping resend (a lost answer): the old part is a no-op, the new part is stored
    again = post(hq_server, token, gzip.compress(body(events[20:])), **{"Content-Encoding": "gzip"})
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == len(events) - 30
    assert again.json()["duplicates"] == 10
    status = httpx.get(f"{hq_server.url}/api/v1/status",
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert status["high_water"] == {"seq": len(events), "hash": events[-1].hash}
    who = hq_server.store.counter(HALL, counter)
    assert who is not None
    assert hq_server.store.events(who) == events  # byte-exact: hashes re-verify from the text
    assert hq_server.store.verify(who) is None
    assert stored(hq_server, counter)["transactions"] == 20


def test_same_sequence_with_another_hash_is_a_recorded_conflict(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = history(counter, 3)
    assert post(hq_server, token, body(events)).status_code == 200
    forged = seal(replace(events[2], payload={**events[2].payload, "staff": "9999"}))
    answer = post(hq_server, token, body([forged]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["conflicts"] == [3]
    assert post(hq_server, token, body([forged])).json()["conflicts"] == [3]
    who = hq_server.store.counter(HALL, counter)
    assert who is not None
    assert hq_server.store.events(who)[2] == events[2]  # never overwritten
    (conflict,) = hq_server.store.incidents(who)["conflicts"]
    assert (conflict["seq"], conflict["offered_hash"], conflict["times"]) == (3, forged.hash, 2)


def test_concurrent_duplicate_batches_store_once(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = history(counter, 30)
    payload = body(events)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: post(hq_server, token, payload), range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    assert sum(a.json()["stored"] for a in answers) == len(events)
    assert stored(hq_server, counter)["events"] == len(events)


def _tampered(events: list[Event]) -> list[Event]:
    bad = replace(events[-1], payload={**events[-1].payload, "rating": 5})
    return [*events[:-1], bad]


def _gap(events: list[Event]) -> list[Event]:
    return [events[0], *events[2:]]


def _refusals() -> dict[str, Any]:
    """name → (how to build the request from (server, counter, token, next events), status,
    code, the sequence number the answer must name)."""
    return {
        "wrong token": (lambda s, c, t, ev: post(s, "not-a-token", body(ev)), 401, "bad_token",
                        None),
        "no token": (lambda s, c, t, ev: httpx.post(f"{s.url}/api/v1/events", content=body(ev)),
                     401, "no_token", None),
        "tampered event": (lambda s, c, t, ev: post(s, t, body(_tampered(ev[:4]))), 422,
                           "broken_chain", None),
        "broken chain": (lambda s, c, t, ev: post(s, t, body(_gap(ev[:4]))), 422, "broken_chain",
                         None),
        "malformed JSON": (lambda s, c, t, ev: post(s, t, body(ev)[:-7]), 400, "malformed_json",
                           None),
        "not a batch": (lambda s, c, t, ev: post(s, t, b'[1, 2]'), 400, "malformed_batch", None),
        "missing field": (lambda s, c, t, ev: post(s, t, json.dumps({"events": [
            {k: v for k, v in ev[0].as_dict().items() if k != "uuid"}]}).encode()),
            400, "malformed_event", None),
        "unordered": (lambda s, c, t, ev: post(s, t, body([ev[1], ev[0]])), 400,
                      "unordered_batch", None),
        "oversize body": (lambda s, c, t, ev: post(s, t, b" " * (1024 * 1024 + 1)), 413,
                          "too_large", None),
        "gzip bomb": (lambda s, c, t, ev: post(s, t, gzip.compress(b" " * (4 * 1024 * 1024)),
                                               **{"Content-Encoding": "gzip"}), 413, "too_large",
                      None),
        "bad gzip": (lambda s, c, t, ev: post(s, t, b"not gzip", **{"Content-Encoding": "gzip"}),
                     400, "bad_gzip", None),
        "too many events": (lambda s, c, t, ev: post(s, t, body(
            chained(HALL, c, day_drafts(200), first_seq=1)[:501])), 400, "too_many_events", None),
    }


@pytest.mark.parametrize("case", list(_refusals()))
def test_refusals_are_clear_4xx_and_store_nothing(hq_server: HqServer, case: str) -> None:
    build, status, code, _ = _refusals()[case]
    counter, token = new_counter(hq_server)
    events = history(counter, 10)
    assert post(hq_server, token, body(events[:5])).status_code == 200
    before = stored(hq_server, counter)
    answer = build(hq_server, counter, token, events[5:])
    assert answer.status_code == status, answer.text
    detail = answer.json()
    assert detail["code"] == code
    assert len(detail["detail"]) > 15  # a sentence, not a bare code
    if code == "broken_chain":
        assert detail["seq"] == (events[8].seq if case == "tampered event" else events[6].seq)
        assert str(detail["seq"]) in detail["detail"]
    after = stored(hq_server, counter)
    assert {k: after[k] for k in ("events", "transactions", "hw")} == \
        {k: before[k] for k in ("events", "transactions", "hw")}
    if code == "broken_chain":
        assert after["refusals"] == 1  # recorded with its reason (bounded, a sample)


def test_revoked_token_is_refused_and_reenrolment_works(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = history(counter, 3)
    assert hq_server.store.revoke(HALL, counter)
    answer = post(hq_server, token, body(events))
    assert answer.status_code == 403
    assert "revoked" in answer.json()["detail"]
    fresh = hq_server.enroll(HALL, counter)
    assert post(hq_server, token, body(events)).status_code == 401  # the old token is gone
    assert post(hq_server, fresh, body(events)).status_code == 200


def test_another_counters_events_are_refused_and_kept_aside(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    other, _ = new_counter(hq_server)
    answer = post(hq_server, token, body(history(other, 3)))
    assert answer.status_code == 403
    assert answer.json()["code"] == "foreign_event"
    assert other in answer.json()["detail"]
    assert stored(hq_server, counter)["events"] == 0
    assert stored(hq_server, other)["events"] == 0
    who = hq_server.store.counter(HALL, counter)
    assert who is not None
    (kept,) = hq_server.store.incidents(who)["refusals"]
    assert kept["seq"] == 1 and "token" in kept["reason"]


def test_hall_view_is_scoped_to_the_tokens_hall(hq_server: HqServer) -> None:
    hall_a, hall_b = f"A-{uuid.uuid4().hex[:6]}", f"B-{uuid.uuid4().hex[:6]}"
    tokens = {}
    for hall in (hall_a, hall_b):
        for n in ("01", "02"):
            tokens[hall, n] = hq_server.enroll(hall, n)
            events = chained(hall, n, day_drafts(12, seed=int(n)))
            assert post(hq_server, tokens[hall, n], body(events)).status_code == 200
    reader = enroll_reader(hq_server.store, hall_a)
    answer = httpx.get(f"{hq_server.url}/api/v1/hall", params={"month": "2026-11", "tz": "UTC"},
                       headers={"Authorization": f"Bearer {reader}"})
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["hall"] == hall_a
    assert {c["counter"] for c in view["counters_synced"]} == {"01", "02"}
    assert {r["hall"] for r in view["by_counter"]} == {hall_a}
    assert view["total"]["completed"] == sum(r["completed"] for r in view["by_counter"])
    bad = httpx.get(f"{hq_server.url}/api/v1/hall", params={"month": "2026-13"},
                    headers={"Authorization": f"Bearer {reader}"})
    assert bad.status_code in (400, 422)
    assert httpx.get(f"{hq_server.url}/api/v1/hall").status_code == 401


def test_an_unknown_kind_is_stored_set_aside_and_passed(hq_server: HqServer) -> None:
    """A newer counter's kind: stored and chained, in no projection, listed, the mark past it."""
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, [
        ("2026-11-03T02:00:00.000Z", Draft("started", {"txn": "t1", "staff": "A",
                                                       "type": "payment", "target_s": 180})),
        ("2026-11-03T02:01:00.000Z", Draft("ticket_reviewed", {"txn": "t1", "cause": "x"})),
        ("2026-11-03T02:02:00.000Z", Draft("completed", {"txn": "t1", "duration_s": 60.0,
                                                         "target_s": 180, "overtime_s": 0.0})),
    ])
    answer = post(hq_server, token, body(events))
    assert answer.status_code == 200, answer.text
    assert answer.json()["aside"] == [{"seq": 2, "kind": "ticket_reviewed",
                                       "reason": "unknown kind"}]
    assert answer.json()["high_water"]["seq"] == 3
    who = hq_server.store.counter(HALL, counter)
    assert who is not None
    assert hq_server.store.events(who) == events
    assert [(r["seq"], r["reason"]) for r in hq_server.store.incidents(who)["rejected"]] == [
        (2, "unknown kind")]
    from head_office.schema import reviews, transactions

    with hq_server.store.reader.connect() as conn:
        (txn,) = conn.execute(transactions.select().where(
            transactions.c.counter_id == who.id)).mappings().all()
        assert (txn["status"], txn["last_seq"]) == ("completed", 3)
        assert conn.execute(reviews.select().where(reviews.c.counter_id == who.id)).all() == []


def test_serve_counts_days_in_its_time_zone_not_the_machines(
    hq_sqlite: HqServer, tmp_path: Path
) -> None:
    def hall_zone(server: HqServer) -> dict[str, Any]:
        token = enroll_reader(server.store, HALL)
        answer = httpx.get(f"{server.url}/api/v1/hall", params={"day": "2026-11-02"},
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return {"zone": answer.json()["time_zone"], "start": answer.json()["period"]["start_utc"]}

    assert hall_zone(hq_sqlite) == {"zone": "Asia/Shanghai", "start": "2026-11-01T16:00:00.000Z"}
    with running_server(f"sqlite:///{tmp_path / 'kolkata.sqlite'}",
                        "--time-zone", "Asia/Kolkata") as server:
        assert hall_zone(server) == {"zone": "Asia/Kolkata", "start": "2026-11-01T18:30:00.000Z"}


def test_openapi_page_documents_the_protocol(hq_sqlite: HqServer) -> None:
    spec = httpx.get(f"{hq_sqlite.url}/openapi.json").json()
    assert {"/api/v1/status", "/api/v1/events", "/api/v1/hall"} <= set(spec["paths"])
    assert httpx.get(f"{hq_sqlite.url}/docs").status_code == 200


# ---- whatever a counter (or anyone with a token) sends: never a 5xx ---------------------

_json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
              | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=80))
_json = st.recursive(_json_leaf, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
_kinds = st.sampled_from([*sorted(projection.TRANSACTION_KINDS), "overtime_reviewed",
                          "star_confirmed", "signed_in"]) | st.text(min_size=1, max_size=100)
_payloads = st.fixed_dictionaries(
    {}, optional={"txn": st.sampled_from(["t1", "t2"]) | _json, "staff": _json, "type": _json,
                  "target_s": _json, "duration_s": _json, "overtime_s": _json,
                  "elapsed_s": _json, "rating": _json, "reason": _json, "cause": _json,
                  "note": _json}) | st.dictionaries(st.text(max_size=10), _json, max_size=5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(_kinds, _payloads, st.text(max_size=40)), min_size=1,
                     max_size=8))
def test_any_chained_payload_is_stored_or_refused_never_a_server_error(
    hq_server: HqServer, data: list[tuple[str, dict[str, Any], str]]
) -> None:
    counter, token = new_counter(hq_server)
    drafts = [(at or "2026-11-03T02:00:00.000Z", Draft(kind, payload))
              for kind, payload, at in data]
    events = chained(HALL, counter, drafts)
    answer = post(hq_server, token, body(events))
    assert answer.status_code < 500, answer.text
    if answer.status_code == 200:
        who = hq_server.store.counter(HALL, counter)
        assert who is not None
        assert hq_server.store.events(who) == events
        assert hq_server.store.verify(who) is None


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode)
       | _json.map(lambda v: json.dumps({"events": [v]}).encode()))
def test_any_body_is_refused_cleanly(hq_server: HqServer, raw: bytes) -> None:
    counter, token = new_counter(hq_server)
    answer = post(hq_server, token, raw)
    assert 400 <= answer.status_code < 500 or answer.json()["stored"] == 0, answer.text
    assert stored(hq_server, counter)["events"] == 0


@pytest.mark.parametrize("payload", [
    {"txn": "t1", "staff": "A\x00B", "type": "payment", "target_s": 180},
    {"txn": "t1", "staff": "A", "type": "payment", "target_s": 2**80},
    {"txn": "t1", "staff": ["A"], "type": {"x": 1}, "target_s": "180"},
    {"txn": "t\x001", "staff": "A", "type": "payment", "target_s": 180},
])
def test_odd_but_chained_payloads_are_stored_marked_invalid_and_not_projected(
    hq_server: HqServer, payload: dict[str, Any]
) -> None:
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, [("2026-11-03T02:00:00.000Z", Draft("started", payload)),
                                     ("2026-11-03T02:01:00.000Z", Draft("rated", {
                                         "txn": "t1", "rating": 2**40}))])
    answer = post(hq_server, token, body(events))
    assert answer.status_code == 200, answer.text
    assert stored(hq_server, counter)["events"] == 2
    # both fail counter_core.validation (the payload, then a rating of an unknown txn)
    assert [i["seq"] for i in answer.json()["invalid"]] == [1, 2]
    assert stored(hq_server, counter)["transactions"] == 0


def test_numbers_json_cannot_carry_are_refused(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    event = history(counter, 1)[0].as_dict()
    text = json.dumps({"events": [{**event, "payload": {"x": 1.5}}]})
    for bad in ("1e999", "NaN", "Infinity"):
        answer = post(hq_server, token, text.replace("1.5", bad).encode())
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "malformed_json"


def test_database_down_is_a_503_with_retry_after(pg_cluster: PgCluster) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = pg_cluster.new_database("down")
    with running_server(url) as server:
        counter, token = new_counter(server)
        assert post(server, token, body(history(counter, 2))).status_code == 200
        name = make_url(url).database
        with psycopg.connect(host=str(pg_cluster.socket_dir), port=pg_cluster.port,
                             user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        answer = post(server, token, body(history(counter, 2)))
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "30"
        assert answer.json()["code"] == "unavailable"
