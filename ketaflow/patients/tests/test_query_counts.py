"""The patient list, searched and paged, answers in a pinned number of queries however many patients match.

The unfiltered first page is pinned in ketaflow/core/tests/test_audit.py and the chart in test_chart_page.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.core.demo import load_demo
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "htmx"), [("?q=a", False), ("?q=a", True), ("?page=2", False), ("?q=DEMO-00001", False)]
)
def test_patient_search_and_later_pages_query_count_is_pinned(
    clinic: Any, django_assert_num_queries: Any, query: str, htmx: bool
) -> None:
    from ketaflow.patients.selectors import PAGE_SIZE

    load_demo(patients=PAGE_SIZE + 5, extras=False)
    client = login(Client(), clinic.user("mia"))
    url = reverse("patients:list") + query
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client.get(url, **headers)
    # Expect 6 queries (5 for the htmx fragment): session, user, OTP device, the user's location ids (patient
    # scope), one page of patients plus one row (+ preferred location; no COUNT), the user's locations (the
    # switcher, in the full page only).
    expected = 5 if htmx else 6
    with django_assert_num_queries(expected):
        small = client.get(url, **headers)
    load_demo(patients=3 * PAGE_SIZE, extras=False)
    with django_assert_num_queries(expected):
        large = client.get(url, **headers)
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count("/patients/") >= small.content.decode().count("/patients/")


def test_later_page_links_back_and_forward_without_a_total(clinic: Any) -> None:
    from ketaflow.patients.selectors import PAGE_SIZE

    load_demo(patients=2 * PAGE_SIZE + 5, extras=False)
    client = login(Client(), clinic.user("mia"))
    html = client.get(reverse("patients:list") + "?page=2").content.decode()
    assert "Page 2</span>" in html and " of " not in html.split("Page 2", 1)[1][:10]
    assert "page=1" in html and "page=3" in html
    last = client.get(reverse("patients:list") + "?page=3").content.decode()
    assert "page=4" not in last and "Page 3" in last
    past_the_end = client.get(reverse("patients:list") + "?page=99").content.decode()
    assert "Page 1" in past_the_end
