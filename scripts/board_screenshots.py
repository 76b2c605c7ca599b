"""Screenshots of the hall board with 15 counters in every state, in zh_CN and en, at 800×600
and 1920×1080 (and the unreachable banner at 800×600).

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python scripts/board_screenshots.py

PNGs go to screenshots/ (git-ignored). The board reads a fixed in-memory source, so no hall
server is needed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from counter_app.application.board import (
    BoardUnavailable,
    CounterPresence,
    Figures,
    HallFigures,
    HallPresence,
)
from counter_app.ui.app import application, install_translator
from counter_app.ui.manager.hall_board import HallBoard
from counter_core.periods import zone

OUT = Path(__file__).resolve().parent.parent / "screenshots"
NAMES = {"1001": "王芳", "1002": "李强", "1003": "张伟", "1004": "陈静", "1005": "刘洋"}
TYPES_ZH = {"payment": "交费", "sim": "补换卡", "plan": "套餐变更", "enquiry": "咨询"}
TYPES_EN = {"payment": "Payment", "sim": "SIM card", "plan": "Plan change", "enquiry": "Enquiry"}


class Fixed:
    """Fifteen counters in every state; `down` fails as an unreachable hall server does."""

    down = False

    def presence(self) -> HallPresence:
        if self.down:
            raise BoardUnavailable("unreachable")
        rows = [
            CounterPresence("01", "serving", "1001", "payment", 65.0, 180.0),
            CounterPresence("02", "serving", "1002", "sim", 313.0, 300.0),
            CounterPresence("03", "idle", "1003"),
            CounterPresence("04", "rating", "1004"),
            CounterPresence("05", "away", "1005", back_at="2026-12-03T02:45:00.000Z"),
            CounterPresence("06", "signed_out"),
            CounterPresence("07", "idle", "1007", age_s=45.0),
            CounterPresence("08", "serving", "1003", "plan", 3725.0, 600.0),
            CounterPresence("09", "serving", "1004", "enquiry", 95.0),
            CounterPresence("10", "idle", "1001"),
            CounterPresence("11", "rating", "1002"),
            CounterPresence("12", "signed_out"),
            CounterPresence("13", "serving", "1005", "payment", 12.0, 180.0),
            CounterPresence("14", "away", "1004", back_at="2026-12-03T03:10:00.000Z"),
            CounterPresence("15", "idle", "1002"),
        ]
        return HallPresence("SH-0001", tuple(rows))

    def today(self) -> HallFigures:
        return HallFigures(
            total=Figures(312, 0.914, 0.962),
            by_counter={
                f"{n:02}": Figures(10 + n * 2, 0.8 + n / 100, 0.9 + n / 200)
                for n in range(1, 16)
                if n != 12
            },
            counters=tuple(f"{n:02}" for n in range(1, 16)),
        )


def main() -> None:
    app = application()
    OUT.mkdir(exist_ok=True)
    made = []
    for language in ("zh_CN", "en"):
        translators = install_translator(app, language)
        source = Fixed()
        board = HallBoard(
            source,
            names=NAMES,
            zone=zone("Asia/Shanghai"),
            autostart=False,
            type_names=TYPES_ZH if language == "zh_CN" else TYPES_EN,
        )
        board.setWindowTitle("Hall board")
        board.show_figures(source.today())
        board.show_presence(source.presence())
        for width, height in ((800, 600), (1920, 1080)):
            board.resize(width, height)
            board.show()
            for _ in range(5):
                app.processEvents()
            path = OUT / f"board-{language}-{width}x{height}.png"
            board.grab().save(str(path))
            made.append(path)
        board.resize(800, 600)
        source.down = True
        board.show_unreachable()
        for _ in range(5):
            app.processEvents()
        path = OUT / f"board-{language}-unreachable.png"
        board.grab().save(str(path))
        made.append(path)
        board.close()
        for translator in translators:
            app.removeTranslator(translator)
    for path in made:
        print(path)


if __name__ == "__main__":
    main()
