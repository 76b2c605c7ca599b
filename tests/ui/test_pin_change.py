"""A manager's PIN shorter than six digits is changed at the next sign-in (issue 9 item 20)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from counter_app.ui import pin_change
from counter_core import pins
from tests.ui.test_counter_flow import counter, sign_in  # noqa: F401  (fixture)


@pytest.fixture
def short_manager_pin(counter):  # type: ignore[no-untyped-def]  # noqa: F811
    """9001 with the 4-digit PIN an older version allowed."""
    counter.service.db.execute("UPDATE staff SET pin_hash = ? WHERE number = '9001'",
                               [pins.hash_pin("9999")])
    return counter


def answering(monkeypatch: pytest.MonkeyPatch, *answers: tuple[str, str] | None) -> list[str]:
    """The dialog, filled in by the test: each answer (new, again), or None to cancel."""
    seen: list[str] = []
    queue = list(answers)

    def exec_(self: pin_change.PinChangeDialog) -> int:
        while queue:
            answer = queue.pop(0)
            if answer is None:
                self.reject()
                return 0
            self.pin.setText(answer[0])
            self.again.setText(answer[1])
            self.accept()
            seen.append(self.error.text())
            if self.result() == QDialog.DialogCode.Accepted:
                return 1
        self.reject()
        return 0

    monkeypatch.setattr(pin_change.PinChangeDialog, "exec", exec_)
    return seen


def test_the_sign_in_asks_for_a_new_pin_then_signs_in(
        qtbot, short_manager_pin, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    app = short_manager_pin
    seen = answering(monkeypatch, ("12345", "12345"), ("864200", "864201"), ("864200", "864200"))
    sign_in(qtbot, app, "9001", "9999")
    assert "6" in seen[0] and seen[1] != ""  # too short, then the two differ
    staff = app.staff_window
    assert staff.stack.currentWidget() is staff.tabs  # the manager is signed in
    assert app.service.staff.sign_in("9001", "864200").is_manager
    kinds = [e.kind for e in app.service.store.events()]
    assert kinds[-2:] == ["staff_pin_changed", "signed_in"]


def test_cancelling_leaves_nobody_signed_in(
        qtbot, short_manager_pin, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    app = short_manager_pin
    answering(monkeypatch, None)
    sign_in(qtbot, app, "9001", "9999")
    staff = app.staff_window
    assert staff.stack.currentWidget() is staff.sign_in_page
    assert staff.sign_in_page.error.text() == pin_change.cancelled_text()
    assert app.service.state.staff is None
