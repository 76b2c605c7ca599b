"""The working-day calendar the counter counts follow-up deadlines on (counter_core.workdays).

Head office sets it (`counter-hq calendar set`); the sync fetches it into the data folder
(`calendar.json`, with its ETag), and the counter uses that cached copy, or the calendars it
ships (resources/calendar_*.toml) until it has fetched one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from counter_app.paths import resources_root
from counter_app.sync.protocol import HeadOfficeClient, SyncError
from counter_core.workdays import CalendarError, WorkCalendar

__all__ = ["CALENDAR_FILE", "cached_calendar", "refresh_calendar", "shipped_calendar"]

CALENDAR_FILE = "calendar.json"


def shipped_calendar() -> WorkCalendar:
    """The calendars shipped with the app, every year's file in one."""
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for path in sorted(resources_root().glob("calendar_*.toml")):
        cal = WorkCalendar.from_toml(path.read_text(encoding="utf-8"))
        holidays |= cal.holidays
        workdays |= cal.workdays
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


def cached_calendar(data_dir: Path | None) -> WorkCalendar:
    """Head office's calendar as last fetched into `data_dir`, else the shipped one."""
    if data_dir is not None:
        path = Path(data_dir) / CALENDAR_FILE
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            return WorkCalendar.from_mapping(stored["calendar_file"])
        except (OSError, ValueError, KeyError, TypeError, CalendarError):
            pass  # none fetched yet, or unreadable: the shipped calendar until the next sync
    return shipped_calendar()


def refresh_calendar(data_dir: Path, client: HeadOfficeClient) -> bool:
    """Fetch head office's calendar into the data folder when it changed; True if it did.
    A failure leaves the cached copy as it was (the sync goes on without it)."""
    path = Path(data_dir) / CALENDAR_FILE
    etag: str | None = None
    try:
        etag = json.loads(path.read_text(encoding="utf-8")).get("etag")
    except (OSError, ValueError, AttributeError):
        etag = None
    try:
        answer = client.calendar(etag)
    except SyncError:
        return False
    if answer is None:
        return False
    new_etag, mapping = answer
    try:
        WorkCalendar.from_mapping(mapping)
    except CalendarError:
        return False
    temp = path.with_suffix(".tmp")
    text = json.dumps({"etag": new_etag, "calendar_file": mapping}, ensure_ascii=False)
    try:
        # private like the folder's other files (docs/data_folder.md)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError:
        return False  # the cached copy stays as it was
    return True
