"""Pages: bad input shows field errors and saves nothing; the session page, chart and PDF render."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.treatment.models import InfusionSession, VitalsReading
from ketaflow.treatment.tests.factories import (
    clear_for_infusion,
    course_for,
    patient_at,
    place_session,
    session_to,
)


@pytest.fixture
def session(clinic: Any) -> InfusionSession:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    session = place_session(
        clinic, course_for(clinic, patient), start=timezone.now() - dt.timedelta(minutes=90), minutes=180
    )
    return session_to(clinic, session, "infusing")


def _post(client: Any, session: InfusionSession, action: str, data: dict[str, Any]) -> Any:
    return client.post(
        reverse("treatment:session_action", kwargs={"session_uuid": session.uuid, "action": action}), data
    )


def test_impossible_vitals_show_the_error_and_save_nothing(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    before = VitalsReading.objects.count()
    response = _post(
        as_persona("nina"), session, "vitals", {"sbp_mmhg": "400", "dbp_mmhg": "80", "spo2_pct": "120"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Systolic BP 400 mmHg is not a possible reading" in html
    assert "SpO2 120" in html
    assert VitalsReading.objects.count() == before


def test_a_field_that_is_not_a_number_is_shown_next_to_the_field(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    response = _post(as_persona("nina"), session, "vitals", {"hr_per_min": "fast"})
    assert "Enter a number." in response.content.decode()


def test_rate_change_on_a_stopped_infusion_is_shown_and_state_unchanged(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    client = as_persona("nina")
    _post(client, session, "event", {"kind": "stop"})
    response = _post(client, session, "event", {"kind": "rate_change", "rate_mg_per_h": "20", "reason": "x"})
    assert "not possible now" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "recovering"


def test_session_page_chart_and_pdf_render(clinic: Any, as_persona: Any, session: InfusionSession) -> None:
    client = as_persona("paul")
    html = client.get(reverse("treatment:session", kwargs={"session_uuid": session.uuid})).content.decode()
    assert "Administration record" in html and "expected ready to discharge" in html.lower()
    svg = client.get(reverse("treatment:session_chart", kwargs={"session_uuid": session.uuid}))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    pdf = client.get(reverse("treatment:session_pdf", kwargs={"session_uuid": session.uuid}))
    assert pdf.content.startswith(b"%PDF")


def test_front_desk_sees_why_the_course_cannot_be_booked(clinic: Any, as_persona: Any) -> None:
    course = course_for(clinic, patient_at(clinic, clinic.wdm, 1))
    html = (
        as_persona("frank")
        .get(reverse("treatment:course", kwargs={"course_uuid": course.uuid}))
        .content.decode()
    )
    assert "Infusions cannot be booked yet" in html
    assert "has not had a consultation" in html


def test_stopping_a_course_needs_a_reason(clinic: Any, as_persona: Any) -> None:
    course = course_for(clinic, patient_at(clinic, clinic.wdm, 1))
    url = reverse("treatment:course", kwargs={"course_uuid": course.uuid})
    client = as_persona("nina")
    response = client.post(url, {"action": "status", "status": "stopped", "reason": ""})
    assert "Give the reason the course is stopped." in response.content.decode()
    course.refresh_from_db()
    assert course.status == "planned"
    client.post(url, {"action": "status", "status": "stopped", "reason": "No response after 6 infusions"})
    course.refresh_from_db()
    assert course.status == "stopped" and course.stop_reason == "No response after 6 infusions"


def test_adverse_event_with_a_prn_medicine_needs_its_dose(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    from ketaflow.treatment.models import AdverseEvent, PrnMedicine

    ondansetron = PrnMedicine.objects.get(name="Ondansetron")
    data = {"kind": "nausea", "severity": "mild", "prn_medicine": ondansetron.pk, "prn_dose": ""}
    response = _post(as_persona("nina"), session, "adverse", data)
    assert "Give the dose of the PRN medicine." in response.content.decode()
    assert not AdverseEvent.objects.exists()
    _post(as_persona("nina"), session, "adverse", {**data, "prn_dose": "4 mg IV", "outcome": "settled"})
    assert AdverseEvent.objects.get().prn_medicine == ondansetron


def test_session_page_queries_do_not_grow_with_the_flowsheet(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_persona("nina")
    url = reverse("treatment:session", kwargs={"session_uuid": session.uuid})
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    few = count()
    for minutes in range(0, 60, 5):
        VitalsReading.objects.create(
            session=session,
            taken_at=session.started_at + dt.timedelta(minutes=minutes),
            sbp_mmhg=120 + minutes,
            dbp_mmhg=80,
            hr_per_min=70,
            spo2_pct=98,
            recorded_by=clinic.user("nina"),
        )
    assert count() == few


def test_session_for_page_attaches_the_people_and_the_course_location(
    session: InfusionSession, django_assert_num_queries: Any
) -> None:
    from ketaflow.treatment import selectors

    loaded = selectors.session_for_page(session.uuid)
    with django_assert_num_queries(0):
        assert (loaded.nurse.pk, loaded.prescriber.pk) == (session.nurse_id, session.prescriber_id)
        assert loaded.course.location == loaded.location
        assert loaded.course.protocol.pk and loaded.chair.pk and loaded.patient.pk


def test_flowsheet_shows_whole_numbers_rounded_half_up(
    clinic: Any, as_persona: Any, session: InfusionSession
) -> None:
    VitalsReading.objects.create(
        session=session,
        taken_at=session.started_at + dt.timedelta(minutes=5),
        sbp_mmhg=126.5,
        dbp_mmhg=79.5,
        hr_per_min=74.4,
        spo2_pct=97.5,
        rr_per_min=None,
        etco2_mmhg=38.0,
        moaas=4,
        cadss=0,
        recorded_by=clinic.user("nina"),
    )
    html = as_persona("nina").get(reverse("treatment:session", kwargs={"session_uuid": session.uuid}))
    row = next(r for r in html.content.decode().split("<tr>") if "127/80" in r)
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[1:] == ["127/80", "74", "98", "", "38.0", "", "4", "0", ""]
