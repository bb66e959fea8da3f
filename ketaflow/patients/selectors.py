"""Patient reads. Every read of one patient's data is audited (denials too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm
from ketaflow.domain import dosing, screening
from ketaflow.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
    PatientDocument,
)

PAGE_SIZE = 50


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """Staff see patients whose preferred location is one of theirs; superusers see all."""
    qs = Patient.objects.current().select_related("preferred_location")
    if user.is_superuser:
        return qs
    return qs.filter(preferred_location_id__in=user.location_ids())


def patient_search(*, user: Any, query: str = "") -> QuerySet[Patient]:
    ensure_perm(user, Perm.VIEW_PATIENT)
    qs = patients_visible_to(user)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(last_name__istartswith=query) | Q(first_name__istartswith=query) | Q(chart_number=query)
        )
    return qs.order_by("last_name", "first_name", "id")


def patient_get_for_chart(
    *, user: Any, patient_uuid: Any, detail: str = "chart viewed", perm: str = Perm.VIEW_PATIENT
) -> Patient:
    """Fetch one patient for reading and write the read to the audit log (denials too)."""
    ensure_perm(user, perm)
    patient = Patient.objects.current().select_related("preferred_location").filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient.")
    if not user.is_superuser and patient.preferred_location_id not in user.location_ids():
        audit(
            Action.DENIED,
            actor=user,
            obj=patient,
            patient_uuid=patient.uuid,
            detail="chart outside user's locations",
        )
        raise Http404("No such patient.")
    audit(Action.READ, actor=user, obj=patient, patient_uuid=patient.uuid, detail=detail)
    return patient


@dataclass(frozen=True)
class BodyFigures:
    """The latest weight with the derived figures, each with its formula and source (domain.dosing)."""

    measurement: BodyMeasurement
    height_cm: float | None
    bmi: float | None
    ideal_kg: float | None
    adjusted_kg: float | None
    formulas: tuple[dosing.WeightFormula, ...]
    note: str = ""


def body_figures(measurements: list[BodyMeasurement], sex: str) -> BodyFigures | None:
    """Figures from the newest weight and the newest height on record (heights change rarely)."""
    if not measurements:
        return None
    latest = measurements[0]
    height = next((m.height_cm for m in measurements if m.height_cm is not None), None)
    bmi = ideal = adjusted = None
    note = ""
    if height is not None:
        bmi = dosing.body_mass_index(weight_kg=latest.weight_kg, height_cm=height)
        if sex in ("male", "female"):
            domain_sex = dosing.Sex(sex)
            ideal = dosing.ideal_body_weight_kg(height_cm=height, sex=domain_sex)
            adjusted = dosing.adjusted_body_weight_kg(
                actual_weight_kg=latest.weight_kg, height_cm=height, sex=domain_sex
            )
        else:
            note = "Ideal and adjusted weight need sex recorded as female or male (the Devine formula has two branches)."
    else:
        note = "No height on record: BMI, ideal and adjusted weight need one."
    return BodyFigures(
        measurement=latest,
        height_cm=height,
        bmi=bmi,
        ideal_kg=ideal,
        adjusted_kg=adjusted,
        formulas=(
            dosing.BMI_FORMULA,
            dosing.DEVINE_IDEAL_BODY_WEIGHT_FORMULA,
            dosing.ADJUSTED_BODY_WEIGHT_FORMULA,
        ),
        note=note,
    )


def domain_medications(medications: list[Medication]) -> tuple[screening.Medication, ...]:
    """Current chart medications as the screening domain's frozen dataclasses."""
    return tuple(
        screening.Medication(
            name=m.name,
            daily_dose_mg=m.daily_dose_mg,
            drug_class=m.drug_class or None,
            diazepam_equivalent_mg_per_day=m.diazepam_equivalent_mg_per_day,
        )
        for m in medications
        if m.is_current
    )


@dataclass
class Chart:
    patient: Patient
    age: int
    measurements: list[BodyMeasurement]
    figures: BodyFigures | None
    allergies: list[Allergy]
    medications: list[Medication]
    flags: list[screening.InteractionFlag]
    diagnoses: list[Diagnosis]
    documents: list[PatientDocument]
    clinical: bool
    intake: dict[str, Any] = field(default_factory=dict)
    course_status: str | None = None
    next_appointment: Any = None
    courses: list[Any] = field(default_factory=list)


def chart_load(*, user: Any, patient: Patient) -> Chart:
    """Everything the chart page shows, in a fixed number of queries whatever the number of rows.

    Front desk (no VIEW_CLINICAL) gets demographics and documents' titles only.
    """
    clinical = user.has_role_perm(Perm.VIEW_CLINICAL)
    measurements: list[BodyMeasurement] = []
    allergies: list[Allergy] = []
    medications: list[Medication] = []
    diagnoses: list[Diagnosis] = []
    intake: dict[str, Any] = {}
    if clinical:
        measurements = list(BodyMeasurement.objects.current().filter(patient=patient))
        allergies = list(Allergy.objects.current().filter(patient=patient))
        medications = list(Medication.objects.current().filter(patient=patient))
        diagnoses = list(Diagnosis.objects.current().filter(patient=patient))
        from ketaflow.intake.selectors import intake_summary_for_chart

        intake = intake_summary_for_chart(patient=patient)
    elif user.has_role_perm(Perm.EDIT_PATIENT):
        from ketaflow.intake.selectors import current_templates

        # Front desk: no clinical data, but they send intake links and hand the tablet for consent.
        intake = {"templates": current_templates()}
    documents = list(PatientDocument.objects.current().filter(patient=patient))
    next_appointment = next_appointment_for(patient)
    courses = courses_for(patient)
    flags = screening.interaction_flags(domain_medications(medications))
    return Chart(
        patient=patient,
        age=patient.age_on(timezone.localdate()),
        measurements=measurements,
        figures=body_figures(measurements, patient.sex),
        allergies=allergies,
        medications=medications,
        flags=flags,
        diagnoses=diagnoses,
        documents=documents,
        clinical=clinical,
        intake=intake,
        course_status=f"{courses[0].get_status_display()} · {courses[0].protocol.name}" if courses else None,
        courses=courses,
        next_appointment=next_appointment,
    )


def courses_for(patient: Patient) -> list[Any]:
    """The patient's treatment courses (treatment app), newest first."""
    from ketaflow.treatment.models import Course

    return list(
        Course.objects.current()
        .filter(patient=patient)
        .select_related("protocol")
        .order_by("-created_at")[:10]
    )


def next_appointment_for(patient: Patient) -> Any:
    """The patient's next booked appointment (scheduling app), or None."""
    from ketaflow.scheduling.models import Appointment

    return (
        Appointment.objects.current()
        .filter(patient=patient, status=Appointment.Status.BOOKED, starts_at__gte=timezone.now())
        .select_related("consultation_type", "location")
        .order_by("starts_at")
        .first()
    )


def record_get(*, user: Any, patient: Patient, kind: str, record_uuid: Any) -> Any:
    from ketaflow.patients.services import RECORD_MODELS

    model = RECORD_MODELS.get(kind)
    if model is None:
        raise Http404("No such record.")
    record = model.objects.filter(patient=patient, uuid=record_uuid).first()
    if record is None:
        raise Http404("No such record.")
    return record
