"""Run on a real X display by tests/ui/test_tray_real.py: an alerts tab announcing one alert
with its default (desktop) notifier; prints what the tray did as one JSON line."""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from counter_app.ui.manager import alerts_tab
from tests.ui.test_alerts_tab import SHANGHAI, FakeFeed, alert

shown: list[tuple[str, str]] = []


class RecordingTray(QSystemTrayIcon):
    """The real tray icon, remembering each notification it was asked to show."""

    def showMessage(self, title: str, message: str, *args: Any) -> None:
        shown.append((title, message))
        super().showMessage(title, message, *args)


def main() -> int:
    app = QApplication(sys.argv[:1])
    alerts_tab.QSystemTrayIcon = RecordingTray  # type: ignore[attr-defined]
    sounds: list[int] = []
    tab = alerts_tab.AlertsTab(FakeFeed(), manager="9001", zone=SHANGHAI,
                               sound=lambda: sounds.append(1), autostart=False)
    tab.resize(600, 400)
    tab.show()
    available = QSystemTrayIcon.isSystemTrayAvailable()
    tab.announce((alert(1),))

    def report() -> None:
        tray = tab._tray
        geometry = tray.geometry() if tray is not None else None
        print(json.dumps({
            "available": available,
            "tray_visible": tray is not None and tray.isVisible(),
            "icon_size": [geometry.width(), geometry.height()] if geometry else [0, 0],
            "shown": shown,
            "banner": tab.banner.isVisible(),
            "sounds": len(sounds),
        }, ensure_ascii=False), flush=True)
        app.quit()

    QTimer.singleShot(1500, report)  # the tray embeds the icon asynchronously
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
