"""Screenshots of the manager desk (`counter-app manager`) at its default size, in zh_CN and en:
the sign-in page, the hall view on its hall board, and its review queue; also prints the text
of the alerts the hall server raised (alerts have no window of their own: they are webhook
messages, docs/alerts.md).

    Xvfb :99 -screen 0 1920x1080x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb PYTHONPATH=. python scripts/desk_screenshots.py

(or QT_QPA_PLATFORM=offscreen). Everything is real: a `counter-hq serve` on SQLite as the hall
server, two counters' data folders streaming events and presence to it, a desk mirroring the
hall. PNGs go to screenshots/ (git-ignored).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from PySide6.QtWidgets import QApplication, QWidget

from counter_app import config as config_module
from counter_app.application.hall_view import Desk
from counter_app.application.sync import start_streaming
from counter_app.config import Config, HallServer
from counter_app.sync.hall_stream import HallStreamer
from counter_app.ui.app import application, install_translator
from counter_app.ui.desk import DeskWindow
from head_office.access import enroll_desk, enroll_reader
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService
from tests.helpers.hq import HqServer

OUT = Path(__file__).resolve().parent.parent / "screenshots"
HALL = "SH-0001"
MANAGER, PIN = "8001", "246810"


def settle(app: QApplication, until: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit("the desk did not get there in time")
        app.processEvents()
        time.sleep(0.05)
    for _ in range(10):
        app.processEvents()


def grab(app: QApplication, widget: QWidget, name: str, made: list[Path]) -> None:
    # past the window's once-a-second status check, so the status line is the current one
    settle(app, lambda: True)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    made.append(path)


def shoot(app: QApplication, base: Config, language: str, folder: Path, made: list[Path]) -> None:
    alert_config = folder / "alerts.toml"
    alert_config.write_text(
        f'language = "{"zh" if language == "zh_CN" else "en"}"\n', encoding="utf-8"
    )
    server = HqServer(
        f"sqlite:///{folder / 'hall.sqlite'}", options=("--alert-config", str(alert_config))
    ).start()
    streams: list[tuple[CounterService, HallStreamer]] = []
    desk: Desk | None = None
    try:
        clock = FakeClock()
        for name, staff in (("01", "1001"), ("02", "1002")):
            config = dataclasses.replace(
                base,
                hall_id=HALL,
                counter_id=name,
                language=language,
                hall_server=HallServer(server.url, token=server.enroll(HALL, name)),
            )
            service = CounterService(config, folder / f"counter-{name}", clock=clock)
            streamer = start_streaming(service.data_dir, config)
            assert streamer is not None
            streams.append((service, streamer))
            service.sign_in(staff, "1234")
            for seconds, rating in ((120, 5), (400, 1 if name == "02" else 4)):
                service.start_transaction()
                clock.advance(seconds)
                service.complete()
                service.rate(rating)
                clock.advance(31)
                service.expire()
                if service.machine.overtime_reason_for:
                    service.give_overtime_reason("complex")
            if name == "01":
                service.start_transaction()  # serving when the screenshots are taken
            streamer.set_presence(service.presence())
        desk_config = dataclasses.replace(
            base,
            hall_id=HALL,
            counter_id="desk",
            language=language,
            hall_server=HallServer(server.url, token=enroll_desk(server.store, HALL, "desk")),
        )
        desk = Desk(desk_config, folder / "desk", pull_interval_s=0.5)
        desk.staff.add(MANAGER, "赵主任" if language == "zh_CN" else "Zhao", "manager", PIN)

        window = DeskWindow(desk)
        window.show()
        settle(app, lambda: desk is not None and desk.puller.runs > 0)
        grab(app, window, f"desk-{language}-sign-in", made)
        window.number.setText(MANAGER)
        window.pin.setText("000000")
        window.sign_in()
        grab(app, window, f"desk-{language}-sign-in-refused", made)
        window.number.setText(MANAGER)
        window.pin.setText(PIN)
        assert window.sign_in(), window.message.text()
        view = window.manager_view
        board = getattr(view, "board", None)
        assert view is not None and board is not None
        settle(app, lambda: {"01", "02"} <= set(board.counters()))
        grab(app, window, f"desk-{language}-hall-board", made)
        view.tabs.setCurrentWidget(view.review_tab)  # type: ignore[attr-defined]
        settle(app, lambda: view.review_tab.model.rowCount() >= 1)  # type: ignore[attr-defined]
        grab(app, window, f"desk-{language}-review", made)

        reader = enroll_reader(server.store, HALL)
        for _ in range(50):
            found = httpx.get(
                f"{server.url}/api/v1/hall/alerts",
                timeout=10,
                headers={"Authorization": f"Bearer {reader}"},
            ).json()["alerts"]
            if found:
                break
            time.sleep(0.2)
        for alert in found:
            print(f"alert ({language}) {alert['kind']} {alert['id']}: {alert['text']}")
        window.close()
        window.deleteLater()
    finally:
        for service, streamer in streams:
            streamer.stop()
            service.close()
        if desk is not None:
            desk.close()
        server.close()


def main() -> None:
    app = application()
    OUT.mkdir(exist_ok=True)
    made: list[Path] = []
    base = config_module.load()
    for language in ("zh_CN", "en"):
        translators = install_translator(app, language)
        with tempfile.TemporaryDirectory() as tmp:
            shoot(app, base, language, Path(tmp), made)
        for translator in translators:
            app.removeTranslator(translator)
    for path in made:
        print(path)


if __name__ == "__main__":
    main()
