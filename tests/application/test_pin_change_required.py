"""`Counter.sign_in` with a manager's PIN shorter than six digits: change it first (item 20)."""

from __future__ import annotations

from pathlib import Path

import pytest

from counter_app.application.errors import PinChangeRequired, PinNotChanged, SignInRefused
from counter_app.config import Config
from counter_core import pins
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


def test_a_short_manager_pin_signs_nobody_in_until_changed(
        demo_config: Config, data_dir: Path) -> None:
    counter = CounterService(demo_config, data_dir, clock=FakeClock())
    try:
        counter.db.execute("UPDATE staff SET pin_hash = ? WHERE number = '9001'",
                           [pins.hash_pin("9999")])
        with pytest.raises(PinChangeRequired) as info:
            counter.sign_in("9001", "9999")
        assert info.value.number == "9001" and counter.pin_change_for == "9001"
        assert counter.state.staff is None
        with pytest.raises(PinNotChanged, match="at least 6 digits"):
            counter.change_pin("9001", "9999", "1234")
        with pytest.raises(PinNotChanged, match="wrong PIN"):
            counter.change_pin("9001", "0000", "864200")
        counter.change_pin("9001", "9999", "864200")
        assert counter.pin_change_for is None
        with pytest.raises(SignInRefused):
            counter.sign_in("9001", "9999")
        counter.staff.db.execute("DELETE FROM meta WHERE key LIKE 'signin.%'")
        assert counter.sign_in("9001", "864200").is_manager
    finally:
        counter.close()


def test_the_demo_manager_signs_in_with_six_digits(service: CounterService) -> None:
    staff = service.sign_in("9001", "999999")
    assert staff.is_manager and service.pin_change_for is None
