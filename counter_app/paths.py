"""Where things live: the data folder, and resources both frozen (PyInstaller) and from source."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs

APP_NAME = "counter-app"


def resources_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(data_dir: Path) -> Path:
    return data_dir / "counter.sqlite"


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"
