"""Anchors at a real counter-hq (SQLite and PostgreSQL): a counter's reported chain head, and
uploads that contradict it refused and recorded as incidents."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import httpx

from counter_core.chain import Event, seal
from head_office import anchors, reports
from tests.helpers.hq import HqServer, chained, day_drafts

HALL = "SH-0200"
CODE = "c" * 64


def new_counter(server: HqServer) -> tuple[str, str]:
    counter = uuid.uuid4().hex[:8]
    return counter, server.enroll(HALL, counter)


def post_events(server: HqServer, token: str, events: Sequence[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=30,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def post_anchor(server: HqServer, token: str, head: Event | tuple[int, str], *,
                clock: str | None = None, **extra: Any) -> httpx.Response:
    seq, hash_ = (head.seq, head.hash) if isinstance(head, Event) else head
    body = {"head": {"seq": seq, "hash": hash_}, "app_version": "1.2.3", "code_hash": CODE,
            "clock": clock or dt.datetime.now(dt.UTC).isoformat(), **extra}
    return httpx.post(f"{server.url}/api/v1/anchor", json=body, timeout=30,
                      headers={"Authorization": f"Bearer {token}"})


def rewritten(events: Sequence[Event], seq: int, **payload: Any) -> list[Event]:
    """The chain with event `seq`'s payload changed and every later event rehashed: what
    anyone who knows the algorithm can do to a tail head office has not received."""
    out = list(events[:seq - 1])
    prev = out[-1].hash if out else events[0].prev_hash
    for ev in events[seq - 1:]:
        changed = {**ev.payload, **payload} if ev.seq == seq else ev.payload
        ev = seal(replace(ev, payload=changed, prev_hash=prev))
        out.append(ev)
        prev = ev.hash
    return out


def incidents_of(server: HqServer, counter: str) -> list[dict[str, Any]]:
    who = server.store.counter(HALL, counter)
    assert who is not None
    return anchors.counter_incidents(server.store.engine, who)


def test_anchors_are_kept_once_each_with_the_counters_clock_skew(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, day_drafts(5))
    behind = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90)).isoformat()
    for _ in range(3):  # an idle counter reports the same head again and again
        answer = post_anchor(hq_server, token, events[9], clock=behind)
        assert answer.status_code == 200, answer.text
    assert answer.json()["high_water"]["seq"] == 0
    assert 85 < answer.json()["skew_s"] < 120
    who = hq_server.store.counter(HALL, counter)
    assert who is not None
    (kept,) = anchors.stored_anchors(hq_server.store.engine, who)
    assert (kept["seq"], kept["hash"], kept["times"]) == (10, events[9].hash, 3)
    assert (kept["app_version"], kept["code_hash"]) == ("1.2.3", CODE)
    assert incidents_of(hq_server, counter) == []
    # an honest upload agrees with its anchors
    assert post_events(hq_server, token, events[:20]).status_code == 200


def test_an_anchor_needs_the_counters_token_and_a_real_head(hq_server: HqServer) -> None:
    _, token = new_counter(hq_server)
    assert post_anchor(hq_server, "nope", (1, "a" * 64)).status_code == 401
    bad = post_anchor(hq_server, token, (1, "XYZ"))
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_request"


def test_a_rewritten_tail_is_refused_and_recorded_naming_the_sequence(
        hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, day_drafts(10))
    assert post_events(hq_server, token, events[:5]).status_code == 200
    assert post_anchor(hq_server, token, events[11]).status_code == 200  # anchored at 12
    started = next(e.seq for e in events[5:] if e.kind == "completed")
    forged = rewritten(events, started, duration_s=59.0)
    assert forged[11].hash != events[11].hash
    answer = post_events(hq_server, token, forged[5:20])
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "anchor_contradicted"
    assert answer.json()["seq"] == 12
    who = hq_server.store.counter(HALL, counter)
    assert who is not None and who.hw_seq == 5  # nothing stored
    (incident,) = incidents_of(hq_server, counter)
    assert (incident["kind"], incident["seq"], incident["status"]) == (
        anchors.ANCHOR_CONTRADICTED, 12, "open")
    assert incident["expected_hash"] == events[11].hash
    assert incident["offered_hash"] == forged[11].hash
    rows = [r for r in reports.incidents(hq_server.store, hall=HALL) if r["counter"] == counter]
    assert [(r["incident"], r["seq"], r["status"]) for r in rows] == [
        ("anchor_contradicted", 12, "open")]
    (chain,) = [r for r in reports.chains(hq_server.store, hall=HALL) if r["counter"] == counter]
    assert chain["open_incidents"] == 1
    assert "anchor_contradicted at 12" in chain["chain"]
    # the honest chain is still welcome
    assert post_events(hq_server, token, events[5:20]).status_code == 200


def test_a_chain_cut_before_an_anchor_is_refused(hq_server: HqServer) -> None:
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, day_drafts(10))
    assert post_events(hq_server, token, events[:5]).status_code == 200
    assert post_anchor(hq_server, token, events[19]).status_code == 200
    # the tail 16..20 is cut; the counter now reports 15 as its head
    assert post_anchor(hq_server, token, events[14]).status_code == 200
    answer = post_events(hq_server, token, events[5:15])
    assert answer.status_code == 409, answer.text
    assert (answer.json()["code"], answer.json()["seq"]) == ("ends_before_anchor", 16)
    kinds = {(i["kind"], i["seq"]) for i in incidents_of(hq_server, counter)}
    assert kinds == {(anchors.ENDS_BEFORE_ANCHOR, 16)}


def test_a_different_history_is_recorded_not_just_refused(hq_server: HqServer) -> None:
    """The counter finds head office's mark is not in its chain (its database was replaced):
    its anchor says so, and head office records the conflict at that sequence."""
    counter, token = new_counter(hq_server)
    events = chained(HALL, counter, day_drafts(5))
    assert post_events(hq_server, token, events[:8]).status_code == 200
    other = chained(HALL, counter, day_drafts(6, seed=99), seed=5)
    assert other[7].hash != events[7].hash
    answer = post_anchor(hq_server, token, other[11], at_mark={"seq": 8, "hash": other[7].hash})
    assert answer.status_code == 200, answer.text
    (incident,) = incidents_of(hq_server, counter)
    assert (incident["kind"], incident["seq"]) == (anchors.HISTORY_CONFLICT, 8)
    assert (incident["expected_hash"], incident["offered_hash"]) == (events[7].hash,
                                                                     other[7].hash)
    assert answer.json()["incidents"] == [incident["id"]]
    # a shorter head than head office's events (a restored backup) is recorded too
    post_anchor(hq_server, token, events[5])
    kinds = {(i["kind"], i["seq"]) for i in incidents_of(hq_server, counter)}
    assert (anchors.ENDS_BEFORE_ANCHOR, 7) in kinds
