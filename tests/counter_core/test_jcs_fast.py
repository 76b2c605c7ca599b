"""Chain format 2's fast path (json's C encoder where it writes what RFC 8785 does) gives the
rfc8785 package's bytes, or its refusal, for every value."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from counter_core.chain import (
    _NOT_READY,
    FORMAT_JCS,
    ChainFormatError,
    _jcs_ready,
    canonical_bytes,
)
from tests.helpers.hq import chained, day_drafts

_NUMBERS = st.one_of(
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-4, 9.999e-5, 1e16, 9999999999999998.0, 2.0**53, 2.0**53 + 2,
                     -(2.0**53), 180.0, 1e-7, 1e21, 123.456, 0.1, 2**53 - 1, 2**53, -(2**53)]),
)
_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)
_SCALARS = st.one_of(st.none(), st.booleans(), _NUMBERS, _TEXT)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)), max_leaves=12)


def _reference(fields: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(fields)
    except (rfc8785.CanonicalizationError, UnicodeError):
        return ChainFormatError


def _ours(fields: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return canonical_bytes(fields, FORMAT_JCS)
    except ChainFormatError:
        return ChainFormatError


@settings(max_examples=3000, deadline=None)
@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
def test_fast_path_matches_rfc8785(fields: dict[str, Any]) -> None:
    assert _ours(fields) == _reference(fields)


def test_the_fast_path_is_taken_for_real_events() -> None:
    events = chained("H1", "01", day_drafts(20, seed=3))
    for ev in events:
        fields = ev.as_unhashed_dict()
        assert _jcs_ready(fields) is not _NOT_READY  # the fast path, not the package
        assert canonical_bytes(fields, FORMAT_JCS) == rfc8785.dumps(fields)


@pytest.mark.parametrize("value", [1e-5, 1e16, 2.0**53 + 2, math.inf, math.nan, 2**53,
                                   {"é": 1}, {1: 2}, dt.date(2026, 1, 1), "\ud800"])
def test_what_the_fast_path_leaves_to_rfc8785(value: Any) -> None:
    fields = {"payload": value}
    assert _ours(fields) == _reference(fields)
