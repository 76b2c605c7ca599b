"""Qt screens for the duty manager: review queue, KPIs and charts, monthly summary, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from counter_app.ui.manager.view import ManagerView

__all__ = ["ManagerView"]


def __getattr__(name: str) -> Any:
    # lazy: the PDF export imports this package without needing the widgets and charts
    if name == "ManagerView":
        from counter_app.ui.manager.view import ManagerView

        return ManagerView
    raise AttributeError(name)
