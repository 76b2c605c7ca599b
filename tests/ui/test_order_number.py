"""The business order number on the staff window (pytest-qt, offscreen): typed, scanned (a
barcode scanner types the number and Enter), never required, and never a phone number."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_app.ui.app import CounterApp
from counter_core.transaction import CounterError
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


@pytest.fixture
def counter(qtbot: QtBot, service: CounterService) -> CounterApp:
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True  # type: ignore[method-assign]
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    page = app.staff_window.sign_in_page
    page.number.setText("1001")
    page.pin.setText("1234")
    page.sign_in()
    return app


def _orders(service: CounterService) -> list[dict[str, str]]:
    return [
        json.loads(r[0])
        for r in service.db.execute(
            "SELECT payload FROM events WHERE kind = 'order_number_set' ORDER BY seq"
        )
    ]


def test_a_typed_order_number_is_recorded_for_the_running_transaction(
    counter: CounterApp, service: CounterService
) -> None:
    page = counter.staff_window.counter_page
    page.order_number.setText("SH-2026/000123")
    assert not page.set_order_number()  # nothing running yet: refused with a message
    assert "Start a transaction" in page.order_status.text() and _orders(service) == []
    counter.controller.start_transaction()
    txn = counter.controller.state.running.txn  # type: ignore[union-attr]
    assert page.set_order_number()
    assert _orders(service) == [{"txn": txn, "order_no": "SH-2026/000123"}]
    assert page.order_number.text() == "" and "SH-2026/000123" in page.order_status.text()


def test_a_scanned_order_number_ends_with_enter(
    counter: CounterApp, service: CounterService, qtbot: QtBot, clock: FakeClock
) -> None:
    page = counter.staff_window.counter_page
    counter.controller.start_transaction()
    clock.advance(30)
    counter.controller.complete_transaction()  # the rating window is open: still its number
    txn = next(e for e in reversed(list(service.store.events())) if e.kind == "completed").payload[
        "txn"
    ]
    page.focus_order_number()
    qtbot.keyClicks(page.order_number, "GZ20261203-77")  # what a scanner types, then Enter
    qtbot.keyClick(page.order_number, Qt.Key.Key_Return)
    assert _orders(service) == [{"txn": txn, "order_no": "GZ20261203-77"}]
    # and it is in the exports (transactions, the overtime log has its own rows)
    from counter_app.application.exports import transaction_record
    from counter_app.application.manager import Period

    (row,) = [
        transaction_record(r)
        for r in service.manager().data.transactions(Period())
        if r["txn"] == txn
    ]  # type: ignore[attr-defined]
    assert row["order_no"] == "GZ20261203-77"


def test_a_phone_number_is_refused_with_a_clear_message(
    counter: CounterApp, service: CounterService, qtbot: QtBot
) -> None:
    page = counter.staff_window.counter_page
    counter.controller.start_transaction()
    for text in ("13812345678", "tel-15900001111"):
        page.order_number.setText(text)
        qtbot.keyClick(page.order_number, Qt.Key.Key_Return)
        assert "phone" in page.order_status.text()
    page.order_number.setText("订单 1")
    assert not page.set_order_number() and "letters, digits" in page.order_status.text()
    assert _orders(service) == []
    # the application refuses it too, whoever calls it
    with pytest.raises(CounterError, match="phone"):
        service.set_order_number("19912345678")
    # never required: Done works without one
    counter.controller.complete_transaction()
    assert counter.controller.state.running is None
