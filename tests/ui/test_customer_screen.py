"""The customer screen at commercial quality: faces on the rating buttons, AA contrast, the
rating window's countdown, "need more time", overtime, the serving clerk, the star of the
month and the supervision hotline, accessible names. Real windows (CounterApp) at their
default sizes, a test clock moved by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QWidget,
)

from counter_app.ui import customer_screen
from counter_app.ui.app import CounterApp
from counter_app.ui.controller import CounterController
from counter_app.ui.customer_screen import (
    DEFAULT_SIZE,
    HOURGLASS_INK,
    HOURGLASS_OVERTIME_INK,
    RATING_COLOURS,
    SCREEN_BACKGROUND,
    STYLE,
    CustomerScreen,
)
from counter_app.ui.faces import MOUTH_BEND, RatingFace
from counter_app.ui.staff_window import STYLE as STAFF_STYLE
from counter_core import periods
from counter_core.presses import ARMING_S
from counter_core.ratings import RATING_VALUES
from counter_core.transaction import CustomerView
from tests.helpers.clock import FakeClock
from tests.helpers.contrast import AA_LARGE, AA_NORMAL, declared_pairs, ratio, text_pairs
from tests.helpers.counter import CounterService

PAGES = ("closed_page", "sign_page", "service_page", "rating_page", "reason_page",
         "thanks_page")


def build(qtbot, service: CounterService) -> CounterApp:  # type: ignore[no-untyped-def]
    app = CounterApp(service)
    app.staff_window.confirm_quit_while_running = lambda: True
    qtbot.addWidget(app.staff_window)
    qtbot.addWidget(app.customer_screen)
    app.show()
    return app


def standalone(qtbot, service: CounterService) -> CustomerScreen:  # type: ignore[no-untyped-def]
    """The customer window alone, at the size it opens with (CounterApp's placement may
    shrink it to the test screen)."""
    screen = CustomerScreen(CounterController(service))
    qtbot.addWidget(screen)
    screen.show()
    return screen


def serve(screen: CustomerScreen, clock: FakeClock) -> None:
    screen.controller.sign_in("1001", "1234")
    screen.controller.start_transaction()
    clock.advance(30)
    screen.controller.complete_transaction()


def done(app: CounterApp, clock: FakeClock, served_s: float = 30) -> None:
    app.controller.sign_in("1001", "1234")
    app.controller.start_transaction()
    clock.advance(served_s)
    app.controller.complete_transaction()
    assert app.controller.customer_view is CustomerView.RATING


def rating_events(service: CounterService) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(row["kind"], json.loads(row["payload"])) for row in service.db.query(
        "SELECT kind, payload FROM events WHERE kind IN ('rated', 'rating_reason', "
        "'rating_timed_out') ORDER BY seq")]


# ---- faces ------------------------------------------------------------------------------------

def test_each_rating_button_carries_a_face_in_its_text_colour(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    screen = standalone(qtbot, service)
    serve(screen, clock)
    qtbot.wait(20)
    assert screen.size() == DEFAULT_SIZE
    assert sorted(screen.faces) == sorted(RATING_VALUES)
    bends = []
    for value, button in screen.rating_buttons.items():
        faces = button.findChildren(RatingFace)
        assert [face.value for face in faces] == [value]
        face = faces[0]
        assert face.isVisible() and face.face_rect().width() >= 40, face.size()
        assert face.ink == QColor(RATING_COLOURS[value].text)
        image = face.grab().toImage()
        ink = QColor(RATING_COLOURS[value].text)
        drawn = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
                    if _close(image.pixelColor(x, y), ink))
        assert drawn > 50, f"face {value} painted {drawn} ink pixels"
        bends.append(MOUTH_BEND[value])
    assert bends == sorted(bends, reverse=True) and len(set(bends)) == 5  # 5 smiles most


def _close(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40


# ---- contrast ---------------------------------------------------------------------------------

def _all_pages_pairs(screen: CustomerScreen) -> list:  # type: ignore[type-arg]
    pairs = []
    for page in PAGES:
        screen.stack.setCurrentWidget(getattr(screen, page))
        pairs += text_pairs(screen)
    return pairs


def test_every_text_colour_pair_on_the_customer_screen_passes_aa(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    screen = standalone(qtbot, service)
    assert screen.size() == DEFAULT_SIZE
    serve(screen, clock)
    screen.press_rating(2)  # the reasons page, armed
    clock.advance(ARMING_S + 0.1)
    screen.update_arming()
    assert all(b.isEnabled() for b in screen.reason_buttons)
    screen.overtime_banner.setVisible(True)
    pairs = _all_pages_pairs(screen)
    pairs += declared_pairs(STYLE, "customer STYLE")
    pairs += declared_pairs(customer_screen.SIGN_CARD_STYLE, "sign card")
    pairs += declared_pairs(customer_screen.DEMO_STYLE, "demo banner")
    for value, button in screen.rating_buttons.items():
        pairs += declared_pairs(button.styleSheet(), f"rating {value}")
    wheres = " ".join(p.where for p in pairs)
    for must in ("rating3/", "reason/", "#overtime", "#star", "moreTime/", "#countdown",
                 "#servingStaff", "#promise"):
        assert must in wheres, must
    # while arming, the reason text stands on grey filling in with white: readable too
    # (WCAG exempts a disabled control; a customer still reads it)
    reason_text = next(p.text for p in pairs if p.where.startswith("reason/"))
    assert ratio(reason_text, QColor(customer_screen.ARMING_BACKGROUND)) >= AA_NORMAL
    failing = [str(p) for p in pairs if p.ratio < AA_NORMAL]
    assert failing == []
    # colours painted, not styled: the hourglass's digits on the screen's background
    for ink in (HOURGLASS_INK, HOURGLASS_OVERTIME_INK):
        assert ratio(ink, QColor(SCREEN_BACKGROUND)) >= AA_NORMAL
    # the countdown bar is a graphic: 3:1 against its track (WCAG 1.4.11)
    assert ratio(customer_screen.COUNTDOWN_LEFT, customer_screen.COUNTDOWN_TRACK) >= AA_LARGE


def test_white_on_amber_would_fail_and_is_gone(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    """The check can fail: the old neutral button (white on amber) is 1.97:1."""
    old = declared_pairs("background: #f9a825; color: white;", "old neutral")
    assert [round(p.ratio, 2) for p in old] == [1.97]
    assert RATING_COLOURS[3].text != "#ffffff"


def test_every_text_colour_pair_on_the_staff_window_passes_aa(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    window = app.staff_window
    pairs = text_pairs(window) + declared_pairs(STAFF_STYLE, "staff STYLE")
    app.controller.sign_in("1001", "1234")
    pairs += text_pairs(window)
    assert len(pairs) > 10
    assert [str(p) for p in pairs if p.ratio < AA_NORMAL] == []


# ---- the rating window: countdown and "need more time" ---------------------------------------

def test_the_countdown_ticks_with_the_rating_window(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    screen = app.customer_screen
    done(app, clock)
    text, bar = screen.countdowns[0]
    assert text.isVisible() and bar.isVisible()
    assert "30 秒" in text.text() and "30 s left" in text.text()
    assert bar.fraction_left == pytest.approx(1.0)
    clock.advance(10.2)
    app.controller.ticked.emit()
    assert "20 秒" in text.text() and "20 s left" in text.text()
    assert bar.fraction_left == pytest.approx(19.8 / 30, abs=0.02)
    clock.advance(19)
    app.controller.ticked.emit()
    assert "1 s left" in text.text()


def test_need_more_time_lengthens_the_window_once_and_is_recorded(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    screen = app.customer_screen
    assert service.config.rating_extension_s == 30
    done(app, clock)
    more = screen.more_time_buttons[0]
    assert more.isVisible()
    clock.advance(20)
    more.click()
    assert app.controller.state.rating_time_left() == pytest.approx(40)
    assert not more.isVisible()  # once only: the button is gone
    clock.advance(2)
    more.click()  # a second press (were it reachable) changes nothing
    assert app.controller.state.rating_time_left() == pytest.approx(38)
    clock.advance(20)  # 42 s after Done: past the usual 30 s window, inside the lengthened one
    app.controller.poll()
    assert app.controller.customer_view is CustomerView.RATING
    screen.press_rating(4)
    assert rating_events(service) == [("rated", {"txn": service.state.rating.txn, "rating": 4,
                                                  "extended_s": 30.0})]


def test_a_lengthened_window_running_out_records_the_extension(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    done(app, clock)
    app.customer_screen.press_more_time()
    clock.advance(59)
    app.controller.poll()
    assert app.controller.customer_view is CustomerView.RATING
    clock.advance(1.1)
    app.controller.poll()
    assert app.controller.customer_view is CustomerView.SIGN
    [(kind, payload)] = rating_events(service)
    assert (kind, payload["extended_s"]) == ("rating_timed_out", 30.0)


def test_no_extension_configured_no_need_more_time(qtbot, demo_config, data_dir, clock) -> None:  # type: ignore[no-untyped-def]
    config = dataclasses.replace(demo_config, rating_extension_s=0.0)
    service = CounterService(config, data_dir, clock=clock)
    try:
        app = build(qtbot, service)
        done(app, clock)
        assert not any(b.isVisible() for b in app.customer_screen.more_time_buttons)
        app.customer_screen.press_more_time()
        assert app.controller.state.rating_time_left() == pytest.approx(30)
    finally:
        service.close()


# ---- serving: the clerk and overtime ----------------------------------------------------------

def test_serving_shows_the_clerk_and_overtime_unmistakably(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    screen = app.customer_screen
    app.controller.sign_in("1001", "1234")
    app.controller.start_transaction()
    clock.advance(60)
    app.controller.ticked.emit()
    assert screen.stack.currentWidget() is screen.service_page
    assert screen.service_staff.isVisible()
    assert "王芳" in screen.service_staff.text() and "1001" in screen.service_staff.text()
    assert not screen.overtime_banner.isVisible() and not screen.hourglass.overtime
    clock.advance(125)  # 185 s of a 180 s payment
    app.controller.ticked.emit()
    banner = screen.overtime_banner
    assert banner.isVisible() and screen.hourglass.overtime
    assert "已超时" in banner.text() and "Overtime" in banner.text()
    assert "⚠" in banner.text() and "+00:05" in banner.text()  # a sign and the time over
    assert "dashed" in STYLE and banner.objectName() == "overtime"  # a border of its own
    assert "+" in screen.hourglass.digits


# ---- the supervision sign: star and hotline ---------------------------------------------------

def test_the_star_of_the_month_appears_once_confirmed(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    screen = app.customer_screen
    app.controller.sign_in("1001", "1234")
    assert not screen.sign_star.isVisible()
    app.controller.sign_out()
    last_month = periods.today(service.config.time_zone).replace(day=1) - dt.timedelta(days=1)
    service.manager("9001").desk.confirm_star(last_month.strftime("%Y-%m"), "1001", None)
    app.controller.sign_in("1001", "1234")
    assert screen.sign_star.isVisible()
    assert "本月服务之星" in screen.sign_star.text()
    assert "Service star of the month" in screen.sign_star.text()
    app.controller.sign_out()
    app.controller.sign_in("1002", "1234")  # another clerk is not the star
    assert not screen.sign_star.isVisible()


def test_the_hotline_comes_from_the_settings(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    assert service.config.supervision_hotline is None
    plain = build(qtbot, service)
    plain.controller.sign_in("1001", "1234")
    assert not plain.customer_screen.sign_hotline.isVisible()
    plain.controller.sign_out()
    # a new hotline (the TOML's, or head office's central settings applied at a sign-in)
    # shows at the next sign-in
    service.config = dataclasses.replace(service.config, supervision_hotline="021-12345")
    plain.controller.sign_in("1001", "1234")
    screen = plain.customer_screen
    assert screen.sign_hotline.isVisible()
    assert "监督电话" in screen.sign_hotline.text() and "021-12345" in screen.sign_hotline.text()


# ---- accessibility ----------------------------------------------------------------------------

def test_every_interactive_widget_has_an_accessible_name(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    app = build(qtbot, service)
    screen = app.customer_screen
    buttons = screen.findChildren(QAbstractButton)
    assert len(buttons) >= 5 + 5 + 2  # ratings, reasons, "need more time" on two pages
    assert [b for b in buttons if not b.accessibleName().strip()] == []
    names = {screen.rating_buttons[v].accessibleName() for v in RATING_VALUES}
    assert "1 非常不满意 Very dissatisfied" in names and len(names) == 5
    painted: list[QWidget] = [screen.hourglass, *(bar for _t, bar in screen.countdowns)]
    assert [w for w in painted if not w.accessibleName()] == []


def test_every_control_of_the_staff_window_has_a_name(qtbot, service, clock) -> None:  # type: ignore[no-untyped-def]
    """Buttons are named by their text; fields, which have none, by an accessible name."""
    app = build(qtbot, service)
    window = app.staff_window
    app.controller.sign_in("1001", "1234")
    controls = [w for w in window.findChildren(QWidget)
                if isinstance(w, QAbstractButton | QLineEdit | QAbstractSpinBox | QComboBox)
                and not isinstance(w.parentWidget(), QAbstractSpinBox | QComboBox)]
    assert len(controls) > 10
    unnamed = [f"{type(w).__name__}#{w.objectName()}" for w in controls
               if not (w.accessibleName().strip()
                       or (isinstance(w, QAbstractButton) and w.text().strip()))]
    assert unnamed == []


def test_the_halls_two_names_on_the_customer_screen_and_english_elsewhere(
        qtbot, demo_config, data_dir, clock) -> None:  # type: ignore[no-untyped-def]
    """`[hall] name_en`: beside the Chinese name on the bilingual customer screen, instead of it
    in an English window; without it, the one name everywhere."""
    config = dataclasses.replace(demo_config, hall_name="淮海路旗舰店",
                                 hall_name_en="Huaihai Road Flagship", language="en")
    service = CounterService(config, data_dir, clock=clock)
    try:
        screen = standalone(qtbot, service)
        assert screen.hall_line.startswith("淮海路旗舰店 · Huaihai Road Flagship · ")
        assert config.hall_name_in("en") == "Huaihai Road Flagship"
        assert config.hall_name_in("zh_CN") == "淮海路旗舰店"
        from counter_app import config as config_module

        parsed = config_module.parse({
            "hall": {"id": "H1", "name": "甲厅", "name_en": "Hall A"}, "counter": {"id": "01"},
            "transaction_types": [{"code": "p", "name_zh": "缴费", "name_en": "Payment"}]}, "c")
        assert (parsed.hall_name, parsed.hall_name_en) == ("甲厅", "Hall A")
        single = dataclasses.replace(config, hall_name_en=None)
        assert single.hall_names == "淮海路旗舰店" and single.hall_name_in("en") == "淮海路旗舰店"
    finally:
        service.close()
