"""PDF rendering with WeasyPrint: the same data as the screens, laid out for printing and signing."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string


def pdf_response(template: str, context: dict[str, Any], filename: str) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string(template, context)
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
