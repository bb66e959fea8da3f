"""Controlled-substance stock: registrations, storage, products, lots, containers, and the append-only ledger.

Quantities are Decimal in the product's counting unit (mL, mg or device). The arithmetic lives in
``ketaflow.domain.ledger``; these models store its inputs and results (design.md §2). Nothing here is ever
deleted (21 CFR 1304.04: records kept at least two years); ``LedgerLine`` is never updated either.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from ketaflow.core.models import ImmutableRecordError, TrackedModel

ZERO = Decimal(0)
QTY = {"max_digits": 12, "decimal_places": 3}
NEVER_DELETED = "Controlled-substance records are never deleted (kept at least two years)."
APPEND_ONLY = "Ledger lines are append-only; record a correction instead."


class KeptQuerySet(models.QuerySet):
    """Rows that may change state but are never deleted."""

    def delete(self) -> Any:
        raise ImmutableRecordError(NEVER_DELETED)


class KeptModel(TrackedModel):
    objects = KeptQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError(NEVER_DELETED)


class Unit(models.TextChoices):
    ML = "mL", "mL"
    MG = "mg", "mg"
    DEVICE = "device", "device"


class Registration(KeptModel):
    """A DEA or Iowa controlled-substance registration. Iowa registers each location separately (657 IAC 10)."""

    class Kind(models.TextChoices):
        DEA = "dea", "DEA"
        IOWA = "iowa", "Iowa Board of Pharmacy CSA"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="registrations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(max_length=30)
    registrant_name = models.CharField(max_length=200)
    schedules = models.CharField(max_length=40, default="2, 2N, 3, 3N, 4, 5")
    expires_on = models.DateField()

    class Meta:
        ordering = ["location", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="registration_unique_number")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class StoragePlace(KeptModel):
    """A locked safe or cabinet at one location."""

    class Kind(models.TextChoices):
        SAFE = "safe", "Safe"
        CABINET = "cabinet", "Locked cabinet"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="storage_places")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAFE)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="storage_unique_name")]

    def __str__(self) -> str:
        return self.name


class Product(KeptModel):
    """A stocked product. Ketamine and esketamine are Schedule III (KETALAR-PI, SPRAVATO-PI)."""

    class Form(models.TextChoices):
        INJECTION = "injection", "Injection, solution (vial)"
        NASAL_SPRAY = "nasal_spray", "Nasal spray (device)"

    name = models.CharField(max_length=120)
    ndc = models.CharField("NDC", max_length=20, unique=True)
    form = models.CharField(max_length=20, choices=Form.choices)
    concentration_mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    mg_per_device = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    container_size = models.DecimalField(**QTY, help_text="What one container holds, in the counting unit.")
    unit = models.CharField(max_length=10, choices=Unit.choices)
    schedule = models.CharField(max_length=5, default="CIII")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (NDC {self.ndc})"

    def mg_for(self, quantity: Decimal) -> Decimal | None:
        """Milligrams in ``quantity`` of the counting unit, when the product says how to convert."""
        if self.unit == Unit.MG:
            return quantity
        if self.unit == Unit.ML and self.concentration_mg_per_ml is not None:
            return quantity * self.concentration_mg_per_ml
        if self.unit == Unit.DEVICE and self.mg_per_device is not None:
            return quantity * self.mg_per_device
        return None


class Lot(KeptModel):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()

    class Meta:
        ordering = ["product", "expires_on"]
        constraints = [models.UniqueConstraint(fields=["product", "lot_number"], name="lot_unique_number")]

    def __str__(self) -> str:
        return f"lot {self.lot_number} (exp {self.expires_on:%Y-%m-%d})"


class Receipt(KeptModel):
    """An invoice-based receipt (Schedule III: no DEA Form 222), confirmed by the receiver (21 CFR 1304.22)."""

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    storage = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="+")
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.CharField(max_length=300)
    supplier_dea_number = models.CharField("Supplier DEA number", max_length=30)
    invoice_number = models.CharField(max_length=60)
    received_on = models.DateField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_number} from {self.supplier_name}"


class ContainerState(models.TextChoices):
    SEALED = "sealed", "Sealed"
    OPEN = "open", "Open"
    EMPTY = "empty", "Empty"
    EXPIRED = "expired", "Expired"
    QUARANTINED = "quarantined", "Quarantined"
    DESTROYED = "destroyed", "Destroyed"


# States of a container that may still hold stock (empty and destroyed ones pile up over the years).
LIVE_STATES = ("sealed", "open", "expired", "quarantined")


class Container(KeptModel):
    """One vial or device kit. ``on_hand`` and ``in_use`` change only through ledger lines, under a row lock."""

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    storage = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="containers")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="containers")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="containers")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="containers")
    label = models.CharField(max_length=40, help_text="Written on the container, e.g. WDM-0001.")
    state = models.CharField(max_length=12, choices=ContainerState.choices, default=ContainerState.SEALED)
    on_hand = models.DecimalField(**QTY, default=ZERO)
    # {session key: quantity as a string}: drawn for a session and not yet administered, wasted or returned.
    in_use = models.JSONField(default=dict, blank=True)
    received = models.BooleanField(default=False)

    class Meta:
        ordering = ["product__name", "label"]
        indexes = [models.Index(fields=["location", "state"])]
        constraints = [
            models.UniqueConstraint(fields=["location", "label"], name="container_unique_label"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="container_on_hand_not_negative"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def in_use_total(self) -> Decimal:
        return sum((Decimal(q) for q in self.in_use.values()), ZERO)


class StockBalance(models.Model):
    """Running balance of one product at one location, updated under a row lock with every line.

    ``on_hand`` is in the containers, ``in_use`` drawn for sessions; custody = on_hand + in_use.
    """

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="balances")
    on_hand = models.DecimalField(**QTY, default=ZERO)
    in_use = models.DecimalField(**QTY, default=ZERO)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "product"], name="balance_unique_product"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="balance_on_hand_not_negative"),
            models.CheckConstraint(condition=models.Q(in_use__gte=0), name="balance_in_use_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}: {self.on_hand} + {self.in_use}"

    @property
    def custody(self) -> Decimal:
        return self.on_hand + self.in_use


class Kind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    DRAW = "draw", "Draw"
    ADMINISTRATION = "administration", "Administration"
    WASTE = "waste", "Waste"
    RETURN = "return", "Return"
    TRANSFER = "transfer", "Transfer"
    COUNT = "count", "Count"
    CORRECTION = "correction", "Correction"
    DESTRUCTION = "destruction", "Destruction"
    LOSS = "loss", "Loss"
    THEFT = "theft", "Theft"
    ADJUSTMENT = "adjustment", "Adjustment"
    STATE_CHANGE = "state_change", "State change"


class LedgerLineQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError(APPEND_ONLY)

    def delete(self) -> Any:
        raise ImmutableRecordError(APPEND_ONLY)

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise ImmutableRecordError(APPEND_ONLY)


class LedgerLine(models.Model):
    """One append-only ledger line with the container's and the product's balance before and after.

    ``session_uuid`` will point at the infusion session once ``treatment`` has one (another issue); until then
    a line names the session by ``session_label``. ``session_key`` is what the domain calls ``session_id``:
    the session uuid when given, else ``label:<label>``.
    """

    uuid = models.UUIDField(unique=True, editable=False)
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(**QTY)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    session_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    session_label = models.CharField(max_length=120, blank=True)
    session_key = models.CharField(max_length=140, blank=True)
    estimated = models.BooleanField(default=False)
    from_storage = models.ForeignKey(StoragePlace, on_delete=models.PROTECT, related_name="+")
    to_storage = models.ForeignKey(
        StoragePlace, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state_before = models.CharField(max_length=12, choices=ContainerState.choices)
    state_after = models.CharField(max_length=12, choices=ContainerState.choices)
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    reason = models.CharField(max_length=500, blank=True)
    receipt = models.ForeignKey(
        Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    count = models.ForeignKey(
        "StockCount", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_lines"
    )
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    container_before = models.DecimalField(**QTY)
    container_after = models.DecimalField(**QTY)
    container_in_use_before = models.DecimalField(**QTY)
    container_in_use_after = models.DecimalField(**QTY)
    # Custody (on hand + in use) of this product at this location.
    product_before = models.DecimalField(**QTY)
    product_after = models.DecimalField(**QTY)
    count_difference = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    engine_version = models.CharField(max_length=20)

    objects = LedgerLineQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["location", "product", "occurred_at"]),
            models.Index(fields=["location", "kind", "occurred_at"]),
            models.Index(fields=["container", "id"]),
            # Reports and the API page through one location's lines in time order: an index scan, not a sort
            # of every line the location ever wrote (millions at 100k patients).
            models.Index(fields=["location", "occurred_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(container_after__gte=0) & models.Q(product_after__gte=0),
                name="ledger_line_never_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(witness=models.F("actor")), name="ledger_line_witness_not_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind} {self.quantity} {self.unit}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecordError(APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError(APPEND_ONLY)


class StockCount(KeptModel):
    """A shift or daily count of every container at a location, compared with the book."""

    class Kind(models.TextChoices):
        SHIFT = "shift", "Shift count"
        DAILY = "daily", "Daily count"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DAILY)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discrepancy_count = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    engine_version = models.CharField(max_length=20)

    class Meta:
        ordering = ["-counted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.counted_at:%Y-%m-%d %H:%M}"


class CountLine(KeptModel):
    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(**QTY)
    counted = models.DecimalField(**QTY, null=True, blank=True)
    difference = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    allowed = models.DecimalField(**QTY, default=ZERO)
    estimated = models.BooleanField(default=False)
    status = models.CharField(max_length=20)

    class Meta:
        ordering = ["id"]


class Discrepancy(KeptModel):
    """A count difference to investigate, explain, resolve or report (annotated on the count record)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Under investigation"
        EXPLAINED = "explained", "Explained"
        RESOLVED = "resolved", "Resolved"
        REPORTED = "reported", "Reported to DEA (incident)"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    count_line = models.OneToOneField(CountLine, on_delete=models.PROTECT, related_name="discrepancy")
    discovered_at = models.DateTimeField()
    shortage = models.DecimalField(
        max_digits=12, decimal_places=3, help_text="Missing quantity; negative when more was found."
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    explanation = models.TextField(blank=True)
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies"
    )

    class Meta:
        ordering = ["-discovered_at", "-id"]
        verbose_name_plural = "discrepancies"

    @property
    def is_explained(self) -> bool:
        return self.status in (self.Status.EXPLAINED, self.Status.RESOLVED)


class Inventory(KeptModel):
    """Initial or biennial inventory (21 CFR 1304.11): date, opening or close of business, signed."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial inventory"
        BIENNIAL = "biennial", "Biennial inventory"

    class TakenAt(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSING = "closing", "Close of business"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    taken_on = models.DateField()
    taken_at = models.CharField(max_length=10, choices=TakenAt.choices)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    signature = models.CharField(max_length=150, help_text="Full name typed by the signer.")
    registrations = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-taken_on", "-id"]
        verbose_name_plural = "inventories"


class InventoryLine(KeptModel):
    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=120)
    ndc = models.CharField(max_length=20)
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    state = models.CharField(max_length=12)
    book = models.DecimalField(**QTY)
    counted = models.DecimalField(**QTY)
    estimated = models.BooleanField(default=False)
    unit = models.CharField(max_length=10)

    class Meta:
        ordering = ["product_name", "id"]


class Destruction(KeptModel):
    """A destruction record with the data DEA Form 41 asks for, witnessed by two authorised employees."""

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    container = models.OneToOneField(Container, on_delete=models.PROTECT, related_name="destruction")
    line = models.OneToOneField(LedgerLine, on_delete=models.PROTECT, related_name="destruction")
    ndc = models.CharField(max_length=20)
    product_name = models.CharField(max_length=120)
    strength = models.CharField(max_length=60)
    form = models.CharField(max_length=60)
    package_quantity = models.DecimalField(**QTY)
    partial_count = models.DecimalField(**QTY)
    total_destroyed = models.DecimalField(**QTY)
    unit = models.CharField(max_length=10)
    method = models.CharField(max_length=200)
    destroyed_on = models.DateField()
    destroyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    second_witness = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-destroyed_on", "-id"]


class Incident(KeptModel):
    """Theft or significant loss: one-business-day notice and DEA Form 106 within 45 days (DEA-106-2023)."""

    class Kind(models.TextChoices):
        THEFT = "theft", "Theft"
        SIGNIFICANT_LOSS = "loss", "Significant loss"

    class TheftType(models.TextChoices):
        NIGHT_BREAK_IN = "night_break_in", "Night break-in"
        ARMED_ROBBERY = "armed_robbery", "Armed robbery"
        EMPLOYEE_PILFERAGE = "employee_pilferage", "Employee pilferage"
        CUSTOMER_THEFT = "customer_theft", "Customer theft"
        LOST_IN_TRANSIT = "lost_in_transit", "Lost in transit"
        OTHER = "other", "Other (explain)"

    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    theft_type = models.CharField(max_length=20, choices=TheftType.choices, default=TheftType.OTHER)
    discovered_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    police_notified = models.BooleanField(default=False)
    police_department = models.CharField(max_length=120, blank=True)
    police_report_number = models.CharField(max_length=60, blank=True)
    security_changes = models.TextField(blank=True, help_text="Measures taken to prevent a recurrence.")
    notify_by = models.DateField()
    form_106_by = models.DateField()
    dea_notified = models.BooleanField(default=False)
    dea_notified_at = models.DateTimeField(null=True, blank=True)
    form_106_submitted_at = models.DateTimeField(null=True, blank=True)
    form_106_reference = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["-discovered_at", "-id"]
