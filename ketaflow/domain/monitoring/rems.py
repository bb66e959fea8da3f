"""SPRAVATO REMS Patient Monitoring Form deadline: submitted within 7 days after each outpatient session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# REMS-PMF (Janssen form 11/2021): submit after every outpatient session, within 7 days
PMF_SUBMISSION_DAYS = 7


@dataclass(frozen=True)
class PmfStatus:
    """``days_left`` counts calendar days to the due date (negative when late); ``None`` once submitted."""

    due_on: date
    submitted: bool
    overdue: bool
    days_left: int | None


def rems_pmf_due_date(session_date: date) -> date:
    """Last calendar day (clinic local date) on which the form for a session on ``session_date`` is on time."""
    return session_date + timedelta(days=PMF_SUBMISSION_DAYS)


def rems_pmf_status(*, session_date: date, today: date, submitted_on: date | None) -> PmfStatus:
    """Whether the Patient Monitoring Form is still due, overdue, or was submitted (on time or late)."""
    due = rems_pmf_due_date(session_date)
    if submitted_on is not None:
        return PmfStatus(due_on=due, submitted=True, overdue=submitted_on > due, days_left=None)
    return PmfStatus(due_on=due, submitted=False, overdue=today > due, days_left=(due - today).days)
