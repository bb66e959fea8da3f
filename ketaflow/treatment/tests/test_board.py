"""Day board: 2 locations × 4 chairs × 10 sessions, a constant number of queries, htmx fragment, forecast text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatment.tests.factories import course_for, patient_at, place_session, today_at

STATES = ["booked", "arrived", "checklist_done", "infusing", "paused", "recovering", "ready", "discharged"]


def _fill(clinic: Any, per_location: int) -> None:
    for location in (clinic.wdm, clinic.dsm):
        chairs = list(location.chairs.order_by("id"))
        # three patients per location: the two running infusions (states 3 and 4) belong to different patients
        courses = [course_for(clinic, patient_at(clinic, location, i), location=location) for i in range(3)]
        for index in range(per_location):
            chair = chairs[index % len(chairs)]
            start = today_at(location, 8) + dt.timedelta(minutes=105 * (index // len(chairs)))
            place_session(
                clinic, courses[index % 3], start=start, chair=chair, status=STATES[index % len(STATES)]
            )


def _get(client: Any, django_assert_num_queries: Any, htmx: bool) -> Any:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    # Expect 6 queries whatever the number of sessions (after a first request has refreshed the login session):
    # 1. the login session; 2. the user; 3. the user's TOTP device (second factor);
    # 4. the user's locations (request.location and the location switcher);
    # 5. the active chairs of the location;
    # 6. the day's sessions with patient, course and protocol, annotated with the number of open alerts and
    #    the last vitals time (no query per session).
    with django_assert_num_queries(6):
        return client.get(reverse("treatment:board"), **headers)


@pytest.mark.parametrize("htmx", [False, True])
def test_board_query_count_is_constant_as_sessions_grow(
    clinic: Any, as_persona: Any, django_assert_num_queries: Any, htmx: bool
) -> None:
    client = as_persona("nina")
    client.get(reverse("treatment:board"))  # the first request after log-in also saves the login session
    _fill(clinic, 2)
    _get(client, django_assert_num_queries, htmx)
    _fill(clinic, 10)
    response = _get(client, django_assert_num_queries, htmx)
    assert response.status_code == 200
    assert response.content.decode().count('class="card ') >= 10


def test_board_shows_states_timers_alerts_and_the_forecast(clinic: Any, as_persona: Any) -> None:
    from ketaflow.treatment.tests.factories import clear_for_infusion, session_to

    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    session = place_session(clinic, course_for(clinic, patient), start=today_at(clinic.wdm, 8), minutes=180)
    session_to(clinic, session, "infusing")
    html = as_persona("frank").get(reverse("treatment:board")).content.decode()
    assert "Infusing" in html
    assert "expected ready to discharge at" in html
    assert "vitals due" in html


def test_each_open_card_offers_every_chair_with_its_own_selected(clinic: Any, as_persona: Any) -> None:
    import re

    chairs = list(clinic.wdm.chairs.order_by("label"))
    chairs[1].label = 'Chair <2> & "window"'
    chairs[1].save(update_fields=["label"])
    course = course_for(clinic, patient_at(clinic, clinic.wdm))
    booked = place_session(clinic, course, start=today_at(clinic.wdm, 8), chair=chairs[1])
    place_session(clinic, course, start=today_at(clinic.wdm, 13), chair=chairs[0], status="discharged")
    html = as_persona("frank").get(reverse("treatment:board"), HTTP_HX_REQUEST="true").content.decode()
    selects = re.findall(r'<select id="move-([^"]+)" name="chair">(.*?)</select>', html)
    assert [uuid for uuid, _ in selects] == [str(booked.uuid)]  # a discharged session is not movable
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', selects[0][1])
    by_label = sorted((label, bool(selected)) for _, selected, label in options)
    assert len(options) == clinic.wdm.chairs.filter(is_active=True).count()
    assert ("Chair &lt;2&gt; &amp; &quot;window&quot;", True) in by_label
    assert sum(selected for _, selected in by_label) == 1


def test_chairs_are_listed_in_number_order(clinic: Any, as_persona: Any) -> None:
    import re

    for number in range(5, 12):
        clinic.wdm.chairs.create(label=f"Chair {number}")
    html = as_persona("frank").get(reverse("treatment:board"), HTTP_HX_REQUEST="true").content.decode()
    labels = re.findall(r'<div class="board-chair" role="rowheader">([^<]+)</div>', html)
    assert labels == [f"Chair {n}" for n in range(1, 12)]
