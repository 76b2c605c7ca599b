"""The hash chain: canonical bytes in both chain formats, sealing, and the walker naming the
first bad sequence."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from counter_core.chain import (
    CHAIN_FORMATS,
    FORMAT_JCS,
    FORMAT_PYTHON_JSON,
    GENESIS_HASH,
    ChainFormatError,
    ChainHead,
    ChainProblem,
    ChainWalker,
    Event,
    canonical_bytes,
    chain_hash,
    first_break,
    format_after,
    head_of,
    seal,
    seal_next,
    walk,
)
from counter_core.events import LOG_OPENED


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


# ---- chain format 2: RFC 8785 (JCS) -------------------------------------------------------------

def test_jcs_writes_numbers_as_json_values_not_python_floats() -> None:
    fields = {"target_s": 180.0, "duration_s": 95.5, "n": 3, "tiny": 1e-7, "big": 1e21,
              "neg_zero": -0.0}
    assert canonical_bytes(fields, FORMAT_JCS) == (
        b'{"big":1e+21,"duration_s":95.5,"n":3,"neg_zero":0,"target_s":180,"tiny":1e-7}')
    # format 1 is Python's own rendering: the difference is why format 2 exists
    assert canonical_bytes(fields, FORMAT_PYTHON_JSON) == (
        b'{"big":1e+21,"duration_s":95.5,"n":3,"neg_zero":-0.0,"target_s":180.0,"tiny":1e-07}')
    assert canonical_bytes({"t": 180}, FORMAT_JCS) == canonical_bytes({"t": 180.0}, FORMAT_JCS)


def test_jcs_sorts_keys_by_utf16_code_units() -> None:
    # U+1F600 is D83D DE00 in UTF-16, before U+E000; by code point it comes after
    fields = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert canonical_bytes(fields, FORMAT_JCS) == (
        '{"a":3,"\U0001f600":2,"\ue000":1}'.encode())
    assert canonical_bytes(fields, FORMAT_PYTHON_JSON) == (
        '{"a":3,"\ue000":1,"\U0001f600":2}'.encode())


def test_jcs_keeps_non_ascii_as_utf8_and_escapes_controls() -> None:
    assert canonical_bytes({"note": "交费 ✓ é\u2028", "c": "\x01\n\"\\"}, FORMAT_JCS) == (
        '{"c":"\\u0001\\n\\"\\\\","note":"交费 ✓ é\u2028"}'.encode())


def test_jcs_matches_the_rfc_8785_example() -> None:
    """RFC 8785 section 3.2.2's sample, byte for byte."""
    fields = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert canonical_bytes(fields, FORMAT_JCS) == (
        b'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        + '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'.encode())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, -(2**60)])
def test_jcs_refuses_what_json_cannot_carry_exactly(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_bytes({"x": value}, FORMAT_JCS)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ChainFormatError):
        canonical_bytes({}, 3)


def test_known_jcs_hash_is_stable() -> None:
    event = Event(7, "u-7", "completed", "2026-11-25T08:00:00.000Z", "SH-0001", "03",
                  {"txn": "t1", "duration_s": 60.0, "target_s": 180.0}, prev_hash="ab" * 32)
    expected = (
        b'{"at":"2026-11-25T08:00:00.000Z","counter":"03","hall":"SH-0001","kind":"completed",'
        b'"payload":{"duration_s":60,"target_s":180,"txn":"t1"},"seq":7,"uuid":"u-7"}'
    )
    assert event.canonical_bytes(FORMAT_JCS) == expected
    assert seal(event, FORMAT_JCS).hash == hashlib.sha256(
        bytes.fromhex("ab" * 32) + expected).hexdigest()


# ---- the format switch, derived from the log --------------------------------------------------

def opened(seq: int, prev: str, chain_format: int) -> Event:
    return Event(seq, f"u-open-{seq}", LOG_OPENED, "2026-11-26T08:00:00.000Z", "SH-0001", "03",
                 {"app_version": "0.3.0", "chain_format": chain_format}, prev_hash=prev)


def mixed_chain(before: int = 4, after: int = 4) -> list[Event]:
    """A log written in format 1, then `log_opened` with format 2, then format-2 events."""
    events = make_chain(before)
    current = FORMAT_PYTHON_JSON
    for n in range(after + 1):
        seq = len(events) + 1
        draft = opened(seq, events[-1].hash, FORMAT_JCS) if n == 0 else Event(
            seq, f"u-{seq}", "started", "2026-11-26T08:01:00.000Z", "SH-0001", "03",
            {"txn": f"t{seq}", "staff": "1001", "type": "payment", "target_s": 180.0},
            prev_hash=events[-1].hash)
        event, current = seal_next(draft, current)
        events.append(event)
    return events


def test_old_format_1_log_followed_by_format_2_events_verifies() -> None:
    events = mixed_chain()
    old = make_chain(4)
    assert events[:4] == old  # old events keep their hashes
    assert walk(events) is None and first_break(events) is None
    assert head_of(events) == ChainHead(9, events[-1].hash, FORMAT_JCS)
    assert head_of(events[:4]).chain_format == FORMAT_PYTHON_JSON


def test_log_opened_with_format_2_is_itself_hashed_in_format_2() -> None:
    events = make_chain(2)
    # a float whose two forms differ (1.5e-07 / 1.5e-7), so the test sees which one was used
    draft = dataclasses.replace(opened(3, events[-1].hash, FORMAT_JCS),
                                payload={"app_version": "0.3.0", "chain_format": 2,
                                         "clock_s": 1.5e-7})
    switch, chain_format = seal_next(draft, FORMAT_PYTHON_JSON)
    assert chain_format == FORMAT_JCS
    assert switch.hash == seal(draft, FORMAT_JCS).hash != seal(draft, FORMAT_PYTHON_JSON).hash
    assert walk([*events, switch]) is None
    problem = walk([*events, seal(draft, FORMAT_PYTHON_JSON)])
    assert problem is not None and problem.seq == 3


def test_rehashing_a_format_2_event_with_format_1_fails() -> None:
    events = mixed_chain()
    later = events[6]
    assert seal(later, FORMAT_PYTHON_JSON).hash != later.hash  # target_s 180.0 vs 180
    # a writer that kept hashing in format 1 after the switch breaks the chain right there
    events[6] = seal(later, FORMAT_PYTHON_JSON)
    problem = walk(events)
    assert problem is not None and problem.seq == 7 and "chain format 2" in problem.reason


def test_format_2_event_before_any_switch_is_refused() -> None:
    events = make_chain(3)
    events[2] = seal(events[2], FORMAT_JCS)
    problem = walk(events)
    assert problem is not None and problem.seq == 3


def test_format_cannot_go_back_or_be_unknown() -> None:
    events = mixed_chain(2, 1)
    back = seal(opened(len(events) + 1, events[-1].hash, FORMAT_PYTHON_JSON), FORMAT_PYTHON_JSON)
    problem = walk([*events, back])
    assert problem is not None and problem.seq == back.seq and "go back" in problem.reason
    newer = seal(opened(len(events) + 1, events[-1].hash, 3), FORMAT_JCS)
    problem = walk([*events, newer])
    assert problem is not None and "unknown to this version" in problem.reason
    with pytest.raises(ChainFormatError):
        format_after(FORMAT_JCS, LOG_OPENED, {"chain_format": "2"})
    assert format_after(FORMAT_JCS, "rated", {}) == FORMAT_JCS
    assert CHAIN_FORMATS == (1, 2)


def test_a_second_log_opened_in_the_same_format_keeps_it() -> None:
    events = mixed_chain(2, 1)
    again, _ = seal_next(opened(len(events) + 1, events[-1].hash, FORMAT_JCS), FORMAT_JCS)
    assert walk([*events, again]) is None


# ---- the walker, from any known head ------------------------------------------------------------

def test_walker_continues_from_a_known_head_in_its_format() -> None:
    events = mixed_chain()
    head = head_of(events[:6])
    assert head.chain_format == FORMAT_JCS
    walker = ChainWalker(head)
    assert walker.walk(events[6:]) is None
    assert walker.head == head_of(events) and walker.events == 3
    # the same batch checked from the right seq and hash but the wrong format fails at once
    wrong = ChainWalker(seq=head.seq, hash=head.hash, chain_format=FORMAT_PYTHON_JSON)
    problem = wrong.walk(events[6:])
    assert problem is not None and problem.seq == 7


def test_walker_hands_out_each_events_canonical_bytes() -> None:
    """What a server stores as an event's text: it re-hashes to the event's hash."""
    events = mixed_chain()
    walker = ChainWalker()
    for ev in events:
        assert walker.feed(ev) is None
        assert chain_hash(ev.prev_hash, walker.last_bytes) == ev.hash
        assert walker.last_bytes == ev.canonical_bytes(walker.chain_format)


def test_walker_from_a_head_before_the_switch_follows_it() -> None:
    events = mixed_chain()
    walker = ChainWalker(head_of(events[:3]))
    assert walker.walk(events[3:]) is None
    assert walker.chain_format == FORMAT_JCS


def test_walker_refusal_leaves_the_head_unchanged() -> None:
    events = make_chain(4)
    walker = ChainWalker()
    assert walker.feed(events[0]) is None
    before = walker.head
    assert walker.feed(events[2]) == ChainProblem(2, "expected sequence 2, found 3")
    assert walker.head == before and walker.seq == 1 and walker.hash == events[0].hash
    assert walker.feed(events[1]) is None and walker.seq == 2


def test_walker_names_a_payload_that_cannot_be_hashed() -> None:
    bad = Event(1, "u", "rated", "2026-01-01T00:00:00.000Z", "H", "C",
                {"txn": "t", "rating": float("nan")}, hash="0" * 64)
    problem = walk([bad])
    assert problem is not None and problem.seq == 1


def test_walker_refuses_an_unknown_starting_format() -> None:
    with pytest.raises(ChainFormatError):
        ChainWalker(chain_format=3)
