"""Only a manager sign-in reaches the manager view; the customer screen never shows it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from counter_app.ui.manager import ManagerView
from tests.ui.test_counter_flow import counter, sign_in  # noqa: F401  (fixture)


def manager_views(widget: QWidget) -> list[ManagerView]:
    return widget.findChildren(ManagerView)


def test_staff_sign_in_never_reaches_the_manager_view(qtbot, counter):  # noqa: F811
    sign_in(qtbot, counter, "1001", "1234")
    staff = counter.staff_window
    assert staff.stack.currentWidget() is staff.counter_page
    assert staff.manager_view is None
    assert manager_views(staff) == []


def test_manager_sign_in_opens_the_manager_view_beside_the_counter(qtbot, counter):  # noqa: F811
    sign_in(qtbot, counter, "9001", "999999")
    staff = counter.staff_window
    assert staff.stack.currentWidget() is staff.tabs
    assert isinstance(staff.manager_view, ManagerView)
    assert staff.tabs.count() == 2
    assert manager_views(counter.customer_screen) == []
    from counter_app.ui.sync_panel import HeadOfficePanel

    assert len(staff.manager_view.findChildren(HeadOfficePanel)) == 1  # sync status, Sync now

    staff.tabs.setCurrentIndex(0)
    staff.counter_page.sign_out_button.click()
    assert staff.stack.currentWidget() is staff.sign_in_page
    assert staff.manager_view is None

    sign_in(qtbot, counter, "1002", "1234")  # the next staff member sees only the counter
    assert staff.stack.currentWidget() is staff.counter_page
    qtbot.waitUntil(lambda: manager_views(staff) == [], timeout=2000)
