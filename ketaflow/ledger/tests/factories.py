"""Small builders for ledger tests on top of the demo clinic and demo ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ketaflow.ledger import services
from ketaflow.ledger.demo import DEMO_PRODUCTS
from ketaflow.ledger.models import Container, Product, StoragePlace

KETAMINE_10 = DEMO_PRODUCTS[0]["ndc"]
ESKETAMINE = DEMO_PRODUCTS[2]["ndc"]


def product(ndc: str = KETAMINE_10) -> Product:
    return Product.objects.get(ndc=ndc)


def safe(location: Any) -> StoragePlace:
    return StoragePlace.objects.get(location=location, name="Main safe")


def receive(
    clinic: Any,
    *,
    location: Any = None,
    by: str = "carl",
    ndc: str = KETAMINE_10,
    count: int = 1,
    quantity: str = "20",
    lot: str = "T-LOT-1",
    expires_on: dt.date | None = None,
    invoice: str = "T-INV-1",
) -> list[Container]:
    location = location or clinic.wdm
    receipt = services.receipt_record(
        location=location,
        storage=safe(location),
        supplier_name="DEMO supplier",
        supplier_address="1 Demo Way, Ankeny, IA",
        supplier_dea_number="RD9999990",
        invoice_number=invoice,
        received_on=timezone.localdate(),
        product=product(ndc),
        lot_number=lot,
        expires_on=expires_on or timezone.localdate() + dt.timedelta(days=365),
        container_count=count,
        quantity_per_container=Decimal(quantity),
        received_by=clinic.user(by),
    )
    return list(Container.objects.filter(receipt=receipt).order_by("id"))
