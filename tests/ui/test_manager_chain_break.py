"""The manager view says loudly when the counter found its event chain broken at start."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from counter_app.config import Config
from counter_app.ui.manager import ManagerView
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.storage.test_chain_break import counter_with_history, damage


def test_the_manager_view_names_a_recorded_break(
    qtbot: QtBot, demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    head = counter_with_history(demo_config, data_dir, clock)
    damage(data_dir, 10)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert service.chain_break is not None
        widget = ManagerView(service.manager(), today=dt.date(2026, 11, 2))
        qtbot.addWidget(widget)
        widget.show()
        assert widget.chain_notice.isVisible()
        text = widget.chain_notice.text()
        assert "10" in text and str(head) in text and str(service.chain_break.break_seq) in text
    finally:
        service.close()


def test_no_notice_on_an_intact_chain(qtbot: QtBot, demo_config: Config, data_dir: Path,
                                      clock: FakeClock) -> None:
    counter_with_history(demo_config, data_dir, clock)
    service = CounterService(demo_config, data_dir, clock=clock)
    try:
        widget = ManagerView(service.manager(), today=dt.date(2026, 11, 2))
        qtbot.addWidget(widget)
        widget.show()
        assert not widget.chain_notice.isVisible()
    finally:
        service.close()
