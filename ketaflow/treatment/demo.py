"""Synthetic treatment demo: protocols, two courses with a booked induction series, one session in progress today.

``load_demo_treatment()`` is idempotent; run it after ``ketaflow.core.demo.load_demo()``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.clinics.models import Location
from ketaflow.patients.models import Patient
from ketaflow.treatment import booking, services
from ketaflow.treatment.models import Course, InfusionSession, Protocol
from ketaflow.treatment.seeds import ensure_seeded

DEMO_MARK = "Demo course (synthetic)."


def _clear(patient: Patient, pathway: str, prescriber: User, location: Location) -> None:
    """Consultation, candidacy approval and signed consent for a synthetic demo patient."""
    from ketaflow.intake.models import CandidacyReview, ConsentTemplate, SignedConsent
    from ketaflow.scheduling.models import Appointment, ConsultationType

    now = timezone.now()
    consultation = ConsultationType.objects.filter(slug="new-patient-consultation").first()
    if consultation and not Appointment.objects.filter(patient=patient, status="completed").exists():
        Appointment.objects.create(
            patient=patient,
            location=location,
            provider=prescriber,
            consultation_type=consultation,
            starts_at=now - dt.timedelta(days=10),
            ends_at=now - dt.timedelta(days=10) + dt.timedelta(minutes=30),
            status=Appointment.Status.COMPLETED,
            is_new_patient=True,
        )
    if not CandidacyReview.objects.filter(patient=patient, pathway=pathway, decision="approve").exists():
        CandidacyReview.objects.create(
            patient=patient,
            pathway=pathway,
            decision="approve",
            protocol_name="standard",
            facts={"demo": True},
            rule_output={"demo": True},
            engine_version="demo",
            decided_by=prescriber,
            decided_at=now - dt.timedelta(days=9),
        )
    template = ConsentTemplate.objects.filter(pathway=pathway, status="current").first()
    if template is None:
        body = "Synthetic demo consent text for IV ketamine infusions."
        template = ConsentTemplate.objects.create(
            pathway=pathway,
            version=(ConsentTemplate.objects.filter(pathway=pathway).count() + 1),
            title="IV ketamine consent (demo)",
            body=body,
            body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        )
    if not SignedConsent.objects.filter(
        patient=patient, pathway=pathway, countersigned_at__isnull=False
    ).exists():
        SignedConsent.objects.create(
            patient=patient,
            template=template,
            pathway=pathway,
            signer_name=patient.full_name,
            signature_kind="typed",
            signature_text=patient.full_name,
            channel="tablet",
            signed_at=now - dt.timedelta(days=8),
            document_sha256=template.body_sha256,
            countersigned_by=prescriber,
            countersigned_at=now - dt.timedelta(days=8),
        )


def _next_weekday(after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=1)
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    return day


@transaction.atomic
def load_demo_treatment() -> dict[str, Any]:
    """Protocols and PRN formulary; courses with booked series for DEMO-00002 and DEMO-00003; one session in
    progress today at West Des Moines (DEMO-00005). Safe to run any number of times."""
    ensure_seeded()
    protocol = Protocol.objects.get(slug="iv-depression-standard")
    users = {
        u.username: u for u in User.objects.filter(username__in=["frank", "fran", "nina", "paul", "priya"])
    }
    created = 0
    for chart_number, hour in (("DEMO-00002", 9), ("DEMO-00003", 11)):
        patient = Patient.objects.filter(chart_number=chart_number).first()
        if patient is None or Course.objects.filter(patient=patient, booster_plan=DEMO_MARK).exists():
            continue
        location = patient.preferred_location or Location.objects.get(slug="west-des-moines")
        wdm = location.slug == "west-des-moines"
        prescriber, desk = (users["paul"], users["frank"]) if wdm else (users["priya"], users["fran"])
        _clear(patient, protocol.pathway, prescriber, location)
        course = services.course_create(
            patient=patient, protocol=protocol, location=location, created_by=desk, booster_plan=DEMO_MARK
        )
        first = dt.datetime.combine(_next_weekday(timezone.localdate()), dt.time(0), tzinfo=location.tz)
        try:
            proposal = booking.series_propose(
                course=course, earliest_start=first, preferred_time=dt.time(hour)
            )
            booking.series_book(
                course=course, starts=[s.start for s in proposal.plan.sessions], booked_by=desk
            )
            created += 1
        except booking.BookingError:
            pass
    live = _session_today(users)
    return {
        "protocols": Protocol.objects.count(),
        "courses_booked": created,
        "session_today": str(live.uuid) if live else "",
    }


def _session_today(users: dict[str, User]) -> InfusionSession | None:
    """A session that started 25 minutes ago, placed directly (today may be outside opening hours)."""
    patient = Patient.objects.filter(chart_number="DEMO-00005").first()
    if patient is None:
        return None
    location = patient.preferred_location or Location.objects.get(slug="west-des-moines")
    today = timezone.localdate(timezone.now(), location.tz)
    existing = InfusionSession.objects.filter(
        patient=patient, starts_at__date__gte=today - dt.timedelta(days=1)
    ).first()
    if existing is not None:
        return existing
    protocol = Protocol.objects.get(slug="iv-depression-standard")
    wdm = location.slug == "west-des-moines"
    prescriber = users["paul"] if wdm else users["priya"]
    desk = users["frank"] if wdm else users["fran"]
    nina = users["nina"]
    _clear(patient, protocol.pathway, prescriber, location)
    course = services.course_create(
        patient=patient, protocol=protocol, location=location, created_by=desk, booster_plan=DEMO_MARK
    )
    now = timezone.now()
    start = now - dt.timedelta(minutes=40)
    session = InfusionSession.objects.create(
        course=course,
        patient=patient,
        location=location,
        chair=location.chairs.order_by("-label").first(),
        nurse=nina,
        prescriber=prescriber,
        starts_at=start.replace(second=0, microsecond=0),
        ends_at=start.replace(second=0, microsecond=0) + dt.timedelta(minutes=100),
        infusion_minutes=40,
        recovery_minutes=60,
        booked_by=desk,
    )
    services.session_check_in(session=session, checked_in_by=desk)
    services.checklist_record(
        session=session,
        data={
            "identity_confirmed": True,
            "last_solid_food_at": now - dt.timedelta(hours=9),
            "last_clear_liquid_at": now - dt.timedelta(hours=3),
            "escort_confirmed": True,
            "escort_name": "Jordan (partner)",
            "escort_phone": "(515) 555-0188",
            "weight_kg": 76.0,
            "sbp_mmhg": 126.0,
            "dbp_mmhg": 80.0,
            "hr_per_min": 72.0,
            "spo2_pct": 98.0,
            "rr_per_min": 14.0,
            "pregnancy_test": "not_applicable",
            "medication_changes_reviewed": True,
            "pre_treatment_rating_done": True,
            "iv_access_confirmed": True,
        },
        recorded_by=nina,
    )
    order = services.dose_order_sign(session=session, signed_by=prescriber)
    services.dose_double_check(order=order, checked_by=nina, weight_kg=76.0, concentration_mg_per_ml=10.0)
    started = now - dt.timedelta(minutes=25)
    services.infusion_event_record(
        session=session, kind="start", recorded_by=nina, at=started, lot="DEMO-LOT-1"
    )
    for minutes, sbp, dbp, hr, moaas, cadss in ((0, 128, 81, 74, 5, 0), (15, 141, 88, 80, 4, 3)):
        services.vitals_record(
            session=session,
            values={
                "sbp_mmhg": sbp,
                "dbp_mmhg": dbp,
                "hr_per_min": hr,
                "spo2_pct": 98,
                "rr_per_min": 14,
                "moaas": moaas,
                "cadss": cadss,
            },
            recorded_by=nina,
            taken_at=started + dt.timedelta(minutes=minutes),
        )
    return session
