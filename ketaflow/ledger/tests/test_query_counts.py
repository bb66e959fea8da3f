"""Ledger reports, inventories and incidents answer in a pinned number of queries however many lines.

The stock home, the ledger report, the container page and the count pages are pinned in test_pages.py; this
module covers the other report kinds, an inventory and an incident.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.ledger.selectors import REPORTS
from ketaflow.ledger.tests.objects import objects
from ketaflow.ledger.tests.test_pages import _at_wdm, _more_lines

pytestmark = pytest.mark.django_db


def _pinned(
    django_assert_num_queries: Any, client: Any, url: str, expected: int, clinic: Any
) -> tuple[str, str]:
    assert client.get(url).status_code == 200  # the first staff request of a minute saves the session
    with django_assert_num_queries(expected):
        small = client.get(url)
    _more_lines(clinic)
    with django_assert_num_queries(expected):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    return small.content.decode(), large.content.decode()


@pytest.mark.parametrize("report", [r for r in REPORTS if r != "ledger"])
def test_report_query_count_is_pinned(stock: Any, django_assert_num_queries: Any, report: str) -> None:
    objects(stock)
    # Expect 6 queries: session, user, OTP device, the user's locations, one page of lines plus one row (no
    # COUNT) with product/container/lot/actor/witnesses/receipt/storage joined, products (filter select).
    small, large = _pinned(
        django_assert_num_queries,
        _at_wdm(stock, "audrey"),
        reverse("ledger:report", kwargs={"report": report}),
        6,
        stock,
    )
    if report in ("administration", "receipts", "waste"):
        assert large.count("<tr") > small.count("<tr")


@pytest.mark.parametrize("kind", ["inventory", "incident"])
def test_inventory_and_incident_pages_query_counts_are_pinned(
    stock: Any, django_assert_num_queries: Any, kind: str
) -> None:
    o = objects(stock)
    url = reverse(f"ledger:{kind}", kwargs={f"{kind}_uuid": o[kind].uuid})
    # Expect 7 queries: session, user, OTP device, the user's location ids (scope), the inventory or incident
    # (+ location, people), its lines (inventory lines, or the incident's ledger lines with product/container),
    # the user's locations (switcher). More ledger lines elsewhere change nothing.
    _pinned(django_assert_num_queries, _at_wdm(stock, "carl"), url, 7, stock)
