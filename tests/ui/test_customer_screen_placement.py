"""Where the customer window goes, with made-up screens: never over the staff window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSize

from counter_app.ui.app import customer_placement

WANTED = QSize(828, 754)  # the default 820×720 and a frame
MINIMUM = QSize(488, 394)
FULL_HD = QRect(0, 0, 1920, 1040)  # available geometry under a task bar


def test_beside_the_staff_window_when_there_is_room() -> None:
    staff = QRect(0, 0, 1108, 734)
    placed = customer_placement([FULL_HD], 0, staff, None, WANTED, MINIMUM)
    assert not placed.full_screen and placed.move_staff_to is None
    assert not placed.frame.intersects(staff)
    assert FULL_HD.contains(placed.frame)
    assert placed.frame.left() == staff.right() + 1 and placed.frame.top() == staff.top()
    assert placed.frame.size() == QSize(812, 754)  # shrunk to the room, never over the staff


def test_left_of_the_staff_window_when_the_room_is_there() -> None:
    staff = QRect(1000, 100, 900, 700)
    placed = customer_placement([FULL_HD], 0, staff, None, WANTED, MINIMUM)
    assert not placed.frame.intersects(staff) and FULL_HD.contains(placed.frame)
    assert placed.frame.right() == staff.left() - 1


def test_on_the_configured_screen_full_screen() -> None:
    second = QRect(1920, 0, 1280, 1024)
    staff = QRect(0, 0, 1108, 734)
    placed = customer_placement([FULL_HD, second], 0, staff, 1, WANTED, MINIMUM)
    assert (placed.screen, placed.full_screen, placed.frame) == (1, True, second)


def test_the_configured_screen_is_the_staff_one_so_a_window_beside_it() -> None:
    staff = QRect(0, 0, 1108, 734)
    placed = customer_placement([FULL_HD], 0, staff, 0, WANTED, MINIMUM)
    assert not placed.full_screen and not placed.frame.intersects(staff)


def test_on_another_screen_when_there_is_no_room_beside() -> None:
    staff = QRect(200, 100, 1500, 900)  # the middle of the screen, little room around it
    second = QRect(-1024, 0, 1024, 768)
    placed = customer_placement([FULL_HD, second], 0, staff, None, WANTED, MINIMUM)
    assert (placed.screen, placed.full_screen) == (1, True)


def test_moves_the_staff_window_to_make_room_on_one_screen() -> None:
    staff = QRect(400, 200, 1108, 734)  # room nowhere around it, but there is once it moves
    placed = customer_placement([FULL_HD], 0, staff, None, WANTED, MINIMUM)
    assert placed.move_staff_to == QPoint(0, 0)
    moved = staff.translated(-400, -200)
    assert not placed.frame.intersects(moved) and FULL_HD.contains(placed.frame)


@pytest.mark.parametrize(("room", "staff"), [
    (QRect(0, 0, 1366, 728), QRect(0, 0, 808, 600)),
    (QRect(0, 0, 1024, 738), QRect(0, 0, 508, 384)),
    (QRect(0, 0, 1280, 984), QRect(300, 300, 700, 500)),
])
def test_never_over_the_staff_window_where_both_fit(room: QRect, staff: QRect) -> None:
    placed = customer_placement([room], 0, staff, None, WANTED, MINIMUM)
    final_staff = staff if placed.move_staff_to is None else QRect(placed.move_staff_to,
                                                                    staff.size())
    assert not placed.frame.intersects(final_staff)
    assert room.contains(placed.frame)
    assert placed.frame.width() >= MINIMUM.width()
    assert placed.frame.height() >= MINIMUM.height()


def test_a_screen_too_small_for_both_is_the_one_overlap_and_is_logged(caplog) -> None:  # type: ignore[no-untyped-def]
    room = QRect(0, 0, 800, 570)
    placed = customer_placement([room], 0, QRect(0, 0, 700, 500), None, WANTED, MINIMUM)
    assert placed.frame.size() == MINIMUM
    assert "too small" in caplog.text
