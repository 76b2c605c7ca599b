"""The promise on the supervision sign comes from the configuration, per type; targets read as
whole minutes or m:ss."""

from __future__ import annotations

import dataclasses

import pytest

from counter_app.config import Promise
from counter_app.ui.controller import CounterController
from counter_app.ui.customer_screen import CustomerScreen, format_target
from counter_core.transaction import TransactionType


@pytest.mark.parametrize(("target", "zh", "en"), [
    (180, "3 分钟", "3 minutes"), (60, "1 分钟", "1 minute"), (600, "10 分钟", "10 minutes"),
    (10, "0:10", "0:10"), (90, "1:30", "1:30"), (200.4, "3:20", "3:20"),
])
def test_targets_read_as_whole_minutes_or_minutes_and_seconds(
    target: float, zh: str, en: str
) -> None:
    assert format_target(target) == (zh, en)


def screen_for(qtbot, service, types, promises):  # type: ignore[no-untyped-def]
    service.config = dataclasses.replace(service.config, types=types,
                                         default_type=types[0].code, promises=promises)
    service.machine.types = types
    service.machine.select_type(types[0].code)
    controller = CounterController(service)
    screen = CustomerScreen(controller)
    qtbot.addWidget(screen)
    screen.show()
    controller.sign_in("1001", "1234")
    return controller, screen


def test_each_type_shows_its_own_promise_and_an_untimed_one_none(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    controller, screen = screen_for(qtbot, service, service.config.types,
                                    service.config.promises)
    assert screen.sign_promise.text() == "交费业务三分钟办结\nPayments done in 3 minutes"
    controller.select_type("sim")
    assert "SIM cards done in 5 minutes" in screen.sign_promise.text()
    controller.select_type("enquiry")  # untimed: no promise line at all
    assert not screen.sign_promise.isVisibleTo(screen)
    controller.start_transaction()
    assert not screen.service_promise.isVisibleTo(screen)
    assert "分钟" not in screen.service_caption.text()
    assert screen.service_caption.text() == "正在为您办理：咨询\nServing you: Enquiry"


def test_a_ten_second_target_reads_0_10_and_no_promise_is_made_up(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    quick = (TransactionType("quick", "快办", "Quick", 10.0),)
    controller, screen = screen_for(qtbot, service, quick, ())
    assert not screen.sign_promise.isVisibleTo(screen)
    controller.start_transaction()
    caption = screen.service_caption.text()
    assert "0:10" in caption and "0.166667" not in caption
    assert not screen.service_promise.isVisibleTo(screen)
    texts = " ".join(label.text() for label in screen.findChildren(type(screen.sign_promise)))
    assert "三分钟" not in texts and "3 minutes" not in texts


def test_a_configured_promise_is_shown_while_serving(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    kinds = (TransactionType("tax", "缴税", "Tax", 120.0),)
    controller, screen = screen_for(qtbot, service, kinds,
                                    (("tax", Promise("缴税两分钟办结", "Taxes in 2 minutes")),))
    assert screen.sign_promise.text() == "缴税两分钟办结\nTaxes in 2 minutes"
    controller.start_transaction()
    assert screen.service_promise.text() == "缴税两分钟办结\nTaxes in 2 minutes"
    assert "（承诺 2 分钟）" in screen.service_caption.text()
    assert "(target 2 minutes)" in screen.service_caption.text()
