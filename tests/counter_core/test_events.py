"""The event vocabulary: one payload schema per kind and the transaction lifecycle rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_core import events, projection
from counter_core.events import Lifecycle, TxnState, is_known, validate_payload
from counter_core.ratings import FOLLOW_UP_CAUSES, OVERTIME_CAUSES
from counter_core.reviews import ReviewError, overtime_review, rating_follow_up, star_confirmation
from counter_core.transaction import Draft
from tests.helpers.actions import ACTIONS, run_actions

#: one valid payload per kind, as the counter writes them
VALID: dict[str, dict[str, Any]] = {
    events.SIGNED_IN: {"staff": "1001", "role": "staff"},
    events.SIGNED_OUT: {"staff": "1001", "reason": "interrupted"},
    events.AWAY_STARTED: {"staff": "1001", "back_at": "2026-12-03T02:45:00.000Z"},
    events.AWAY_ENDED: {"staff": "1001", "away_s": 612.5},
    events.STARTED: {"txn": "2f1c9b6e-0a4d-4f5e-9c1a-7d8e9f0a1b2c", "staff": "1001",
                     "type": "payment", "target_s": 180.0},
    events.TYPE_CHANGED: {"txn": "t1", "type": "enquiry", "target_s": None},
    events.COMPLETED: {"txn": "t1", "duration_s": 200.5, "target_s": 180.0, "overtime_s": 20.5},
    events.VOIDED: {"txn": "t1", "elapsed_s": 4.0},
    events.INTERRUPTED: {"txn": "t1", "elapsed_s": 0.0},
    events.OVERTIME_REASON: {"txn": "t1", "reason": "complex"},
    events.RATED: {"txn": "t1", "rating": 1},
    events.RATING_REASON: {"txn": "t1", "reason": "slow"},
    events.RATING_TIMED_OUT: {"txn": "t1"},
    events.OVERTIME_REVIEWED: {"txn": "t1", "cause": "system", "note": "网络慢",
                               "manager": "9001"},
    events.RATING_FOLLOWED_UP: {"txn": "t1", "called_back": True, "cause": "slow",
                                "resolved": False, "note": "", "manager": "9001"},
    events.STAR_CONFIRMED: {"month": "2026-11", "staff": "1001", "score": 4.8123,
                            "manager": "9001"},
    events.RATING_APPEALED: {"txn": "t1", "staff": "1001", "reason": "system_fault",
                             "note": ""},
    events.APPEAL_DECIDED: {"txn": "t1", "upheld": True, "by": "9001", "note": "查实"},
    events.ALERT_ACKNOWLEDGED: {"alert": "0123456789abcdef0123456789abcdef",
                                "alert_kind": "overtime", "counter": "C01", "txn": "t1",
                                "by": "9001"},
    events.LOG_OPENED: {"app_version": "0.2.0", "chain_format": 2},
    events.ORDER_NUMBER_SET: {"txn": "t1", "order_no": "SH-2026/000123"},
    events.CASES_HANDED_OVER: {"from": "9001", "to": "9002", "txns": ["t1", "t2"],
                               "note": "两单待回访"},
    events.STAFF_ADDED: {"staff": "1001", "role": "staff", "pin_digest": "ab" * 32,
                         "by": "9001"},
    events.STAFF_PIN_CHANGED: {"staff": "1001", "pin_digest": "cd" * 32, "by": None},
    events.STAFF_ROLE_CHANGED: {"staff": "1001", "role": "manager", "by": "9001"},
    events.STAFF_LOCKED: {"staff": "1001", "seconds": 300.0},
    events.STAFF_DISABLED: {"staff": "1001", "by": "9001"},
    events.STAFF_ENABLED: {"staff": "1001", "by": "9001"},
    events.ROSTER_APPLIED: {"version": {"seq": 3, "hash": "a" * 64}, "digest": "b" * 64,
                            "accounts": 2},
    events.CHAIN_BREAK_DETECTED: {"last_good_seq": 41, "last_good_hash": "ab" * 32,
                                  "first_bad_seq": 42, "detected_at": "2026-12-02T08:00:00.000Z"},
}


def test_every_known_kind_has_a_schema_and_a_valid_example() -> None:
    assert set(events.SCHEMAS) == set(events.KNOWN_KINDS) == set(VALID)
    for kind, payload in VALID.items():
        assert validate_payload(kind, payload) is None, kind


def test_is_known() -> None:
    assert is_known("rated") and is_known(events.LOG_OPENED)
    assert not is_known("some_future_kind")
    assert validate_payload("some_future_kind", {"anything": [1]}) is None  # not its business


def test_log_opened_is_not_projected() -> None:
    assert events.LOG_OPENED not in events.TRANSACTION_KINDS
    assert events.LOG_OPENED not in projection.TRANSACTION_KINDS


def changed(kind: str, **fields: Any) -> dict[str, Any]:
    payload = dict(VALID[kind])
    for name, value in fields.items():
        if value is DROP:
            payload.pop(name)
        else:
            payload[name] = value
    return payload


DROP = object()

INVALID = [
    (events.CHAIN_BREAK_DETECTED, {"last_good_seq": -1}, "last_good_seq"),
    (events.CHAIN_BREAK_DETECTED, {"first_bad_seq": 0}, "first_bad_seq"),
    (events.CHAIN_BREAK_DETECTED, {"last_good_hash": "AB" * 32}, "last_good_hash"),
    (events.CHAIN_BREAK_DETECTED, {"detected_at": "yesterday"}, "detected_at"),
    (events.RATED, {"rating": 999}, "rating"),
    (events.RATED, {"rating": 0}, "rating"),
    (events.RATED, {"rating": 6}, "rating"),
    (events.RATED, {"rating": True}, "rating"),
    (events.RATED, {"rating": 4.0}, "rating"),
    (events.RATED, {"rating": "5"}, "rating"),
    (events.RATED, {"txn": DROP}, "txn is missing"),
    (events.COMPLETED, {"duration_s": -1.0, "overtime_s": 0.0}, "duration_s"),
    (events.COMPLETED, {"duration_s": 31 * 86400.0 + 1}, "duration_s"),
    (events.COMPLETED, {"duration_s": 1e12}, "duration_s"),
    (events.COMPLETED, {"duration_s": float("nan")}, "duration_s"),
    (events.COMPLETED, {"duration_s": "60"}, "duration_s"),
    (events.COMPLETED, {"duration_s": DROP}, "duration_s is missing"),
    (events.COMPLETED, {"overtime_s": -0.5}, "overtime_s"),
    (events.COMPLETED, {"overtime_s": 300.0}, "longer than duration_s"),
    (events.COMPLETED, {"target_s": None}, "untimed"),
    (events.COMPLETED, {"target_s": 0}, "target_s"),
    (events.STARTED, {"target_s": -180.0}, "target_s"),
    (events.STARTED, {"target_s": float("inf")}, "target_s"),
    (events.STARTED, {"target_s": 90000.0}, "target_s"),
    (events.STARTED, {"txn": ""}, "txn"),
    (events.STARTED, {"txn": "x" * 65}, "txn"),
    (events.STARTED, {"txn": "t 1"}, "txn"),
    (events.STARTED, {"txn": 17}, "txn"),
    (events.STARTED, {"staff": "王芳"}, "staff"),
    (events.STARTED, {"staff": ""}, "staff"),
    (events.STARTED, {"staff": 1001}, "staff"),
    (events.STARTED, {"staff": "1" * 33}, "staff"),
    (events.STARTED, {"type": ""}, "type"),
    (events.STARTED, {"name": "王芳"}, "never names"),
    (events.SIGNED_IN, {"photo": "wang.png"}, "never names"),
    (events.SIGNED_IN, {"role": "boss"}, "role"),
    (events.SIGNED_IN, {"staff": "Wang Fang"}, "staff"),
    (events.VOIDED, {"elapsed_s": -0.001}, "elapsed_s"),
    (events.INTERRUPTED, {"elapsed_s": None}, "elapsed_s"),
    (events.OVERTIME_REASON, {"reason": "slow"}, "reason"),
    (events.RATING_REASON, {"reason": "complex"}, "reason"),
    (events.OVERTIME_REVIEWED, {"cause": "slow"}, "cause"),
    (events.OVERTIME_REVIEWED, {"note": "x" * 501}, "note"),
    (events.OVERTIME_REVIEWED, {"manager": "陈经理"}, "manager"),
    (events.RATING_FOLLOWED_UP, {"called_back": 1}, "called_back"),
    (events.RATING_FOLLOWED_UP, {"cause": "complex_request"}, "cause"),
    (events.STAR_CONFIRMED, {"month": "2026-13"}, "month"),
    (events.STAR_CONFIRMED, {"month": "2026-1"}, "month"),
    (events.STAR_CONFIRMED, {"month": "2026-11-01"}, "month"),
    (events.STAR_CONFIRMED, {"score": "high"}, "score"),
    (events.LOG_OPENED, {"chain_format": 0}, "chain_format"),
    (events.LOG_OPENED, {"chain_format": "2"}, "chain_format"),
    (events.LOG_OPENED, {"chain_format": True}, "chain_format"),
    (events.LOG_OPENED, {"app_version": DROP}, "app_version is missing"),
    (events.LOG_OPENED, {"app_version": ""}, "app_version"),
]


@pytest.mark.parametrize(("kind", "fields", "named"), INVALID,
                         ids=[f"{k}-{'-'.join(f)}" for k, f, _ in INVALID])
def test_invalid_payloads_are_named(kind: str, fields: dict[str, Any], named: str) -> None:
    problem = validate_payload(kind, changed(kind, **fields))
    assert problem is not None and named in problem


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=70),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from([*sorted(events.KNOWN_KINDS), "some_future_kind"]),
       base=st.booleans(),
       fields=st.dictionaries(st.sampled_from(sorted({f for s in events.SCHEMAS.values()
                                                        for f in s} | {"x"})), JSON,
                              max_size=6),
       state=st.none() | st.builds(TxnState, st.sampled_from(
           ["running", "completed", "voided", "interrupted"]), st.booleans(),
           st.sampled_from([None, "pending", "rated", "not_rated"]), st.booleans(),
           st.booleans(), st.booleans()))
def test_any_payload_gets_an_answer_never_an_exception(
    kind: str, base: bool, fields: dict[str, Any], state: TxnState | None
) -> None:
    """Head office runs these on whatever a counter uploads: an answer, never a crash."""
    payload = {**(VALID.get(kind, {}) if base else {}), **fields}
    problem = validate_payload(kind, payload)
    assert problem is None or isinstance(problem, str)
    answer = events.event_problem(kind, payload, state)
    assert answer is None or isinstance(answer, str)
    if answer is None and kind in events.TRANSACTION_KINDS:
        assert events.advance(state, kind, payload) is not None  # an accepted event folds


def test_is_staff_number() -> None:
    assert events.is_staff_number("1001") and events.is_staff_number("A-17.b_2")
    assert not events.is_staff_number("王芳") and not events.is_staff_number("10 01")
    assert not events.is_staff_number("") and not events.is_staff_number(1001)


def test_payload_must_be_an_object() -> None:
    assert validate_payload(events.RATED, ["t1", 5]) == "the payload must be an object"


def test_extra_fields_are_allowed_for_newer_counters() -> None:
    assert validate_payload(events.RATED, {**VALID[events.RATED], "pad": "x" * 100}) is None


def test_a_transaction_left_running_for_days_can_still_be_completed() -> None:
    assert validate_payload(events.COMPLETED, {"txn": "t", "duration_s": 3 * 86400.0,
                                               "target_s": 180.0,
                                               "overtime_s": 3 * 86400.0 - 180}) is None


def test_untimed_and_integer_targets_are_valid() -> None:
    assert validate_payload(events.STARTED, changed(events.STARTED, target_s=None)) is None
    assert validate_payload(events.STARTED, changed(events.STARTED, target_s=180)) is None
    assert validate_payload(events.COMPLETED, {"txn": "t", "duration_s": 60}) is None


def test_cause_lists_come_from_the_shared_choice_lists() -> None:
    assert {c.code for c in OVERTIME_CAUSES} == events.OVERTIME_CAUSE_CODES
    assert {c.code for c in FOLLOW_UP_CAUSES} == events.FOLLOW_UP_CAUSE_CODES


# ---- drafts carry staff numbers, never names ---------------------------------------------------

def test_review_drafts_refuse_a_manager_name() -> None:
    with pytest.raises(ReviewError, match="manager"):
        overtime_review("t1", "system", "", "陈经理")
    with pytest.raises(ReviewError, match="manager"):
        rating_follow_up("t1", called_back=True, cause="slow", resolved=True, note="",
                         manager="陈 经理")
    with pytest.raises(ReviewError, match="staff"):
        star_confirmation("2026-11", "王芳", 4.5, "9001")
    draft = star_confirmation("2026-11", "1001", 4.5, "9001")
    assert validate_payload(draft.kind, draft.payload) is None


@settings(max_examples=150, deadline=None)
@given(actions=st.lists(ACTIONS, max_size=60))
def test_the_machine_records_staff_numbers_only(actions: list[tuple[str, Any]]) -> None:
    """Sign-in names are "x" in the helpers: no event may carry one."""
    _, log, _ = run_actions(actions)  # Log also asserts every draft passes Lifecycle
    for event in log.events:
        assert "x" not in {v for v in event.payload.values() if isinstance(v, str)}
        assert not events.FORBIDDEN_FIELDS & set(event.payload)


# ---- the lifecycle ------------------------------------------------------------------------------

def d(kind: str, **fields: Any) -> Draft:
    """A valid draft of `kind` about transaction t1 (unless `txn` says otherwise)."""
    payload = dict(VALID[kind])
    if "txn" in payload:
        payload["txn"] = "t1"
    payload.update(fields)
    return Draft(kind, payload)


START = d(events.STARTED)
DONE_OVER = d(events.COMPLETED)  # 20.5 s over
DONE = d(events.COMPLETED, duration_s=60.0, overtime_s=0.0)


def fed(*drafts: Draft) -> Lifecycle:
    lifecycle = Lifecycle()
    for draft in drafts:
        assert lifecycle.feed(draft) is None, draft
    return lifecycle


REFUSED = [
    ((START,), START, "already started"),
    ((), d(events.COMPLETED), "unknown transaction"),
    ((), d(events.RATED), "unknown transaction"),
    ((START, DONE), d(events.TYPE_CHANGED), "not running"),
    ((START, DONE), DONE, "not running"),
    ((START, DONE), d(events.VOIDED), "not running"),
    ((START, d(events.VOIDED)), d(events.INTERRUPTED), "not running"),
    ((START,), d(events.RATED), "only a completed one"),
    ((START, d(events.VOIDED)), d(events.RATED), "only a completed one"),
    ((START,), d(events.OVERTIME_REASON), "only a completed one"),
    ((START, DONE), d(events.OVERTIME_REASON), "not completed in overtime"),
    ((START, DONE_OVER, d(events.OVERTIME_REASON)), d(events.OVERTIME_REASON), "already"),
    ((START, DONE, d(events.RATED, rating=5)), d(events.RATED, rating=4), "already rated"),
    ((START, DONE, d(events.RATED)), d(events.RATING_TIMED_OUT), "already rated"),
    ((START, DONE, d(events.RATING_TIMED_OUT)), d(events.RATED), "timed out"),
    ((START, DONE, d(events.RATING_TIMED_OUT)), d(events.RATING_TIMED_OUT), "timed out"),
    ((START, DONE), d(events.RATING_REASON), "no poor rating"),
    ((START, DONE, d(events.RATED, rating=4)), d(events.RATING_REASON), "no poor rating"),
    ((START, DONE, d(events.RATED, rating=2), d(events.RATING_REASON)),
     d(events.RATING_REASON), "already has a rating reason"),
    ((), d(events.OVERTIME_REVIEWED), "unknown transaction"),
    ((), d(events.RATING_FOLLOWED_UP), "unknown transaction"),
    ((), Draft("some_future_kind", {}), "unknown kind"),
    ((), d(events.RATED, rating=999), "rating"),
]


@pytest.mark.parametrize(("before", "event", "named"), REFUSED,
                         ids=[f"{i}-{e.kind}" for i, (_, e, _) in enumerate(REFUSED)])
def test_lifecycle_refuses(before: tuple[Draft, ...], event: Draft, named: str) -> None:
    lifecycle = fed(*before)
    state = lifecycle.state("t1")
    problem = lifecycle.feed(event)
    assert problem is not None and named in problem
    assert lifecycle.state("t1") == state  # a refused event changes nothing


def test_full_lifecycle_is_accepted() -> None:
    lifecycle = fed(START, d(events.TYPE_CHANGED), DONE_OVER, d(events.RATED, rating=1),
                    d(events.OVERTIME_REASON), d(events.RATING_REASON),
                    d(events.OVERTIME_REVIEWED), d(events.RATING_FOLLOWED_UP),
                    d(events.OVERTIME_REVIEWED), d(events.STAR_CONFIRMED),
                    d(events.SIGNED_OUT), d(events.LOG_OPENED))
    assert lifecycle.state("t1") == TxnState("completed", overtime=True, rating="rated",
                                             poor=True, rating_reason=True,
                                             overtime_reason=True)
    assert lifecycle.state("t2") is None


def test_star_needs_no_transaction_and_transactions_are_independent() -> None:
    lifecycle = fed(d(events.STAR_CONFIRMED), START, d(events.STARTED, txn="t2"),
                    d(events.VOIDED, txn="t2"), DONE)
    assert lifecycle.state("t2") == TxnState("voided")


def test_lookup_seeds_state_from_a_projection() -> None:
    rows = {"t1": {**{c: None for c in projection.COLUMNS}, "status": "completed",
                   "overtime_s": 0.0, "rating_status": "rated", "rating": 5}}
    looked: list[str] = []

    def lookup(txn: str) -> TxnState | None:
        looked.append(txn)
        row = rows.get(txn)
        return None if row is None else TxnState.from_row(row)

    lifecycle = Lifecycle(lookup=lookup)
    assert "already rated" in (lifecycle.check(d(events.RATED)) or "")
    assert lifecycle.feed(d(events.STARTED, txn="t9")) is None
    assert lifecycle.feed(d(events.COMPLETED, txn="t9", duration_s=1.0, overtime_s=0.0)) is None
    assert looked == ["t1", "t9"]  # each transaction looked up once, then folded in memory


@settings(max_examples=100, deadline=None)
@given(actions=st.lists(ACTIONS, max_size=60))
def test_state_from_the_projection_equals_the_fold(actions: list[tuple[str, Any]]) -> None:
    """The store checks with TxnState.from_row(projection row); the pure fold must agree."""
    _, log, _ = run_actions(actions)
    for txn, row in log.rows.items():
        assert TxnState.from_row(row) == log.lifecycle.state(txn)


def test_first_problem_names_the_event() -> None:
    found = Lifecycle().first_problem([START, DONE, DONE])
    assert found is not None and found[0] is DONE and "not running" in found[1]
    assert Lifecycle().first_problem([START, DONE]) is None
