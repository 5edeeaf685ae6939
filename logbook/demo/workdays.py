"""Working days for the demo: no entry, session or event falls on a weekend or on a bank holiday in
England and Wales (the `holidays` package's GB/ENG calendar, the same dates as the public list at
https://www.gov.uk/bank-holidays, substitute days included)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays


@cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: dt.date) -> bool:
    """A bank holiday in England and Wales (Christmas Day, Boxing Day, Easter Monday, ...)."""
    return day in _bank_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday."""
    return day.weekday() < 5 and not is_bank_holiday(day)


def on_or_before(day: dt.date) -> dt.date:
    """The latest working day on or before this one."""
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def on_or_after(day: dt.date) -> dt.date:
    """The first working day on or after this one."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day
