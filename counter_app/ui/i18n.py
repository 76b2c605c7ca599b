"""Translation files: compile the .ts sources to .qm with Qt's lrelease when missing or stale."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import platformdirs
import PySide6
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from counter_app import paths

log = logging.getLogger(__name__)

#: The languages the staff and manager UI are translated into (English is the source language).
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
CATALOGUE = "counter_app"


def ts_path(language: str) -> Path:
    """The translation source of `language` (in the repository, not in a frozen bundle)."""
    return paths.resource_path("translations", f"{CATALOGUE}_{language}.ts")


def lrelease_command() -> list[str] | None:
    """How to run Qt's lrelease: the binary in the PySide6 wheel, else pyside6-lrelease."""
    folder = Path(PySide6.__file__).resolve().parent
    for name in ("lrelease", "lrelease.exe"):
        if (folder / name).is_file():
            return [str(folder / name)]
    tool = shutil.which("pyside6-lrelease")
    return [tool] if tool else None


def is_stale(ts: Path, qm: Path) -> bool:
    return not qm.is_file() or qm.stat().st_mtime < ts.stat().st_mtime


def compile_ts(ts: Path, qm: Path) -> bool:
    """Compile one .ts to .qm; False (and a log line) when lrelease is missing or fails."""
    command = lrelease_command()
    if command is None:
        log.warning("lrelease not found: %s not compiled", ts.name)
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    import subprocess  # only where a .qm is missing (a source checkout): not at every start

    done = subprocess.run([*command, "-silent", str(ts), "-qm", str(qm)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0 or not qm.is_file():
        log.warning("lrelease failed on %s: %s", ts.name, done.stderr.strip())
        return False
    return True


def compile_all(out_dir: Path | None = None) -> list[Path]:
    """Compile every language's .ts whose .qm is missing or older; returns the .qm files."""
    out = out_dir or paths.resource_path("translations")
    compiled = []
    for language in LANGUAGES:
        ts = ts_path(language)
        qm = out / f"{CATALOGUE}_{language}.qm"
        if ts.is_file() and (not is_stale(ts, qm) or compile_ts(ts, qm)):
            compiled.append(qm)
    return compiled


def translations_dir(language: str) -> Path:
    """The folder holding an up-to-date `counter_app_<language>.qm`.

    Frozen bundles carry compiled .qm files. From source, a missing or stale .qm is compiled
    next to its .ts, or into the user cache folder when the source tree is read-only, so a
    newcomer's `language = "zh_CN"` shows Chinese without a build step.
    """
    shipped = paths.resource_path("translations")
    ts = ts_path(language)
    if getattr(sys, "frozen", False) or not ts.is_file():
        return shipped
    qm_name = f"{CATALOGUE}_{language}.qm"
    if not is_stale(ts, shipped / qm_name):
        return shipped
    if os.access(shipped, os.W_OK) and compile_ts(ts, shipped / qm_name):
        return shipped
    cache = Path(platformdirs.user_cache_dir(paths.APP_NAME, appauthor=False)) / "translations"
    if not is_stale(ts, cache / qm_name) or compile_ts(ts, cache / qm_name):
        return cache
    return shipped


def install_translator(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Load our .qm and Qt's own for `language`; English is the source language."""
    loaded = []
    QLocale.setDefault(QLocale(language))
    for name, folder in (
        (f"counter_app_{language}", str(translations_dir(language))),
        (f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
    ):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            loaded.append(translator)
    return loaded
