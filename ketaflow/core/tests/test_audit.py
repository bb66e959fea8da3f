from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.core.models import AuditEvent, ImmutableRecordError
from ketaflow.patients.models import Patient
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def test_reading_a_chart_is_audited_with_actor_location_ip_and_request_id(clinic: Any) -> None:
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    client = login(Client(), clinic.user("nina"))
    response = client.get(reverse("patients:chart", args=[patient.uuid]), HTTP_X_REQUEST_ID="abc12345def")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="read", patient_uuid=patient.uuid)
    assert event.actor == clinic.user("nina")
    assert event.role == "nurse"
    assert event.object_type == "patients.Patient"
    assert event.ip_address == "127.0.0.1"
    assert event.request_id == "abc12345def"
    assert event.location is not None


def test_denied_chart_access_is_audited_and_reveals_nothing(clinic: Any) -> None:
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    client = login(Client(), clinic.user("fran"))  # front desk at Des Moines only
    response = client.get(reverse("patients:chart", args=[patient.uuid]))
    assert response.status_code == 404
    assert patient.last_name not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="denied", patient_uuid=patient.uuid, actor=clinic.user("fran")
    ).exists()


def test_unknown_patient_uuid_is_404(clinic: Any) -> None:
    client = login(Client(), clinic.user("nina"))
    assert (
        client.get(reverse("patients:chart", args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )


def test_audit_log_cannot_be_edited_or_deleted(clinic: Any) -> None:
    event = AuditEvent.objects.create(action="read", detail="x")
    event.detail = "changed"
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="changed")
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()


def test_admin_offers_no_change_or_delete_of_audit_events(clinic: Any) -> None:
    event = AuditEvent.objects.create(action="read", detail="x")
    client = login(Client(), clinic.user("mia"))
    change_url = reverse("admin:core_auditevent_change", args=[event.pk])
    response = client.post(change_url, {"detail": "tampered"})
    assert response.status_code in (302, 403)
    delete_url = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.detail == "x"


def test_manager_filters_the_audit_log_and_exports_csv(clinic: Any) -> None:
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    login(Client(), clinic.user("nina")).get(reverse("patients:chart", args=[patient.uuid]))
    client = login(Client(), clinic.user("mia"))
    page = client.get(reverse("core:audit_log"), {"patient": str(patient.uuid)})
    assert page.status_code == 200
    assert "chart viewed" in page.content.decode()
    csv_response = client.get(reverse("core:audit_log"), {"actor": "nina", "format": "csv"})
    body = b"".join(csv_response.streaming_content).decode()
    assert body.splitlines()[0].startswith("occurred_at,actor")
    assert "chart viewed" in body
    assert AuditEvent.objects.filter(action="export", actor=clinic.user("mia")).exists()


def test_audit_filter_with_end_before_start_shows_a_field_error(clinic: Any) -> None:
    client = login(Client(), clinic.user("audrey"))
    page = client.get(reverse("core:audit_log"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert "The end date is before the start date." in page.content.decode()


def test_patient_list_query_count_does_not_grow_with_patients(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.core.demo import load_demo

    client = login(Client(), clinic.user("mia"))
    url = reverse("patients:list")
    client.get(url)
    # Expect 6 queries: session, user, OTP device, the user's location ids (patient scope), the user's
    # locations (current location + switcher), one page of patients plus one row (no COUNT for the pager).
    with django_assert_num_queries(6) as ctx:
        client.get(url)
    load_demo(patients=40)
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(url)
