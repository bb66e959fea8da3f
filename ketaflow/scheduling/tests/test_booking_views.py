from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.scheduling.models import Appointment
from ketaflow.scheduling.services import BookingDetails
from ketaflow.scheduling.tests.factories import booked_appointment, next_weekday_at
from ketaflow.testing import login

pytestmark = pytest.mark.django_db

GOOD_DETAILS = {
    "first_name": "Robin",
    "last_name": "Example",
    "date_of_birth": "1979-03-04",
    "email": "robin@example.invalid",
    "mobile_phone": "515 555 0199",
    "reason": "depression",
    "heard_about": "doctor",
    "consent_to_contact": "on",
    "website": "",
}


def _slot_post(clinic: Any, start: dt.datetime, provider: str = "paul") -> dict[str, str]:
    return {
        "consultation_type": "new-patient-consultation",
        "location": "west-des-moines",
        "provider": str(clinic.user(provider).uuid),
        "start": start.isoformat(),
    }


def test_booking_page_lists_free_times_per_location(clinic: Any) -> None:
    response = Client().get(
        reverse("scheduling:book"),
        {"location": "west-des-moines", "from": next_weekday_at(9).date().isoformat()},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Free times" in body and "8:30 AM" in body and "Paul Haddad" in body


def test_online_booking_end_to_end_with_email_and_cancel_link(
    clinic: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    start = next_weekday_at(9)
    response = client.post(reverse("scheduling:hold"), _slot_post(clinic, start))
    assert response.status_code == 302 and response["Location"] == reverse("scheduling:details")
    page = client.get(reverse("scheduling:details")).content.decode()
    assert "We are holding this time for you until" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scheduling:details"), GOOD_DETAILS)
    assert response.status_code == 302
    assert "You are booked" in client.get(reverse("scheduling:confirmed")).content.decode()
    appointment = Appointment.objects.get(status="booked")
    assert appointment.channel == "online" and appointment.patient.mobile_phone == "(515) 555-0199"
    token = re.search(r"/appointments/manage/([\w-]+)/", mailoutbox[0].body).group(1)
    manage = client.get(reverse("scheduling:manage", args=[token]))
    assert "Cancel my appointment" in manage.content.decode()
    client.post(reverse("scheduling:manage", args=[token]), {"action": "cancel", "reason": "Changed my mind"})
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2015-01-01", "The clinic treats adults"),
        ("date_of_birth", "2999-01-01", "The date of birth is in the future."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("mobile_phone", "555-12", "Enter a 10-digit US mobile number"),
        ("reason", "", "This field is required."),
    ],
)
def test_bad_details_show_field_errors_and_book_nothing(
    clinic: Any, field: str, value: str, message: str
) -> None:
    client = Client()
    client.post(reverse("scheduling:hold"), _slot_post(clinic, next_weekday_at(9)))
    response = client.post(reverse("scheduling:details"), {**GOOD_DETAILS, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.filter(status="booked").exists()


def test_honeypot_submission_books_nothing(clinic: Any) -> None:
    client = Client()
    client.post(reverse("scheduling:hold"), _slot_post(clinic, next_weekday_at(9)))
    response = client.post(reverse("scheduling:details"), {**GOOD_DETAILS, "website": "http://spam.example"})
    assert response.status_code == 200
    assert not Appointment.objects.filter(status="booked").exists()


def test_taken_slot_shows_a_friendly_message_with_three_alternatives(clinic: Any) -> None:
    start = next_weekday_at(9)
    booked_appointment(clinic, starts_at=start)
    response = Client().post(reverse("scheduling:hold"), _slot_post(clinic, start))
    body = response.content.decode()
    assert response.status_code == 409
    assert "just booked by someone else" in body
    assert body.count('class="slot-button"') == 3


def test_a_past_time_is_refused_with_a_message(clinic: Any) -> None:
    response = Client().post(
        reverse("scheduling:hold"), _slot_post(clinic, timezone.now() - dt.timedelta(hours=1)), follow=True
    )
    assert "That time is in the past" in response.content.decode()
    assert not Appointment.objects.exists()


def test_details_without_a_hold_goes_back_to_step_one(clinic: Any) -> None:
    response = Client().post(reverse("scheduling:details"), GOOD_DETAILS)
    assert response.status_code == 302 and response["Location"] == reverse("scheduling:book")
    assert not Appointment.objects.exists()


def test_front_desk_books_a_phone_consultation_and_sees_it_on_the_day_view(clinic: Any) -> None:
    client = login(Client(), clinic.user("frank"))
    start = next_weekday_at(11)
    page = client.get(reverse("scheduling:phone_book"), {"from": start.date().isoformat()})
    value = f"{clinic.user('paul').uuid}|{start.astimezone(dt.UTC).isoformat()}"
    assert value in page.content.decode()
    response = client.post(
        reverse("scheduling:phone_book"),
        {**GOOD_DETAILS, "consultation_type": "new-patient-consultation", "slot": value},
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get(status="booked")
    assert appointment.channel == "phone" and appointment.booked_by == clinic.user("frank")
    day = client.get(reverse("scheduling:calendar"), {"day": start.date().isoformat()}).content.decode()
    assert "Example, Robin" in day and "Phone" in day


def test_calendar_query_count_is_constant(clinic: Any, django_assert_num_queries: Any) -> None:
    client = login(Client(), clinic.user("frank"))
    day = next_weekday_at(9).date().isoformat()
    client.get(reverse("scheduling:calendar"), {"day": day})
    # Expect 7 queries: session, user, OTP device, the user's locations, the day's appointments (with
    # patient, prescriber, type and room joined), the location's prescribers, the location ids for the nav.
    with django_assert_num_queries(6) as ctx:
        client.get(reverse("scheduling:calendar"), {"day": day})
    for hour in (9, 10, 11, 13, 14):
        from ketaflow.scheduling.tests.factories import DETAILS

        booked_appointment(
            clinic,
            starts_at=next_weekday_at(hour),
            details=DETAILS.__class__(**{**DETAILS.__dict__, "email": f"p{hour}@example.invalid"}),
        )
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(reverse("scheduling:calendar"), {"day": day})


def test_slot_search_query_count_does_not_grow_with_appointments(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.clinics.models import Closure
    from ketaflow.scheduling.selectors import slot_search
    from ketaflow.scheduling.tests.factories import DETAILS, new_patient_type

    consultation_type = new_patient_type()
    # Fresh read (as under the booking lock), 8 queries: locations, opening hours, closures, rooms,
    # availability templates, exceptions, consultation-type buffers, live appointments.
    with django_assert_num_queries(8):
        slot_search(consultation_type=consultation_type, fresh=True)
    # Cached read: only the schedule version.
    slot_search(consultation_type=consultation_type)
    with django_assert_num_queries(1):
        slot_search(consultation_type=consultation_type)
    for hour in (9, 10, 11):
        booked_appointment(
            clinic,
            starts_at=next_weekday_at(hour),
            details=DETAILS.__class__(**{**DETAILS.__dict__, "email": f"q{hour}@example.invalid"}),
        )
    with django_assert_num_queries(8):
        slot_search(consultation_type=consultation_type, fresh=True)
    # The bookings bumped the schedule version: the next cached read sees them.
    slots = slot_search(consultation_type=consultation_type)
    assert not any(s.start == next_weekday_at(10) and s.provider_id == clinic.user("paul").pk for s in slots)
    # So does a closure a manager adds.
    day = next_weekday_at(14).date()
    Closure.objects.create(location=clinic.wdm, starts_on=day, ends_on=day, reason="Staff training")
    slots = slot_search(consultation_type=consultation_type, location_ids=[clinic.wdm.pk])
    assert not any(timezone.localtime(s.start).date() == day for s in slots)


def test_public_booking_page_needs_at_most_five_queries(
    clinic: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    url = reverse("scheduling:book") + "?location=west-des-moines"
    client.get(url)
    # Expect 4 queries: consultation types, locations, the schedule version (slot inputs are cached),
    # the prescribers shown next to the times.
    with django_assert_max_num_queries(5):
        assert client.get(url).status_code == 200


def test_inbox_lists_online_bookings_and_updates_their_status(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.post(reverse("scheduling:hold"), _slot_post(clinic, next_weekday_at(9)))
    client.post(reverse("scheduling:details"), GOOD_DETAILS)
    appointment = Appointment.objects.get(status="booked")
    desk = login(Client(), clinic.user("frank"))
    assert "Example, Robin" in desk.get(reverse("scheduling:inbox")).content.decode()
    desk.post(reverse("scheduling:inbox_update", args=[appointment.uuid]), {"inbox_status": "contacted"})
    appointment.refresh_from_db()
    assert appointment.inbox_status == "contacted"
    assert "Example, Robin" not in desk.get(reverse("scheduling:inbox")).content.decode()


def test_booking_posts_are_rate_limited_per_address(clinic: Any) -> None:
    client = Client()
    statuses = [client.post(reverse("scheduling:hold"), {"start": "bad"}).status_code for _ in range(11)]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
    assert not Appointment.objects.exists()


def test_shared_screening_is_linked_to_the_booking_and_shown_in_the_inbox(clinic: Any) -> None:
    from ketaflow.public.models import ScreeningResult

    screening = ScreeningResult.objects.create(
        path="depression",
        answers={"trials": 3},
        summary="Three antidepressants tried",
        consent_to_store=True,
        rules_version="1",
    )
    client = Client()
    session = client.session
    session["ketaflow_screening_uuid"] = str(screening.uuid)
    session.save()
    client.post(reverse("scheduling:hold"), _slot_post(clinic, next_weekday_at(9)))
    client.post(reverse("scheduling:details"), GOOD_DETAILS)
    appointment = Appointment.objects.get(status="booked")
    assert appointment.screening_uuid == screening.uuid
    page = login(Client(), clinic.user("frank")).get(reverse("scheduling:inbox")).content.decode()
    assert "Three antidepressants tried" in page and "self-screening attached" in page


def test_front_desk_moves_a_callers_appointment(clinic: Any) -> None:
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10))
    client = login(Client(), clinic.user("frank"))
    url = reverse("scheduling:appointment", args=[appointment.uuid])
    assert "Move to another time" in client.get(url).content.decode()
    new_start = next_weekday_at(14)
    response = client.post(url, {"action": "move", **_slot_post(clinic, new_start)})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start and appointment.status == "booked"
    # Moving onto a taken time shows the message and changes nothing.
    other = booked_appointment(
        clinic,
        starts_at=next_weekday_at(11),
        details=BookingDetails(
            first_name="O",
            last_name="Other",
            date_of_birth=dt.date(1970, 1, 1),
            email="o@example.invalid",
            mobile_phone="(515) 555-0100",
            reason="pain",
        ),
    )
    response = client.post(url, {"action": "move", **_slot_post(clinic, other.starts_at)})
    assert "just booked by someone else" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start
