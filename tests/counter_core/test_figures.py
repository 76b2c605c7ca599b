"""KPI and star-rule tests on small fixed data sets with hand-computed answers (no Qt)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter_core import figures as reports
from counter_core.figures import StaffMonth, StarRule


def row(status: str = "completed", duration: float | None = 100.0, target: float | None = 180.0,
        rating: int | None = None, staff: str = "1001", started_at: str = "2026-03-02T01:00:00Z",
        type_: str = "payment") -> dict[str, Any]:
    overtime = max(0.0, duration - target) if duration is not None and target else 0.0
    return {"status": status, "duration_s": duration, "target_s": target, "overtime_s": overtime,
            "rating": rating, "staff": staff, "started_at": started_at, "type": type_}


#: served 5 (durations 60, 100, 150, 180, 200), timed 4 of them, one overtime (200 > 180; 180 is
#: on target), ratings 5, 2, 4, 3 and one not rated, plus a void and an interruption at 40 s of
#: a 180 s target (timed too, within target: issue 9 item 8).
FIXED = [
    row(duration=100, rating=5),
    row(duration=200, rating=2),
    row(duration=150, target=300, rating=4, type_="sim"),
    row(duration=60, target=None, type_="enquiry"),
    row(duration=180, rating=3, staff="1002", started_at="2026-03-03T02:00:00Z"),
    row(status="voided", duration=5),
    row(status="interrupted", duration=40, staff="1002"),
]


def test_kpis_match_hand_computed_values() -> None:
    k = reports.kpis(FIXED)
    assert (k.served, k.timed, k.within_target, k.overtime) == (5, 5, 4, 1)
    assert k.service_level == 0.8
    assert k.median_s == 150.0
    assert k.p90_s == pytest.approx(192.0)  # rank 3.6: 180 + 0.6 × (200 − 180)
    assert (k.rated, k.satisfied, k.poor) == (4, 2, 1)
    assert k.satisfaction_rate == 0.5
    assert k.participation_rate == 0.8
    assert k.mean_rating == 3.5
    assert (k.voided, k.interrupted) == (1, 1)


def test_kpis_of_nothing_are_none_not_zero() -> None:
    k = reports.kpis([])
    assert k.served == 0
    assert k.service_level is None and k.satisfaction_rate is None and k.median_s is None
    assert k.participation_rate is None


def test_percentile() -> None:
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([7.0], 0.9) == 7.0
    assert reports.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert reports.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == pytest.approx(91)
    with pytest.raises(ValueError):
        reports.percentile([1.0], 1.5)


def test_histogram_bins_and_open_last_bin() -> None:
    bins = reports.histogram([60, 100, 150, 180, 200, 0], bin_s=60, max_s=180)
    assert [(b.low, b.high, b.count) for b in bins] == [
        (0, 60, 1), (60, 120, 2), (120, 180, 1), (180, None, 2)]


def test_daily_trend_groups_by_day() -> None:
    trend = reports.daily_trend(FIXED, lambda at: dt.date.fromisoformat(at[:10]))
    assert [p.day.day for p in trend] == [2, 3]
    assert trend[0].served == 4 and trend[0].service_level == 0.75  # the interruption too
    assert trend[0].satisfaction_rate == pytest.approx(2 / 3)
    assert trend[1].service_level == 1.0 and trend[1].satisfaction_rate == 0.0


def test_pareto_orders_and_accumulates() -> None:
    bars = reports.pareto({"system": 2, "staff_skill": 5, "other": 1, "policy": 2, "none": 0})
    assert [(b.cause, b.count) for b in bars] == [
        ("staff_skill", 5), ("policy", 2), ("system", 2), ("other", 1)]
    assert [round(b.cumulative, 2) for b in bars] == [0.5, 0.7, 0.9, 1.0]
    assert reports.pareto({}) == []


def test_rating_distribution() -> None:
    assert reports.rating_distribution(FIXED) == {1: 0, 2: 1, 3: 1, 4: 1, 5: 1}


def test_satisfaction_by_handling_time() -> None:
    bins = reports.satisfaction_by_handling(FIXED)
    by_low = {b.low: b for b in bins}
    # 100/180 = 0.56 and 150/300 = 0.5 → [0.5, 0.75): ratings 5 and 4
    assert by_low[0.5].rated == 2 and by_low[0.5].satisfaction_rate == 1.0
    assert by_low[0.5].mean_rating == 4.5
    # 200/180 = 1.11 and 180/180 = 1.0 → [1.0, 1.25): ratings 2 and 3
    assert by_low[1.0].rated == 2 and by_low[1.0].satisfaction_rate == 0.0
    assert by_low[0.0].rated == 0 and by_low[0.0].satisfaction_rate is None
    assert bins[-1].high is None and len(bins) == len(reports.HANDLING_EDGES) + 1


def test_signed_in_seconds_clips_to_the_period() -> None:
    sessions = [
        ("2026-02-28T23:00:00Z", "signed_in", "1001"),   # an hour before the month
        ("2026-03-01T01:00:00Z", "signed_out", "1001"),  # → 1 h counts
        ("2026-03-01T02:00:00Z", "signed_in", "1002"),
        ("2026-03-01T02:30:00Z", "signed_out", "1002"),  # 30 min
        ("2026-03-31T23:00:00Z", "signed_in", "1002"),   # still open at the end: 1 h
    ]
    seconds = reports.signed_in_seconds(sessions, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    assert seconds == {"1001": 3600.0, "1002": 5400.0}


def test_monthly_summary_per_staff() -> None:
    summary = reports.monthly_summary(FIXED, {"1001": 3600.0, "1002": 1800.0, "1003": 600.0})
    a, b, c = summary
    assert (a.staff, a.served, a.rated, a.mean_rating) == ("1001", 4, 3, pytest.approx(11 / 3))
    assert a.satisfaction_rate == pytest.approx(2 / 3)
    assert a.overtime_rate == pytest.approx(1 / 3)  # timed: 100/180, 200/180, 150/300
    assert a.participation_rate == 0.75
    assert a.serving_s == 100 + 200 + 150 + 60 + 5
    assert a.serving_share == pytest.approx(515 / 3600)
    assert (b.served, b.serving_s, b.serving_share) == (1, 220.0, pytest.approx(220 / 1800))
    assert (c.staff, c.served, c.mean_rating, c.serving_share) == ("1003", 0, None, 0.0)


def month(staff: str, ratings: list[int], timed: int = 100, overtime: int = 10) -> StaffMonth:
    return StaffMonth(staff=staff, served=max(len(ratings), timed), rated=len(ratings),
                      rating_sum=sum(ratings), satisfied=sum(1 for r in ratings if r >= 4),
                      timed=timed, overtime=overtime, serving_s=0.0, signed_in_s=0.0)


def test_star_none_without_ratings() -> None:
    suggestion = reports.suggest_star([month("1001", []), month("1002", [])])
    assert suggestion.star is None and suggestion.hall_mean is None
    assert reports.suggest_star([]).star is None


def test_star_nobody_has_enough_ratings() -> None:
    suggestion = reports.suggest_star([month("1001", [5] * 29), month("1002", [4] * 10)])
    assert suggestion.star is None
    assert not any(c.eligible for c in suggestion.ranking)


def test_star_too_few_ratings_cannot_win_over_a_full_record() -> None:
    # 1001: 10 × 5 (mean 5, ineligible); 1002: 40 × 4 (eligible) → 1002 despite the lower mean
    suggestion = reports.suggest_star([month("1001", [5] * 10), month("1002", [4] * 40)])
    assert suggestion.star is not None and suggestion.star.staff == "1002"


def test_star_smoothing_by_hand() -> None:
    # A: 30 ratings sum 150 (mean 5.0); B: 70 ratings sum 315 (mean 4.5); m = 465 / 100 = 4.65
    # A: (20 × 4.65 + 150) / 50 = 4.86;  B: (20 × 4.65 + 315) / 90 = 4.5333…
    a = month("A", [5] * 30)
    b = month("B", [5] * 35 + [4] * 35)
    suggestion = reports.suggest_star([b, a], StarRule(min_ratings=30, prior_weight=20))
    assert suggestion.hall_mean == pytest.approx(4.65)
    scores = {c.staff: c.score for c in suggestion.ranking}
    assert scores["A"] == pytest.approx(4.86)
    assert scores["B"] == pytest.approx(408 / 90)
    assert suggestion.star is not None and suggestion.star.staff == "A"
    assert suggestion.tie_broken_by is None


def test_star_smoothing_favours_a_long_record_over_a_short_perfect_one() -> None:
    # A: 30 × 5; B: 300 ratings, mean 4.9 (270 × 5, 30 × 4); m = (150 + 1470) / 330 = 4.909
    # A: (20m + 150) / 50 = 4.964 > B: (20m + 1470) / 320 = 4.901 → A; with a minimum of 50
    # ratings A is not eligible and B wins.
    a, b = month("A", [5] * 30), month("B", [5] * 270 + [4] * 30)
    assert reports.suggest_star([a, b]).star.staff == "A"  # type: ignore[union-attr]
    strict = reports.suggest_star([a, b], StarRule(min_ratings=50))
    assert strict.star is not None and strict.star.staff == "B"


def test_star_tie_broken_by_overtime_rate_then_ratings() -> None:
    a = month("1001", [5] * 40, timed=100, overtime=12)
    b = month("1002", [5] * 40, timed=100, overtime=8)
    suggestion = reports.suggest_star([a, b])
    assert suggestion.star is not None and suggestion.star.staff == "1002"
    assert suggestion.tie_broken_by == "overtime rate"
    c = month("1003", [5] * 40, timed=100, overtime=8)
    d = month("1004", [5] * 45, timed=100, overtime=8)
    suggestion = reports.suggest_star([c, d])
    assert suggestion.star is not None and suggestion.star.staff == "1004"
    assert suggestion.tie_broken_by == "number of ratings"


def test_star_rule_is_described() -> None:
    text = StarRule(min_ratings=25, prior_weight=10).describe()
    assert "25 ratings" in text and "C = 10" in text and "overtime rate" in text


# ---- properties -------------------------------------------------------------------------------

durations = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), min_size=2,
                     max_size=200)


@given(durations)
def test_percentile_agrees_with_the_standard_library(values: list[float]) -> None:
    import statistics

    deciles = statistics.quantiles(values, n=10, method="inclusive")
    for i, expected in enumerate(deciles, start=1):
        assert reports.percentile(values, i / 10) == pytest.approx(expected, abs=1e-6)


staff_months = st.lists(
    st.tuples(st.lists(st.integers(1, 5), max_size=80), st.integers(0, 50)),
    min_size=1, max_size=6,
)


@given(staff_months, st.integers(1, 40), st.integers(0, 50))
def test_the_star_is_eligible_and_best(data: list[tuple[list[int], int]], minimum: int,
                                       prior: int) -> None:
    summary = [month(f"{1001 + i}", ratings, timed=100, overtime=over)
               for i, (ratings, over) in enumerate(data)]
    rule = StarRule(min_ratings=minimum, prior_weight=prior)
    suggestion = reports.suggest_star(summary, rule)
    eligible = [c for c in suggestion.ranking if c.eligible]
    if suggestion.star is None:
        assert not eligible
        return
    assert suggestion.star.rated >= minimum
    best = round(suggestion.star.score or 0, 2)
    assert all(round(c.score or 0, 2) <= best for c in eligible)
    # the smoothed score lies between the staff member's own mean and the hall's mean
    own = suggestion.star.mean_rating or 0
    hall = suggestion.hall_mean or 0
    assert min(own, hall) - 1e-9 <= (suggestion.star.score or 0) <= max(own, hall) + 1e-9


# ---- definitions at their edges -----------------------------------------------------------------

def test_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() -> None:
    from counter_core import figures

    assert figures.median([]) is None
    assert figures.median([30.0, 10.0, 20.0]) == 20.0
    assert figures.median([10.0, 20.0]) == 15.0


def test_histograms_refuse_bins_that_are_not_positive() -> None:
    from counter_core import figures

    for bad in ((0.0, 900.0), (30.0, 0.0), (-1.0, 60.0)):
        with pytest.raises(ValueError, match="positive"):
            figures.histogram([1.0], *bad)
        with pytest.raises(ValueError, match="positive"):
            figures.sorted_histogram([1.0], *bad)


def test_an_unknown_sql_dialect_has_no_spelling_of_the_overtime_predicate() -> None:
    from counter_core import figures

    with pytest.raises(ValueError, match="oracle"):
        figures.overtime_sql(dialect="oracle")


def test_a_staff_month_reads_its_hours_signed_in() -> None:
    from counter_core.figures import StaffMonth

    month = StaffMonth("1001", served=10, rated=8, rating_sum=36, satisfied=7, timed=9,
                       overtime=1, serving_s=1800.0, signed_in_s=5400.0)
    assert month.hours_signed_in == 1.5
