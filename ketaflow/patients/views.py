from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.permissions import staff_required
from ketaflow.patients.selectors import PAGE_SIZE, patient_get_for_chart, patient_search


@staff_required(Perm.VIEW_PATIENT)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    page = Paginator(patient_search(user=request.user, query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    template = "patients/list.html#results" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "q": query})


@staff_required(Perm.VIEW_PATIENT)
def patient_chart(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(user=request.user, patient_uuid=patient_uuid)
    today = timezone.localdate()
    return render(request, "patients/chart.html", {"patient": patient, "age": patient.age_on(today)})
