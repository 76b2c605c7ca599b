"""Refresh resources/translations/*.ts from the UI sources with pyside6-lupdate.

Usage: python scripts/update_translations.py [--check]

Every `self.tr()`, `QCoreApplication.translate()` and `QT_TRANSLATE_NOOP()` under counter_app/ui
(the staff window, the manager view, the sync panel, the messages table) is collected. New
texts arrive in counter_app_zh_CN.ts as "unfinished" for a translator to fill in;
counter_app_en.ts is the source language, so its translations are the source texts.
`--check` only reports what lacks a Chinese translation (exit 1 when anything does).

A count in a sentence is Qt's `%n` (`self.tr("%n cases shown", "", count)`): the message is a
numerus one, Chinese has one form and English two, whose singular ENGLISH_SINGULAR gives
(a numerus message without its entry there fails the run, so "1 cases" never ships).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "resources" / "translations"
SOURCES = ROOT / "counter_app" / "ui"

#: the English singular of each `%n` message (the plural is the source text itself)
ENGLISH_SINGULAR = {
    "To review: %1 overtime · %n poor ratings": "To review: %1 overtime · %n poor rating",
    "%n follow-ups overdue": "%n follow-up overdue",
    "%n cases shown, %1 to review": "%n case shown, %1 to review",
    "Cause recorded for %n cases": "Cause recorded for %n case",
    "%n cases handed over to %1": "%n case handed over to %1",
    "(%n events waiting)": "(%n event waiting)",
    "Head office marked %n events invalid: see the log":
        "Head office marked %n event invalid: see the log",
    "Head office held %n reviews pending until their transaction arrives: see the log":
        "Head office held %n review pending until its transaction arrives: see the log",
}


def lupdate_command() -> list[str]:
    import PySide6

    folder = Path(PySide6.__file__).resolve().parent
    for name in ("lupdate", "lupdate.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    tool = shutil.which("pyside6-lupdate")
    if tool is None:
        sys.exit("pyside6-lupdate not found: install PySide6")
    return [tool]


def sources() -> list[Path]:
    return sorted(p for p in SOURCES.rglob("*.py") if "__pycache__" not in p.parts)


def run_lupdate(language: str) -> Path:
    ts = TRANSLATIONS / f"counter_app_{language}.ts"
    TRANSLATIONS.mkdir(parents=True, exist_ok=True)
    files = [str(p.relative_to(ROOT)) for p in sources()]
    subprocess.run([*lupdate_command(), "-no-obsolete", "-locations", "none",
                    "-source-language", "en", "-target-language", language,
                    *files, "-ts", str(ts.relative_to(ROOT))], cwd=ROOT, check=True)
    return ts


def fill_english(ts: Path) -> None:
    """English is the source language: each translation is its source text, finished."""
    tree = ET.parse(ts)
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        translation.attrib.pop("type", None)
        if message.get("numerus") == "yes":
            if source not in ENGLISH_SINGULAR:
                sys.exit(f"scripts/update_translations.py: add the English singular of "
                         f"{source!r} to ENGLISH_SINGULAR")
            for form in list(translation):
                translation.remove(form)
            translation.text = None
            for text in (ENGLISH_SINGULAR[source], source):
                ET.SubElement(translation, "numerusform").text = text
        else:
            translation.text = source
    write_ts(tree, ts)


def write_ts(tree: ET.ElementTree[ET.Element], ts: Path) -> None:
    ET.indent(tree, space="    ")
    root = tree.getroot()
    assert root is not None
    body = ET.tostring(root, encoding="unicode")
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n",
                  encoding="utf-8")


def unfinished(ts: Path) -> list[tuple[str, str]]:
    """(context, source) of every message without a finished, non-empty translation."""
    missing = []
    for context in ET.parse(ts).iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            forms = [f.text or "" for f in translation.iter("numerusform")] \
                if translation is not None and message.get("numerus") == "yes" else []
            text = " ".join(forms) if forms else (translation.text or "") \
                if translation is not None else ""
            if (translation is None or translation.get("type") in {"unfinished", "vanished",
                                                                    "obsolete"}
                    or not text.strip() or (forms and not all(f.strip() for f in forms))):
                missing.append((name, message.findtext("source") or ""))
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing translations")
    args = parser.parse_args()
    if not args.check:
        run_lupdate("zh_CN")
        fill_english(run_lupdate("en"))
    missing = unfinished(TRANSLATIONS / "counter_app_zh_CN.ts")
    for context, source in missing:
        print(f"untranslated [{context}] {source!r}")
    print(f"{len(missing)} text(s) without a Chinese translation")
    return 1 if missing and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
