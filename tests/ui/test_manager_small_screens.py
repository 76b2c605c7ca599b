"""The manager view on small screens, as a manager meets it: it never grows past the window
it is given (a counter PC's 800×600, the staff window's manager tab), it scrolls instead,
every button can be scrolled to, and at 1024×768 the review queue needs no scrolling sideways
in English, its longest language here."""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot

from counter_app.ui.desk import DEFAULT_SIZE
from counter_app.ui.manager import ManagerView
from counter_app.ui.staff_window import MINIMUM_SIZE
from counter_app.ui.widgets import header_lines
from tests.helpers.counter import CounterService
from tests.ui.test_counter_flow import counter, sign_in  # noqa: F401  (fixture)
from tests.ui.test_manager_view import fixed  # noqa: F401  (the fixture)
from tests.ui.test_translations import translated


def _view(qtbot: QtBot, service: CounterService, size: tuple[int, int]) -> ManagerView:
    view = ManagerView(service.manager("9001"))
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_at_800_by_600_the_view_scrolls_to_every_button_instead_of_growing(
        qtbot: QtBot, fixed: CounterService) -> None:  # noqa: F811
    view = _view(qtbot, fixed, (800, 600))
    assert (view.width(), view.height()) == (800, 600)  # not its content's least size
    area = view.scroll_area
    viewport = area.viewport()
    for tab in range(view.tabs.count()):
        view.tabs.setCurrentIndex(tab)
        qtbot.wait(10)
        buttons = [b for b in view.tabs.currentWidget().findChildren(QPushButton)
                   if b.isVisibleTo(view)]
        buttons += [view.refresh_button, view.export_log_button]
        for button in buttons:
            area.ensureWidgetVisible(button, 0, 0)
            shown = QRect(button.mapTo(viewport, button.rect().topLeft()), button.size())
            assert viewport.rect().contains(shown), (view.tabs.tabText(tab), button.text())
    # a hall's long name gives way to the figures beside it: elided, whole in its tooltip
    title = view.title
    title.setText("Duty manager · " + "Huaihai Road Flagship Service Hall " * 4)
    qtbot.wait(10)
    assert title.elided() and title.toolTip() == title.text()
    assert view.to_review.width() >= view.to_review.sizeHint().width()
    assert view.refresh_button.width() >= view.refresh_button.sizeHint().width()


def test_at_1024_by_768_the_review_queue_needs_no_sideways_scrolling(
        qtbot: QtBot, fixed: CounterService) -> None:  # noqa: F811
    view = _view(qtbot, fixed, (1024, 768))
    view.tabs.setCurrentWidget(view.review_tab)
    qtbot.wait(10)
    assert not view.scroll_area.horizontalScrollBar().isVisible()
    assert not view.scroll_area.verticalScrollBar().isVisible()
    for note in view.review_tab.findChildren(QLineEdit):
        if note.isVisibleTo(view) and note.objectName() in ("windowNote", "handoverNote"):
            assert note.width() >= note.fontMetrics().horizontalAdvance("x" * 16)


def test_the_manager_tab_asks_the_staff_window_for_no_more_room_than_the_counter_tab(
        qtbot: QtBot, counter) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The manager view used to make the staff window 1,251 pixels wide at the least in
    English (its review tab's bottom row, its header): past an 1024×768 screen."""
    sign_in(qtbot, counter, "9001", "999999")
    window = counter.staff_window
    view = window.manager_view
    assert isinstance(view, ManagerView)
    window.resize(*MINIMUM_SIZE)
    window.tabs.setCurrentWidget(view)
    qtbot.wait(10)
    least = view.minimumSizeHint()
    assert least.width() <= MINIMUM_SIZE[0] and least.height() <= MINIMUM_SIZE[1], least
    # the tabs ask for what the counter page asks, and a frame's few pixels more
    frame = 16
    assert window.tabs.minimumSizeHint().width() <= max(
        window.counter_page.minimumSizeHint().width(), least.width()) + frame


def test_a_header_goes_on_two_lines_where_it_has_two_parts() -> None:
    assert header_lines("Hours signed in") == "Hours\nsigned in"
    assert header_lines("Closes during service") == "Closes during\nservice"
    assert header_lines("签到时长（小时）") == "签到时长\n（小时）"
    assert header_lines("办理中关闭次数") == "办理中关闭次数"  # a word stays whole
    assert header_lines("Served") == "Served"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_summary_header_shows_whole_at_the_desks_default_size(
        qtbot: QtBot, qapp: QApplication, fixed: CounterService,  # noqa: F811
        language: str) -> None:
    """Cut in the middle, the centred headers read "tisfaction ra" and "暂离时长（小时"."""
    with contextlib.contextmanager(translated)(qapp, language):
        view = _view(qtbot, fixed, DEFAULT_SIZE)
        view.tabs.setCurrentWidget(view.summary_tab)
        qtbot.wait(10)
        table = view.summary_tab.table
        header = table.horizontalHeader()
        for column in range(table.columnCount()):
            item = table.horizontalHeaderItem(column)
            assert item is not None
            # what the style needs to draw the header whole: its longest line and margins
            assert header.sectionSize(column) >= header.sectionSizeHint(column), item.text()
        assert not view.scroll_area.horizontalScrollBar().isVisible()
