"""A session from check-in to discharge through the services, and every bad input refused with nothing saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.treatment import services
from ketaflow.treatment.models import AdministrationEvent, InfusionSession, SessionAlert, VitalsReading
from ketaflow.treatment.tests.factories import (
    clear_for_infusion,
    course_for,
    good_checklist,
    patient_at,
    place_session,
    session_to,
    today_at,
)


@pytest.fixture
def session(clinic: Any) -> InfusionSession:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    course = course_for(clinic, patient)
    return place_session(clinic, course, start=timezone.now() - dt.timedelta(minutes=90), minutes=180)


def _snapshot(session: InfusionSession) -> tuple[Any, ...]:
    session.refresh_from_db()
    return (
        session.status,
        AdministrationEvent.objects.filter(session=session).count(),
        VitalsReading.objects.filter(session=session).count(),
    )


def test_a_session_runs_from_check_in_to_discharge(clinic: Any, session: InfusionSession) -> None:
    nina, noah_or_paul = clinic.user("nina"), clinic.user("paul")
    session = session_to(clinic, session, "infusing")
    assert session.status == "infusing"
    order = services.current_order(session)
    assert order.result["dose_mg"] == 40.0  # 0.5 mg/kg x 80 kg
    assert order.result["pump_rate_ml_per_h"] == 150.0  # 100 mL over 40 min
    assert session.forecast["ready_at"]
    _, alerts = services.vitals_record(
        session=session,
        values={"sbp_mmhg": 210, "dbp_mmhg": 125, "hr_per_min": 90, "spo2_pct": 97},
        recorded_by=nina,
    )
    assert [a.rule_id for a in alerts] == ["bp-very-high"]
    services.alert_acknowledge(alert=alerts[0], acknowledged_by=nina)
    services.infusion_event_record(
        session=session,
        kind="rate_change",
        rate_mg_per_h=30.0,
        reason="BP rise",
        recorded_by=nina,
        at=timezone.now() - dt.timedelta(minutes=60),
    )
    services.infusion_event_record(
        session=session, kind="stop", recorded_by=nina, at=timezone.now() - dt.timedelta(minutes=35)
    )
    session.refresh_from_db()
    assert session.status == "recovering"
    # 20 min at 60 mg/h + 25 min at 30 mg/h = 20 + 12.5 mg
    assert services.delivered_mg(session) == pytest.approx(32.5, abs=0.1)
    with pytest.raises(services.TreatmentError) as refused:
        services.session_discharge(session=session, discharged_by=nina, escort_present=True)
    assert "No recovery score recorded." in refused.value.messages
    services.recovery_score_record(
        session=session, instrument="aldrete", answers=[2, 2, 2, 2, 2], scored_by=nina
    )
    session.refresh_from_db()
    assert session.status == "ready"
    services.session_discharge(session=session, discharged_by=noah_or_paul, escort_present=True)
    session.refresh_from_db()
    assert session.status == "discharged"
    assert AuditEvent.objects.filter(object_uuid=session.uuid, detail="discharged").exists()


def test_start_without_a_double_checked_order_is_refused(clinic: Any, session: InfusionSession) -> None:
    session = session_to(clinic, session, "checklist_done")
    services.dose_order_sign(session=session, signed_by=clinic.user("paul"))
    before = _snapshot(session)
    with pytest.raises(services.TreatmentError) as refused:
        services.infusion_event_record(session=session, kind="start", recorded_by=clinic.user("nina"))
    assert refused.value.messages == [services.NOT_DOUBLE_CHECKED]
    assert _snapshot(session) == before


def test_a_mismatched_double_check_does_not_unlock_the_start(clinic: Any, session: InfusionSession) -> None:
    session = session_to(clinic, session, "checklist_done")
    order = services.dose_order_sign(session=session, signed_by=clinic.user("paul"))
    check = services.dose_double_check(
        order=order, checked_by=clinic.user("nina"), weight_kg=80.0, concentration_mg_per_ml=50.0
    )
    assert not check.matches and check.mismatches
    with pytest.raises(services.TreatmentError):
        services.infusion_event_record(session=session, kind="start", recorded_by=clinic.user("nina"))
    with pytest.raises(services.TreatmentError) as same:
        services.dose_double_check(
            order=order, checked_by=clinic.user("paul"), weight_kg=80.0, concentration_mg_per_ml=10.0
        )
    assert same.value.messages == [services.DOUBLE_CHECK_SAME_PERSON]


def test_rate_change_on_a_stopped_infusion_is_refused(clinic: Any, session: InfusionSession) -> None:
    session = session_to(clinic, session, "recovering")
    before = _snapshot(session)
    with pytest.raises(services.TreatmentError) as refused:
        services.infusion_event_record(
            session=session,
            kind="rate_change",
            rate_mg_per_h=20.0,
            reason="x",
            recorded_by=clinic.user("nina"),
        )
    assert "not possible now" in refused.value.messages[0]
    assert _snapshot(session) == before


@pytest.mark.parametrize(
    "values,message",
    [
        ({"sbp_mmhg": 400, "dbp_mmhg": 80}, "Systolic BP 400 mmHg is not a possible reading"),
        ({"spo2_pct": 120}, "SpO2 120"),
    ],
)
def test_impossible_vitals_are_refused(
    clinic: Any, session: InfusionSession, values: dict, message: str
) -> None:
    session = session_to(clinic, session, "infusing")
    before = _snapshot(session)
    with pytest.raises(services.TreatmentError) as refused:
        services.vitals_record(session=session, values=values, recorded_by=clinic.user("nina"))
    assert message in " ".join(refused.value.messages)
    assert _snapshot(session) == before


def test_a_second_active_infusion_for_the_same_patient_is_refused(
    clinic: Any, session: InfusionSession
) -> None:
    session_to(clinic, session, "infusing")
    other = place_session(
        clinic, session.course, start=session.starts_at, chair=clinic.wdm.chairs.order_by("id")[1]
    )
    other = session_to(clinic, other, "checklist_done")
    order = services.dose_order_sign(session=other, signed_by=clinic.user("paul"))
    services.dose_double_check(
        order=order, checked_by=clinic.user("nina"), weight_kg=80.0, concentration_mg_per_ml=10.0
    )
    before = _snapshot(other)
    with pytest.raises(services.TreatmentError) as refused:
        services.infusion_event_record(session=other, kind="start", recorded_by=clinic.user("nina"))
    assert refused.value.messages == [services.ANOTHER_ACTIVE_INFUSION]
    assert _snapshot(other) == before


def test_discharge_before_criteria_is_refused_and_state_unchanged(
    clinic: Any, session: InfusionSession
) -> None:
    session = session_to(clinic, session, "recovering")
    services.recovery_score_record(
        session=session, instrument="aldrete", answers=[2, 1, 2, 1, 2], scored_by=clinic.user("nina")
    )
    before = _snapshot(session)
    with pytest.raises(services.TreatmentError) as refused:
        services.session_discharge(session=session, discharged_by=clinic.user("nina"), escort_present=False)
    assert "Recovery score 8 is below 9." in refused.value.messages
    assert "No responsible adult is present to take the patient home." in refused.value.messages
    assert _snapshot(session) == before


def test_checklist_hard_stop_blocks_until_a_prescriber_overrides(
    clinic: Any, session: InfusionSession
) -> None:
    session = session_to(clinic, session, "arrived")
    record = services.checklist_record(
        session=session, data={**good_checklist(), "escort_confirmed": False}, recorded_by=clinic.user("nina")
    )
    assert not record.passed
    assert session.__class__.objects.get(pk=session.pk).status == "arrived"
    with pytest.raises(PermissionDenied):
        services.checklist_override(session=session, overridden_by=clinic.user("nina"), reason="ride waiting")
    with pytest.raises(services.TreatmentError):
        services.checklist_override(session=session, overridden_by=clinic.user("paul"), reason=" ")
    services.checklist_override(
        session=session, overridden_by=clinic.user("paul"), reason="Escort confirmed by phone"
    )
    assert session.__class__.objects.get(pk=session.pk).status == "checklist_done"
    assert AuditEvent.objects.filter(action="override", object_uuid=record.uuid).exists()


def test_corrections_mark_entered_in_error_and_never_delete(clinic: Any, session: InfusionSession) -> None:
    session = session_to(clinic, session, "infusing")
    bolus = services.infusion_event_record(
        session=session, kind="bolus", bolus_mg=5.0, recorded_by=clinic.user("nina")
    )
    services.event_enter_in_error(event=bolus, by=clinic.user("nina"), reason="wrong patient")
    bolus.refresh_from_db()
    assert bolus.entered_in_error
    assert AdministrationEvent.objects.filter(pk=bolus.pk).exists()


def test_monitor_csv_import_refuses_the_whole_file_on_one_bad_row(
    clinic: Any, session: InfusionSession
) -> None:
    session = session_to(clinic, session, "infusing")
    before = _snapshot(session)
    bad = "time,sbp,dbp,hr,spo2\n10:00,120,80,70,98\n10:05,400,80,70,98\n"
    with pytest.raises(services.TreatmentError) as refused:
        services.vitals_import_csv(session=session, text=bad, imported_by=clinic.user("nina"))
    assert refused.value.messages[0].startswith("Row 3:")
    assert _snapshot(session) == before
    good = "time,sbp,dbp,hr,spo2\n10:00,120,80,70,98\n10:05,125,82,72,97\n"
    assert services.vitals_import_csv(session=session, text=good, imported_by=clinic.user("nina")) == 2


def test_alert_thresholds_come_from_the_protocol(clinic: Any, session: InfusionSession) -> None:
    protocol = session.course.protocol
    protocol.alert_thresholds = {
        "spo2-low": {"thresholds": [{"vital": "spo2_pct", "comparison": "below", "threshold": 95}]}
    }
    protocol.save()
    session = session_to(clinic, session, "infusing")
    _, alerts = services.vitals_record(
        session=session, values={"spo2_pct": 94}, recorded_by=clinic.user("nina")
    )
    assert [a.rule_id for a in alerts] == ["spo2-low"]
    assert SessionAlert.objects.filter(session=session).count() == 1


def test_staff_at_another_location_cannot_record(clinic: Any, session: InfusionSession) -> None:
    session = session_to(clinic, session, "infusing")
    with pytest.raises(PermissionDenied):
        services.vitals_record(session=session, values={"hr_per_min": 70}, recorded_by=clinic.user("noah"))


def test_today_helper_is_local(clinic: Any) -> None:
    assert today_at(clinic.wdm, 9).tzinfo is not None
