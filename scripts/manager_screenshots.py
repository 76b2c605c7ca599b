"""Screenshots of the manager view on a year of demo data, at 1366×768, in zh_CN and en.

    Xvfb :98 -screen 0 1920x1080x24 &
    DISPLAY=:98 QT_QPA_PLATFORM=xcb python scripts/manager_screenshots.py [--data-dir DIR] \
        [--size 800x600 --size 1280x800 …]

PNGs go to screenshots/ (git-ignored). Without --data-dir a year of demo data is written to a
temporary folder first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from counter_app import config as config_module
from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.demo import write_demo_history
from counter_app.ui.i18n import install_translator
from counter_app.ui.manager.view import ManagerView

OUT = Path(__file__).resolve().parent.parent / "screenshots"


def english_config(folder: Path) -> Path:
    text = config_module.demo_config_path().read_text(encoding="utf-8")
    path = folder / "counter-en.toml"
    path.write_text(text.replace('language = "zh_CN"', 'language = "en"'), encoding="utf-8")
    return path


def shoot(app: QApplication, service: Counter, prefix: str, today: dt.date,
          size: tuple[int, int] = (1366, 768)) -> None:
    panel = None
    try:
        if os.environ.get("NO_SYNC_PANEL"):
            raise RuntimeError("NO_SYNC_PANEL is set")
        from counter_app.ui.sync_panel import SyncPanel
        from counter_app.ui.sync_runner import SyncRunner

        runner = SyncRunner(service)
        panel = SyncPanel(runner)
    except Exception as exc:  # the head-office panel is optional here
        print(f"no sync panel: {exc}", file=sys.stderr)
    view = ManagerView(service.manager("9001"), sync_panel=panel, today=today)
    view.setWindowTitle("Counter App — manager")
    view.setGeometry(0, 0, *size)
    view.show()
    app.processEvents()

    def grab(name: str) -> None:
        for _ in range(3):
            app.processEvents()
        path = OUT / f"{prefix}-{name}.png"
        view.grab().save(str(path))
        print(path)

    grab("1-review-queue")
    tab = view.review_tab
    model = tab.model  # the queue's rows as shown (filtered and sorted in the model itself)
    for i in range(model.rowCount()):
        row = model.source_row(i)
        if row is not None and row.is_overtime and row.is_poor and not row.reviewed:
            tab.select_txn(row.txn)
            break
    tab.cause.setCurrentIndex(tab.cause.findData("system"))
    tab.note.setText("营业系统卡顿约五分钟" if service.config.language == "zh_CN"
                     else "Billing system slow for five minutes")
    tab.record_cause()
    grab("2-review-recorded")
    view.tabs.setCurrentWidget(view.kpi_tab)
    grab("3-kpis-30-days")
    view.preset.setCurrentIndex(view.preset.findData("last365"))
    grab("4-kpis-12-months")
    view.set_filters(start=today - dt.timedelta(days=29), end=today, staff="1003",
                     type_code="payment")
    grab("5-kpis-staff-type")
    view.tabs.setCurrentWidget(view.summary_tab)
    grab("6-monthly-summary")
    if panel is not None:
        view.tabs.setCurrentIndex(3)
        grab("7-head-office")
    view.close()
    view.deleteLater()  # gone before the next language's service opens
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--size", action="append", default=[],
                        help="WIDTHxHEIGHT, once per size (default 1366x768); the PNGs of a"
                        " size other than the default carry it in their names")
    args = parser.parse_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="manager-shots-") as temp:
        base = Path(temp) / "data"
        if args.data_dir:
            shutil.copytree(args.data_dir, base, ignore=shutil.ignore_patterns("*.lock"))
        else:
            write_demo_history(config_module.load(), base, 365, seed=1)
        last = dt.date.today() - dt.timedelta(days=1)
        for language, config_path in (("zh", None), ("en", english_config(Path(temp)))):
            data_dir = Path(temp) / f"data-{language}"
            shutil.copytree(base, data_dir)
            config = config_module.load(config_path)
            if config_path is not None:  # a non-demo config gets no demo accounts by itself
                config = config.__class__(**{**config.__dict__, "source": "<shots> (demo)"})
            service = Counter(config, data_dir)
            _, newest = service.manager().data.date_span()
            today = newest or last
            translators = install_translator(app, config.language)  # the view in its language
            for size in args.size or ["1366x768"]:
                width, height = (int(n) for n in size.lower().split("x"))
                suffix = "" if (width, height) == (1366, 768) else f"-{width}x{height}"
                shoot(app, service, f"manager-{language}{suffix}", today, (width, height))
            for translator in translators:
                app.removeTranslator(translator)
            service.close()
            assert paths.database_path(data_dir).exists()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
