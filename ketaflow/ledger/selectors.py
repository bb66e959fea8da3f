"""Ledger reads. Every page's related rows are decided here, once, so query counts stay flat (design.md §4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.domain import ledger as dl
from ketaflow.ledger.models import (
    LIVE_STATES,
    Container,
    ContainerState,
    Discrepancy,
    Incident,
    Inventory,
    Kind,
    LedgerLine,
    StockBalance,
    StockCount,
)

# Which ledger lines each report shows (docs/ledger.md maps them to 21 CFR 1304.22).
REPORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ledger": ("Ledger (every line)", ()),
    "administration": (
        "Dispensing and administration log",
        (Kind.DRAW, Kind.ADMINISTRATION, Kind.WASTE, Kind.RETURN),
    ),
    "receipts": ("Receipts log", (Kind.RECEIPT,)),
    "waste": ("Waste log", (Kind.WASTE,)),
    "losses": ("Destruction, loss and theft log", (Kind.DESTRUCTION, Kind.LOSS, Kind.THEFT)),
}
ESCALATION_WINDOW_DAYS = 90


def visible_location_ids(user: Any) -> set[int] | None:
    """None means every location (superuser)."""
    return None if user.is_superuser else user.location_ids()


def _scoped(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    ids = visible_location_ids(user)
    return queryset if ids is None else queryset.filter(location_id__in=ids)


def get_container(user: Any, container_uuid: Any) -> Container:
    container = (
        _scoped(Container.objects.all(), user)
        .select_related("product", "lot", "storage", "location", "receipt")
        .filter(uuid=container_uuid)
        .first()
    )
    if container is None:
        raise Http404("No such container at your locations.")
    return container


def get_scoped(model: Any, user: Any, object_uuid: Any, *related: str) -> Any:
    obj = _scoped(model.objects.all(), user).select_related(*related).filter(uuid=object_uuid).first()
    if obj is None:
        raise Http404("Not found at your locations.")
    return obj


@dataclass
class StockOverview:
    balances: list[StockBalance]
    containers: list[Container]
    open_discrepancies: list[Discrepancy]
    escalation: dl.EscalationDecision
    incidents: list[Incident]
    counts: list[StockCount]
    inventories: list[Inventory]
    biennial_due: dt.date | None


def stock_overview(location: Any) -> StockOverview:
    """Everything the stock home page shows, in 6 queries whatever the number of rows."""
    balances = list(StockBalance.objects.filter(location=location).select_related("product"))
    # Containers holding stock, and empty ones whose contents are still drawn for a session.
    holding = Q(state__in=LIVE_STATES) | (Q(state=ContainerState.EMPTY) & ~Q(in_use={}))
    containers = list(
        Container.objects.filter(holding, location=location, received=True)
        .select_related("product", "lot", "storage")
        .order_by("product__name", "label")
    )
    since = timezone.now() - dt.timedelta(days=ESCALATION_WINDOW_DAYS)
    recent = list(
        Discrepancy.objects.filter(location=location, discovered_at__gte=since).select_related(
            "product", "container"
        )
    )
    open_discrepancies = [
        d
        for d in recent
        if d.status
        in (Discrepancy.Status.OPEN, Discrepancy.Status.INVESTIGATING, Discrepancy.Status.EXPLAINED)
    ]
    events = [
        dl.DiscrepancyEvent(
            location_id=location.name,
            product_id=d.product.name,
            unit=dl.Unit(d.product.unit),
            discovered_at=timezone.localtime(d.discovered_at, location.tz),
            shortage=d.shortage,
            explained=d.is_explained,
        )
        for d in recent
    ]
    escalation = dl.assess_discrepancies(
        events, dl.EscalationPolicy(), as_of=timezone.localtime(timezone.now(), location.tz)
    )
    incidents = list(Incident.objects.filter(location=location, form_106_submitted_at__isnull=True))
    counts = list(StockCount.objects.filter(location=location).select_related("counted_by")[:5])
    inventories = list(Inventory.objects.filter(location=location).select_related("taken_by")[:5])
    biennial_due = dl.biennial_inventory_due(inventories[0].taken_on) if inventories else None
    return StockOverview(
        balances, containers, open_discrepancies, escalation, incidents, counts, inventories, biennial_due
    )


def lines_for_container(container: Container) -> QuerySet[LedgerLine]:
    return (
        LedgerLine.objects.filter(container=container)
        .select_related("actor", "witness", "second_witness", "receipt")
        .order_by("id")
    )


def held_sessions(container: Container) -> list[tuple[str, str]]:
    """(session key, what it holds) for each session with stock drawn from this container."""
    return sorted(container.in_use.items())


def report_lines(
    *,
    location: Any,
    report: str,
    product: Any = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    session: str = "",
) -> QuerySet[LedgerLine]:
    """Lines of one report at one location, oldest first, with everything a row shows joined in."""
    _, kinds = REPORTS[report]
    lines = LedgerLine.objects.filter(location=location).select_related(
        "product", "container__lot", "actor", "witness", "second_witness", "receipt", "from_storage"
    )
    if kinds:
        lines = lines.filter(kind__in=kinds)
    if product is not None:
        lines = lines.filter(product=product)
    tz = location.tz
    if date_from:
        lines = lines.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        lines = lines.filter(
            occurred_at__lt=dt.datetime.combine(date_to, dt.time.min, tzinfo=tz) + dt.timedelta(days=1)
        )
    if session:
        lines = lines.filter(session_label__icontains=session)
    return lines.order_by("occurred_at", "id")


def count_detail(count: StockCount) -> list[Any]:
    return list(count.lines.select_related("container__product", "container__lot", "discrepancy"))


def count_containers(location: Any) -> list[Container]:
    """Containers a count or inventory form lists: everything received and still in custody."""
    return list(
        Container.objects.filter(location=location, received=True, state__in=LIVE_STATES)
        .select_related("product", "lot", "storage")
        .order_by("product__name", "label")
    )


def inventory_detail(inventory: Inventory) -> list[Any]:
    return list(inventory.lines.select_related("container"))
