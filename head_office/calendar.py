"""The working-day calendar head office keeps for every hall (counter_core.workdays).

`counter-hq calendar set --file F` stores a calendar file's years (a year given replaces that
year, the others stay); `GET /api/v1/calendar` answers the whole calendar with an ETag, which
the counters fetch with their sync and count follow-up deadlines on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import delete, select

from counter_core.periods import utc_now
from counter_core.workdays import WorkCalendar
from head_office.schema import work_calendar
from head_office.store import Store, database_errors

__all__ = ["calendar_etag", "read_calendar", "set_calendar"]


def set_calendar(store: Store, calendar: WorkCalendar) -> tuple[int, ...]:
    """Store the calendar's years (each replacing what head office held for it)."""
    now = utc_now()
    mapping = calendar.to_mapping()["calendar"]
    with database_errors(), store.engine.begin() as conn:
        for year, table in mapping.items():
            conn.execute(delete(work_calendar).where(work_calendar.c.year == int(year)))
            conn.execute(
                work_calendar.insert().values(
                    year=int(year),
                    holidays=json.dumps(table["holidays"]),
                    workdays=json.dumps(table["workdays"]),
                    set_at=now,
                )
            )
    return tuple(int(y) for y in mapping)


def read_calendar(store: Store) -> WorkCalendar | None:
    """The calendar head office holds, None when none was set."""
    with database_errors(), store.reader.connect() as conn:
        rows = conn.execute(select(work_calendar).order_by(work_calendar.c.year)).all()
    if not rows:
        return None
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for row in rows:
        holidays |= {dt.date.fromisoformat(d) for d in json.loads(row.holidays)}
        workdays |= {dt.date.fromisoformat(d) for d in json.loads(row.workdays)}
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


def calendar_etag(calendar: WorkCalendar) -> str:
    """A strong ETag of the calendar's content (the same calendar, the same tag)."""
    body = json.dumps(calendar.to_mapping(), sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
