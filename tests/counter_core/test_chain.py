"""The hash chain: canonical bytes, sealing, and first_break naming the first bad sequence."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from counter_core.chain import (
    GENESIS_HASH,
    ChainProblem,
    Event,
    canonical_bytes,
    chain_hash,
    first_break,
    seal,
)


def make_chain(count: int, *, start_prev: str = GENESIS_HASH) -> list[Event]:
    events: list[Event] = []
    prev = start_prev
    for seq in range(1, count + 1):
        event = seal(Event(
            seq=seq, uuid=f"00000000-0000-4000-8000-{seq:012d}", kind="started",
            at=f"2026-11-25T08:{seq % 60:02d}:00.000Z", hall="SH-0001", counter="03",
            payload={"txn": f"t{seq}", "staff": "1001", "type": "payment", "target_s": 180.0},
            prev_hash=prev,
        ))
        events.append(event)
        prev = event.hash
    return events


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    data = {"b": 1, "a": {"z": "交费", "y": [1.5, None, True]}}
    assert canonical_bytes(data) == '{"a":{"y":[1.5,null,true],"z":"交费"},"b":1}'.encode()


def test_canonical_bytes_do_not_depend_on_key_order() -> None:
    one = Event(1, "u", "rated", "2026-01-01T00:00:00.000Z", "H", "C", {"txn": "x", "rating": 5})
    two = Event(1, "u", "rated", "2026-01-01T00:00:00.000Z", "H", "C", {"rating": 5, "txn": "x"})
    assert one.canonical_bytes() == two.canonical_bytes()
    assert seal(one).hash == seal(two).hash


def test_canonical_bytes_refuse_nan() -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"duration_s": float("nan")})


def test_known_hash_is_stable() -> None:
    """The bytes and hash of one event, computed independently: head office relies on them."""
    event = Event(7, "u-7", "rated", "2026-11-25T08:00:00.000Z", "SH-0001", "03",
                  {"txn": "t1", "rating": 5}, prev_hash="ab" * 32)
    expected_bytes = (
        b'{"at":"2026-11-25T08:00:00.000Z","counter":"03","hall":"SH-0001","kind":"rated",'
        b'"payload":{"rating":5,"txn":"t1"},"seq":7,"uuid":"u-7"}'
    )
    assert event.canonical_bytes() == expected_bytes
    expected_hash = hashlib.sha256(bytes.fromhex("ab" * 32) + expected_bytes).hexdigest()
    assert chain_hash("ab" * 32, expected_bytes) == expected_hash
    assert seal(event).hash == expected_hash


def test_hash_covers_every_field() -> None:
    base = make_chain(1)[0]
    changes: dict[str, Any] = {
        "seq": 2, "uuid": "other", "kind": "voided", "at": "2026-11-25T09:00:00.000Z",
        "hall": "SH-0002", "counter": "04", "payload": {"txn": "t1"}, "prev_hash": "1" * 64,
    }
    for name, value in changes.items():
        assert seal(dataclasses.replace(base, **{name: value})).hash != base.hash, name


def test_dict_round_trip() -> None:
    event = make_chain(1)[0]
    again = Event.from_dict(event.as_dict())
    assert again == event
    assert set(event.as_dict()) == {*event.as_unhashed_dict(), "prev_hash", "hash"}


def test_intact_chain_has_no_break() -> None:
    assert first_break(make_chain(6)) is None
    assert first_break([]) is None


def test_chain_can_be_checked_from_a_midpoint() -> None:
    events = make_chain(6)
    assert first_break(events[3:], prev_hash=events[2].hash, expect_seq=4) is None
    problem = first_break(events[3:], prev_hash=GENESIS_HASH, expect_seq=4)
    assert problem == ChainProblem(4, "prev_hash does not match the previous event's hash")


def test_edited_payload_names_its_sequence() -> None:
    events = make_chain(6)
    events[3] = dataclasses.replace(events[3], payload={**events[3].payload, "staff": "1002"})
    problem = first_break(events)
    assert problem is not None and problem.seq == 4
    assert "contents" in problem.reason
    assert str(problem).startswith("sequence 4:")


def test_edited_and_resealed_event_breaks_the_next_link() -> None:
    events = make_chain(6)
    events[2] = seal(dataclasses.replace(events[2], payload={"txn": "forged"}))
    problem = first_break(events)
    assert problem is not None and problem.seq == 4
    assert "prev_hash" in problem.reason


def test_deleted_event_names_the_missing_sequence() -> None:
    events = make_chain(6)
    del events[2]
    problem = first_break(events)
    assert problem is not None and problem.seq == 3
    assert "expected sequence 3, found 4" in problem.reason


def test_deleted_last_event_is_not_detectable_from_the_chain_alone() -> None:
    # a truncated tail is still a valid chain; head office's acknowledged mark catches this
    assert first_break(make_chain(6)[:-1]) is None


def test_reordered_events_name_the_first_out_of_place() -> None:
    events = make_chain(6)
    events[1], events[4] = events[4], events[1]
    problem = first_break(events)
    assert problem is not None and problem.seq == 2


def test_duplicated_event_is_named() -> None:
    events = make_chain(4)
    events.insert(2, events[1])
    problem = first_break(events)
    assert problem is not None and problem.seq == 2


def test_wrong_prev_hash_names_its_sequence() -> None:
    events = make_chain(5)
    events[4] = seal(dataclasses.replace(events[4], prev_hash=events[2].hash))
    problem = first_break(events)
    assert problem == ChainProblem(5, "prev_hash does not match the previous event's hash")


def test_first_event_must_follow_genesis() -> None:
    events = make_chain(3, start_prev="f" * 64)
    problem = first_break(events)
    assert problem is not None and problem.seq == 1


def test_forged_hash_field_is_named() -> None:
    events = make_chain(3)
    events[0] = dataclasses.replace(events[0], hash="0" * 64)
    problem = first_break(events)
    assert problem is not None and problem.seq == 1 and "contents" in problem.reason


def test_only_the_first_of_several_breaks_is_named() -> None:
    events = make_chain(8)
    events[6] = dataclasses.replace(events[6], kind="voided")
    events[2] = dataclasses.replace(events[2], at="2020-01-01T00:00:00.000Z")
    problem = first_break(events)
    assert problem is not None and problem.seq == 3
