"""SPRAVATO REMS Patient Monitoring Form: due within 7 days of the session."""

from datetime import date

import pytest

from ketaflow.domain.monitoring import rems_pmf_due_date, rems_pmf_status


def test_session_on_2_march_is_due_by_9_march() -> None:
    assert rems_pmf_due_date(date(2026, 3, 2)) == date(2026, 3, 9)


def test_due_date_crosses_month_and_year_ends() -> None:
    assert rems_pmf_due_date(date(2026, 12, 28)) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("today", "submitted_on", "overdue", "days_left"),
    [
        (date(2026, 3, 2), None, False, 7),
        (date(2026, 3, 9), None, False, 0),
        (date(2026, 3, 10), None, True, -1),
        (date(2026, 3, 12), date(2026, 3, 5), False, None),
        (date(2026, 3, 12), date(2026, 3, 11), True, None),  # submitted, but late
    ],
)
def test_pmf_status(today: date, submitted_on: date | None, overdue: bool, days_left: int | None) -> None:
    status = rems_pmf_status(session_date=date(2026, 3, 2), today=today, submitted_on=submitted_on)
    assert status.due_on == date(2026, 3, 9)
    assert status.overdue is overdue
    assert status.days_left == days_left
    assert status.submitted is (submitted_on is not None)
