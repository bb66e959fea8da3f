from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.models import AuditEvent
from ketaflow.core.paging import seek_page
from ketaflow.core.permissions import patient_required, staff_required
from ketaflow.core.selectors import audit_events_filtered


@staff_required(Perm.VIEW_DASHBOARD)
def dashboard(request: HttpRequest) -> HttpResponse:
    location = request.location  # type: ignore[attr-defined]
    return render(request, "core/dashboard.html", {"location": location, "today": timezone.localdate()})


@patient_required
def portal(request: HttpRequest) -> HttpResponse:
    patient = getattr(request.user, "patient", None)
    if patient is not None:
        audit(Action.READ, obj=patient, patient_uuid=patient.uuid, detail="portal home viewed by patient")
    return render(request, "core/portal.html", {"patient": patient})


class AuditFilterForm(forms.Form):
    patient = forms.UUIDField(required=False, label="Patient id")
    actor = forms.CharField(required=False, label="User name", max_length=150)
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data


@staff_required(Perm.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.none()
    if form.is_bound and not form.is_valid():
        page = seek_page(events, 1, 100)
    else:
        filters = form.cleaned_data if form.is_bound else {}
        events = audit_events_filtered(
            user=request.user,
            patient=filters.get("patient"),
            user_name=filters.get("actor") or "",
            date_from=filters.get("date_from"),
            date_to=filters.get("date_to"),
        )
        if request.GET.get("format") == "csv":
            audit(Action.EXPORT, object_type="core.AuditEvent", detail="audit log CSV export")
            return _audit_csv(events)
        page = seek_page(events, request.GET.get("page"), 100)
    return render(request, "core/audit_log.html", {"form": form, "page": page})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _audit_csv(events: object) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = [
        "occurred_at",
        "actor",
        "role",
        "action",
        "object_type",
        "object_uuid",
        "patient_uuid",
        "location",
        "ip",
        "request_id",
        "detail",
    ]

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(header)
        for e in events.iterator(chunk_size=2000):  # type: ignore[attr-defined]
            yield writer.writerow(
                [
                    e.occurred_at.isoformat(),
                    e.actor_label,
                    e.role,
                    e.action,
                    e.object_type,
                    e.object_uuid or "",
                    e.patient_uuid or "",
                    e.location.name if e.location else "",
                    e.ip_address or "",
                    e.request_id,
                    e.detail,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="ketaflow-audit.csv"'
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
