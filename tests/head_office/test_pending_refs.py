"""A review of another chain's transaction (a manager desk's review, an appeal decided at
another counter), on SQLite and PostgreSQL: joined at once when head office holds the
transaction, held pending (never refused) when it does not yet, joined when it arrives, and
reported when it stays pending for days."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest

from counter_core.chain import Event
from counter_core.periods import format_utc, utc_now
from counter_core.transaction import Draft
from head_office import cli, schema
from tests.helpers.hq import HqServer, chained


def post(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/events", timeout=30,
                      content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json"})


def at(minute: int) -> str:
    return f"2026-11-03T03:{minute:02d}:00.000Z"


def overtime_case(hall: str, counter: str, txn: str) -> list[Event]:
    """A counter's transaction completed over its target, with the staff's reason."""
    return chained(hall, counter, [
        (at(0), Draft("signed_in", {"staff": "1001", "role": "staff"})),
        (at(1), Draft("started", {"txn": txn, "staff": "1001", "type": "payment",
                                  "target_s": 180})),
        (at(6), Draft("completed", {"txn": txn, "duration_s": 300.0, "target_s": 180,
                                    "overtime_s": 120.0})),
        (at(7), Draft("overtime_reason", {"txn": txn, "reason": "complex"})),
    ])


def desk_reviews(hall: str, desk: str, *txns: str) -> list[Event]:
    """A manager desk's chain: one overtime review per transaction."""
    return chained(hall, desk, [
        (at(20 + i), Draft("overtime_reviewed", {"txn": txn, "cause": "complex_request",
                                                 "note": "appeal", "manager": "9001"}))
        for i, txn in enumerate(txns)])


def review_cause(server: HqServer, hall: str, counter: str, txn: str) -> str | None:
    who = server.store.counter(hall, counter)
    assert who is not None
    with server.store.reader.connect() as conn:
        return conn.execute(schema.transactions.select().where(
            schema.transactions.c.counter_id == who.id,
            schema.transactions.c.txn == txn)).mappings().one()["review_cause"]


def reviews_of(server: HqServer, txn: str) -> int:
    with server.store.reader.connect() as conn:
        return len(conn.execute(schema.reviews.select().where(
            schema.reviews.c.txn == txn)).all())


def test_a_review_arriving_before_its_transaction_is_held_and_joined(
    hq_server: HqServer,
) -> None:
    hall = f"P-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(hall, "01"), hq_server.enroll(hall, "desk")
    txn = str(uuid.uuid4())
    review = desk_reviews(hall, "desk", txn)
    answer = post(hq_server, desk, review)
    assert answer.status_code == 200, answer.text  # never refused
    assert answer.json()["pending"] == [1] and answer.json()["invalid"] == []
    assert answer.json()["high_water"]["seq"] == 1
    pending = hq_server.store.pending_refs(hall=hall)
    assert [(p["counter"], p["seq"], p["txn"], p["kind"]) for p in pending] == [
        ("desk", 1, txn, "overtime_reviewed")]
    assert reviews_of(hq_server, txn) == 0  # not joined yet
    # the transaction arrives: the review is joined to it
    arrived = post(hq_server, teller, overtime_case(hall, "01", txn))
    assert arrived.status_code == 200, arrived.text
    assert review_cause(hq_server, hall, "01", txn) == "complex_request"
    assert reviews_of(hq_server, txn) == 1
    assert hq_server.store.pending_refs(hall=hall) == []


def test_a_review_of_another_counters_known_transaction_is_joined_at_once(
    hq_server: HqServer,
) -> None:
    hall = f"P-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(hall, "01"), hq_server.enroll(hall, "desk")
    txn = str(uuid.uuid4())
    assert post(hq_server, teller, overtime_case(hall, "01", txn)).status_code == 200
    answer = post(hq_server, desk, desk_reviews(hall, "desk", txn))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["pending"], answer.json()["invalid"]) == ([], [])
    assert review_cause(hq_server, hall, "01", txn) == "complex_request"
    assert reviews_of(hq_server, txn) == 1


def test_a_review_of_another_halls_transaction_stays_pending(hq_server: HqServer) -> None:
    hall, other = f"P-{uuid.uuid4().hex[:8]}", f"Q-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(other, "01"), hq_server.enroll(hall, "desk")
    txn = str(uuid.uuid4())
    assert post(hq_server, teller, overtime_case(other, "01", txn)).status_code == 200
    answer = post(hq_server, desk, desk_reviews(hall, "desk", txn))
    assert answer.json()["pending"] == [1]
    assert review_cause(hq_server, other, "01", txn) is None


def test_old_pending_references_are_reported(hq_server: HqServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    hall = f"P-{uuid.uuid4().hex[:8]}"
    desk = hq_server.enroll(hall, "desk")
    old_txn, new_txn = str(uuid.uuid4()), str(uuid.uuid4())
    assert post(hq_server, desk, desk_reviews(hall, "desk", old_txn, new_txn)).json()[
        "pending"] == [1, 2]
    four_days_ago = format_utc(dt.datetime.now(dt.UTC) - dt.timedelta(days=4))
    with hq_server.store.engine.begin() as conn:
        conn.execute(schema.pending_refs.update().where(schema.pending_refs.c.txn == old_txn)
                     .values(received_at=four_days_ago))
    assert [p["txn"] for p in hq_server.store.pending_refs(hall=hall, older_than_days=3)] == [
        old_txn]
    assert [p["txn"] for p in hq_server.store.pending_refs(hall=hall)] == [old_txn, new_txn]
    assert hq_server.store.pending_refs(hall=hall, older_than_days=3,
                                        now=four_days_ago) == []
    assert cli.main(["report", "pending", "--db", hq_server.db_url, "--hall", hall]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "hall,counter,seq,kind,txn,received_at"
    assert len(out) == 2 and old_txn in out[1] and "desk,1,overtime_reviewed" in out[1]
    assert cli.main(["report", "pending", "--db", hq_server.db_url, "--hall", hall,
                     "--older-than-days", "0"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert cli.main(["report", "pending", "--db", hq_server.db_url,
                     "--older-than-days", "-1"]) == 2
    assert "older-than-days" in capsys.readouterr().err
    assert utc_now() > four_days_ago
