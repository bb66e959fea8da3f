"""Intake pages answer in a pinned number of queries, the same with few and with many rows.

The patient's intake bundle pages are pinned in test_intake_bundle.py; this module covers the prescriber's
candidacy review, the manager's consent-form list and the patient's portal page.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.intake import services
from ketaflow.intake.models import ConsentTemplate
from ketaflow.intake.tests.factories import completed_intake, signature_data_url, wdm_patient
from ketaflow.testing import STAFF_QUERIES as STAFF
from ketaflow.testing import login
from ketaflow.testing import pinned_reads as _pinned

pytestmark = pytest.mark.django_db


def test_candidacy_review_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.patients import services as chart

    patient = wdm_patient(clinic)
    nina, paul = clinic.user("nina"), clinic.user("paul")
    completed_intake(patient, nina)

    def grow() -> None:
        for i in range(4):
            chart.medication_record(patient=patient, recorded_by=nina, name=f"Medicine {i}", daily_dose_mg=10)
            completed_intake(patient, nina)  # a later intake: more scores
            services.candidacy_decide(
                patient=patient,
                pathway="iv_ketamine_depression",
                decision="approve",
                protocol_name="IV",
                decided_by=paul,
            )

    # Expect 17 queries whatever the number of medicines, trials, scores and decisions: session, user, OTP
    # device, the patient, the user's location ids, the current location (audit), INSERT audit line (read),
    # the newest intake; the screening facts: diagnoses, medicines, trials, questionnaire responses, answered
    # instruments; then the page's current medicines, trials and scores (read again, by the view), the
    # earlier decisions (+ decider), the user's locations (switcher).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), paul),
        reverse("intake:review", args=[patient.uuid]),
        STAFF + 14,
        grow,
    )
    assert large.count("Medicine ") > small.count("Medicine ")


def test_consent_form_list_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    def grow() -> None:
        for version in range(20, 25):
            body = f"Consent text version {version} (synthetic)."
            ConsentTemplate.objects.create(
                pathway="iv_ketamine_pain",
                version=version,
                title=f"Pain consent v{version}",
                body=body,
                body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                status=ConsentTemplate.Status.WITHDRAWN,
            )

    # Expect 5 queries: session, user, OTP device, the consent forms, the user's locations (switcher).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("mia")),
        reverse("intake:template_list"),
        STAFF + 2,
        grow,
    )
    assert large.count("Pain consent v") == small.count("Pain consent v") + 5


def test_patient_portal_intake_page_query_count_is_pinned(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    pat = clinic.user("pat")
    patient = pat.patient
    template = ConsentTemplate.objects.filter(pathway="iv_ketamine_depression", status="current").first()
    assert template is not None

    def sign(n: int) -> None:
        for _ in range(n):
            services.consent_sign(
                patient=patient,
                template=template,
                signer_name=patient.full_name,
                signature_png=signature_data_url(),
                channel="portal",
                signed_by=pat,
                ip_address="10.0.0.1",
            )

    sign(1)
    client = login(Client(), pat)
    # Expect 7 queries: session, user, the user's patient record, INSERT audit line (read), the signed
    # consents (+ template), the open intake, the current consent forms.
    small, large = _pinned(django_assert_num_queries, client, reverse("intake:portal"), 7, lambda: sign(4))
    assert large.count("/pdf/") > small.count("/pdf/")
