"""Values the ledger works on: products, containers, entries and their results (all frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class Unit(StrEnum):
    """How a product is counted. Vials by volume (or mass), esketamine nasal sprays by device."""

    MG = "mg"
    ML = "mL"
    DEVICE = "device"


class ContainerState(StrEnum):
    """Life of one container (vial, device kit) from receipt to destruction."""

    SEALED = "sealed"
    OPEN = "open"
    EMPTY = "empty"
    EXPIRED = "expired"
    QUARANTINED = "quarantined"
    DESTROYED = "destroyed"


class EntryKind(StrEnum):
    """Every movement or event the ledger records."""

    RECEIPT = "receipt"
    DRAW = "draw"
    ADMINISTRATION = "administration"
    WASTE = "waste"
    RETURN = "return"
    TRANSFER = "transfer"
    COUNT = "count"
    CORRECTION = "correction"
    DESTRUCTION = "destruction"
    LOSS = "loss"
    THEFT = "theft"
    ADJUSTMENT = "adjustment"
    STATE_CHANGE = "state_change"


@dataclass(frozen=True)
class Product:
    """A stocked controlled-substance product. Ketamine and esketamine are Schedule III (KETALAR-PI, SPRAVATO-PI)."""

    product_id: str
    name: str
    unit: Unit
    schedule: str = "CIII"
    ndc: str = ""
    concentration_mg_per_ml: Decimal | None = None


@dataclass(frozen=True)
class Container:
    """One container and what it holds.

    ``on_hand`` is what is physically in the container; ``in_use`` lists, per session id, what was drawn from it
    and not yet administered, wasted or returned (the syringe or devices in the nurse's custody).
    """

    container_id: str
    product: Product
    location_id: str
    storage_id: str
    state: ContainerState = ContainerState.SEALED
    on_hand: Decimal = ZERO
    in_use: tuple[tuple[str, Decimal], ...] = ()
    expires_on: date | None = None
    received: bool = False

    @property
    def in_use_total(self) -> Decimal:
        """Everything drawn from this container and still in a session's custody."""
        return sum((quantity for _, quantity in self.in_use), ZERO)

    def held_for(self, session_id: str) -> Decimal:
        """What the given session still holds from this container."""
        return next((quantity for sid, quantity in self.in_use if sid == session_id), ZERO)


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row. ``quantity`` is a positive magnitude in the product's unit, except:

    - COUNT: the counted quantity (≥ 0; ``estimated`` for open containers);
    - ADJUSTMENT: signed (positive adds stock, e.g. vial overfill found at a count);
    - TRANSFER: the whole content being moved (may be zero for an empty container);
    - STATE_CHANGE: ignored; ``to_state`` says where the container goes.
    """

    entry_id: str
    kind: EntryKind
    container_id: str
    location_id: str
    occurred_at: datetime
    actor_id: str
    quantity: Decimal = ZERO
    unit: Unit | None = None
    session_id: str | None = None
    witness_ids: tuple[str, ...] = ()
    to_storage_id: str | None = None
    to_location_id: str | None = None
    to_state: ContainerState | None = None
    estimated: bool = False
    corrects_entry_id: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class EntryResult:
    """The container before and after one entry, and how much the entry moved in or out of custody.

    ``custody_change`` is the change of on-hand plus in-use stock (receipts positive, administrations negative,
    draws and transfers zero). ``count_difference`` is counted − expected for a COUNT, else None.
    """

    entry: LedgerEntry
    before: Container
    after: Container
    custody_change: Decimal = ZERO
    count_difference: Decimal | None = field(default=None)
