"""One router per business area. To add a resource: write ``routers/<area>.py`` with ``router = Router()``
and add it here; the API, the OpenAPI document, schemathesis and the authorization matrix pick it up."""

from __future__ import annotations

from ninja import Router

from ketaflow.api.routers import audit, clinic, ledger, me, patients, schedule

try:  # the treatment app is being built; its routes appear when its models exist
    from ketaflow.api.routers import treatment
except ImportError:  # pragma: no cover
    treatment = None  # type: ignore[assignment]

ROUTERS: list[tuple[str, Router]] = [
    ("/me", me.router),
    ("/", clinic.router),
    ("/", schedule.router),
    ("/patients", patients.router),
    ("/audit-events", audit.router),
    ("/ledger", ledger.router),
]
if treatment is not None:
    ROUTERS.append(("/patients", treatment.router))
