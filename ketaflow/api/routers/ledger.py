"""Controlled-substance ledger lines, read-only (the ledger's own selectors decide what a user sees)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from ketaflow.accounts.roles import Perm
from ketaflow.api.auth import require_scope
from ketaflow.api.pagination import Page, keyset_page
from ketaflow.api.schemas import Cursor, Limit, SaneDate, ShortText
from ketaflow.api.selectors import location_for_user
from ketaflow.core.permissions import ensure_perm

router = Router(tags=["ledger"])


class LedgerLineOut(Schema):
    uuid: uuid.UUID
    occurred_at: dt.datetime
    kind: str
    product: str
    container: str
    quantity: Decimal
    unit: str
    quantity_mg: Decimal | None
    actor: str
    witness: str | None
    container_after: Decimal
    product_after: Decimal
    session_label: str
    reason: str


class LedgerFilters(Schema):
    location: uuid.UUID
    report: ShortText = "ledger"
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


@router.get("/lines", response=Page[LedgerLineOut], summary="Ledger lines at one location (oldest first)")
def list_ledger_lines(request: HttpRequest, filters: Query[LedgerFilters]) -> dict[str, object]:
    from ketaflow.api.problems import Problem
    from ketaflow.ledger.selectors import REPORTS, report_lines

    require_scope(request, "read:ledger")
    ensure_perm(request.user, Perm.VIEW_LEDGER)
    location = location_for_user(request.user, filters.location)
    if filters.report not in REPORTS:
        raise Problem(422, f"report must be one of: {', '.join(REPORTS)}")
    qs = report_lines(
        location=location, report=filters.report, date_from=filters.date_from, date_to=filters.date_to
    )
    scope = f"ledger:{location.uuid}:{filters.report}:{filters.date_from}:{filters.date_to}"
    rows, next_cursor = keyset_page(
        qs, fields=("occurred_at", "uuid"), cursor=filters.cursor, limit=filters.limit, scope=scope
    )
    return {
        "items": [
            {
                "uuid": line.uuid,
                "occurred_at": line.occurred_at,
                "kind": line.kind,
                "product": line.product.name,
                "container": line.container.label,
                "quantity": line.quantity,
                "unit": line.unit,
                "quantity_mg": line.quantity_mg,
                "actor": line.actor.username,
                "witness": line.witness.username if line.witness else None,
                "container_after": line.container_after,
                "product_after": line.product_after,
                "session_label": line.session_label,
                "reason": line.reason,
            }
            for line in rows
        ],
        "next_cursor": next_cursor,
    }
