"""Appeals (申诉): the events' schema, the lifecycle rules and the pure helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from counter_core import appeals, events
from counter_core.chain import Event
from counter_core.events import Lifecycle, TxnState, validate_payload
from counter_core.transaction import Draft
from counter_core.validation import REFERENCE_KINDS, Validator

CLERK, MANAGER, OTHER = "1001", "9001", "1002"


def served(txn: str, rating: int | None, staff: str = CLERK) -> list[Draft]:
    drafts = [
        Draft(events.STARTED, {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0}),
        Draft(events.COMPLETED, {"txn": txn, "duration_s": 60.0, "target_s": 180.0}),
    ]
    if rating is None:
        drafts.append(Draft(events.RATING_TIMED_OUT, {"txn": txn}))
    else:
        drafts.append(Draft(events.RATED, {"txn": txn, "rating": rating}))
    return drafts


def fed(*drafts: Draft) -> Lifecycle:
    lifecycle = Lifecycle()
    for draft in drafts:
        assert lifecycle.feed(draft) is None, draft
    return lifecycle


def appealed(txn: str = "t1", staff: str = CLERK, reason: str = "system_fault") -> Draft:
    return appeals.appeal(txn, staff, reason, "")


def decided(txn: str = "t1", upheld: bool = True, by: str = MANAGER) -> Draft:
    return appeals.decision(txn, upheld=upheld, by=by, note="查实系统故障")


# ---- schema ---------------------------------------------------------------------------------


def test_the_appeal_payloads_follow_their_schema() -> None:
    ok = {"txn": "t1", "staff": CLERK, "reason": "wrong_counter", "note": "评错窗口"}
    assert validate_payload(events.RATING_APPEALED, ok) is None
    assert "reason" in str(validate_payload(events.RATING_APPEALED, {**ok, "reason": "angry"}))
    assert "note" in str(validate_payload(events.RATING_APPEALED, {**ok, "note": "x" * 201}))
    assert "staff" in str(validate_payload(events.RATING_APPEALED, {**ok, "staff": "张三"}))
    assert validate_payload(events.RATING_APPEALED, {**ok, "name": "张三"}) is not None
    decision = {"txn": "t1", "upheld": False, "by": MANAGER, "note": ""}
    assert validate_payload(events.APPEAL_DECIDED, decision) is None
    assert "upheld" in str(validate_payload(events.APPEAL_DECIDED, {**decision, "upheld": 1}))
    assert "by is missing" in str(
        validate_payload(events.APPEAL_DECIDED, {"txn": "t1", "upheld": True})
    )


def test_the_reasons_are_the_fixed_list() -> None:
    assert [c.code for c in appeals.APPEAL_REASONS] == [
        "customer_misunderstood",
        "system_fault",
        "wrong_counter",
        "other",
    ]
    with pytest.raises(appeals.AppealError, match="Choose a reason"):
        appeals.appeal("t1", CLERK, "")
    with pytest.raises(appeals.AppealError, match="Unknown appeal reason"):
        appeals.appeal("t1", CLERK, "angry")
    with pytest.raises(appeals.AppealError, match="“other”"):
        appeals.appeal("t1", CLERK, "other", "  ")
    with pytest.raises(appeals.AppealError, match="too long"):
        appeals.appeal("t1", CLERK, "system_fault", "x" * 201)
    assert appeals.appeal("t1", CLERK, "other", " 客户说按错了 ").payload["note"] == "客户说按错了"


def test_a_decision_is_never_the_appellants_and_a_rejection_says_why() -> None:
    with pytest.raises(appeals.AppealError, match="another manager"):
        appeals.decision("t1", upheld=True, by=CLERK, appellant=CLERK)
    with pytest.raises(appeals.AppealError, match="rejected"):
        appeals.decision("t1", upheld=False, by=MANAGER, note="")
    assert appeals.decision("t1", upheld=True, by=MANAGER).payload == {
        "txn": "t1",
        "upheld": True,
        "by": MANAGER,
        "note": "",
    }


# ---- lifecycle ------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2])
def test_a_clerk_appeals_their_own_poor_rating_once(rating: int) -> None:
    lifecycle = fed(*served("t1", rating))
    assert lifecycle.feed(appealed()) is None
    assert "already appealed" in str(lifecycle.check(appealed()))


@pytest.mark.parametrize("rating", [3, 4, 5, None])
def test_only_a_poor_rating_can_be_appealed(rating: int | None) -> None:
    lifecycle = fed(*served("t1", rating))
    assert "no poor rating" in str(lifecycle.check(appealed()))


def test_nobody_appeals_another_clerks_rating_nor_an_unknown_or_running_one() -> None:
    lifecycle = fed(
        *served("t1", 1), Draft(events.STARTED, {"txn": "t2", "staff": CLERK, "type": "payment"})
    )
    assert "another clerk" in str(lifecycle.check(appealed(staff=OTHER)))
    assert "unknown transaction" in str(lifecycle.check(appealed("nope")))
    assert "no poor rating" in str(lifecycle.check(appealed("t2")))


def test_a_decision_only_of_an_appealed_rating_once_and_not_by_the_appellant() -> None:
    lifecycle = fed(*served("t1", 2))
    assert "not appealed" in str(lifecycle.check(decided()))
    lifecycle.feed(appealed())
    own = Draft(events.APPEAL_DECIDED, {"txn": "t1", "upheld": True, "by": CLERK, "note": ""})
    assert "another decides" in str(lifecycle.check(own))
    assert lifecycle.feed(decided()) is None
    assert "already decided" in str(lifecycle.check(decided(upheld=False)))


def test_the_state_from_a_projection_row_carries_the_appeal() -> None:
    row: dict[str, Any] = {
        "status": "completed",
        "rating": 1,
        "rating_status": "rated",
        "staff": CLERK,
        "overtime_s": 0.0,
        "appealed": True,
    }
    lifecycle = Lifecycle(lookup=lambda txn: TxnState.from_row(row))
    assert "already appealed" in str(lifecycle.check(appealed()))
    assert lifecycle.check(decided()) is None
    row["appeal_decided"] = True
    assert "already decided" in str(
        Lifecycle(lookup=lambda txn: TxnState.from_row(row)).check(decided())
    )


def test_head_office_holds_an_appeal_of_a_transaction_it_does_not_hold_yet() -> None:
    assert {events.RATING_APPEALED, events.APPEAL_DECIDED} <= REFERENCE_KINDS
    validator = Validator(hold_references=True, known_elsewhere=lambda txn: txn == "there")
    assert validator.feed(decided("later")).pending
    assert validator.feed(decided("there")).ok  # another chain holds it: joined there
    # where this chain holds the transaction the rules apply as at the counter
    for draft in served("t1", 5):
        assert validator.feed(draft).ok
    assert "no poor rating" in str(validator.feed(appealed()).reason)


# ---- projection and the clerk's list --------------------------------------------------------


def _event(seq: int, draft: Draft, at: str = "2026-11-03T02:00:00.000Z") -> Event:
    return Event(
        seq=seq,
        uuid=f"u{seq}",
        kind=draft.kind,
        at=at,
        hall="H",
        counter="1",
        payload=draft.payload,
        prev_hash="0" * 64,
        hash="0" * 64,
    )


def test_the_appeals_table_folds_the_appeal_and_its_decision() -> None:
    rows = appeals.rebuild([_event(1, appealed()), _event(2, decided(upheld=False))])
    row = rows["t1"]
    assert (row["staff"], row["reason"], row["appeal_seq"]) == (CLERK, "system_fault", 1)
    assert (row["upheld"], row["decided_by"], row["decided_seq"]) == (0, MANAGER, 2)
    assert appeals.state_of(row) == appeals.REJECTED
    assert appeals.state_of(None) == appeals.NOT_APPEALED
    assert appeals.state_of({**row, "upheld": None}) == appeals.OPEN
    assert appeals.state_of({**row, "upheld": 1}) == appeals.UPHELD


def test_my_ratings_are_own_poor_ratings_of_earlier_days_by_date_only() -> None:
    today = dt.date(2026, 11, 5)

    def row(
        txn: str, day: int, rating: int, staff: str = CLERK, appeal_seq: int | None = None
    ) -> dict[str, Any]:
        return {
            "txn": txn,
            "started_at": f"2026-11-{day:02}T03:04:05.678Z",
            "staff": staff,
            "type": "payment",
            "status": "completed",
            "rating": rating,
            "appeal_seq": appeal_seq,
            "upheld": None,
        }

    rows = [
        row("a", 3, 1),
        row("b", 4, 2, appeal_seq=9),
        row("today", 5, 1),
        row("good", 4, 5),
        row("theirs", 4, 1, staff=OTHER),
    ]
    mine = appeals.my_ratings(rows, CLERK, today, lambda at: dt.date.fromisoformat(at[:10]))
    assert [(r.txn, r.day, r.state) for r in mine] == [
        ("b", dt.date(2026, 11, 4), appeals.OPEN),
        ("a", dt.date(2026, 11, 3), appeals.NOT_APPEALED),
    ]
    assert not hasattr(mine[0], "started_at")  # a date, never the minute


def test_across_chains_the_appellant_and_the_rating_still_count() -> None:
    state = TxnState("completed", rating="rated", poor=True, staff=CLERK)
    validator = Validator(
        hold_references=True, known_elsewhere=lambda txn: True, elsewhere_state=lambda txn: state
    )
    assert validator.check(appealed()).ok
    assert "another clerk" in str(validator.check(appealed(staff=OTHER)).reason)
    assert validator.check(decided()).ok
    own = Draft(events.APPEAL_DECIDED, {"txn": "t1", "upheld": True, "by": CLERK, "note": ""})
    assert "another decides" in str(validator.check(own).reason)
