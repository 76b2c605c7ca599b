"""counter_core.settings and the machine's settings version: one set of rules for the hall's
types, zone and follow-up days; `started` carries the central version, or nothing."""

from __future__ import annotations

import pytest

from counter_core import events, settings
from counter_core.transaction import CounterError, CounterMachine, Draft, Staff, TransactionType

TYPES = (TransactionType("payment", "缴费", "Payment", 180.0), TransactionType("enquiry", "咨询",
                                                                           "Enquiry"))


def machine(version: int | None) -> tuple[CounterMachine, list[Draft]]:
    recorded: list[Draft] = []
    m = CounterMachine(types=TYPES, record=recorded.extend, settings_version=version)
    m.sign_in(Staff("1001", "王芳", "staff"))
    return m, recorded


def test_started_records_the_central_version_or_nothing_under_the_toml() -> None:
    for version in (None, 3):
        m, recorded = machine(version)
        m.start()
        payload = next(d.payload for d in recorded if d.kind == events.STARTED)
        assert payload.get("settings_version") == version
        assert ("settings_version" in payload) == (version is not None)
        assert events.validate_payload(events.STARTED, payload) is None
    assert events.validate_payload(events.STARTED, {**payload, "settings_version": 0})


def test_types_change_only_at_an_idle_moment_and_keep_the_selection() -> None:
    m, _ = machine(1)
    m.select_type("enquiry")
    newer = (TransactionType("payment", "缴费", "Payment", 240.0),
             TransactionType("enquiry", "咨询", "Enquiry"))
    m.start()
    with pytest.raises(CounterError):
        m.replace_types(newer, "payment", 2)
    m.void()
    m.replace_types(newer, "payment", 2)
    assert m.selected_type.code == "enquiry" and m.settings_version == 2
    assert m.types[0].target_s == 240.0


def test_the_document_form_round_trips_and_bad_values_name_their_key() -> None:
    parsed = settings.parse({"transaction_types": [
        {"code": "payment", "name_zh": "缴费", "name_en": "Payment", "target_s": 180,
         "promise_zh": "三分钟", "promise_en": "Three minutes"}], "time_zone": "Asia/Shanghai"})
    assert settings.parse(parsed.as_document()) == parsed
    with pytest.raises(settings.SettingsError) as bad:
        settings.parse({"transaction_types": [{"code": "x", "name_zh": "x", "name_en": "x",
                                               "target_s": True}]})
    assert bad.value.key == "transaction_types[0].target_s"
    with pytest.raises(settings.SettingsError, match="at least one"):
        settings.parse({"time_zone": "Asia/Shanghai"})
