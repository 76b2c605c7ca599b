"""Time as the records keep it: UTC "Z" strings, and local days and months in the hall's zone.

Every local day, month and working day is counted in the hall's time zone (an IANA name from
the configuration), never in the zone of the machine that happens to run the code: a server
in UTC or a counter PC with a wrong zone would otherwise move transactions into another day,
month and star.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The zone of the demo configuration and of head office when none is configured.
DEFAULT_TIME_ZONE = "Asia/Shanghai"

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A date, month or zone that cannot be read; the message names what was expected."""


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` (tzdata supplies the database where the system has none)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(f"unknown time zone {name!r}; expected an IANA name such as "
                          f"{DEFAULT_TIME_ZONE!r}") from None


def format_utc(moment: dt.datetime) -> str:
    """An aware datetime as the records write it: UTC, milliseconds, "Z"."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now() -> str:
    return format_utc(dt.datetime.now(dt.UTC))


def parse_utc(text: str) -> dt.datetime:
    """A stored UTC string ("…Z" or "+00:00") as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def parse_month(text: str) -> dt.date:
    """The first day of the month YYYY-MM."""
    if not _MONTH.match(text):
        raise PeriodError(f"expected a month YYYY-MM, got {text!r}")
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def next_month(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def local_hhmm(utc_text: str | None, in_zone: dt.tzinfo | None = None) -> str:
    """"10:45" of a UTC record time in the hall's zone ("--:--" when unreadable)."""
    if not utc_text:
        return "--:--"
    try:
        moment = dt.datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    except ValueError:
        return "--:--"
    return moment.astimezone(in_zone).strftime("%H:%M")


@lru_cache(maxsize=4096)  # a pure function of its day, asked for the same days over and over
def local_midnight_utc(day: dt.date, tz: str) -> str:
    """00:00 of `day` in the zone `tz`, as a UTC record string."""
    return format_utc(dt.datetime.combine(day, dt.time(), tzinfo=zone(tz)))


def local_date(utc_text: str, tz: str) -> dt.date:
    """The local day, in the zone `tz`, of a stored UTC moment."""
    return parse_utc(utc_text).astimezone(zone(tz)).date()


def local_time(utc_text: str, tz: str) -> dt.datetime:
    return parse_utc(utc_text).astimezone(zone(tz))


def today(tz: str, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(zone(tz)).date()


@dataclass(frozen=True)
class Period:
    """[start_utc, end_utc) as the UTC strings events carry, and its label."""

    label: str
    start_utc: str
    end_utc: str


def day_period(day: dt.date, tz: str) -> Period:
    return Period(day.isoformat(), local_midnight_utc(day, tz),
                  local_midnight_utc(day + dt.timedelta(days=1), tz))


def days_period(first: dt.date, last: dt.date, tz: str) -> Period:
    """The local days first..last inclusive."""
    return Period(f"{first.isoformat()}..{last.isoformat()}", local_midnight_utc(first, tz),
                  local_midnight_utc(last + dt.timedelta(days=1), tz))


def month_period(month: str, tz: str) -> Period:
    """The calendar month YYYY-MM in the zone `tz`."""
    first = parse_month(month)
    return Period(month, local_midnight_utc(first, tz), local_midnight_utc(next_month(first), tz))


def day_bounds_utc(start: dt.date | None, end: dt.date | None,
                   tz: str) -> tuple[str | None, str | None]:
    """[start 00:00, end+1 00:00) in the zone `tz` as UTC strings; an open end stays None."""
    return (local_midnight_utc(start, tz) if start else None,
            local_midnight_utc(end + dt.timedelta(days=1), tz) if end else None)

