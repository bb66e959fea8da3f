from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.paging import seek_page
from ketaflow.core.permissions import staff_required
from ketaflow.patients import forms as chart_forms
from ketaflow.patients import services
from ketaflow.patients.models import Medication, Patient, PatientDocument
from ketaflow.patients.selectors import (
    PAGE_SIZE,
    chart_load,
    patient_get_for_chart,
    patient_search,
    record_get,
)


@staff_required(Perm.VIEW_PATIENT)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    page = seek_page(patient_search(user=request.user, query=query), request.GET.get("page"), PAGE_SIZE)
    template = "patients/list.html#results" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "q": query})


@staff_required(Perm.VIEW_PATIENT)
def patient_chart(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(user=request.user, patient_uuid=patient_uuid)
    chart = chart_load(user=request.user, patient=patient)
    return render(request, "patients/chart.html", {"patient": patient, "chart": chart, "age": chart.age})


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where the field exists)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _chart_form(
    request: HttpRequest,
    patient_uuid: object,
    *,
    patient: Patient | None = None,
    form_class: type[forms.Form],
    title: str,
    save: Callable[[Patient, dict[str, Any]], Any],
    success: str,
    anchor: str,
    form_kwargs: dict[str, Any] | None = None,
    multipart: bool = False,
) -> HttpResponse:
    if patient is None:
        patient = patient_get_for_chart(
            user=request.user, patient_uuid=patient_uuid, detail=f"chart form: {title}"
        )
    kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, request.FILES or None, **kwargs)
        if form.is_valid():
            try:
                save(patient, form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, success)
                return redirect(reverse("patients:chart", args=[patient.uuid]) + f"#{anchor}")
    else:
        form = form_class(**kwargs)
    return render(
        request,
        "patients/form.html",
        {"patient": patient, "form": form, "title": title, "multipart": multipart, "anchor": anchor},
        status=400 if request.method == "POST" else 200,
    )


@staff_required(Perm.EDIT_PATIENT)
def patient_edit(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="chart form: details"
    )
    if request.method == "POST":
        form = chart_forms.DemographicsForm(
            request.POST, instance=Patient.objects.get(pk=patient.pk), user=request.user
        )
        if form.is_valid():
            try:
                services.patient_update(
                    patient=patient,
                    updated_by=request.user,
                    changes={name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Details saved.")
                return redirect("patients:chart", patient.uuid)
    else:
        form = chart_forms.DemographicsForm(instance=patient, user=request.user)
    return render(
        request,
        "patients/form.html",
        {"patient": patient, "form": form, "title": "Edit details", "anchor": "details"},
        status=400 if request.method == "POST" else 200,
    )


@staff_required(Perm.RECORD_CLINICAL)
def measurement_add(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    return _chart_form(
        request,
        patient_uuid,
        form_class=chart_forms.MeasurementForm,
        title="Record weight and height",
        success="Weight recorded.",
        anchor="body",
        save=lambda patient, data: services.measurement_record(
            patient=patient, recorded_by=request.user, **data
        ),
    )


@staff_required(Perm.RECORD_CLINICAL)
def allergy_add(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    return _chart_form(
        request,
        patient_uuid,
        form_class=chart_forms.AllergyForm,
        title="Record an allergy",
        success="Allergy recorded.",
        anchor="allergies",
        save=lambda patient, data: services.allergy_record(patient=patient, recorded_by=request.user, **data),
    )


@staff_required(Perm.RECORD_CLINICAL)
def medication_add(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    return _chart_form(
        request,
        patient_uuid,
        form_class=chart_forms.MedicationForm,
        title="Record a medication",
        success="Medication recorded.",
        anchor="medications",
        save=lambda patient, data: services.medication_record(
            patient=patient, recorded_by=request.user, **data
        ),
    )


@staff_required(Perm.PRESCRIBE)
def diagnosis_add(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    return _chart_form(
        request,
        patient_uuid,
        form_class=chart_forms.DiagnosisForm,
        title="Record a diagnosis",
        success="Diagnosis recorded.",
        anchor="diagnoses",
        save=lambda patient, data: services.diagnosis_record(
            patient=patient, recorded_by=request.user, **data
        ),
    )


@staff_required(Perm.EDIT_PATIENT)
def document_upload(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    return _chart_form(
        request,
        patient_uuid,
        form_class=chart_forms.DocumentForm,
        title="Upload a document",
        success="Document uploaded.",
        anchor="documents",
        multipart=True,
        save=lambda patient, data: services.document_upload(
            patient=patient,
            uploaded_by=request.user,
            kind=data["kind"],
            title=data["title"],
            upload=data["file"],
        ),
    )


@staff_required(Perm.RECORD_CLINICAL)
def medication_stop(request: HttpRequest, patient_uuid: object, record_uuid: object) -> HttpResponse:
    def save(patient: Patient, data: dict[str, Any]) -> Any:
        medication = record_get(
            user=request.user, patient=patient, kind="medication", record_uuid=record_uuid
        )
        return services.medication_stop(medication=medication, stopped_by=request.user, **data)

    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="chart form: stop medication"
    )
    if not Medication.objects.current().filter(patient=patient, uuid=record_uuid).exists():
        raise Http404("No such medication.")
    return _chart_form(
        request,
        patient_uuid,
        patient=patient,
        form_class=chart_forms.StopMedicationForm,
        title="Stop a medication",
        success="Medication stopped.",
        anchor="medications",
        save=save,
    )


SECTION_FOR_KIND = {
    "measurement": "body",
    "allergy": "allergies",
    "medication": "medications",
    "diagnosis": "diagnoses",
    "document": "documents",
}


@staff_required(Perm.RECORD_CLINICAL)
def record_error(request: HttpRequest, patient_uuid: object, kind: str, record_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="chart form: entered in error"
    )
    record = record_get(user=request.user, patient=patient, kind=kind, record_uuid=record_uuid)
    return _chart_form(
        request,
        patient_uuid,
        patient=patient,
        form_class=chart_forms.EnteredInErrorForm,
        title=f"Mark this {kind} entered in error",
        success="Marked entered in error. The record stays in the chart history.",
        anchor=SECTION_FOR_KIND.get(kind, ""),
        save=lambda patient, data: services.record_mark_entered_in_error(
            record=record, marked_by=request.user, reason=data["reason"]
        ),
    )


@staff_required(Perm.VIEW_CLINICAL)
def document_download(request: HttpRequest, patient_uuid: object, record_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(user=request.user, patient_uuid=patient_uuid, detail="document opened")
    document = PatientDocument.objects.current().filter(patient=patient, uuid=record_uuid).first()
    if document is None:
        raise Http404("No such document.")
    audit(Action.READ, obj=document, patient_uuid=patient.uuid, detail="document downloaded")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"{document.kind}-{document.uuid}{document.extension}",
    )
    return response
