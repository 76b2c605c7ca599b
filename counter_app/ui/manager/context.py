"""What every manager tab shares: the service, the manager, the language and the filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QObject

from counter_app.service import CounterService
from counter_app.storage import reports as queries
from counter_core.ratings import Choice


@dataclass(frozen=True)
class Filters:
    """The period (local days, inclusive) and the optional staff member and type."""

    start: dt.date
    end: dt.date
    staff: str | None = None
    type_code: str | None = None


class ManagerContext:
    """The counter service seen by the manager: names, labels, the signed-in manager."""

    def __init__(self, service: CounterService, manager: str | None = None) -> None:
        self.service = service
        self.db = service.db
        self.config = service.config
        self.language = service.config.language
        signed_in = service.machine.staff
        self.manager = manager or (
            signed_in.number if signed_in is not None and signed_in.is_manager else "manager")
        self.staff_names = queries.staff_names(self.db)

    @property
    def zh(self) -> bool:
        return self.language.startswith("zh")

    def type_name(self, code: str) -> str:
        kind = self.config.type_named(code)
        return kind.name(self.language) if kind else code

    def staff_label(self, number: str) -> str:
        name = self.staff_names.get(number)
        return f"{name} ({number})" if name else number

    def choice(self, choice: Choice) -> str:
        return choice.zh if self.zh else choice.en

    def refresh_names(self) -> None:
        self.staff_names = queries.staff_names(self.db)


W = TypeVar("W", bound=QObject)


def named(widget: W, name: str) -> W:
    """`widget` with its object name set (for style sheets and tests), typed as itself."""
    widget.setObjectName(name)
    return widget
