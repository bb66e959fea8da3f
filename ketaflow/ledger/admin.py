"""Managers configure registrations, storage places and products here. Stock itself changes only through the
ledger services, so every stock record is read-only in the admin and nothing can be deleted."""

from django.contrib import admin

from ketaflow.core.admin_site import ManagerModelAdmin, ReadOnlyModelAdmin
from ketaflow.ledger.models import (
    Container,
    Destruction,
    Discrepancy,
    Incident,
    Inventory,
    LedgerLine,
    Lot,
    Product,
    Receipt,
    Registration,
    StockBalance,
    StockCount,
    StoragePlace,
)


@admin.register(Registration)
class RegistrationAdmin(ManagerModelAdmin):
    list_display = ["location", "kind", "number", "registrant_name", "expires_on"]
    list_filter = ["location", "kind"]


@admin.register(StoragePlace)
class StoragePlaceAdmin(ManagerModelAdmin):
    list_display = ["location", "name", "kind", "is_active"]
    list_filter = ["location"]


@admin.register(Product)
class ProductAdmin(ManagerModelAdmin):
    list_display = [
        "name",
        "ndc",
        "form",
        "concentration_mg_per_ml",
        "mg_per_device",
        "container_size",
        "unit",
    ]


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyModelAdmin):
    list_display = ["occurred_at", "location", "kind", "container", "quantity", "unit", "actor", "witness"]
    list_filter = ["location", "kind"]
    search_fields = ["uuid", "session_label", "container__label"]
    date_hierarchy = "occurred_at"
    list_select_related = ["location", "container", "actor", "witness"]


for model in (
    Lot,
    Receipt,
    Container,
    StockBalance,
    StockCount,
    Discrepancy,
    Inventory,
    Destruction,
    Incident,
):
    admin.site.register(model, ReadOnlyModelAdmin)
