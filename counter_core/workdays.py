"""Working days: the 好差评 deadline of a poor-rating follow-up.

A follow-up of a poor rating is due within a number of working days (5 by default), counted
in the hall's time zone on a yearly calendar set at head office: Saturdays and Sundays off,
the public holidays off, and the make-up working days (调休) on, even on a weekend.

The calendar file is TOML, one table per year::

    [calendar.2026]
    holidays = ["2026-01-01", "2026-01-02"]
    workdays = ["2026-01-04"]

The day of the rating counts as day 0; the follow-up is due at the end of the n-th working day
after it (local time), and overdue from the next local midnight on.

Plain Python: no Qt, no database; the counter, head office and the tests share it.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from counter_core.periods import parse_utc, zone

__all__ = [
    "DEFAULT_FOLLOW_UP_WORKING_DAYS",
    "CalendarError",
    "WorkCalendar",
    "add_working_days",
    "due_date",
    "due_moment",
    "is_overdue",
]

#: 好差评: a poor rating is followed up within 5 working days unless configured otherwise
DEFAULT_FOLLOW_UP_WORKING_DAYS = 5
#: the most working days a deadline may be configured to
MAX_FOLLOW_UP_WORKING_DAYS = 60
#: Monday is 0: Saturday and Sunday
WEEKEND = frozenset({5, 6})
#: a year's list cannot be longer than the year
_MAX_DATES_PER_YEAR = 366


class CalendarError(ValueError):
    """A calendar file or mapping that cannot be read; the message names the year and entry."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days: weekdays, less `holidays`, plus `workdays` (调休)."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    weekend: frozenset[int] = WEEKEND

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            first = min(both).isoformat()
            raise CalendarError(f"{first} is both a holiday and a make-up working day")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({d.year for d in self.holidays | self.workdays}))

    # ---- the file format ------------------------------------------------------------------

    @classmethod
    def from_toml(cls, text: str) -> WorkCalendar:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CalendarError(f"not a TOML calendar file: {exc}") from None
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkCalendar:
        """From `{"calendar": {"2026": {"holidays": [...], "workdays": [...]}}}`."""
        years = data.get("calendar") if isinstance(data, Mapping) else None
        if not isinstance(years, Mapping) or not years:
            raise CalendarError("expected at least one [calendar.YYYY] table")
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        for year_text, table in years.items():
            if not (isinstance(year_text, str) and year_text.isdigit() and len(year_text) == 4):
                raise CalendarError(f"calendar.{year_text}: expected a year YYYY")
            if not isinstance(table, Mapping):
                raise CalendarError(f"calendar.{year_text}: expected a table")
            unknown = set(table) - {"holidays", "workdays"}
            if unknown:
                raise CalendarError(
                    f"calendar.{year_text}: unknown key "
                    f"{sorted(unknown)[0]!r}; expected holidays, workdays"
                )
            year = int(year_text)
            holidays |= _dates(table.get("holidays", []), year, f"calendar.{year_text}.holidays")
            workdays |= _dates(table.get("workdays", []), year, f"calendar.{year_text}.workdays")
        return cls(frozenset(holidays), frozenset(workdays))

    def to_mapping(self) -> dict[str, Any]:
        """The calendar as the file format's mapping (the JSON head office answers)."""
        out: dict[str, Any] = {}
        for year in self.years:
            out[str(year)] = {
                "holidays": sorted(d.isoformat() for d in self.holidays if d.year == year),
                "workdays": sorted(d.isoformat() for d in self.workdays if d.year == year),
            }
        return {"calendar": out}

    def to_toml(self) -> str:
        lines: list[str] = []
        for year, table in self.to_mapping()["calendar"].items():
            lines.append(f"[calendar.{year}]")
            for name in ("holidays", "workdays"):
                lines.append(f"{name} = {json.dumps(table[name])}")
            lines.append("")
        return "\n".join(lines)


def _dates(values: Any, year: int, where: str) -> set[dt.date]:
    if not isinstance(values, list):
        raise CalendarError(f"{where}: expected a list of dates YYYY-MM-DD")
    if len(values) > _MAX_DATES_PER_YEAR:
        raise CalendarError(f"{where}: more dates than a year has")
    out: set[dt.date] = set()
    for value in values:
        try:
            day = dt.date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            raise CalendarError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise CalendarError(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
        if day.year != year:
            raise CalendarError(f"{where}: {day.isoformat()} is not in {year}")
        out.add(day)
    return out


def add_working_days(start: dt.date, n: int, calendar: WorkCalendar) -> dt.date:
    """The n-th working day after `start` (`start` itself is day 0, working or not)."""
    if n < 0:
        raise ValueError("n must be 0 or more")
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def due_date(rated_at_utc: str | dt.datetime, tz: str, n: int, calendar: WorkCalendar) -> dt.date:
    """The local day by whose end a poor rating made at `rated_at_utc` must be followed up."""
    moment = parse_utc(rated_at_utc) if isinstance(rated_at_utc, str) else rated_at_utc
    return add_working_days(moment.astimezone(zone(tz)).date(), n, calendar)


def due_moment(due: dt.date, tz: str) -> dt.datetime:
    """The first moment (UTC) past the deadline: local midnight after the due day."""
    local = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(), tzinfo=zone(tz))
    return local.astimezone(dt.UTC)


def is_overdue(
    rated_at_utc: str | dt.datetime,
    now_utc: str | dt.datetime,
    tz: str,
    n: int,
    calendar: WorkCalendar,
) -> bool:
    """Whether a rating still without a follow-up is past its deadline at `now_utc`."""
    now = parse_utc(now_utc) if isinstance(now_utc, str) else now_utc
    return now >= due_moment(due_date(rated_at_utc, tz, n, calendar), tz)
