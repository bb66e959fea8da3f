"""Pages of long lists without ``COUNT(*)``.

Django's ``Paginator`` counts every matching row to print "page 3 of N"; at 100k patients or millions of audit
events that count costs more than the page itself. A ``SeekPage`` reads one row beyond the page to know whether
a next page exists, and the pager prints "Page 3" with Previous/Next links.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet


class SeekPage(Sequence[Any]):
    """One page of rows, with the same attributes as Django's ``Page`` except the total count."""

    paginator = None  # the pager template prints "of N" only when a paginator knows N

    def __init__(self, rows: list[Any], number: int, has_next: bool) -> None:
        self.object_list = rows
        self.number = number
        self._has_next = has_next

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __getitem__(self, index: Any) -> Any:
        return self.object_list[index]

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def seek_page(queryset: QuerySet[Any], number: Any, per_page: int) -> SeekPage:
    """Page ``number`` (1-based; anything invalid means 1) of an ordered queryset, in one query."""
    try:
        page = max(1, int(number))
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    if not rows and page > 1:
        # Past the end (a stale link): show the first page rather than an empty one.
        return seek_page(queryset, 1, per_page)
    return SeekPage(rows[:per_page], page, has_next=len(rows) > per_page)
