"""Dates the DEA record-keeping rules impose: theft/loss reports, biennial inventory, record retention."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

# Written notice of theft or significant loss to the DEA Field Division within one business day of discovery,
# then DEA Form 106 electronically within 45 days (final rule effective 2023-07-24, DEA-106-2023).
NOTIFY_BUSINESS_DAYS = 1
FORM_106_DAYS = 45
# Inventory at least every two years after the initial one (21 CFR 1304.11(c), CFR-1304).
BIENNIAL_YEARS = 2
# Inventories and records kept at least two years from their date (21 CFR 1304.04(a), CFR-1304).
RETENTION_YEARS = 2


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (0 = Monday) of a month; n = -1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    # A holiday on Saturday is observed on Friday, on Sunday the following Monday (5 U.S.C. 6103(b)).
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


@cache
def us_federal_holidays(year: int) -> frozenset[date]:
    """Observed US federal holidays falling in ``year`` (5 U.S.C. 6103; Juneteenth from 2021).

    Includes New Year's Day of the next year when it is observed on 31 December of this one.
    """
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= 2021:
        fixed.append(date(year, 6, 19))
    days = {_observed(d) for d in fixed}
    days |= {
        _nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    }
    days.add(_observed(date(year + 1, 1, 1)))
    return frozenset(d for d in days if d.year == year)


def is_business_day(day: date, *, extra_holidays: frozenset[date] = frozenset()) -> bool:
    """Monday to Friday and not an observed federal holiday nor one of ``extra_holidays``."""
    return day.weekday() < 5 and day not in us_federal_holidays(day.year) and day not in extra_holidays


def add_business_days(day: date, count: int, *, extra_holidays: frozenset[date] = frozenset()) -> date:
    """The date ``count`` business days after ``day`` (``day`` itself is not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, extra_holidays=extra_holidays):
            remaining -= 1
    return current


@dataclass(frozen=True)
class TheftLossDeadlines:
    """When a theft or significant loss discovered on ``discovered_on`` must be reported (local dates)."""

    discovered_on: date
    notify_dea_by: date
    form_106_by: date


def theft_loss_deadlines(
    discovered_on: date, *, extra_holidays: frozenset[date] = frozenset()
) -> TheftLossDeadlines:
    """Written notice to DEA by the next business day; Form 106 within 45 calendar days (DEA-106-2023).

    ``discovered_on`` is the local calendar date of discovery. Business days skip weekends, observed federal
    holidays and ``extra_holidays``. The 45 days are calendar days counted from the discovery date.
    """
    return TheftLossDeadlines(
        discovered_on=discovered_on,
        notify_dea_by=add_business_days(discovered_on, NOTIFY_BUSINESS_DAYS, extra_holidays=extra_holidays),
        form_106_by=discovered_on + timedelta(days=FORM_106_DAYS),
    )


def add_years(day: date, years: int) -> date:
    """Same calendar date ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def biennial_inventory_due(last_inventory_on: date) -> date:
    """Latest date for the next biennial inventory: two years after the last one (21 CFR 1304.11(c))."""
    return add_years(last_inventory_on, BIENNIAL_YEARS)


def records_retained_until(record_on: date, *, years: int = RETENTION_YEARS) -> date:
    """Last day a record must still be kept: ``years`` (≥ 2 federally, 21 CFR 1304.04) after its date.

    A clinic may keep records longer (state rules, medical-record laws): pass a larger ``years``.
    """
    return add_years(record_on, max(years, RETENTION_YEARS))


def may_dispose_record(record_on: date, *, today: date, years: int = RETENTION_YEARS) -> bool:
    """True only after the retention period has fully run."""
    return today > records_retained_until(record_on, years=years)
