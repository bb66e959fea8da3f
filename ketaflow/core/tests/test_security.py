"""Security checks (docs/security.md): headers and CSP, CSRF, session fixation, rate limits, uploads,
object-level access, tokens hashed at rest, and no patient data in logs, URLs, error answers or feeds."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ketaflow.api.models import SCOPES, ApiToken
from ketaflow.core.models import AuditEvent
from ketaflow.patients.models import Patient
from ketaflow.testing import login

PUBLIC_PAGES = ["/", "/accounts/login/", "/api/v1/docs", "/api/v1/openapi.json", "/fhir/R4/metadata"]
STAFF_PAGES = ["/patients/", "/calendar/feed/", "/staff/"]


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_page_has_a_strict_csp_and_secure_headers(clinic: Any) -> None:
    staff = login(Client(), clinic.user("mia"))
    for client, url in [(Client(), u) for u in PUBLIC_PAGES] + [(staff, u) for u in STAFF_PAGES]:
        response = client.get(url)
        assert response.status_code == 200, url
        csp = _csp(response)
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], url
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], url
        assert csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_api_docs_page_has_no_inline_script(clinic: Any) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    for chunk in html.split("<script")[1:]:
        opening = chunk.split(">", 1)[0]
        assert "src=" in opening or 'type="application/json"' in opening, opening


def test_production_settings_turn_on_secure_cookies_and_hsts(tmp_path: Any) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "KETAFLOW_TESTING", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        {
            "SECRET_KEY": "x" * 50,
            "KETAFLOW_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "ketaflow.config.settings",
        }
    )
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG, s.SESSION_COOKIE_HTTPONLY)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.split() == ["True", "True", "31536000", "False", "True"], done.stderr


def test_session_writes_to_the_api_need_the_csrf_token(clinic: Any) -> None:
    client = login(Client(enforce_csrf_checks=True), clinic.user("nina"))
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    read = client.get(f"/api/v1/patients/{patient.uuid}")
    before = Patient.objects.filter(pk=patient.pk).values().first()
    response = client.patch(
        f"/api/v1/patients/{patient.uuid}",
        data='{"city": "Ames"}',
        content_type="application/json",
        HTTP_IF_MATCH=read["ETag"],
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert Patient.objects.filter(pk=patient.pk).values().first() == before
    client.get("/calendar/feed/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.patch(
        f"/api/v1/patients/{patient.uuid}",
        data='{"city": "Ames"}',
        content_type="application/json",
        HTTP_IF_MATCH=read["ETag"],
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    assert response.json()["city"] == "Ames"


def test_feed_rotation_form_needs_the_csrf_token(clinic: Any) -> None:
    client = login(Client(enforce_csrf_checks=True), clinic.user("paul"))
    assert client.post("/calendar/feed/").status_code == 403


def test_log_in_gives_a_new_session_key(clinic: Any) -> None:
    client = Client()
    client.get("/accounts/login/")
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted = session.session_key
    client.cookies["sessionid"] = planted
    response = client.post("/accounts/login/", {"username": "pat", "password": "ketaflow-demo-2026"})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != planted


def test_bad_api_tokens_are_rate_limited_per_address(clinic: Any) -> None:
    from django.core.cache import cache

    from ketaflow.api.auth import FAILED_AUTH_LIMIT

    cache.clear()
    client = Client()
    for _ in range(FAILED_AUTH_LIMIT):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kf_guess").status_code == 401
    blocked = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kf_guess")
    assert blocked.status_code == 429
    assert blocked["Retry-After"]
    assert blocked["Content-Type"] == "application/problem+json"
    cache.clear()


def test_password_guessing_locks_the_user_name(clinic: Any) -> None:
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "pat", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "pat", "password": "ketaflow-demo-2026"})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 403, 429)


def test_public_form_posts_are_rate_limited(db: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client()
    statuses = [client.post("/screening/depression/", {}).status_code for _ in range(12)]
    assert 429 in statuses
    cache.clear()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00 an executable", "accepted"),
        ("empty.pdf", b"", "empty"),
        ("scan.png", b"<script>alert(1)</script>", "accepted"),
    ],
)
def test_uploads_are_checked_by_content_not_name(name: str, content: bytes, message: str) -> None:
    from ketaflow.patients.services import check_upload

    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert message in str(caught.value).lower()


def test_uploads_over_the_size_limit_are_refused() -> None:
    from ketaflow.patients.services import MAX_DOCUMENT_BYTES, check_upload

    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError):
        check_upload(big)


def test_tokens_are_stored_hashed_and_die_on_revocation_and_expiry(clinic: Any) -> None:
    from django.utils import timezone

    from ketaflow.api.tokens import api_token_create, api_token_revoke, sha256

    token, raw = api_token_create(user=clinic.user("nina"), scopes=list(SCOPES), days=1)
    stored = ApiToken.objects.filter(pk=token.pk).values().first()
    assert raw not in str(stored)
    assert stored["token_sha256"] == sha256(raw)
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    token2, raw2 = api_token_create(user=clinic.user("nina"), scopes=list(SCOPES), days=1)
    api_token_revoke(token=token2)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401
    # A bad token never falls back to the session cookie.
    session = login(Client(), clinic.user("nina"))
    assert session.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kf_nope").status_code == 401


def test_staff_reading_a_patient_at_another_location_get_404_and_an_audit_line(clinic: Any) -> None:
    client = login(Client(), clinic.user("frank"))  # front desk, West Des Moines only
    for patient in Patient.objects.filter(preferred_location=clinic.dsm):
        response = client.get(f"/api/v1/patients/{patient.uuid}")
        assert response.status_code == 404
        assert AuditEvent.objects.filter(
            action="denied", patient_uuid=patient.uuid, actor_label="frank"
        ).exists()


def test_no_patient_names_in_logs_error_answers_or_urls(clinic: Any, caplog: Any, monkeypatch: Any) -> None:
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    names = [patient.first_name, patient.last_name, patient.email]
    client = login(Client(), clinic.user("nina"))
    caplog.set_level(logging.DEBUG)
    answers = [
        client.get(f"/api/v1/patients?q={patient.last_name}&limit=0"),  # validation error
        client.get(f"/api/v1/patients/{uuid.uuid4()}"),
        Client().get(f"/api/v1/patients?q={patient.last_name}"),
        login(Client(), clinic.user("fran")).get(f"/api/v1/patients/{patient.uuid}"),
    ]

    from ketaflow.api.routers import patients as patient_routes

    def explode(**kwargs: Any) -> Any:
        raise RuntimeError(f"boom for {patient.last_name}")

    monkeypatch.setattr(patient_routes, "patient_search", explode)
    crashed = client.get("/api/v1/patients")
    assert crashed.status_code == 500
    answers.append(crashed)
    for response in answers:
        assert response["Content-Type"] == "application/problem+json"
        for name in names:
            assert name not in response.content.decode()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name in names:
        assert name not in logged
    detail = "\n".join(AuditEvent.objects.values_list("detail", flat=True))
    assert patient.last_name not in detail


def test_url_patterns_carry_ids_not_personal_data() -> None:
    personal = ("name", "email", "birth", "dob", "phone", "address", "zip")

    def walk(resolver: URLResolver, prefix: str = "") -> list[str]:
        found = []
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                found += walk(pattern, route)
            elif isinstance(pattern, URLPattern):
                found.append(route)
        return found

    for route in walk(get_resolver()):
        params = [part.split(">")[0].split(":")[-1] for part in route.split("<")[1:]]
        for param in params:
            assert not any(word in param.lower() for word in personal), route


def test_calendar_feed_has_no_patient_detail_and_rotation_kills_the_old_link(clinic: Any) -> None:
    from ketaflow.api.tests.routes import book
    from ketaflow.api.tokens import calendar_feed_rotate

    appointment = book(clinic)
    raw = calendar_feed_rotate(user=clinic.user("paul"))
    feed = Client().get(f"/calendar/feed/{raw}.ics")
    assert feed.status_code == 200
    body = feed.content.decode()
    assert "SUMMARY:Consultation" in body
    assert str(appointment.uuid) in body
    for value in (
        appointment.patient.first_name,
        appointment.patient.last_name,
        appointment.patient.email,
        "depression",
    ):
        assert value not in body
    new = calendar_feed_rotate(user=clinic.user("paul"))
    assert Client().get(f"/calendar/feed/{raw}.ics").status_code == 404
    assert Client().get(f"/calendar/feed/{new}.ics").status_code == 200


def test_calendar_feed_shows_infusions_without_patient_detail(clinic: Any) -> None:
    demo = pytest.importorskip("ketaflow.treatment.demo")
    from ketaflow.api.tokens import calendar_feed_rotate
    from ketaflow.patients.demo import load_demo_chart_data
    from ketaflow.treatment.models import InfusionSession

    load_demo_chart_data()
    demo.load_demo_treatment()
    session = InfusionSession.objects.filter(nurse=clinic.user("nina")).first()
    if session is None:
        pytest.skip("the treatment demo has no session for nina")
    body = (
        Client().get(f"/calendar/feed/{calendar_feed_rotate(user=clinic.user('nina'))}.ics").content.decode()
    )
    assert "SUMMARY:Infusion" in body
    assert f"LOCATION:{session.location.name}" in body
    for value in (session.patient.first_name, session.patient.last_name, session.patient.chart_number):
        assert value not in body
