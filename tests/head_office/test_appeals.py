"""Appeals (申诉) at head office, on a real counter-hq over SQLite and PostgreSQL: an upheld
appeal takes the rating out of rated/satisfied/mean (never out of the log) and each hall's
upheld-appeal rate is reported; a decision arriving before its transaction is held pending and
joined when the transaction arrives; the appeal rules hold in the chain that has both."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import httpx
import pytest

from counter_core.chain import Event
from counter_core.periods import day_period
from counter_core.transaction import Draft
from head_office import cli, reports
from head_office.access import enroll_reader
from tests.helpers.hq import HqServer, chained

DAY = dt.date(2026, 11, 3)  # 11:00 in Shanghai = 03:00 UTC


def post(server: HqServer, token: str, events: list[Event]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/events",
        timeout=30,
        content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def at(minute: int) -> str:
    return f"2026-11-03T03:{minute:02d}:00.000Z"


def served(txn: str, rating: int, minute: int) -> list[tuple[str, Draft]]:
    return [
        (
            at(minute),
            Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180}),
        ),
        (
            at(minute + 1),
            Draft(
                "completed", {"txn": txn, "duration_s": 60.0, "target_s": 180, "overtime_s": 0.0}
            ),
        ),
        (at(minute + 1), Draft("rated", {"txn": txn, "rating": rating})),
    ]


def appealed(txn: str, minute: int) -> tuple[str, Draft]:
    return (
        at(minute),
        Draft(
            "rating_appealed", {"txn": txn, "staff": "1001", "reason": "system_fault", "note": ""}
        ),
    )


def decided(txn: str, upheld: bool, minute: int) -> tuple[str, Draft]:
    return (
        at(minute),
        Draft(
            "appeal_decided",
            {"txn": txn, "upheld": upheld, "by": "9001", "note": "查实" if upheld else "评价属实"},
        ),
    )


def hall_row(server: HqServer, hall: str) -> dict[str, object]:
    rows = reports.figures(server.store, day_period(DAY, "Asia/Shanghai"), hall=hall)
    assert len(rows) == 1
    return rows[0]


def test_upheld_appeals_are_out_of_the_figures_and_rated_per_hall(
    hq_server: HqServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hall = f"A-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(hall, "01"), hq_server.enroll(hall, "desk")
    txns = [str(uuid.uuid4()) for _ in range(5)]
    # four poor ratings and a good one; the clerk appeals three at the counter
    drafts = (
        served(txns[0], 1, 0)
        + served(txns[1], 2, 2)
        + served(txns[2], 1, 4)
        + served(txns[3], 2, 6)
        + served(txns[4], 5, 8)
        + [appealed(txns[0], 10), appealed(txns[1], 10), appealed(txns[2], 11)]
    )
    answer = post(hq_server, teller, chained(hall, "01", drafts))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["invalid"], answer.json()["pending"]) == ([], [])
    # the desk decides: upheld, rejected, and upheld then rejected (the later decision wins)
    answer = post(
        hq_server,
        desk,
        chained(
            hall,
            "desk",
            [
                decided(txns[0], True, 20),
                decided(txns[1], False, 21),
                decided(txns[2], True, 22),
                decided(txns[2], False, 25),
            ],
        ),
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["invalid"], answer.json()["pending"]) == ([], [])
    row = hall_row(hq_server, hall)
    # 5 ratings, one taken out: rated 4 (2 + 1 + 2 + 5) / 4, satisfied 1
    assert (row["completed"], row["rated"], row["satisfied"]) == (5, 4, 1)
    assert row["mean_rating"] == 2.5
    assert (row["poor_ratings"], row["upheld_appeals"], row["upheld_appeal_rate"]) == (4, 1, 0.25)
    # the stars rank by the same counts; the hall report gives the rate all time
    star = reports.stars(hq_server.store, day_period(DAY, "Asia/Shanghai"), hall=hall)
    assert [(s["staff"], s["rated"], s["upheld_appeals"]) for s in star] == [("1001", 4, 1)]
    assert cli.main(["report", "halls", "--db", hq_server.db_url, "--hall", hall]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[0].split(",")
    values = dict(zip(header, out[1].split(","), strict=True))
    assert (values["poor_ratings"], values["upheld_appeals"]) == ("4", "1")
    assert float(values["upheld_appeal_rate"]) == 0.25
    # the hall's figures answer carries it too
    reader = enroll_reader(hq_server.store, hall)
    view = httpx.get(
        f"{hq_server.url}/api/v1/hall",
        params={"day": DAY.isoformat()},
        headers={"Authorization": f"Bearer {reader}"},
        timeout=30,
    ).json()
    assert (view["total"]["upheld_appeals"], view["total"]["upheld_appeal_rate"]) == (1, 0.25)


def test_a_decision_arriving_before_its_transaction_is_pending_then_joined(
    hq_server: HqServer,
) -> None:
    hall = f"B-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(hall, "01"), hq_server.enroll(hall, "desk")
    txn = str(uuid.uuid4())
    answer = post(hq_server, desk, chained(hall, "desk", [decided(txn, True, 30)]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["pending"] == [1] and answer.json()["invalid"] == []
    assert [(p["kind"], p["txn"]) for p in hq_server.store.pending_refs(hall=hall)] == [
        ("appeal_decided", txn)
    ]
    answer = post(hq_server, teller, chained(hall, "01", [*served(txn, 1, 0), appealed(txn, 10)]))
    assert answer.status_code == 200, answer.text
    assert hq_server.store.pending_refs(hall=hall) == []  # joined
    row = hall_row(hq_server, hall)
    assert (row["rated"], row["upheld_appeals"], row["poor_ratings"]) == (0, 1, 1)


def test_the_appeal_rules_hold_in_the_chain_that_has_the_transaction(hq_server: HqServer) -> None:
    hall = f"C-{uuid.uuid4().hex[:8]}"
    teller = hq_server.enroll(hall, "01")
    good, poor = str(uuid.uuid4()), str(uuid.uuid4())
    first = chained(
        hall,
        "01",
        served(good, 5, 0) + served(poor, 1, 2) + [appealed(good, 10), appealed(poor, 11)],
    )
    answer = post(hq_server, teller, first)
    assert answer.status_code == 200, answer.text
    assert [i["seq"] for i in answer.json()["invalid"]] == [7]  # no poor rating to appeal
    # a second appeal of the same rating, in a later upload: invalid (once per rating)
    again = chained(hall, "01", [appealed(poor, 12)], first_seq=9, prev_hash=first[-1].hash)
    answer = post(hq_server, teller, again)
    assert [i["seq"] for i in answer.json()["invalid"]] == [9], answer.text


def test_across_chains_the_appellant_never_decides_their_own_appeal(
    hq_server: HqServer,
) -> None:
    hall = f"D-{uuid.uuid4().hex[:8]}"
    teller, desk = hq_server.enroll(hall, "01"), hq_server.enroll(hall, "desk")
    txn = str(uuid.uuid4())
    boss = [
        (
            at(0),
            Draft("started", {"txn": txn, "staff": "9001", "type": "payment", "target_s": 180}),
        ),
        (
            at(1),
            Draft(
                "completed", {"txn": txn, "duration_s": 60.0, "target_s": 180, "overtime_s": 0.0}
            ),
        ),
        (at(1), Draft("rated", {"txn": txn, "rating": 2})),
        (
            at(10),
            Draft(
                "rating_appealed",
                {"txn": txn, "staff": "9001", "reason": "wrong_counter", "note": ""},
            ),
        ),
    ]
    assert post(hq_server, teller, chained(hall, "01", boss)).json()["invalid"] == []
    # the desk's chain: the appellant's own decision is invalid, another manager's counts
    answer = post(
        hq_server,
        desk,
        chained(
            hall,
            "desk",
            [
                (
                    at(20),
                    Draft("appeal_decided", {"txn": txn, "upheld": True, "by": "9001", "note": ""}),
                ),
                (
                    at(21),
                    Draft("appeal_decided", {"txn": txn, "upheld": True, "by": "9002", "note": ""}),
                ),
            ],
        ),
    )
    assert [i["seq"] for i in answer.json()["invalid"]] == [1], answer.text
    row = hall_row(hq_server, hall)
    assert (row["rated"], row["upheld_appeals"]) == (0, 1)
