"""Where things live: the data folder, and resources both frozen (PyInstaller) and from source.

A real counter's data folder is machine-wide, one per hall and counter, the same whichever
clerk's login starts the app (`machine_data_dir`); the embedded demo configuration has a
per-user folder of its own (`demo_data_dir`), so a demo never writes into a real chain.
docs/data_folder.md says where each is and who can read it.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import platformdirs

APP_NAME = "counter-app"
#: the folder name under %ProgramData% (Windows) and /Library/Application Support (macOS)
MACHINE_APP_NAME = "Counter App"
#: Linux and other Unix systems: the machine-wide base, one subfolder per hall and counter
UNIX_MACHINE_ROOT = Path("/var/lib/counter-app")


def resources_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)


def user_data_root() -> Path:
    """This OS user's own folder (before item 19 it was every configuration's data folder)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def demo_data_dir() -> Path:
    """The demo configuration's data folder: per user, never a real counter's."""
    return user_data_root() / "demo"


def machine_data_root() -> Path:
    """The machine-wide base of real counters' data folders."""
    if sys.platform == "win32":
        base = os.environ.get("PROGRAMDATA") or os.environ.get("ALLUSERSPROFILE") \
            or r"C:\ProgramData"
        return Path(base) / MACHINE_APP_NAME
    if sys.platform == "darwin":
        return Path("/Library/Application Support") / MACHINE_APP_NAME
    return UNIX_MACHINE_ROOT


def folder_name(hall: str, counter: str) -> str:
    """`<hall>-<counter>`, with anything a file name cannot hold replaced by `_`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{hall}-{counter}")


def machine_data_dir(hall: str, counter: str) -> Path:
    """A real counter's data folder: machine-wide, named after its hall and counter."""
    return machine_data_root() / folder_name(hall, counter)


def default_data_dir(hall: str | None = None, counter: str | None = None, *,
                     demo: bool = True) -> Path:
    """The demo's folder, or (`demo=False`) the machine-wide folder of `hall`'s `counter`."""
    if demo or hall is None or counter is None:
        return demo_data_dir()
    return machine_data_dir(hall, counter)


def database_path(data_dir: Path) -> Path:
    return data_dir / "counter.sqlite"


def backups_dir(data_dir: Path) -> Path:
    return data_dir / "backups"


def readable_by_others(path: Path) -> bool:
    """Whether users other than the owner may read `path` (POSIX modes; False elsewhere, and
    for a file that is not there)."""
    if os.name != "posix":
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
