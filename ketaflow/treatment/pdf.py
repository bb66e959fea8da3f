"""Session note PDF (WeasyPrint): dose, administration record, vitals chart (same SVG as the page), scores,
adverse events and discharge."""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string


def session_note_pdf(session: Any, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    from ketaflow.treatment.charts import session_chart_svg

    svg = session_chart_svg(session)
    html = render_to_string(
        "treatment/session_pdf.html",
        {**context, "chart_src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()},
    )
    return bytes(HTML(string=html).write_pdf())
