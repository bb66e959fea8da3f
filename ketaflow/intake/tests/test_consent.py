"""Consent: versioned templates, signing (drawn or typed), counter-signature, immutable PDFs, revocation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.core.models import AuditEvent, ImmutableRecordError
from ketaflow.intake import services
from ketaflow.intake.models import ConsentTemplate, SignedConsent
from ketaflow.intake.pdf import store_pdf
from ketaflow.intake.selectors import consent_current
from ketaflow.intake.tests.factories import signature_data_url
from ketaflow.patients.demo import load_demo_chart_data
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def pat_patient(clinic: Any) -> Patient:
    load_demo_chart_data()
    return Patient.objects.get(user=clinic.user("pat"))


def _current(pathway: str = "iv_ketamine_depression") -> ConsentTemplate:
    return ConsentTemplate.objects.get(pathway=pathway, status="current")


def _sign_data(**overrides: str) -> dict[str, str]:
    return {"agree": "on", "signer_name": "Pat Demo", "signature_png": signature_data_url(), **overrides}


def test_manager_publishes_a_new_version_and_the_old_one_is_superseded(
    clinic: Any, as_persona: Any, pat_patient: Any
) -> None:
    old = _current()
    mia = as_persona("mia")
    response = mia.post(
        reverse("intake:template_new"),
        {"pathway": old.pathway, "title": old.title, "body": old.body + "\n\nNew paragraph."},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new = _current()
    assert (old.status, new.version) == ("superseded", 2)
    assert new.body_sha256 == hashlib.sha256(new.body.encode()).hexdigest()
    assert as_persona("nina").get(reverse("intake:template_new")).status_code == 403


def test_patient_signs_with_a_drawn_signature_and_gets_an_immutable_pdf(
    clinic: Any, as_persona: Any, pat_patient: Any, media_root: Path
) -> None:
    template = _current()
    response = as_persona("pat").post(
        reverse("intake:consent_sign", args=[template.uuid]), _sign_data(), REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200 and "Consent signed" in response.content.decode()
    consent = SignedConsent.objects.get()
    assert consent.signature_kind == "drawn" and bytes(consent.signature_png).startswith(b"\x89PNG")
    assert consent.ip_address == "203.0.113.9" and consent.document_sha256 == template.body_sha256
    pdf = (media_root / consent.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == consent.pdf_sha256
    with pytest.raises(ImmutableRecordError):
        store_pdf(consent.pdf_path, b"%PDF-forged")
    assert (media_root / consent.pdf_path).read_bytes() == pdf
    download = as_persona("pat").get(reverse("intake:consent_pdf", args=[consent.uuid]))
    assert download.status_code == 200 and download.content == pdf
    assert AuditEvent.objects.filter(action="export", object_uuid=consent.uuid).exists()
    assert consent_current(pat_patient, "iv_ketamine_depression") is None  # not yet counter-signed


def test_typed_signature_is_the_fallback(clinic: Any, as_persona: Any, pat_patient: Any) -> None:
    data = _sign_data(signature_png="", signature_text="Pat Demo")
    assert (
        as_persona("pat").post(reverse("intake:consent_sign", args=[_current().uuid]), data).status_code
        == 200
    )
    assert SignedConsent.objects.get().signature_kind == "typed"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signature_png": "", "signature_text": ""}, services.SIGNATURE_REQUIRED),
        ({"signature_png": "data:image/png;base64,!!!"}, services.SIGNATURE_INVALID),
        ({"signature_png": "data:image/png;base64,R0lGODlhAQABAAAAACw="}, services.SIGNATURE_INVALID),
        ({"signature_png": signature_data_url(blank=True)}, services.SIGNATURE_REQUIRED),
        ({"signer_name": ""}, "This field is required."),
        ({"agree": ""}, "This field is required."),
    ],
)
def test_bad_signature_shows_the_error_and_saves_nothing(
    clinic: Any, as_persona: Any, pat_patient: Any, media_root: Path, overrides: dict[str, str], message: str
) -> None:
    response = as_persona("pat").post(
        reverse("intake:consent_sign", args=[_current().uuid]), _sign_data(**overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SignedConsent.objects.exists()
    assert not (media_root / "consents").exists()


@pytest.mark.parametrize("status", ["superseded", "withdrawn"])
def test_signature_on_a_superseded_or_withdrawn_template_is_refused(
    clinic: Any, as_persona: Any, pat_patient: Any, status: str
) -> None:
    template = _current()
    if status == "superseded":
        services.consent_template_publish(
            pathway=template.pathway,
            title="v2",
            body="New text",
            includes_rems_enrolment=False,
            published_by=clinic.user("mia"),
        )
    else:
        services.consent_template_withdraw(
            template=template, reason="Legal review", withdrawn_by=clinic.user("mia")
        )
    response = as_persona("pat").post(reverse("intake:consent_sign", args=[template.uuid]), _sign_data())
    assert response.status_code == 400
    assert services.TEMPLATE_NOT_CURRENT in response.content.decode()
    assert not SignedConsent.objects.exists()


def test_countersign_makes_the_consent_current_and_revocation_ends_it(
    clinic: Any, as_persona: Any, pat_patient: Any, media_root: Path
) -> None:
    as_persona("pat").post(reverse("intake:consent_sign", args=[_current().uuid]), _sign_data())
    consent = SignedConsent.objects.get()
    nina = as_persona("nina")
    assert nina.post(reverse("intake:consent_countersign", args=[consent.uuid])).status_code == 302
    consent.refresh_from_db()
    assert consent.countersigned_by == clinic.user("nina")
    second = (media_root / consent.countersigned_pdf_path).read_bytes()
    assert hashlib.sha256(second).hexdigest() == consent.countersigned_pdf_sha256
    assert consent_current(pat_patient, "iv_ketamine_depression") == consent
    assert consent_current(pat_patient, "iv_ketamine_pain") is None
    # A later version of the form does not invalidate a consent already given on the earlier one.
    services.consent_template_publish(
        pathway="iv_ketamine_depression",
        title="v2",
        body="New",
        includes_rems_enrolment=False,
        published_by=clinic.user("mia"),
    )
    assert consent_current(pat_patient, "iv_ketamine_depression") == consent
    url = reverse("intake:consent_revoke", args=[consent.uuid])
    assert nina.post(url, {"reason": ""}).status_code == 400
    assert consent_current(pat_patient, "iv_ketamine_depression") == consent
    assert nina.post(url, {"reason": "Patient withdrew consent by phone"}).status_code == 302
    consent.refresh_from_db()
    assert (
        consent.revoked_reason == "Patient withdrew consent by phone"
        and consent.revoked_by == clinic.user("nina")
    )
    assert consent_current(pat_patient, "iv_ketamine_depression") is None
    with pytest.raises(ValidationError):
        services.consent_countersign(consent=consent, countersigned_by=clinic.user("paul"))


def test_withdrawn_template_no_longer_covers_a_course(clinic: Any, pat_patient: Any) -> None:
    template = _current("esketamine_nasal")
    consent = services.consent_sign(
        patient=pat_patient, template=template, signer_name="Pat", signature_text="Pat", channel="portal",
        signed_by=clinic.user("pat"), ip_address=None,
    )  # fmt: skip
    services.consent_countersign(consent=consent, countersigned_by=clinic.user("paul"))
    assert consent_current(pat_patient, "esketamine_nasal") == consent
    services.consent_template_withdraw(
        template=template, reason="Wrong REMS wording", withdrawn_by=clinic.user("mia")
    )
    assert consent_current(pat_patient, "esketamine_nasal") is None


def test_tablet_signing_needs_staff_at_the_patients_location(
    clinic: Any, as_persona: Any, pat_patient: Any
) -> None:
    url = reverse("intake:consent_sign_tablet", args=[pat_patient.uuid, _current().uuid])
    assert as_persona("fran").post(url, _sign_data()).status_code == 404
    assert not SignedConsent.objects.exists()
    assert as_persona("frank").post(url, _sign_data()).status_code == 200
    assert SignedConsent.objects.get().channel == "tablet"


def test_a_patient_cannot_download_someone_elses_consent(
    clinic: Any, as_persona: Any, pat_patient: Any
) -> None:
    other = Patient.objects.exclude(pk=pat_patient.pk).filter(preferred_location=clinic.wdm).first()
    consent = services.consent_sign(
        patient=other, template=_current(), signer_name="X", signature_text="X", channel="tablet",
        signed_by=clinic.user("frank"), ip_address=None,
    )  # fmt: skip
    assert as_persona("pat").get(reverse("intake:consent_pdf", args=[consent.uuid])).status_code == 404


def test_tampered_pdf_is_not_served(clinic: Any, as_persona: Any, pat_patient: Any, media_root: Path) -> None:
    consent = services.consent_sign(
        patient=pat_patient, template=_current(), signer_name="Pat", signature_text="Pat", channel="portal",
        signed_by=clinic.user("pat"), ip_address=None,
    )  # fmt: skip
    (media_root / consent.pdf_path).write_bytes(b"%PDF-tampered")
    assert as_persona("nina").get(reverse("intake:consent_pdf", args=[consent.uuid])).status_code == 409
