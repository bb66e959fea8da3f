"""Dose proposals and calibrated recovery forecasts from a patient's own earlier sessions (issue #7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.domain import pk
from ketaflow.testing import login
from ketaflow.treatment import services
from ketaflow.treatment.individualisation import patient_posterior, session_record
from ketaflow.treatment.models import AdministrationEvent, DoseProposal, RecoveryScore, VitalsReading
from ketaflow.treatment.tests.factories import (
    clear_for_infusion,
    course_for,
    patient_at,
    place_session,
    session_to,
    today_at,
)

pytestmark = pytest.mark.django_db

TARGET = {"cadss_low": 2.0, "cadss_high": 8.0, "max_sbp_rise_mmhg": 30.0}


def _finished_session(clinic: Any, course: Any, *, days_ago: int, cadss: list[int], sbp: list[float]) -> Any:
    """An earlier IV session as the record shows it: 0.5 mg/kg over 40 min at 80 kg, readings every 15 min."""
    start = timezone.now() - dt.timedelta(days=days_ago)
    session = place_session(clinic, course, start=start, status="discharged")
    nina = clinic.user("nina")
    AdministrationEvent.objects.create(
        session=session, kind="start", at=start, rate_mg_per_h=60.0, recorded_by=nina
    )
    stop = start + dt.timedelta(minutes=40)
    AdministrationEvent.objects.create(session=session, kind="stop", at=stop, recorded_by=nina)
    VitalsReading.objects.create(
        session=session, taken_at=start - dt.timedelta(minutes=5), sbp_mmhg=120, recorded_by=nina
    )
    for index, (c, s) in enumerate(zip(cadss, sbp, strict=True)):
        VitalsReading.objects.create(
            session=session,
            taken_at=start + dt.timedelta(minutes=15 * (index + 1)),
            sbp_mmhg=s,
            cadss=c,
            moaas=5,
            recorded_by=nina,
        )
    RecoveryScore.objects.create(
        session=session,
        instrument="aldrete",
        answers=[2, 2, 2, 2, 2],
        total=10,
        engine_version="test",
        scored_at=stop + dt.timedelta(minutes=50),
        scored_by=nina,
    )
    type(session).objects.filter(pk=session.pk).update(
        started_at=start, stopped_at=stop, weight_kg=80.0, discharged_at=stop + dt.timedelta(minutes=55)
    )
    session.refresh_from_db()
    return session


def _today(clinic: Any) -> tuple[Any, Any]:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    course = course_for(clinic, patient)
    session = place_session(clinic, course, start=today_at(clinic.wdm, 9))
    return course, session_to(clinic, session, "checklist_done")


def test_an_earlier_session_becomes_an_engine_record(clinic: Any) -> None:
    course, _ = _today(clinic)
    earlier = _finished_session(clinic, course, days_ago=7, cadss=[6, 9, 4, 1], sbp=[135, 142, 130, 124])
    record = session_record(earlier)
    assert record is not None
    assert record.weight_kg == 80.0
    assert record.schedule.infusions[0].rate_mg_per_min == pytest.approx(1.0)
    assert record.ready_after_stop_min == pytest.approx(50.0)
    assert {o.kind for o in record.observations} == {"cadss6", "moaas", "sbp_rise"}
    assert max(o.value for o in record.observations if o.kind == "sbp_rise") == pytest.approx(22.0)


def test_without_earlier_sessions_the_proposal_uses_the_population_and_waits_for_the_prescriber(
    clinic: Any,
) -> None:
    _, session = _today(clinic)
    proposal = services.dose_proposal_create(session=session, requested_by=clinic.user("paul"), **TARGET)
    assert proposal.decision == DoseProposal.Decision.PENDING
    assert proposal.result["basis"] == "population prior"
    assert 0.1 <= proposal.proposed_mg_per_kg <= 1.0
    assert proposal.engine_version == pk.ENGINE_VERSION
    assert proposal.inputs["target"] == TARGET and proposal.inputs["weight_kg"] == 80.0
    assert not session.orders.exists()  # nothing is applied


def test_earlier_sessions_individualise_the_fit_and_the_proposal(clinic: Any) -> None:
    course, session = _today(clinic)
    for days in (14, 10, 7):
        _finished_session(clinic, course, days_ago=days, cadss=[12, 16, 10, 4], sbp=[150, 158, 140, 128])
    posterior, n = patient_posterior(session.patient, before=session)
    assert n == 3 and posterior is not None and posterior.basis == "individual (3 earlier sessions)"
    proposal = services.dose_proposal_create(session=session, requested_by=clinic.user("paul"), **TARGET)
    assert proposal.result["basis"] == "individual (3 earlier sessions)"
    assert proposal.inputs["earlier_sessions"] == 3


def test_only_a_prescriber_proposes_or_decides_and_every_decision_is_audited(clinic: Any) -> None:
    _, session = _today(clinic)
    with pytest.raises(PermissionDenied):
        services.dose_proposal_create(session=session, requested_by=clinic.user("nina"), **TARGET)
    proposal = services.dose_proposal_create(session=session, requested_by=clinic.user("paul"), **TARGET)
    with pytest.raises(PermissionDenied):
        services.dose_proposal_decide(proposal=proposal, decided_by=clinic.user("nina"), decision="accepted")
    with pytest.raises(services.TreatmentError, match="reason for the change"):
        services.dose_proposal_decide(
            proposal=proposal, decided_by=clinic.user("paul"), decision="edited", mg_per_kg=0.4
        )
    with pytest.raises(services.TreatmentError, match="reason for declining"):
        services.dose_proposal_decide(proposal=proposal, decided_by=clinic.user("paul"), decision="declined")
    with pytest.raises(services.TreatmentError, match="within the protocol"):
        services.dose_proposal_decide(
            proposal=proposal, decided_by=clinic.user("paul"), decision="edited", mg_per_kg=3.0, reason="x"
        )
    proposal.refresh_from_db()
    assert proposal.decision == DoseProposal.Decision.PENDING
    decided = services.dose_proposal_decide(
        proposal=proposal,
        decided_by=clinic.user("paul"),
        decision="edited",
        mg_per_kg=0.4,
        reason="Dizzy last time",
    )
    assert decided.decided_mg_per_kg == 0.4 and decided.decided_by == clinic.user("paul")
    assert AuditEvent.objects.filter(action="override", object_uuid=decided.uuid).exists()
    with pytest.raises(services.TreatmentError, match="already been decided"):
        services.dose_proposal_decide(proposal=decided, decided_by=clinic.user("paul"), decision="accepted")


def test_session_page_shows_the_proposal_and_prefills_the_order_with_the_decided_dose(clinic: Any) -> None:
    _, session = _today(clinic)
    client = login(Client(), clinic.user("paul"))
    url = reverse("treatment:session_action", args=[session.uuid, "propose"])
    response = client.post(url, {"cadss_low": "8", "cadss_high": "2", "max_sbp_rise_mmhg": "30"})
    assert "The upper end must be above the lower end." in response.content.decode()
    assert not DoseProposal.objects.exists()
    client.post(url, {k: str(v) for k, v in TARGET.items()})
    proposal = DoseProposal.objects.get()
    client.post(
        reverse("treatment:session_action", args=[session.uuid, "decide"]),
        {"proposal": str(proposal.uuid), "decision": "edited", "mg_per_kg": "0.45", "reason": "Start lower"},
    )
    page = client.get(reverse("treatment:session", args=[session.uuid])).content.decode()
    assert "Dose proposal (PK/PD engine)" in page and "Accepted with a different dose" in page
    assert 'name="mg_per_kg" value="0.45"' in page
