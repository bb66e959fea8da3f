"""Bundles and the CapabilityStatement, validated with fhir.resources before they leave the server."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from ketaflow.fhir.mapping import FHIR_VERSION, canonical_base, everything
from ketaflow.patients.models import Patient

EXPORTED_TYPES = [
    "Patient",
    "Condition",
    "Appointment",
    "Encounter",
    "Observation",
    "QuestionnaireResponse",
    "Consent",
]


def validate(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate one resource with its R4B model; raises pydantic.ValidationError when it is malformed."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump(mode="json", exclude_none=True)


def everything_bundle(patient: Patient) -> dict[str, Any]:
    entries = [
        {"fullUrl": f"{canonical_base()}/{r['resourceType']}/{r['id']}", "resource": validate(r)}
        for r in everything(patient)
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": timezone.now().astimezone(dt.UTC).isoformat()},
        "type": "searchset",
        "total": len(entries),
        "entry": entries,
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def capability_statement() -> dict[str, Any]:
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "Ketaflow",
        "kind": "instance",
        "software": {"name": "Ketaflow", "version": "0.1.0"},
        "implementation": {"description": "Ketaflow FHIR R4 export (read-only)", "url": canonical_base()},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Bearer token with the read:clinical scope, or a staff session. "
                    "Every export is audited.",
                },
                "resource": [
                    {
                        "type": "Patient",
                        "interaction": [],
                        "operation": [
                            {
                                "name": "everything",
                                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                            }
                        ],
                    },
                    *[{"type": t, "interaction": []} for t in EXPORTED_TYPES[1:]],
                ],
            }
        ],
    }
    return CapabilityStatement.model_validate(statement).model_dump(mode="json", exclude_none=True)
