"""Synthetic controlled-substance stock for the demo clinic. Safe to run any number of times.

Every NDC here starts with ``99999``, a labeller code that belongs to nobody: these are DEMO codes, not real
products. Call ``load_demo_ledger()`` after ``ketaflow.core.demo.load_demo()`` (it needs the locations and the
personas carl, cora, nina and paul).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.clinics.models import Location
from ketaflow.ledger.models import Container, Product, Receipt, Registration, StoragePlace

DEMO_PRODUCTS = [
    # Ketamine HCl injection 10 mg/mL in 20 mL multiple-dose vials (200 mg/20 mL, KETALAR-PI strengths).
    {
        "ndc": "99999-0101-20",
        "name": "DEMO Ketamine HCl injection 10 mg/mL, 20 mL vial",
        "form": Product.Form.INJECTION,
        "concentration_mg_per_ml": Decimal("10"),
        "container_size": Decimal("20"),
        "unit": "mL",
    },
    # 50 mg/mL in 10 mL multiple-dose vials (500 mg/10 mL).
    {
        "ndc": "99999-0105-10",
        "name": "DEMO Ketamine HCl injection 50 mg/mL, 10 mL vial",
        "form": Product.Form.INJECTION,
        "concentration_mg_per_ml": Decimal("50"),
        "container_size": Decimal("10"),
        "unit": "mL",
    },
    # Esketamine nasal spray, 28 mg per device; a 56 mg kit holds 2 devices (SPRAVATO-PI).
    {
        "ndc": "99999-0228-02",
        "name": "DEMO Esketamine nasal spray 28 mg/device, 56 mg kit (2 devices)",
        "form": Product.Form.NASAL_SPRAY,
        "mg_per_device": Decimal("28"),
        "container_size": Decimal("2"),
        "unit": "device",
    },
]

DEMO_REGISTRATIONS = {
    "west-des-moines": [("dea", "FM9999991"), ("iowa", "DEMO-IA-0001")],
    "des-moines": [("dea", "FM9999992"), ("iowa", "DEMO-IA-0002")],
}
SUPPLIER = {
    "supplier_name": "DEMO Midwest Pharmaceutical Supply",
    "supplier_address": "1 Demo Way, Ankeny, IA 50023",
    "supplier_dea_number": "RD9999990",
}


@transaction.atomic
def load_demo_ledger() -> dict[str, Any]:
    """Registrations, two storage places per location, three products, and at West Des Moines one receipt of
    ketamine vials and esketamine kits plus a draw, administration and witnessed waste. Idempotent."""
    from ketaflow.ledger import services

    products = {}
    for spec in DEMO_PRODUCTS:
        product, _ = Product.objects.get_or_create(ndc=spec["ndc"], defaults=spec)
        products[spec["ndc"]] = product
    storage: dict[str, StoragePlace] = {}
    for location in Location.objects.filter(slug__in=DEMO_REGISTRATIONS):
        for kind, number in DEMO_REGISTRATIONS[location.slug]:
            Registration.objects.get_or_create(
                kind=kind,
                number=number,
                defaults={
                    "location": location,
                    "registrant_name": "Metro Anesthesia & Pain Management, P.C. (DEMO)",
                    "expires_on": dt.date(2028, 6, 30),
                },
            )
        safe, _ = StoragePlace.objects.get_or_create(
            location=location, name="Main safe", defaults={"kind": StoragePlace.Kind.SAFE}
        )
        StoragePlace.objects.get_or_create(
            location=location, name="Infusion room cabinet", defaults={"kind": StoragePlace.Kind.CABINET}
        )
        storage[location.slug] = safe

    wdm = Location.objects.filter(slug="west-des-moines").first()
    carl = User.objects.filter(username="carl").first()
    nina = User.objects.filter(username="nina").first()
    paul = User.objects.filter(username="paul").first()
    made_receipt = False
    if wdm and carl and nina and paul and not Receipt.objects.filter(invoice_number="DEMO-INV-1001").exists():
        made_receipt = True
        today = timezone.localdate()
        services.receipt_record(
            location=wdm,
            storage=storage[wdm.slug],
            invoice_number="DEMO-INV-1001",
            received_on=today,
            product=products["99999-0101-20"],
            lot_number="DEMO-K10-A1",
            expires_on=today + dt.timedelta(days=540),
            container_count=5,
            quantity_per_container=Decimal("20"),
            received_by=carl,
            **SUPPLIER,
        )
        services.receipt_record(
            location=wdm,
            storage=storage[wdm.slug],
            invoice_number="DEMO-INV-1002",
            received_on=today,
            product=products["99999-0228-02"],
            lot_number="DEMO-ESK-B7",
            expires_on=today + dt.timedelta(days=400),
            container_count=3,
            quantity_per_container=Decimal("2"),
            received_by=carl,
            **SUPPLIER,
        )
        vial = (
            Container.objects.filter(location=wdm, product=products["99999-0101-20"]).order_by("id").first()
        )
        assert vial is not None
        label = "DEMO session, chair 1"
        services.container_draw(
            container=vial, quantity=Decimal("5"), session_uuid=None, session_label=label, drawn_by=nina
        )
        key = services.session_key_for(None, label)
        services.container_administer(
            container=vial, session_key=key, quantity=Decimal("3.5"), administered_by=nina
        )
        services.container_waste(
            container=vial,
            session_key=key,
            quantity=Decimal("1.5"),
            wasted_by=nina,
            witness=paul,
            reason="Remainder of the drawn dose",
        )
    return {"products": len(products), "storage_places": len(storage) * 2, "receipt_created": made_receipt}
