"""Translations of the plain-Python layers' messages (domain, staff sign-in, storage errors).

The domain and storage raise English messages and know nothing of Qt. The staff window shows
them through `translate_message`, which finds the message's source text here (fixed texts, or
patterns whose numbers and names are carried over as %1, %2) and asks Qt to translate it in
the fixed context "Messages", so pyside6-lupdate collects every one of them.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

CONTEXT = "Messages"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name pyside6-lupdate looks for
    """Mark `text` for translation in `context`; returns it unchanged (typed, unlike Qt's)."""
    return text


#: Messages shown as they are (CounterError, SignInError).
FIXED: frozenset[str] = frozenset({
    QT_TRANSLATE_NOOP("Messages", "Finish or void the running transaction before signing out"),
    QT_TRANSLATE_NOOP("Messages", "A transaction is already running"),
    QT_TRANSLATE_NOOP("Messages", "Choose the overtime reason for the last transaction first"),
    QT_TRANSLATE_NOOP("Messages", "No overtime transaction is waiting for a reason"),
    QT_TRANSLATE_NOOP("Messages", "Sign in first"),
    QT_TRANSLATE_NOOP("Messages", "No transaction is running"),
    QT_TRANSLATE_NOOP("Messages", "Waiting for the customer"),
    QT_TRANSLATE_NOOP("Messages", "Unknown staff number or wrong PIN"),
    QT_TRANSLATE_NOOP("Messages", "This account is disabled"),
    QT_TRANSLATE_NOOP("Messages", "Back soon is on: press I'm back first"),
    QT_TRANSLATE_NOOP("Messages", "Back soon is already on"),
    QT_TRANSLATE_NOOP("Messages", "Back soon is not on"),
    QT_TRANSLATE_NOOP("Messages", "Finish or void the running transaction first"),
    QT_TRANSLATE_NOOP("Messages", "the types change only while no transaction is under way"),
})

#: Messages with values in them: the regular expression's groups become %1, %2, …
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(.+) is still signed in"),
     QT_TRANSLATE_NOOP("Messages", "%1 is still signed in")),
    (re.compile(r"Void is possible only in the first (\d+) s; press Done instead"),
     QT_TRANSLATE_NOOP("Messages", "Void is possible only in the first %1 s; press Done instead")),
    (re.compile(r"Not a return time: (.+)"),
     QT_TRANSLATE_NOOP("Messages", "Not a return time: %1")),
    (re.compile(r"Unknown overtime reason (.+)"),
     QT_TRANSLATE_NOOP("Messages", "Unknown overtime reason %1")),
    (re.compile(r"Unknown transaction type (.+)"),
     QT_TRANSLATE_NOOP("Messages", "Unknown transaction type %1")),
    (re.compile(r"Too many wrong PINs: locked for about (\d+) min"),
     QT_TRANSLATE_NOOP("Messages", "Too many wrong PINs: locked for about %1 min")),
    (re.compile(r"Too many wrong PINs: locked for (\d+) min"),
     QT_TRANSLATE_NOOP("Messages", "Too many wrong PINs: locked for %1 min")),
    (re.compile(r"Too many wrong sign-ins: wait (\d+) s"),
     QT_TRANSLATE_NOOP("Messages", "Too many wrong sign-ins: wait %1 s")),
    (re.compile(r"another Counter App is using (.+); close it first", re.S),
     QT_TRANSLATE_NOOP("Messages", "another Counter App is using %1; close it first")),
    (re.compile(r"NOT SAVED: the database refused the record \((.*)\)\. Nothing already "
                r"recorded is lost; free disk space or call support, then try again\.", re.S),
     QT_TRANSLATE_NOOP("Messages", "NOT SAVED: the database refused the record (%1). Nothing "
                       "already recorded is lost; free disk space or call support, then try "
                       "again.")),
)


def translate_message(text: str) -> str:
    """`text` in the UI language when it is a known message; otherwise `text` unchanged."""
    if text in FIXED:
        return QCoreApplication.translate(CONTEXT, text)
    for pattern, source in PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            translated = QCoreApplication.translate(CONTEXT, source)
            for index, value in enumerate(match.groups(), start=1):
                translated = translated.replace(f"%{index}", value)
            return translated
    return text
