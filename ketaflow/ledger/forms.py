"""Ledger forms. They validate shape; the services (and the domain rules) decide and explain refusals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketaflow.ledger.models import (
    Container,
    ContainerState,
    Incident,
    Inventory,
    Product,
    StockCount,
    StoragePlace,
)

DATE = forms.DateInput(attrs={"type": "date"})
QTY = {"max_digits": 12, "decimal_places": 3}


def _qty(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, widget=forms.NumberInput(attrs={"step": "any"}), **QTY, **kwargs)


class WitnessFields(forms.Form):
    """A second person signs on the same tablet: their user name, password and current 6-digit code."""

    witness_username = forms.CharField(label="Witness user name", max_length=150)
    witness_password = forms.CharField(
        label="Witness password", widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    witness_token = forms.CharField(
        label="Witness 6-digit code",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ReceiptForm(forms.Form):
    storage = forms.ModelChoiceField(queryset=StoragePlace.objects.none(), label="Received into")
    supplier_name = forms.CharField(max_length=200)
    supplier_address = forms.CharField(max_length=300)
    supplier_dea_number = forms.CharField(label="Supplier DEA number", max_length=30)
    invoice_number = forms.CharField(max_length=60)
    received_on = forms.DateField(label="Date received", widget=DATE)
    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True))
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(label="Expiry date", widget=DATE)
    container_count = forms.IntegerField(label="Number of containers (vials or kits)")
    quantity_per_container = _qty(
        "Quantity per container",
        required=False,
        help_text="In the product's counting unit (mL or devices). Leave empty for the product's container size.",
    )
    confirmed = forms.BooleanField(
        label="I counted the containers and they match the invoice",
        error_messages={"required": "Confirm that you counted the containers against the invoice."},
    )
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["storage"].queryset = StoragePlace.objects.filter(location=location, is_active=True)  # type: ignore[attr-defined]
        self.fields["received_on"].initial = timezone.localdate()

    def clean_container_count(self) -> int:
        value = self.cleaned_data["container_count"]
        if value is not None and value < 1:
            raise forms.ValidationError("Receive at least one container.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product = data.get("product")
        if data.get("quantity_per_container") is None and product is not None:
            data["quantity_per_container"] = product.container_size
        return data


class DrawForm(forms.Form):
    session_label = forms.CharField(
        label="Infusion session", max_length=120, help_text="e.g. patient initials, chair and time"
    )
    session_uuid = forms.UUIDField(
        label="Session id (optional)", required=False, help_text="Filled in once infusion sessions exist."
    )
    quantity = _qty("Quantity drawn")

    def __init__(self, *args: Any, container: Container, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = container.product
        self.fields["quantity"].label = f"Quantity drawn ({p.unit})"
        if p.concentration_mg_per_ml:
            self.fields["quantity"].help_text = f"{p.concentration_mg_per_ml} mg per mL"


class AdministerForm(forms.Form):
    quantity = _qty("Administered", help_text="As charted on the administration record.")


class WasteForm(WitnessFields):
    quantity = _qty("Wasted")
    reason = forms.CharField(max_length=500, initial="Remainder of the drawn dose")
    field_order = ["quantity", "reason", "witness_username", "witness_password", "witness_token"]


class ReturnForm(forms.Form):
    quantity = _qty("Returned unused")


class TransferForm(forms.Form):
    to_storage = forms.ModelChoiceField(queryset=StoragePlace.objects.none(), label="Move to")

    def __init__(self, *args: Any, container: Container, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_storage"].queryset = StoragePlace.objects.filter(  # type: ignore[attr-defined]
            location_id=container.location_id, is_active=True
        ).exclude(pk=container.storage_id)


class StateForm(forms.Form):
    to_state = forms.ChoiceField(
        label="Move to",
        choices=[
            (ContainerState.QUARANTINED, "Quarantined (set aside for destruction or investigation)"),
            (ContainerState.EXPIRED, "Expired"),
            (ContainerState.SEALED, "Released from quarantine: sealed"),
            (ContainerState.OPEN, "Released from quarantine: open"),
        ],
    )
    reason = forms.CharField(max_length=500)


class DestroyForm(forms.Form):
    method = forms.CharField(max_length=200, initial="Rendered non-retrievable in a chemical denaturing kit")
    destroyed_on = forms.DateField(label="Date destroyed", widget=DATE)
    witness_username = forms.CharField(label="First witness user name", max_length=150)
    witness_password = forms.CharField(label="First witness password", widget=forms.PasswordInput)
    witness_token = forms.CharField(label="First witness 6-digit code", max_length=6, min_length=6)
    second_witness_username = forms.CharField(label="Second witness user name", max_length=150)
    second_witness_password = forms.CharField(label="Second witness password", widget=forms.PasswordInput)
    second_witness_token = forms.CharField(label="Second witness 6-digit code", max_length=6, min_length=6)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destroyed_on"].initial = timezone.localdate()


class CorrectForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class _PerContainer(forms.Form):
    """One 'counted' and one 'estimated' field per container, named by the container's uuid."""

    def __init__(self, *args: Any, containers: list[Container], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.containers = containers
        for c in containers:
            self.fields[f"counted_{c.uuid}"] = _qty(f"{c.label} counted ({c.product.unit})", required=False)
            self.fields[f"estimated_{c.uuid}"] = forms.BooleanField(
                label=f"{c.label}: estimated (open container)", required=False
            )

    def rows(self) -> list[tuple[Container, Any, Any]]:
        return [(c, self[f"counted_{c.uuid}"], self[f"estimated_{c.uuid}"]) for c in self.containers]

    def counted(self) -> list[Any]:
        from ketaflow.ledger.services import Counted

        return [
            Counted(
                str(c.uuid),
                self.cleaned_data.get(f"counted_{c.uuid}"),
                bool(self.cleaned_data.get(f"estimated_{c.uuid}")),
            )
            for c in self.containers
        ]


class CountForm(_PerContainer):
    kind = forms.ChoiceField(choices=StockCount.Kind.choices, initial=StockCount.Kind.DAILY)
    note = forms.CharField(max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for c in self.containers:
            value = data.get(f"counted_{c.uuid}")
            if value is not None and value < 0:
                self.add_error(f"counted_{c.uuid}", "A counted quantity cannot be negative.")
        return data


class InventoryForm(_PerContainer):
    kind = forms.ChoiceField(choices=Inventory.Kind.choices, initial=Inventory.Kind.BIENNIAL)
    taken_on = forms.DateField(label="Date of inventory", widget=DATE)
    taken_at = forms.ChoiceField(label="Taken at", choices=Inventory.TakenAt.choices)
    note = forms.CharField(max_length=500, required=False)
    signature = forms.CharField(label="Signature: type your full name", max_length=150)
    password = forms.CharField(label="Your password (signs the inventory)", widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["taken_on"].initial = timezone.localdate()
        for c in self.containers:
            self.fields[f"counted_{c.uuid}"].required = True
            self.fields[f"counted_{c.uuid}"].initial = None

    def head_fields(self) -> list[Any]:
        return [self[n] for n in ("kind", "taken_on", "taken_at", "note")]

    def sign_fields(self) -> list[Any]:
        return [self[n] for n in ("signature", "password")]


class DiscrepancyForm(forms.Form):
    status = forms.ChoiceField(
        label="Next step",
        choices=[
            ("investigating", "Investigate"),
            ("explained", "Explained (annotate the count record)"),
            ("resolved", "Resolved"),
            ("reported", "Reported to DEA as a theft or significant loss"),
        ],
    )
    explanation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    incident = forms.ModelChoiceField(queryset=Incident.objects.none(), required=False)

    def __init__(self, *args: Any, location_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.filter(location_id=location_id)  # type: ignore[attr-defined]


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label="What happened", choices=Incident.Kind.choices)
    theft_type = forms.ChoiceField(
        label="Type of theft or loss (Form 106)", choices=Incident.TheftType.choices
    )
    discovered_at = forms.DateTimeField(
        label="Discovered at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    container = forms.ModelChoiceField(queryset=Container.objects.none(), label="Container")
    quantity = _qty("Quantity missing")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    police_notified = forms.BooleanField(required=False)
    police_department = forms.CharField(max_length=120, required=False)
    police_report_number = forms.CharField(max_length=60, required=False)
    security_changes = forms.CharField(
        label="Measures taken to prevent a recurrence",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, location: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["container"].queryset = (  # type: ignore[attr-defined]
            Container.objects.filter(location=location, received=True, on_hand__gt=0)
            .select_related("product")
            .order_by("label")
        )
        self.fields["discovered_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def clean_quantity(self) -> Decimal:
        value = self.cleaned_data["quantity"]
        if value is not None and value <= 0:
            raise forms.ValidationError("The quantity must be greater than zero.")
        return value


class IncidentUpdateForm(forms.Form):
    dea_notified = forms.BooleanField(
        label="Written notice sent to the DEA Field Division (within 1 business day)", required=False
    )
    form_106_submitted = forms.BooleanField(label="DEA Form 106 submitted electronically", required=False)
    form_106_reference = forms.CharField(label="Form 106 reference", max_length=60, required=False)


class ReportFilterForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.all(), required=False)
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)
    session = forms.CharField(label="Session contains", max_length=120, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
