"""Signed consent PDFs (WeasyPrint), stored once under MEDIA_ROOT and never overwritten."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from ketaflow.core.models import ImmutableRecordError

ALREADY_STORED = "A signed consent PDF is never overwritten."


def render_consent_pdf(consent: Any, *, countersigned: bool) -> bytes:
    from weasyprint import HTML

    signature_src = ""
    if consent.signature_png:
        signature_src = "data:image/png;base64," + base64.b64encode(bytes(consent.signature_png)).decode()
    html = render_to_string(
        "intake/consent_pdf.html",
        {
            "consent": consent,
            "template": consent.template,
            "patient": consent.patient,
            "paragraphs": [p.strip() for p in consent.template.body.split("\n\n") if p.strip()],
            "signature_src": signature_src,
            "countersigned": countersigned,
        },
    )
    return bytes(HTML(string=html).write_pdf())


def store_pdf(path: str, data: bytes) -> str:
    """Write ``data`` at ``path`` (refusing to overwrite) and return its SHA-256."""
    if default_storage.exists(path):
        raise ImmutableRecordError(ALREADY_STORED)
    saved = default_storage.save(path, ContentFile(data))
    if saved != path:  # pragma: no cover - storage renamed instead of writing the path we asked for
        raise ImmutableRecordError(ALREADY_STORED)
    return hashlib.sha256(data).hexdigest()
