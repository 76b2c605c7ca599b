"""Translations: every UI text has its Chinese, the catalogues match the sources, and the
configured language is what the live staff window shows."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from counter_app import paths
from counter_app.config import Config
from counter_app.ui import i18n
from counter_app.ui.app import CounterApp, install_translator
from counter_app.ui.messages import translate_message
from tests.conftest import FakeClock
from tests.helpers.counter import CounterService

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = paths.resource_path("translations")
PLACEHOLDER = re.compile(r"%[\dn]")
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def messages(language: str) -> list[tuple[str, str, ET.Element | None]]:
    """(context, source, translation element) of each message of a catalogue."""
    tree = ET.parse(TRANSLATIONS / f"counter_app_{language}.ts")
    return [
        (context.findtext("name") or "", message.findtext("source") or "",
         message.find("translation"))
        for context in tree.iter("context") for message in context.iter("message")
    ]


def forms(translation: ET.Element | None) -> list[str]:
    """A translation's text, or each of its plural forms (a `%n` message's numerusforms)."""
    if translation is None:
        return []
    plural = [form.text or "" for form in translation.iter("numerusform")]
    return plural or [translation.text or ""]


def is_finished(translation: ET.Element | None) -> bool:
    return (translation is not None and translation.get("type") is None
            and all(text.strip() for text in forms(translation)))


# ---- the catalogues ---------------------------------------------------------------------------

@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_text_has_a_finished_translation(language: str) -> None:
    missing = [(c, s) for c, s, t in messages(language) if not is_finished(t)]
    assert not missing, f"untranslated in {language} (fill resources/translations): {missing}"


def test_chinese_translations_are_chinese_and_keep_their_placeholders() -> None:
    for context, source, translation in messages("zh_CN"):
        assert translation is not None
        (text,) = forms(translation)  # Chinese has one form, counts or not
        assert CJK.search(text), f"[{context}] {source!r} → {text!r} is not Chinese"
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), (
            f"[{context}] {source!r} → {text!r} loses or adds a %N placeholder")
        for key in re.findall(r"\(F\d\)", source):
            assert key in text, f"[{context}] {source!r} → {text!r} drops the hotkey {key}"


def test_both_catalogues_hold_the_same_texts() -> None:
    def texts(language: str) -> set[tuple[str, str]]:
        return {(c, s) for c, s, _ in messages(language)}

    assert texts("zh_CN") == texts("en")


def test_catalogues_are_up_to_date_with_the_sources(tmp_path: Path) -> None:
    """A new self.tr() text fails here until `python scripts/update_translations.py` is run."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import update_translations  # type: ignore[import-not-found]  # scripts/ is no package
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    out = tmp_path / "fresh.ts"
    files = [str(p) for p in update_translations.sources()]
    subprocess.run([*update_translations.lupdate_command(), "-silent", "-no-obsolete", *files,
                    "-ts", str(out)], check=True, capture_output=True)
    fresh = {(c.findtext("name"), m.findtext("source"))
             for c in ET.parse(out).iter("context") for m in c.iter("message")}
    stored = {(c, s) for c, s, _ in messages("zh_CN")}
    assert not fresh - stored, (
        f"texts in the sources but not in the catalogues: {sorted(fresh - stored)}; "
        "run `python scripts/update_translations.py` and translate them")


def test_lrelease_compiles_every_catalogue(tmp_path: Path) -> None:
    compiled = i18n.compile_all(tmp_path)
    assert sorted(p.name for p in compiled) == sorted(
        f"counter_app_{lang}.qm" for lang in i18n.LANGUAGES)
    assert all(p.stat().st_size > 100 for p in compiled)


# ---- messages from the plain-Python layers ----------------------------------------------------

def raised_messages(module: Path, exception: str) -> list[str]:
    """The messages `raise <exception>(...)` builds in a module, with sample values filled in."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", None) == exception and node.exc.args):
            continue
        arg = node.exc.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.append(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            found.append("".join(
                str(part.value) if isinstance(part, ast.Constant) else "7" for part in arg.values))
    return found


DOMAIN_MESSAGES = [
    *raised_messages(ROOT / "counter_core" / "transaction.py", "CounterError"),
    *raised_messages(ROOT / "counter_app" / "storage" / "staff.py", "SignInError"),
    "NOT SAVED: the database refused the record (disk I/O error). Nothing already recorded is "
    "lost; free disk space or call support, then try again.",
]


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    yield from translated(qapp, "zh_CN")


def translated(app: QApplication, language: str) -> Iterator[None]:
    previous = QLocale()
    translators = install_translator(app, language)
    assert translators, f"no translation loaded for {language}"
    try:
        yield
    finally:
        for translator in translators:
            app.removeTranslator(translator)
        QLocale.setDefault(previous)


def test_the_domain_raises_messages(chinese: None) -> None:
    assert len(DOMAIN_MESSAGES) >= 10


@pytest.mark.parametrize("message", DOMAIN_MESSAGES)
def test_every_domain_and_sign_in_message_is_translated(chinese: None, message: str) -> None:
    shown = translate_message(message)
    assert CJK.search(shown), f"{message!r} has no Chinese (add it to ui/messages.py)"
    for number in re.findall(r"\d+", message):
        assert number in shown


def test_unknown_messages_pass_through_unchanged(chinese: None) -> None:
    assert translate_message("something new") == "something new"


# ---- the live staff window --------------------------------------------------------------------

def visible_texts(window: QWidget) -> list[str]:
    """Every text a person can see in the window right now, painted hourglass text included."""
    texts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            texts += [widget.placeholderText()]
        elif isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            texts += [str(model.headerData(i, Qt.Orientation.Horizontal) or "")
                      for i in range(model.columnCount())]
    hourglass = window.counter_page.hourglass  # type: ignore[attr-defined]
    if hourglass.isVisibleTo(window):
        texts.append(hourglass.overtime_label if hourglass.overtime else hourglass.caption)
    return [t for t in texts if t]


def walk_states(counter: CounterApp, clock: FakeClock) -> Iterator[str]:
    """Drive the counter through its states (like scripts/screenshots.py), naming each."""
    controller = counter.controller
    page = counter.staff_window.sign_in_page
    yield "signed out"
    page.number.setText("1001")
    page.pin.setText("0000")
    page.sign_in()
    yield "wrong PIN"
    page.pin.setText("1234")
    page.sign_in()
    yield "ready"
    controller.start_transaction()
    clock.advance(61)
    controller.ticked.emit()
    yield "running"
    controller.void_transaction()
    yield "void refused"
    clock.advance(150)
    controller.ticked.emit()
    yield "overtime"
    controller.complete_transaction()
    yield "waiting for rating"
    controller.start_transaction()
    yield "start refused: overtime reason first"
    controller.rate(4)
    yield "rated"
    controller.give_overtime_reason("complex")
    clock.advance(40)
    controller.poll()
    yield "after"


@pytest.fixture
def make_counter(qtbot, demo_config: Config, tmp_path: Path, clock: FakeClock):  # type: ignore[no-untyped-def]
    made: list[CounterService] = []

    def make(language: str) -> CounterApp:
        config = dataclasses.replace(demo_config, language=language)
        service = CounterService(config, tmp_path / language, clock=clock)
        made.append(service)
        counter = CounterApp(service)
        qtbot.addWidget(counter.staff_window)
        qtbot.addWidget(counter.customer_screen)
        counter.show()
        return counter

    yield make
    for service in made:
        service.close()


def allowed_latin(counter: CounterApp) -> set[str]:
    """Latin words that are data or key names, not UI text: hall, staff, hotkeys."""
    config = counter.service.config
    words = set(LATIN_WORD.findall(f"{config.hall_name} {config.counter_id} PIN"))
    return words | {"F1", "F2", "F3", "F4", "Shift"}


def test_chinese_staff_window_shows_no_english(qapp, chinese, make_counter, clock) -> None:  # type: ignore[no-untyped-def]
    counter = make_counter("zh_CN")
    window = counter.staff_window
    allowed = allowed_latin(counter)
    for state in walk_states(counter, clock):
        for text in visible_texts(window):
            english = [w for w in LATIN_WORD.findall(text) if w not in allowed]
            assert not english, f"{state}: English left in the Chinese UI: {text!r}"
    assert window.counter_page.start_button.text() == "开始  (F1)"
    assert window.counter_page.done_button.text() == "完成  (F2)"
    assert window.counter_page.void_button.text() == "作废  (F4)"
    assert window.counter_page.sign_out_button.text() == "签退"


def test_chinese_manager_view_shows_no_english(qapp, chinese, make_counter) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("counter_app.ui.manager")
    counter = make_counter("zh_CN")
    assert counter.controller.sign_in("9001", "999999") is None
    window = counter.staff_window
    # file formats, and configuration keys the text tells the manager to set
    allowed = allowed_latin(counter) | {"CSV", "PDF", "Excel", "xlsx", "csv", "pdf",
                                        "head", "office", "url", "token"}
    tab_widgets = [window.tabs, *window.findChildren(QTabWidget)]
    checked = 0
    for tabs in tab_widgets:
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            qapp.processEvents()
            for text in visible_texts(window):
                english = [w for w in LATIN_WORD.findall(text) if w not in allowed]
                assert not english, f"tab {tabs.tabText(index)!r}: English in Chinese: {text!r}"
                checked += 1
    assert checked > 50


def test_english_staff_window_is_english(qapp, make_counter, clock) -> None:  # type: ignore[no-untyped-def]
    previous = QLocale()
    translators = install_translator(qapp, "en")
    try:
        counter = make_counter("en")
        window = counter.staff_window
        data = {counter.service.config.hall_name, "王芳"}  # names are data, not UI text
        for state in walk_states(counter, clock):
            for text in visible_texts(window):
                for name in data:
                    text = text.replace(name, "")
                assert not CJK.search(text), f"{state}: Chinese in the English UI: {text!r}"
        assert window.counter_page.start_button.text() == "Start  (F1)"
        assert window.counter_page.sign_out_button.text() == "Sign out"
    finally:
        for translator in translators:
            qapp.removeTranslator(translator)
        QLocale.setDefault(previous)


def test_customer_screen_stays_bilingual_in_either_language(qapp, chinese, make_counter) -> None:  # type: ignore[no-untyped-def]
    counter = make_counter("zh_CN")
    screen = counter.customer_screen
    texts = [w.text() for w in screen.findChildren(QLabel) if w.text()]
    assert any("Payments done in 3 minutes" in t and "交费业务三分钟办结" in t for t in texts)


def test_running_from_source_compiles_missing_and_stale_catalogues(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer's checkout has only .ts files: the first start compiles them."""
    folder = tmp_path / "translations"
    folder.mkdir()
    ts = folder / "counter_app_zh_CN.ts"
    ts.write_bytes((TRANSLATIONS / ts.name).read_bytes())
    monkeypatch.setattr(paths, "resources_root", lambda: tmp_path)
    assert i18n.translations_dir("zh_CN") == folder
    qm = folder / "counter_app_zh_CN.qm"
    assert qm.is_file()
    compiled = qm.stat().st_mtime
    stale = compiled - 10
    os.utime(qm, (stale, stale))  # the .ts is now newer than the .qm
    assert i18n.translations_dir("zh_CN") == folder
    assert qm.stat().st_mtime > stale
