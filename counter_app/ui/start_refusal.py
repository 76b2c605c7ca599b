"""A start-up refusal shown in a dialog, not only on stderr.

An app started from a desktop shortcut has no console: a refusal printed on stderr alone (a
config error, the folder in use, a read-only folder, a damaged database, a full disk) looked
like "the app does not appear". `show_start_refusal` shows it in a message box in the UI
language, or in Chinese and English together when the configuration (and so the language)
could not be read.

It never raises and never blocks a test run: with COUNTER_APP_NO_DIALOG=1, or on Qt's
offscreen/minimal platforms, the box is shown and closed again without waiting for a click.
With no display at all (a Linux console session) there is nothing to show it on; stderr has
the message.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

TITLE = "Counter App"
NO_DIALOG_ENV = "COUNTER_APP_NO_DIALOG"
_HEADINGS = {
    "zh": ("Counter App 无法启动：", "请把这条信息告诉值班经理或技术支持。"),
    "en": ("Counter App cannot start:", "Tell your duty manager or support about this message."),
}
_NON_BLOCKING_PLATFORMS = {"offscreen", "minimal"}


def refusal_text(message: str, language: str | None) -> str:
    """The dialog's text: heading, the refusal itself, what to do; both languages for None."""
    if language is None:
        zh, en = _HEADINGS["zh"], _HEADINGS["en"]
        return f"{zh[0]}\n{en[0]}\n\n{message}\n\n{zh[1]}\n{en[1]}"
    heading, advice = _HEADINGS["zh" if language.lower().startswith("zh") else "en"]
    return f"{heading}\n\n{message}\n\n{advice}"


def _in_language(app: QCoreApplication, message: str, language: str | None) -> str:
    """The refusal in the UI language when it is one the messages table knows (the second
    instance's "another Counter App is using …"); as it is otherwise."""
    if language is None:
        return message
    from counter_app.ui.i18n import install_translator
    from counter_app.ui.messages import translate_message

    translators = install_translator(app, language)
    try:
        return translate_message(message)
    finally:  # the refusal's own: whatever runs next installs its own
        for translator in translators:
            app.removeTranslator(translator)


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have their platform plugin


def _non_blocking() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].lower()
    return os.environ.get(NO_DIALOG_ENV) == "1" or platform in _NON_BLOCKING_PLATFORMS


def show_start_refusal(message: str, language: str | None) -> QMessageBox | None:
    """Show `message` as a start-up refusal; the box shown (for tests), or None if none could be.

    Creates the QApplication when there is none. Any failure to show it is swallowed: the
    caller has already printed the message on stderr.
    """
    if not _has_display():
        return None
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication(sys.argv[:1] or ["counter-app"])
        box = QMessageBox(QMessageBox.Icon.Critical, TITLE,
                          refusal_text(_in_language(app, message, language), language))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        if _non_blocking():
            box.show()
            app.processEvents()
            box.close()
        else:
            box.exec()
        return box
    except Exception as exc:  # the message is on stderr already; never a traceback instead
        print(f"counter-app: (could not show the message in a window: {exc})", file=sys.stderr)
        return None
