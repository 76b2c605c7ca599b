"""Screenshots of the manager view's Alerts tab in zh_CN and en at 800×600: unacknowledged
alerts (bold, first) and acknowledged ones, with the in-window banner a desktop without a tray
shows, and the same at a counter's hall view (Acknowledge disabled).

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python scripts/alerts_screenshots.py

PNGs go to screenshots/ (git-ignored). The tab reads a fixed in-memory feed, so no hall server
is needed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from counter_app.application.alerts_feed import Alert, FeedUpdate, display_order, utc_text
from counter_app.ui.app import application, install_translator
from counter_app.ui.manager.alerts_tab import AlertsTab
from counter_core.periods import zone

OUT = Path(__file__).resolve().parent.parent / "screenshots"
NAMES = {"1001": "王芳", "1002": "李强", "1003": "张伟", "9001": "赵主任"}
TEXTS = {
    "zh_CN": {
        "overtime": "{c} 号柜台 {s} 办理超时：已用 {m} 分钟，目标 3 分钟",
        "poor_rating": "{c} 号柜台 {s} 收到差评（1 分）",
        "not_reporting": "{c} 号柜台已 45 秒没有信号",
    },
    "en": {
        "overtime": "Counter {c}: {s} is over time, {m} min against a 3 min target",
        "poor_rating": "Counter {c}: {s} was rated 1",
        "not_reporting": "Counter {c} has not reported for 45 s",
    },
}
ROWS = (  # seq, kind, counter, staff, minutes ago, acknowledged by
    (1, "overtime", "02", "1002", 50, "9001"),
    (2, "poor_rating", "05", "1001", 41, "9001"),
    (3, "overtime", "08", "1003", 22, None),
    (4, "not_reporting", "07", None, 9, None),
    (5, "poor_rating", "01", "1001", 4, None),
    (6, "overtime", "01", "1001", 1, None),
)


class Fixed:
    def __init__(self, language: str, can_ack: bool) -> None:
        self.can_ack = can_ack
        now = dt.datetime.now(dt.UTC)
        self.rows = [
            Alert(
                seq=seq,
                id=f"{seq:032x}",
                kind=kind,
                counter=counter,
                staff=staff,
                at=utc_text(now - dt.timedelta(minutes=ago)),
                text=TEXTS[language][kind].format(c=counter, s=staff or "", m=ago + 3),
                acknowledged_by=by,
                acknowledged_at=utc_text(now - dt.timedelta(minutes=ago - 2)) if by else None,
            )
            for seq, kind, counter, staff, ago, by in ROWS
        ]

    def poll(self) -> FeedUpdate:
        return FeedUpdate(display_order(self.rows), ())

    def acknowledge(self, alert: str, staff: str) -> Alert:
        raise NotImplementedError


def main() -> None:
    app = application()
    OUT.mkdir(exist_ok=True)
    made = []
    for language in ("zh_CN", "en"):
        translators = install_translator(app, language)
        for where, can_ack in (("desk", True), ("counter", False)):
            feed = Fixed(language, can_ack)
            tab = AlertsTab(
                feed,
                manager="9001",
                names=NAMES,
                zone=zone("Asia/Shanghai"),
                notifier=None,
                sound=lambda: None,
                autostart=False,
            )
            tab.setWindowTitle("Alerts")
            tab.resize(800, 600)
            tab.show()
            update = feed.poll()
            tab.show_update(FeedUpdate(update.alerts, update.alerts[:1]))  # the newest, announced
            tab.table.selectRow(0)
            for _ in range(5):
                app.processEvents()
            path = OUT / f"alerts-{language}-{where}-800x600.png"
            tab.grab().save(str(path))
            made.append(path)
            tab.stop()
            tab.close()
        for translator in translators:
            app.removeTranslator(translator)
    for path in made:
        print(path)


if __name__ == "__main__":
    main()
