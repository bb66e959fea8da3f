"""One of each ledger record at West Des Moines, for the URL matrix and the page tests."""

from __future__ import annotations

from typing import Any


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
