"""Problem details, keyset pages, idempotent booking, ETags, audit of API reads, management command."""

from __future__ import annotations

import json
from http import HTTPStatus
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketaflow.api.models import ApiToken
from ketaflow.core.models import AuditEvent
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment


def _auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_validation_errors_are_problem_documents(clinic: Any, make_token: Any) -> None:
    response = Client().get("/api/v1/patients?limit=0", **_auth(make_token("mia")))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/validation-error")
    assert body["title"] == HTTPStatus(422).phrase
    assert body["errors"][0]["loc"] == ["query", "limit"]


def test_a_forged_cursor_is_refused(clinic: Any, make_token: Any) -> None:
    response = Client().get("/api/v1/patients?cursor=abc.def", **_auth(make_token("mia")))
    assert response.status_code == 400
    assert response.json()["type"].endswith("/bad-cursor")


def test_keyset_pages_are_stable_when_rows_are_added(clinic: Any, make_token: Any) -> None:
    from ketaflow.patients.services import patient_register

    client, headers = Client(), _auth(make_token("mia"))
    expected = sorted(
        (p.last_name, p.first_name, str(p.uuid))
        for p in Patient.objects.current().filter(preferred_location__in=[clinic.wdm, clinic.dsm])
    )
    seen: list[str] = []
    url = "/api/v1/patients?limit=2"
    first = True
    while url:
        page = client.get(url, **headers).json()
        seen += [item["uuid"] for item in page["items"]]
        if first:  # a patient sorting before the cursor appears meanwhile: no row is repeated or skipped
            import datetime as dt

            patient_register(
                first_name="Aaron",
                last_name="Aardvark",
                date_of_birth=dt.date(1970, 1, 1),
                email="aaron@example.com",
                mobile_phone="",
                preferred_location=clinic.wdm,
                registered_by=clinic.user("mia"),
            )
            first = False
        url = f"/api/v1/patients?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == [uuid for *_names, uuid in expected]


def test_appointment_list_query_count_does_not_grow_with_rows(clinic: Any, make_token: Any) -> None:
    from ketaflow.api.tests.routes import book

    client, headers = Client(), _auth(make_token("mia"))
    book(clinic)
    client.get(
        "/api/v1/appointments", **headers
    )  # the token's last-use time is written at most once a minute
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/appointments", **headers).status_code == 200
    for _ in range(4):
        book(clinic)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/appointments", **headers)
    assert len(response.json()["items"]) == 5
    # Expect 3 queries: the token joined with its user, the user's location ids, one page of appointments
    # with location, provider, type, patient and room joined.
    assert len(many) == len(few) == 3, [q["sql"][:80] for q in many.captured_queries]


def _booking_body(clinic: Any, patient: Any, slot: Any) -> dict[str, Any]:
    return {
        "consultation_type": "new-patient-consultation",
        "location": str(clinic.wdm.uuid),
        "provider": str(clinic.user("paul").uuid),
        "starts_at": slot.start.isoformat(),
        "reason": "depression",
        "patient": str(patient.uuid),
        "override_min_notice_reason": "test",
    }


def test_same_idempotency_key_and_body_books_once(clinic: Any, make_token: Any) -> None:
    from ketaflow.api.tests.routes import _slot

    client, headers = Client(), _auth(make_token("frank", ["write:schedule"]))
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    body = _booking_body(clinic, patient, _slot(clinic))
    before = Appointment.objects.count()
    first = client.post(
        "/api/v1/appointments",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-00000001",
        **headers,
    )
    again = client.post(
        "/api/v1/appointments",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-00000001",
        **headers,
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == before + 1
    other = {**body, "reason": "pain"}
    reused = client.post(
        "/api/v1/appointments",
        json.dumps(other),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-00000001",
        **headers,
    )
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert Appointment.objects.count() == before + 1
    missing = client.post(
        "/api/v1/appointments", json.dumps(body), content_type="application/json", **headers
    )
    assert missing.status_code == 422


def test_a_taken_slot_is_a_409_with_alternatives(clinic: Any, make_token: Any) -> None:
    from ketaflow.api.tests.routes import book

    taken = book(clinic)
    client, headers = Client(), _auth(make_token("frank", ["write:schedule"]))
    patient = Patient.objects.filter(preferred_location=clinic.wdm).exclude(pk=taken.patient_id).first()
    body = _booking_body(clinic, patient, type("S", (), {"start": taken.starts_at})())
    response = client.post(
        "/api/v1/appointments",
        json.dumps(body),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-00000002",
        **headers,
    )
    assert response.status_code == 409
    assert response.json()["alternatives"]


def test_updates_need_a_current_etag(clinic: Any, make_token: Any) -> None:
    client, headers = Client(), _auth(make_token("frank"))
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    etag = client.get(f"/api/v1/patients/{patient.uuid}", **headers)["ETag"]
    url = f"/api/v1/patients/{patient.uuid}"
    assert (
        client.patch(url, '{"city": "Ames"}', content_type="application/json", **headers).status_code == 428
    )
    ok = client.patch(url, '{"city": "Ames"}', content_type="application/json", HTTP_IF_MATCH=etag, **headers)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    stale = client.patch(
        url, '{"city": "Boone"}', content_type="application/json", HTTP_IF_MATCH=etag, **headers
    )
    assert stale.status_code == 412
    patient.refresh_from_db()
    assert patient.city == "Ames"


def test_api_reads_of_a_patient_are_audited_with_the_token(clinic: Any, make_token: Any) -> None:
    token = make_token("nina", ["read:clinical"])
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    assert Client().get(f"/api/v1/patients/{patient.uuid}/diagnoses", **_auth(token)).status_code == 200
    line = AuditEvent.objects.filter(patient_uuid=patient.uuid, action="read").first()
    assert line.actor_label == "nina"
    assert line.detail == f"diagnoses read (API token {token[:10]})"


def test_api_token_command_creates_a_hashed_token_once(clinic: Any) -> None:
    out = StringIO()
    call_command(
        "api_token",
        "create",
        "--user",
        "nina",
        "--scopes",
        "read:schedule,write:schedule",
        "--days",
        "90",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    token = ApiToken.objects.get(uuid=data["uuid"])
    assert data["token"] not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert token.scope_set == {"read:schedule", "write:schedule"}
    assert Client().get("/api/v1/locations", **_auth(data["token"])).status_code == 200
    call_command("api_token", "revoke", token.prefix, stdout=StringIO())
    assert Client().get("/api/v1/locations", **_auth(data["token"])).status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nina", "--scopes", "read:everything"], "unknown scope 'read:everything'"),
        (["--user", "nobody", "--scopes", "read:schedule"], "no user 'nobody'"),
        (["--user", "nina", "--scopes", "read:schedule", "--days", "0"], "--days must be between 1 and 366"),
    ],
)
def test_api_token_command_refuses_bad_input(clinic: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        call_command("api_token", "create", *args, stdout=StringIO())
    assert caught.value.returncode == 2


def test_manager_creates_a_token_in_the_admin_and_sees_it_once(clinic: Any) -> None:
    from ketaflow.testing import login

    client = login(Client(), clinic.user("mia"))
    response = client.post(
        "/django-admin/api/apitoken/add/",
        {
            "user": clinic.user("nina").pk,
            "name": "export script",
            "scope_choices": ["read:schedule"],
            "days": 30,
        },
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="export script")
    raw = response.context["raw"]
    assert raw.startswith("kf_") and raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Client().get("/api/v1/locations", **_auth(raw)).status_code == 200
    assert token.created_by == clinic.user("mia")


def test_sessions_report_the_dose_delivered(clinic: Any, make_token: Any) -> None:
    demo = pytest.importorskip("ketaflow.treatment.demo")
    from ketaflow.patients.demo import load_demo_chart_data
    from ketaflow.treatment.models import InfusionSession
    from ketaflow.treatment.services import delivered_mg

    load_demo_chart_data()
    demo.load_demo_treatment()
    session = InfusionSession.objects.filter(started_at__isnull=False).first()
    if session is None:
        pytest.skip("no started session in the treatment demo")
    response = Client().get(f"/api/v1/patients/{session.patient.uuid}/sessions", **_auth(make_token("mia")))
    assert response.status_code == 200
    row = next(r for r in response.json() if r["uuid"] == str(session.uuid))
    assert row["delivered_mg"] == pytest.approx(delivered_mg(session), abs=0.5)
    assert row["delivered_mg"] > 0


def test_openapi_document_has_no_duplicate_keys(client: Client) -> None:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    document = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
    assert document["openapi"].startswith("3.")
    for methods in document["paths"].values():
        for operation in methods.values():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
