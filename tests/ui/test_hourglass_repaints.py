"""The hourglass repaints when something visible changed: the digits every second, and the
sand whenever it has moved a pixel since the last repaint, at any size."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from counter_app.ui.controller import TICK_MS
from counter_app.ui.hourglass import Hourglass

TARGET_S = 180.0


def drain(glass: Hourglass, seconds: float, monkeypatch: pytest.MonkeyPatch) -> tuple[int, float]:
    """Readings of a 3-minute drain every TICK_MS for `seconds`, as the controller gives
    them; (repaints asked for, the largest lag in px between the sand read and painted)."""
    asked = 0
    lag = 0.0

    def update() -> None:
        nonlocal asked
        asked += 1

    monkeypatch.setattr(glass, "update", update)
    painted = glass.fraction
    ticks = int(seconds * 1000 / TICK_MS)
    for n in range(1, ticks + 1):
        elapsed = n * TICK_MS / 1000
        before = asked
        glass.show_reading(elapsed / TARGET_S, f"{int(TARGET_S - elapsed) // 60:02}:"
                           f"{int(TARGET_S - elapsed) % 60:02}", overtime=False)
        if asked > before:
            painted = glass.fraction
        lag = max(lag, abs(glass.fraction - painted) * glass.height())
    return asked, lag


@pytest.mark.parametrize("height", [220, 380, 900])
def test_the_sand_never_lags_a_pixel_behind_and_not_every_reading_repaints(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, height: int
) -> None:
    glass = Hourglass()
    qtbot.addWidget(glass)
    glass.resize(260, height)
    asked, lag = drain(glass, 60.0, monkeypatch)
    readings = int(60.0 * 1000 / TICK_MS)
    assert lag < 1.0  # small glasses too: the sand's movement adds up between the digits
    assert asked >= 60  # at least the digits, every second
    if height <= 380:  # under a pixel a reading: fewer repaints than readings
        assert asked < readings * 0.7
