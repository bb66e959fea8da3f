"""Small builders for ledger tests: one vial product, one device product, entries with sane defaults."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from ketaflow.domain.ledger import Container, ContainerState, EntryKind, LedgerEntry, Product, Unit

KETAMINE_10 = Product(
    product_id="ketamine-10mg-ml-20ml",
    name="Ketamine HCl 10 mg/mL, 20 mL vial",
    unit=Unit.ML,
    concentration_mg_per_ml=Decimal("10"),
)
ESKETAMINE_DEVICE = Product(product_id="spravato-28mg", name="Esketamine 28 mg device", unit=Unit.DEVICE)

WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def container(
    *,
    product: Product = KETAMINE_10,
    on_hand: str = "0",
    state: ContainerState = ContainerState.SEALED,
    received: bool | None = None,
    expires_on: date | None = date(2027, 1, 31),
    container_id: str = "vial-1",
    location_id: str = "wdm",
    storage_id: str = "safe-a",
) -> Container:
    quantity = Decimal(on_hand)
    return Container(
        container_id=container_id,
        product=product,
        location_id=location_id,
        storage_id=storage_id,
        state=state,
        on_hand=quantity,
        expires_on=expires_on,
        received=quantity > 0 if received is None else received,
    )


def entry(kind: EntryKind, quantity: str = "0", **overrides: object) -> LedgerEntry:
    values: dict[str, object] = {
        "entry_id": f"e{next(_ids)}",
        "kind": kind,
        "container_id": "vial-1",
        "location_id": "wdm",
        "occurred_at": WHEN,
        "actor_id": "nina",
        "quantity": Decimal(quantity),
    }
    values.update(overrides)
    return LedgerEntry(**values)  # type: ignore[arg-type]
