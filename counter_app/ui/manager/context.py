"""What every manager tab shares: the read model, the desk, the manager, the language, filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from counter_app.application.manager import ManagerDesk, ManagerReadModel, ManagerSession
from counter_app.config import Config
from counter_app.ui.widgets import named
from counter_core.ratings import Choice

__all__ = ["Filters", "ManagerContext", "named"]


@dataclass(frozen=True)
class Filters:
    """The period (local days, inclusive) and the optional staff member and type."""

    start: dt.date
    end: dt.date
    staff: str | None = None
    type_code: str | None = None


class ManagerContext:
    """The manager's session seen by the tabs: reads, decisions, names, labels."""

    def __init__(self, session: ManagerSession) -> None:
        self.session = session
        self.data: ManagerReadModel = session.data
        self.desk: ManagerDesk = session.desk
        self.config: Config = session.config
        self.language = session.config.language
        self.manager = session.manager
        self.staff_names = self.data.staff_names()

    @property
    def time_zone(self) -> str:
        return self.data.time_zone

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
        self.staff_names = self.data.staff_names()


