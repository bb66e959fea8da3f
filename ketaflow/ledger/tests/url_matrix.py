"""The ledger's URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py). Objects live at West Des Moines."""

from __future__ import annotations

from typing import Any

from ketaflow.core.tests.test_url_matrix import Entry
from ketaflow.ledger.tests.objects import objects

READERS = {"nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "oscar"}
AT_DSM_ONLY = {"noah", "priya", "cora", "oscar"}
STOCK = {"carl", "cora", "mia"}
DRAWERS = {"nina", "noah", "paul", "priya", "carl", "cora", "oscar"}


def _uuid(name: str, kwarg: str) -> Any:
    return lambda clinic: {kwarg: objects(clinic)[name].uuid}


MATRIX: dict[str, Entry] = {
    "ledger:home": Entry(allowed=READERS, not_found={"oscar"}),
    "ledger:report": Entry(
        allowed=READERS, not_found={"oscar"}, kwargs=lambda c: {"report": "administration"}
    ),
    "ledger:receive": Entry(allowed=STOCK),
    "ledger:container": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("container", "container_uuid")
    ),
    "ledger:draw": Entry(allowed=DRAWERS, not_found=AT_DSM_ONLY, kwargs=_uuid("container", "container_uuid")),
    "ledger:use": Entry(
        allowed=DRAWERS,
        not_found=AT_DSM_ONLY,
        kwargs=_uuid("container", "container_uuid"),
        data=lambda c: {"session": "label:DEMO session, chair 1"},
    ),
    "ledger:transfer": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:state": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:destroy": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("container", "container_uuid")),
    "ledger:correct": Entry(allowed=STOCK, not_found={"cora"}, kwargs=_uuid("line", "line_uuid")),
    "ledger:count_new": Entry(allowed=STOCK),
    "ledger:count": Entry(allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("count", "count_uuid")),
    "ledger:discrepancy": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("discrepancy", "discrepancy_uuid")
    ),
    "ledger:inventory_new": Entry(allowed=STOCK),
    "ledger:inventory": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("inventory", "inventory_uuid")
    ),
    "ledger:incident_new": Entry(allowed=STOCK),
    "ledger:incident": Entry(
        allowed=READERS, not_found=AT_DSM_ONLY, kwargs=_uuid("incident", "incident_uuid")
    ),
}
