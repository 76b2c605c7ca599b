"""The hall's rule for one case decided in several chains (counter_core.reviews.merge_decisions):
within a chain the later supersedes; across chains the later by time wins, ties by chain id;
decisions of different chains within ten minutes of the winner are flagged."""

from __future__ import annotations

import itertools

from counter_core.reviews import DECIDED_TWICE_WITHIN_S, Decision, merge_decisions

DESK = ("SH-0001", "desk")
C01 = ("SH-0001", "01")
C02 = ("SH-0001", "02")


def d(at: str, chain: tuple[str, str], seq: int, row: str = "") -> Decision:
    return Decision(at, chain, seq, row or f"{chain[1]}@{at}")


def test_no_decisions_is_none() -> None:
    assert merge_decisions([]) is None


def test_one_decision_wins_unflagged() -> None:
    merged = merge_decisions([d("2026-11-02T09:00:00.000Z", DESK, 5)])
    assert merged is not None
    assert merged.winner.chain == DESK and not merged.decided_twice


def test_within_one_chain_the_later_in_the_chain_supersedes_and_is_never_flagged() -> None:
    first = d("2026-11-02T09:00:00.000Z", DESK, 5, "first")
    again = d("2026-11-02T09:01:00.000Z", DESK, 6, "again")
    merged = merge_decisions([again, first])
    assert merged is not None
    assert merged.winner.row == "again" and not merged.decided_twice


def test_across_chains_the_later_wins_and_hours_apart_is_not_flagged() -> None:
    early = d("2026-11-02T09:00:00.000Z", C01, 40)
    late = d("2026-11-02T14:00:00.000Z", DESK, 3)
    merged = merge_decisions([late, early])
    assert merged is not None
    assert merged.winner is late and not merged.decided_twice


def test_minutes_apart_from_two_chains_is_flagged_decided_twice() -> None:
    desk = d("2026-11-02T09:00:00.000Z", DESK, 3)
    counter = d("2026-11-02T09:04:30.000Z", C01, 41)
    merged = merge_decisions([desk, counter])
    assert merged is not None
    assert merged.winner is counter
    assert merged.decided_twice and merged.rivals == (desk,)


def test_the_window_is_ten_minutes_inclusive() -> None:
    assert DECIDED_TWICE_WITHIN_S == 600
    at_edge = merge_decisions(
        [d("2026-11-02T09:00:00.000Z", DESK, 1), d("2026-11-02T09:10:00.000Z", C01, 1)]
    )
    past = merge_decisions(
        [d("2026-11-02T09:00:00.000Z", DESK, 1), d("2026-11-02T09:10:00.001Z", C01, 1)]
    )
    assert at_edge is not None and at_edge.decided_twice
    assert past is not None and not past.decided_twice


def test_a_tie_in_time_goes_to_the_greater_chain_id_in_any_order() -> None:
    at = "2026-11-02T09:00:00.000Z"
    cases = [d(at, C01, 7), d(at, DESK, 2), d(at, C02, 9)]
    for order in itertools.permutations(cases):
        merged = merge_decisions(order)
        assert merged is not None
        assert merged.winner.chain == DESK  # "desk" > "02" > "01"
        assert merged.decided_twice and {r.chain for r in merged.rivals} == {C01, C02}


def test_only_each_chains_latest_decision_counts() -> None:
    # the counter decided at 09:00 and corrected itself at 13:00; the desk decided at 09:05:
    # the counter's correction wins, and no rival is within ten minutes of it
    merged = merge_decisions(
        [
            d("2026-11-02T09:00:00.000Z", C01, 10),
            d("2026-11-02T13:00:00.000Z", C01, 90),
            d("2026-11-02T09:05:00.000Z", DESK, 4),
        ]
    )
    assert merged is not None
    assert merged.winner.seq == 90 and not merged.decided_twice


def test_offsets_in_the_record_time_compare_as_instants() -> None:
    merged = merge_decisions(
        [d("2026-11-02T09:00:00.000+00:00", C01, 1), d("2026-11-02T08:59:59.999Z", DESK, 1)]
    )
    assert merged is not None and merged.winner.chain == C01
