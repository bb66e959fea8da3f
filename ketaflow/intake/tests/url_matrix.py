"""Role matrix entries for intake, candidacy review, consent and REMS (merged by core's URL matrix test).

Patient pages are for ``pat`` (linked to DEMO-00001, a West Des Moines patient); the link page is for
anyone holding a valid token. Staff objects belong to that West Des Moines patient.
"""

from __future__ import annotations

from typing import Any

from ketaflow.core.tests.test_url_matrix import EVERYONE, Entry
from ketaflow.patients.tests.url_matrix import (
    CLINICAL_READERS,
    EDITORS,
    EDITORS_ELSEWHERE,
    RECORDERS,
    RECORDERS_ELSEWHERE,
)

PAT: set[str | None] = {"pat"}
PRESCRIBERS: set[str | None] = {"paul", "priya"}


def _pat_patient(clinic: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.get(user=clinic.user("pat"))


def _pat_intake(clinic: Any) -> Any:
    from ketaflow.intake.models import Intake

    patient = _pat_patient(clinic)
    return Intake.objects.filter(patient=patient).first() or Intake.objects.create(patient=patient)


def _templates(clinic: Any) -> Any:
    from ketaflow.intake.models import ConsentTemplate
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    return ConsentTemplate.objects.get(pathway="iv_ketamine_depression", status="current")


def _token(clinic: Any) -> dict[str, Any]:
    from ketaflow.intake.services import intake_link_send

    return {
        "token": intake_link_send(intake=_pat_intake(clinic), channel="email", sent_by=clinic.user("nina"))
    }


def _step(clinic: Any) -> dict[str, Any]:
    _pat_intake(clinic)
    return {"slug": "phq9"}


def _open_intake(clinic: Any) -> dict[str, Any]:
    _pat_intake(clinic)
    return {}


def _template(clinic: Any) -> dict[str, Any]:
    return {"template_uuid": _templates(clinic).uuid}


def _patient(clinic: Any) -> dict[str, Any]:
    return {"patient_uuid": _pat_patient(clinic).uuid}


def _tablet(clinic: Any) -> dict[str, Any]:
    return {"patient_uuid": _pat_patient(clinic).uuid, "template_uuid": _templates(clinic).uuid}


def _consent(clinic: Any) -> dict[str, Any]:
    from ketaflow.intake.services import consent_sign

    consent = consent_sign(
        patient=_pat_patient(clinic),
        template=_templates(clinic),
        signer_name="Pat Demo",
        signature_text="Pat Demo",
        channel="portal",
        signed_by=clinic.user("pat"),
        ip_address="127.0.0.1",
    )
    return {"consent_uuid": consent.uuid}


MATRIX: dict[str, Entry] = {
    "intake:start": Entry(allowed=EVERYONE, kwargs=_token, ok_status=302),
    "intake:overview": Entry(allowed=PAT, kwargs=_open_intake),
    "intake:step": Entry(allowed=PAT, kwargs=_step),
    "intake:submit": Entry(allowed=PAT, kwargs=_open_intake, method="post", ok_status=302),
    "intake:done": Entry(allowed=EVERYONE),
    "intake:portal": Entry(allowed=PAT),
    "intake:consent_sign": Entry(allowed=PAT, kwargs=_template),
    "intake:send": Entry(
        allowed=EDITORS,
        kwargs=_patient,
        not_found=EDITORS_ELSEWHERE,
        method="post",
        ok_status=302,
        data=lambda c: {"reason": "depression", "channel": "email"},
    ),
    "intake:review": Entry(allowed=PRESCRIBERS, kwargs=_patient, not_found={"priya"}),
    "intake:rems": Entry(allowed=PRESCRIBERS, kwargs=_patient, not_found={"priya"}),
    "intake:consent_sign_tablet": Entry(allowed=EDITORS, kwargs=_tablet, not_found=EDITORS_ELSEWHERE),
    "intake:consent_countersign": Entry(
        allowed=RECORDERS, kwargs=_consent, not_found=RECORDERS_ELSEWHERE, method="post", ok_status=302
    ),
    "intake:consent_revoke": Entry(allowed=RECORDERS, kwargs=_consent, not_found=RECORDERS_ELSEWHERE),
    "intake:consent_pdf": Entry(
        allowed=CLINICAL_READERS | PAT, kwargs=_consent, not_found=RECORDERS_ELSEWHERE
    ),
    "intake:template_list": Entry(allowed={"mia"}),
    "intake:template_new": Entry(allowed={"mia"}),
    "intake:template_withdraw": Entry(allowed={"mia"}, kwargs=_template),
}
