"""The ledger's URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py). Objects live at West Des Moines."""

from __future__ import annotations

from typing import Any

from ketaflow.core.tests.test_url_matrix import Entry

READERS = {"nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "oscar"}
AT_DSM_ONLY = {"noah", "priya", "cora", "oscar"}
STOCK = {"carl", "cora", "mia"}
DRAWERS = {"nina", "noah", "paul", "priya", "carl", "cora", "oscar"}


def objects(clinic: Any) -> dict[str, Any]:
    """Demo stock at West Des Moines plus one count (with a discrepancy), inventory and incident. Idempotent."""
    from decimal import Decimal

    from ketaflow.ledger import services
    from ketaflow.ledger.demo import load_demo_ledger
    from ketaflow.ledger.models import Container, Discrepancy, Incident, Inventory, LedgerLine

    load_demo_ledger()
    carl = clinic.user("carl")
    containers = list(Container.objects.filter(location=clinic.wdm).order_by("id"))
    if not Discrepancy.objects.filter(location=clinic.wdm).exists():
        services.count_record(
            location=clinic.wdm,
            kind="daily",
            counts=[services.Counted(str(c.uuid), c.on_hand) for c in containers[1:]],
            counted_by=carl,
        )
    if not Inventory.objects.filter(location=clinic.wdm).exists():
        services.inventory_take(
            location=clinic.wdm,
            kind="initial",
            taken_on=clinic.wdm.created_at.date(),
            taken_at="opening",
            counts=[],
            signature="Carl Custodian",
            password="ketaflow-demo-2026",
            taken_by=carl,
        )
    if not Incident.objects.filter(location=clinic.wdm).exists():
        services.incident_report(
            location=clinic.wdm,
            kind="loss",
            theft_type="other",
            discovered_at=clinic.wdm.created_at,
            description="Vial dropped in transit between rooms",
            missing=[services.Missing(containers[-1], Decimal("1"))],
            reported_by=carl,
        )
    vial = Container.objects.filter(location=clinic.wdm, product__unit="mL").order_by("id").first()
    return {
        "container": vial,
        "line": LedgerLine.objects.filter(container=vial, kind="draw").first(),
        "discrepancy": Discrepancy.objects.filter(location=clinic.wdm).first(),
        "count": Discrepancy.objects.filter(location=clinic.wdm).first().count_line.count,  # type: ignore[union-attr]
        "inventory": Inventory.objects.filter(location=clinic.wdm).first(),
        "incident": Incident.objects.filter(location=clinic.wdm).first(),
    }


def _uuid(name: str, kwarg: str) -> Any:
    return lambda clinic: {kwarg: objects(clinic)[name].uuid}


MATRIX: dict[str, Entry] = {
    "ledger:home": Entry(allowed=READERS, not_found={"oscar"}),
    "ledger:report": Entry(
        allowed=READERS, not_found={"oscar"}, kwargs=lambda c: {"report": "administration"}
    ),
    "ledger:receive": Entry(allowed=STOCK),
    "ledger:container": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("container", "container_uuid")
    ),
    "ledger:draw": Entry(allowed=DRAWERS, not_found=AT_DSM_ONLY, kwargs=_uuid("container", "container_uuid")),
    "ledger:use": Entry(
        allowed=DRAWERS,
        not_found=AT_DSM_ONLY,
        kwargs=_uuid("container", "container_uuid"),
        data=lambda c: {"session": "label:DEMO session, chair 1"},
    ),
    "ledger:transfer": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:state": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:destroy": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:correct": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("line", "line_uuid")),
    "ledger:count_new": Entry(allowed=STOCK),
    "ledger:count": Entry(allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("count", "count_uuid")),
    "ledger:discrepancy": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("discrepancy", "discrepancy_uuid")
    ),
    "ledger:inventory_new": Entry(allowed=STOCK),
    "ledger:inventory": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("inventory", "inventory_uuid")
    ),
    "ledger:incident_new": Entry(allowed=STOCK),
    "ledger:incident": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("incident", "incident_uuid")
    ),
}
