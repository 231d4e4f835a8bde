"""Working days in England: Monday to Friday, without England's bank holidays (from the `holidays` package)."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


@functools.cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`th working day after `start` (start itself never counts)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def local_date(moment: datetime) -> date:
    """The date in England at this moment: deadlines are dates people read on a calendar."""
    return moment.astimezone(LONDON).date()


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from one moment to another, counting the days after `start` up to `end`'s date."""
    day, last, count = local_date(start), local_date(end), 0
    while day < last:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
