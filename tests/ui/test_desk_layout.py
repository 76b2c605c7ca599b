"""The desk as a manager meets it at its default size: a sign-in form of a form's width in the
middle of the window, the review queue's status in sight without scrolling, and counts in
sentences that agree with their number ("1 poor rating", never "1 poor ratings")."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter_app.application.hall_view import Desk
from counter_app.config import Config, HallServer
from counter_app.ui.desk import DEFAULT_SIZE, SIGN_IN_WIDTH, DeskWindow
from counter_app.ui.manager import ManagerView
from counter_app.ui.manager.review_model import ReviewQueueModel
from tests.helpers.counter import CounterService
from tests.ui.test_manager_view import fixed  # noqa: F401  (the fixture)
from tests.ui.test_translations import translated


@pytest.fixture
def desk(demo_config: Config, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = dataclasses.replace(demo_config, hall_id="H1", counter_id="desk",
                                 hall_server=HallServer("http://127.0.0.1:9", token="t"))
    opened = Desk(config, tmp_path / "desk", pull_interval_s=5.0)
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.parametrize("size", [DEFAULT_SIZE, (1920, 1080), (800, 600)])
def test_the_sign_in_form_is_a_form_in_the_middle(
    qtbot: QtBot, desk: Desk, size: tuple[int, int]
) -> None:
    window = DeskWindow(desk)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    form = window.findChild(QWidget, "deskSignInForm")
    assert form is not None and form.isVisible()
    assert form.width() <= SIGN_IN_WIDTH
    left = form.mapTo(window, form.rect().topLeft()).x()
    right = window.width() - (left + form.width())
    assert abs(left - right) <= 2, (left, right)
    assert window.number.width() > 150  # still wide enough to type a number into


def test_the_review_queues_status_is_in_sight_at_the_desks_default_size(
    qtbot: QtBot, fixed: CounterService  # noqa: F811
) -> None:
    view = ManagerView(fixed.manager("9001"))
    qtbot.addWidget(view)
    view.resize(*DEFAULT_SIZE)
    view.show()
    qtbot.waitExposed(view)
    view.tabs.setCurrentWidget(view.review_tab)
    table = view.review_tab.table
    header = table.horizontalHeader()
    qtbot.waitUntil(lambda: table.viewport().width() > 0)
    for column in ("when", "counter", "staff", "status", "issue", "rating"):
        index = ReviewQueueModel.COLUMNS.index(column)
        right = header.sectionViewportPosition(index) + header.sectionSize(index)
        assert header.sectionViewportPosition(index) >= 0 and right <= table.viewport().width(), (
            column, right, table.viewport().width())


@pytest.mark.parametrize(("language", "one", "three"), [
    ("en", "To review: 2 overtime · 1 poor rating", "To review: 2 overtime · 3 poor ratings"),
    ("zh_CN", "待复核：超时 2 笔 · 差评 1 条", "待复核：超时 2 笔 · 差评 3 条"),
])
def test_a_count_agrees_with_its_number(qapp: QApplication, language: str, one: str,
                                        three: str) -> None:
    source = "To review: %1 overtime · %n poor ratings"
    with contextlib.contextmanager(translated)(qapp, language):
        texts = [QCoreApplication.translate("ManagerView", source, "", n).replace("%1", "2")
                 for n in (1, 3)]
        follow_up = QCoreApplication.translate("ManagerView", "%n follow-ups overdue", "", 1)
    assert texts == [one, three]
    if language == "en":
        assert follow_up == "1 follow-up overdue"


def test_a_refused_sign_in_is_said_in_the_ui_language(qapp: QApplication, qtbot: QtBot,
                                                      desk: Desk) -> None:
    with contextlib.contextmanager(translated)(qapp, "zh_CN"):
        window = DeskWindow(desk)
        qtbot.addWidget(window)
        window.number.setText("8001")
        window.pin.setText("000000")
        assert not window.sign_in()
        text = window.message.text()
    assert text.startswith("未登录") and "Unknown" not in text, text
