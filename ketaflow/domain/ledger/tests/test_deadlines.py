"""DEA dates: theft/loss notice and Form 106, biennial inventory, record retention."""

from __future__ import annotations

from datetime import date

import pytest

from ketaflow.domain.ledger import (
    biennial_inventory_due,
    is_business_day,
    may_dispose_record,
    records_retained_until,
    theft_loss_deadlines,
    us_federal_holidays,
)


@pytest.mark.parametrize(
    ("discovered", "notify_by", "form_106_by"),
    [
        (date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 16)),  # Monday → Tuesday
        (date(2026, 3, 6), date(2026, 3, 9), date(2026, 4, 20)),  # Friday → Monday
        (date(2026, 3, 7), date(2026, 3, 9), date(2026, 4, 21)),  # Saturday → Monday
        (
            date(2026, 7, 2),
            date(2026, 7, 6),
            date(2026, 8, 16),
        ),  # Jul 4 2026 is a Saturday, observed Fri Jul 3
        (date(2026, 11, 25), date(2026, 11, 27), date(2027, 1, 9)),  # Thanksgiving Thursday skipped
        (date(2026, 12, 24), date(2026, 12, 28), date(2027, 2, 7)),  # Christmas Friday
    ],
)
def test_theft_or_loss_deadlines(discovered: date, notify_by: date, form_106_by: date) -> None:
    deadlines = theft_loss_deadlines(discovered)
    assert deadlines.notify_dea_by == notify_by
    assert deadlines.form_106_by == form_106_by


def test_extra_closure_days_are_skipped() -> None:
    assert theft_loss_deadlines(
        date(2026, 3, 2), extra_holidays=frozenset({date(2026, 3, 3)})
    ).notify_dea_by == date(2026, 3, 4)


def test_federal_holidays_2026() -> None:
    holidays = us_federal_holidays(2026)
    assert date(2026, 1, 19) in holidays  # Martin Luther King Jr. Day
    assert date(2026, 5, 25) in holidays  # Memorial Day
    assert date(2026, 6, 19) in holidays  # Juneteenth
    assert date(2026, 7, 3) in holidays  # Independence Day observed
    assert date(2026, 11, 26) in holidays  # Thanksgiving
    assert len(holidays) == 11
    assert not is_business_day(date(2026, 11, 26))
    assert is_business_day(date(2026, 11, 27))


def test_new_year_on_saturday_is_observed_on_the_previous_friday() -> None:
    assert date(2027, 12, 31) in us_federal_holidays(2027) | us_federal_holidays(2028)
    assert not is_business_day(date(2027, 12, 31))


def test_biennial_inventory_is_due_two_years_after_the_last() -> None:
    assert biennial_inventory_due(date(2026, 3, 2)) == date(2028, 3, 2)
    assert biennial_inventory_due(date(2028, 2, 29)) == date(2030, 2, 28)


def test_records_are_kept_at_least_two_years() -> None:
    assert records_retained_until(date(2026, 3, 2)) == date(2028, 3, 2)
    assert not may_dispose_record(date(2026, 3, 2), today=date(2028, 3, 2))
    assert may_dispose_record(date(2026, 3, 2), today=date(2028, 3, 3))
    assert records_retained_until(date(2026, 3, 2), years=5) == date(2031, 3, 2)
