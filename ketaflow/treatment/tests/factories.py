"""Test data for treatment: a patient cleared for infusions (consultation, candidacy, consent, REMS), courses,
sessions placed directly (for board and matrix tests) and a session walked to any state through the services."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.utils import timezone

from ketaflow.intake.models import CandidacyReview, ConsentTemplate, RemsEnrollment, SignedConsent
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment, ConsultationType
from ketaflow.treatment import booking, services
from ketaflow.treatment.models import Course, InfusionSession, Protocol
from ketaflow.treatment.seeds import ensure_seeded


def prescriber_for(clinic: Any, location: Any) -> Any:
    return clinic.user("paul") if location.pk == clinic.wdm.pk else clinic.user("priya")


def clear_for_infusion(clinic: Any, patient: Patient, pathway: str = "iv_ketamine_depression") -> Patient:
    """Consultation done, candidacy approved, consent signed and counter-signed (+ REMS for esketamine)."""
    location = patient.preferred_location or clinic.wdm
    prescriber = prescriber_for(clinic, location)
    now = timezone.now()
    consultation, _ = ConsultationType.objects.get_or_create(
        slug="new-patient-consultation", defaults={"name": "New-patient consultation", "mode": "in_person"}
    )
    Appointment.objects.create(
        patient=patient,
        location=location,
        provider=prescriber,
        consultation_type=consultation,
        starts_at=now - dt.timedelta(days=7),
        ends_at=now - dt.timedelta(days=7) + dt.timedelta(minutes=30),
        status=Appointment.Status.COMPLETED,
    )
    CandidacyReview.objects.create(
        patient=patient,
        pathway=pathway,
        decision=CandidacyReview.Decision.APPROVE,
        protocol_name="standard",
        facts={},
        rule_output={},
        engine_version="test",
        decided_by=prescriber,
        decided_at=now - dt.timedelta(days=6),
    )
    body = f"Consent for {pathway} (synthetic test text)."
    template, _ = ConsentTemplate.objects.get_or_create(
        pathway=pathway,
        version=1,
        defaults={
            "title": f"Consent {pathway}",
            "body": body,
            "body_sha256": hashlib.sha256(body.encode()).hexdigest(),
        },
    )
    SignedConsent.objects.create(
        patient=patient,
        template=template,
        pathway=pathway,
        signer_name=patient.full_name,
        signature_kind=SignedConsent.SignatureKind.TYPED,
        signature_text=patient.full_name,
        channel=SignedConsent.Channel.TABLET,
        signed_at=now - dt.timedelta(days=5),
        document_sha256=template.body_sha256,
        countersigned_by=prescriber,
        countersigned_at=now - dt.timedelta(days=5),
    )
    if pathway == "esketamine_nasal":
        RemsEnrollment.objects.create(
            patient=patient,
            enrolled_on=timezone.localdate() - dt.timedelta(days=5),
            enrollment_id="REMS-TEST",
            recorded_by=prescriber,
        )
    return patient


def patient_at(clinic: Any, location: Any, index: int = 0) -> Patient:
    return Patient.objects.filter(preferred_location=location).order_by("id")[index]


def course_for(
    clinic: Any, patient: Patient, slug: str = "iv-depression-standard", location: Any = None
) -> Course:
    ensure_seeded()
    protocol = Protocol.objects.get(slug=slug)
    location = location or patient.preferred_location or clinic.wdm
    return Course.objects.create(
        patient=patient,
        protocol=protocol,
        pathway=protocol.pathway,
        location=location,
        planned_sessions=protocol.induction_sessions,
    )


def place_session(
    clinic: Any,
    course: Course,
    *,
    start: dt.datetime,
    chair: Any = None,
    status: str = "booked",
    minutes: int = 100,
) -> InfusionSession:
    """A session row without the booking engine (board and matrix fixtures); claims are not needed there."""
    location = course.location
    nurse = clinic.user("nina")
    return InfusionSession.objects.create(
        course=course,
        patient=course.patient,
        location=location,
        chair=chair or location.chairs.order_by("id").first(),
        nurse=nurse,
        prescriber=prescriber_for(clinic, location),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        infusion_minutes=40,
        recovery_minutes=minutes - 40,
        status=status,
        booked_by=clinic.user("frank"),
    )


def today_at(location: Any, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        timezone.localdate(timezone.now(), location.tz), dt.time(hour, minute), tzinfo=location.tz
    )


GOOD_CHECKLIST = {
    "identity_confirmed": True,
    "escort_confirmed": True,
    "escort_name": "Sam Rivera",
    "escort_phone": "(515) 555-0142",
    "weight_kg": 80.0,
    "sbp_mmhg": 128.0,
    "dbp_mmhg": 82.0,
    "hr_per_min": 74.0,
    "spo2_pct": 98.0,
    "rr_per_min": 14.0,
    "pregnancy_test": "negative",
    "medication_changes_reviewed": True,
    "pre_treatment_rating_done": True,
    "iv_access_confirmed": True,
}


def good_checklist(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        **GOOD_CHECKLIST,
        "last_solid_food_at": now - dt.timedelta(hours=8),
        "last_clear_liquid_at": now - dt.timedelta(hours=3),
    }


def session_to(clinic: Any, session: InfusionSession, state: str) -> InfusionSession:
    """Walk ``session`` through the services up to ``state`` (arrived, checklist_done, infusing, recovering)."""
    nina, paul = clinic.user("nina"), prescriber_for(clinic, session.location)
    order = ["arrived", "checklist_done", "infusing", "recovering"]
    steps = order[: order.index(state) + 1]
    if "arrived" in steps:
        services.session_check_in(session=session, checked_in_by=clinic.user("frank"))
    if "checklist_done" in steps:
        services.checklist_record(session=session, data=good_checklist(), recorded_by=nina)
    if "infusing" in steps:
        dose = services.dose_order_sign(session=session, signed_by=paul)
        services.dose_double_check(order=dose, checked_by=nina, weight_kg=80.0, concentration_mg_per_ml=10.0)
        services.infusion_event_record(
            session=session, kind="start", recorded_by=nina, at=timezone.now() - dt.timedelta(minutes=80)
        )
    if "recovering" in steps:
        services.infusion_event_record(
            session=session, kind="stop", recorded_by=nina, at=timezone.now() - dt.timedelta(minutes=35)
        )
    session.refresh_from_db()
    return session


__all__ = ["booking"]
