"""The staff window's type buttons follow new types (head office's central settings applied
at an idle moment): new names and targets, a removed type gone, an added one selectable."""

from __future__ import annotations

import pytest

from counter_app.ui.app import CounterApp
from counter_core.transaction import TransactionType
from tests.helpers.counter import CounterService


@pytest.fixture
def counter(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app


def test_type_buttons_follow_new_types(counter: CounterApp, service: CounterService) -> None:
    page = counter.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("1234")
    page.sign_in()
    window = counter.staff_window.counter_page
    first = service.config.types[0]
    newer = (TransactionType(first.code, first.name_zh, first.name_en, 420.0),
             TransactionType("passport", "护照", "Passport", 600.0))
    service.machine.replace_types(newer, first.code, 2)
    window.refresh()
    assert list(window.type_buttons) == [first.code, "passport"]
    assert "7" in window.type_buttons[first.code].text()  # 420 s: 7 min
    assert window.type_buttons[first.code].isChecked()
    window.type_buttons["passport"].click()
    window.refresh()
    assert service.machine.selected_type.code == "passport"
    assert window.type_buttons["passport"].isChecked()
    counter.controller.start_transaction()
    assert service.machine.running is not None
    assert service.machine.running.type.target_s == 600.0
    counter.controller.void_transaction()
