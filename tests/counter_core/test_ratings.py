"""The rating scale, its bilingual labels, and the one-press reasons."""

from __future__ import annotations

import pytest

from counter_core import ratings


def test_scale_is_five_levels_best_first_with_both_languages() -> None:
    assert ratings.RATING_VALUES == (5, 4, 3, 2, 1)
    assert set(ratings.RATING_LABELS) == {1, 2, 3, 4, 5}
    assert ratings.RATING_LABELS[5] == ("非常满意", "Very satisfied")
    assert ratings.RATING_LABELS[1] == ("非常不满意", "Very dissatisfied")
    for zh, en in ratings.RATING_LABELS.values():
        assert zh and en and zh != en


def test_poor_and_satisfied_are_the_two_ends() -> None:
    assert {1, 2} == ratings.POOR_RATINGS
    assert {4, 5} == ratings.SATISFIED_RATINGS
    assert not ratings.POOR_RATINGS & ratings.SATISFIED_RATINGS


@pytest.mark.parametrize("choices", [ratings.POOR_RATING_REASONS, ratings.OVERTIME_REASONS])
def test_reasons_have_unique_codes_and_both_languages(
    choices: tuple[ratings.Choice, ...],
) -> None:
    codes = [c.code for c in choices]
    assert len(codes) == len(set(codes)) >= 3
    assert ratings.reason_codes(choices) == frozenset(codes)
    assert "other" in codes
    assert all(c.zh and c.en for c in choices)


@pytest.mark.parametrize(
    ("value", "ok"),
    [(1, True), (5, True), (0, False), (6, False), (True, False), (3.0, False), ("3", False),
     (None, False)],
)
def test_is_valid_rating(value: object, ok: bool) -> None:
    assert ratings.is_valid_rating(value) is ok
