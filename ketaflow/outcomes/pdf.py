"""Progress report PDF (WeasyPrint): the same trajectory SVGs as the page, classifications, course summary and a
plain-language explanation, for the patient and the referring clinician."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from ketaflow.domain import outcomes as domain
from ketaflow.outcomes import charts
from ketaflow.outcomes.progress import Progress


def _clinic_name(patient: Any) -> str:
    location = patient.preferred_location
    clinic = getattr(location, "clinic", None) if location is not None else None
    return clinic.name if clinic is not None else "Ketaflow"


def progress_report_html(progress: Progress, *, prepared_by: Any) -> str:
    for item in progress.instruments:
        # Own ids so the report never clashes with the page's (ids are unique per document).
        item.svg = charts.trajectory_svg(item.chart, id_prefix="report")
    return render_to_string(
        "outcomes/progress/report_pdf.html",
        {
            "progress": progress,
            "patient": progress.patient,
            "prepared_by": prepared_by,
            "engine_version": domain.VERSION,
            "clinic_name": _clinic_name(progress.patient),
        },
    )


def progress_report_pdf(progress: Progress, *, prepared_by: Any) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=progress_report_html(progress, prepared_by=prepared_by)).write_pdf())
