"""“My figures” on the staff window (pytest-qt, offscreen, the window at its default size):
the signed-in clerk's own served count, service level, satisfaction and ratings summary for
this month and last, from the counter's records; never another clerk's."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter_app.application.counter import AppealRefused
from counter_app.ui.app import CounterApp
from counter_app.ui.my_figures import SIZE, MyFiguresDialog
from counter_core import events, periods
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService
from tests.ui.test_appeals import _served


def _over(txn: str, staff: str, day: dt.date, tz: str) -> list[tuple[str, Draft]]:
    """A transaction of 240 s against a 180 s target, rated 4."""
    start = dt.datetime.combine(day, dt.time(14, 5), tzinfo=periods.zone(tz))

    def at(seconds: float) -> str:
        return periods.format_utc(start + dt.timedelta(seconds=seconds))

    return [
        (at(0), Draft(events.STARTED, {"txn": txn, "staff": staff, "type": "payment",
                                       "target_s": 180.0})),
        (at(240), Draft(events.COMPLETED, {"txn": txn, "duration_s": 240.0, "target_s": 180.0,
                                           "overtime_s": 60.0})),
        (at(241), Draft(events.RATED, {"txn": txn, "rating": 4})),
    ]


@pytest.fixture
def months(service: CounterService) -> tuple[str, str]:
    """1001: today a 5 and a 2; last month a 4 after overtime. 1002: today a 1, a 1, a 1."""
    tz = service.config.time_zone
    today = periods.today(tz)
    last = today.replace(day=1) - dt.timedelta(days=10)
    service.store.append_timed(
        _served("a", "1001", today, 5, tz) + _served("b", "1001", today, 2, tz)
        + _over("c", "1001", last, tz)
        + _served("x", "1002", today, 1, tz) + _served("y", "1002", today, 1, tz)
        + _served("z", "1002", today, 1, tz))
    return today.strftime("%Y-%m"), last.strftime("%Y-%m")


@pytest.fixture
def app(qtbot: QtBot, service: CounterService) -> CounterApp:
    counter = CounterApp(service)
    counter.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(counter.staff_window)
    qtbot.addWidget(counter.customer_screen)
    counter.show()
    page = counter.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("1234")
    page.sign_in()
    assert counter.controller.state.staff is not None
    return counter


def test_the_clerk_sees_own_figures_for_this_month_and_last(
    qtbot: QtBot, service: CounterService, months: tuple[str, str], app: CounterApp
) -> None:
    this, last = months
    dialog = MyFiguresDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    assert [m.month for m in dialog.months] == [this, last]
    tr = dialog.tr
    assert dialog.cell(tr("Served"), this) == "2"  # not 1002's three
    assert dialog.cell(tr("Service level"), this) == "100.0%"
    assert dialog.cell(tr("Satisfaction"), this) == "50.0%"
    assert dialog.cell(tr("Mean rating"), this) == "3.50"
    assert dialog.cell(dialog.rating_label(5), this) == "1"
    assert dialog.cell(dialog.rating_label(1), this) == "0"  # 1002's poor ratings are not 1001's
    assert dialog.cell(tr("Served"), last) == "1"
    assert dialog.cell(tr("Service level"), last) == "0.0%"  # the one of last month overran
    assert dialog.cell(tr("Satisfaction"), last) == "100.0%"
    assert all(":" not in dialog.table.item(i, j).text()
               for i in range(dialog.table.rowCount()) for j in range(2))
    width, height = SIZE
    assert width <= 800 and height <= 600


def test_shift_f12_opens_it_from_the_window_at_its_default_size(
    qtbot: QtBot, months: tuple[str, str], app: CounterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[MyFiguresDialog] = []
    monkeypatch.setattr(MyFiguresDialog, "exec", lambda self: opened.append(self) or 0)
    window = app.staff_window
    button = window.counter_page.my_figures_button
    assert button.isVisible() and button.isEnabled()
    # at the default size the whole caption shows, inside the window
    assert button.width() >= button.sizeHint().width()
    assert button.mapTo(window, button.rect().bottomRight()).x() <= window.width()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F12,
                   Qt.KeyboardModifier.ShiftModifier)
    assert len(opened) == 1
    assert opened[0].cell(opened[0].tr("Served"), months[0]) == "2"
    app.controller.start_transaction()
    assert not button.isEnabled()  # a customer is at the counter
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F12,
                   Qt.KeyboardModifier.ShiftModifier)
    assert len(opened) == 1


def test_signed_out_there_are_no_figures_to_show(
    qtbot: QtBot, service: CounterService, months: tuple[str, str]
) -> None:
    with pytest.raises(AppealRefused, match="Sign in first"):
        service.my_figures()
    dialog = MyFiguresDialog(service)
    qtbot.addWidget(dialog)
    assert dialog.months == [] and dialog.message.text()


def test_every_row_shows_without_scrolling_at_its_size(
    qtbot: QtBot, service: CounterService, months: tuple[str, str], app: CounterApp
) -> None:
    """Eleven rows under a three-line explanation in English: at 560×460 the last one,
    "Appeals upheld", sat under the table's edge, behind a scroll bar."""
    dialog = MyFiguresDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(10)
    table = dialog.table
    assert table.rowCount() >= 11
    assert not table.verticalScrollBar().isVisible()
    last = table.visualItemRect(table.item(table.rowCount() - 1, 0))
    assert table.viewport().rect().contains(last)
