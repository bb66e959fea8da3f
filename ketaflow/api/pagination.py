"""Keyset pagination with an opaque, signed cursor: stable under inserts, no OFFSET scans.

A page is ``{"items": [...], "next_cursor": "..." | null}``. The cursor holds the sort values of the last
row (public uuid as the tie-breaker, never an internal id) and is signed, so a client cannot forge one.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Q, QuerySet
from ninja import Schema

from ketaflow.api.problems import Problem

T = TypeVar("T")
SALT = "ketaflow.api.cursor"
BAD_CURSOR = "The cursor is not valid for this list; start again without it."
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _after(fields: tuple[str, ...], values: list[Any], descending: bool) -> Q:
    """Rows strictly after ``values`` in (fields...) order: (a > x) | (a = x & b > y) | ..."""
    op = "lt" if descending else "gt"
    condition = Q()
    for position in range(len(fields)):
        equal = {fields[i]: values[i] for i in range(position)}
        condition |= Q(**equal, **{f"{fields[position]}__{op}": values[position]})
    return condition


def keyset_page(
    queryset: QuerySet[Any],
    *,
    fields: tuple[str, ...],
    cursor: str | None,
    limit: int,
    scope: str,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` ordered by ``fields`` (the last must be unique, e.g. ``uuid``).

    ``scope`` names the list (and its filters) so a cursor from one list is refused by another.
    """
    ordering = [f"-{f}" if descending else f for f in fields]
    queryset = queryset.order_by(*ordering)
    if cursor:
        try:
            data = signing.loads(cursor, salt=SALT)
        except signing.BadSignature as exc:
            raise Problem(400, BAD_CURSOR, kind="bad-cursor") from exc
        if not isinstance(data, dict) or data.get("s") != scope or len(data.get("v", [])) != len(fields):
            raise Problem(400, BAD_CURSOR, kind="bad-cursor")
        queryset = queryset.filter(_after(fields, data["v"], descending))
    rows = list(queryset[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = []
        for name in fields:
            value: Any = last
            for part in name.split("__"):
                value = getattr(value, part)
            values.append(value.isoformat() if hasattr(value, "isoformat") else str(value))
        next_cursor = signing.dumps({"s": scope, "v": values}, salt=SALT, compress=True)
    return rows, next_cursor
