"""Small typed helpers for building widgets (PySide's stubs take no property keywords)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel

W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """`widget` with its object name set (for style sheets and tests), typed as itself."""
    widget.setObjectName(name)
    return widget


def label(name: str, text: str = "", *, wrap: bool = False, visible: bool = True) -> QLabel:
    """A QLabel with an object name, optionally word-wrapped or hidden at first."""
    widget = named(QLabel(text), name)
    widget.setWordWrap(wrap)
    if not visible:
        widget.setVisible(False)
    return widget
