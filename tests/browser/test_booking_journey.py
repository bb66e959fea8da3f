"""Journey: a person books a consultation online, gets the email with the .ics, cancels from the link; the
front desk books a caller by phone and sees it on the day view. axe on each page, screenshots kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketaflow.scheduling.models import Appointment
from ketaflow.scheduling.tests.factories import next_weekday_at
from ketaflow.testing import ARTIFACTS, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"booking-{name}.png"), full_page=True)


def test_online_booking_email_and_cancel_by_link(clinic: Any, page: Any, mailoutbox: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    day = next_weekday_at(9).date()
    page.goto(f"{page.base_url}/book/?location=west-des-moines&from={day.isoformat()}")
    assert axe_violations(page) == []
    _shot(page, "1-times")
    page.get_by_role("button", name=re.compile(r"^9:30 AM on .* with Paul Haddad")).first.click()
    page.wait_for_url("**/book/details/")
    expect(page.get_by_text("We are holding this time for you until")).to_be_visible()
    page.get_by_label("First name").fill("Jamie")
    page.get_by_label("Last name").fill("Synthetic")
    page.get_by_label("Date of birth").fill("1985-07-14")
    page.get_by_role("textbox", name="Email").fill("jamie.synthetic@example.invalid")
    page.get_by_label("Mobile phone").fill("515-555-0142")
    page.get_by_label("Depression").check()
    page.get_by_label("The clinic may contact me").check()
    assert axe_violations(page) == []
    _shot(page, "2-details")
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/book/confirmed/")
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    _shot(page, "3-confirmed")

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    name, ics, mimetype = email.attachments[0]
    assert name == "appointment.ics" and mimetype == "text/calendar"
    ics_text = ics.decode() if isinstance(ics, bytes) else ics
    assert "BEGIN:VEVENT" in ics_text and "West Des Moines" in ics_text
    link = re.search(r"https?://\S+/appointments/manage/\S+/", email.body).group(0)
    path = link.split("/appointments/", 1)[1]
    page.goto(f"{page.base_url}/appointments/{path}")
    assert axe_violations(page) == []
    page.get_by_label("Reason (optional)").fill("Found a closer appointment")
    page.get_by_role("button", name="Cancel my appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    _shot(page, "4-cancelled")
    assert Appointment.objects.get().status == "cancelled"
    assert page.console_errors == []


def test_front_desk_books_a_caller_and_sees_it_on_the_day_view(clinic: Any, page: Any) -> None:
    browser_login(page, "frank")
    page.wait_for_url(f"{page.base_url}/staff/")
    start = next_weekday_at(11)
    page.goto(f"{page.base_url}/staff/schedule/book/?from={start.date().isoformat()}")
    assert axe_violations(page) == []
    page.get_by_label("11:00 AM · Paul Haddad").first.check()
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Caller")
    page.get_by_label("Date of birth").fill("1970-02-03")
    page.get_by_role("textbox", name="Email").fill("casey.caller@example.invalid")
    page.get_by_label("Mobile phone").fill("(515) 555-0177")
    page.get_by_label("Reason for the consultation").select_option("pain")
    _shot(page, "5-phone")
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url("**/staff/schedule/?day=*")
    expect(page.get_by_text("Caller, Casey")).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "6-day-view")
    appointment = Appointment.objects.get()
    assert appointment.channel == "phone" and appointment.status == "booked"
    assert page.console_errors == []
