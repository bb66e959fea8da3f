"""Core pages answer in a pinned number of queries, the same with few and with many rows.

The patient list is pinned in test_audit.py; this module covers the staff dashboard, the audit log (and its
later pages) and the patient portal home.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.core.audit import Action, audit
from ketaflow.testing import STAFF_QUERIES as STAFF
from ketaflow.testing import login
from ketaflow.testing import pinned_reads as _pinned

pytestmark = pytest.mark.django_db


def _events(clinic: Any, n: int) -> None:
    for i in range(n):
        audit(Action.READ, actor=clinic.user("nina"), location=clinic.wdm, detail=f"synthetic read {i}")


def test_dashboard_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.core.demo import load_demo

    # Expect 4 queries: session, user, OTP device, the user's locations (current location + switcher).
    _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("mia")),
        reverse("core:dashboard"),
        STAFF + 1,
        lambda: load_demo(patients=30, extras=False),
    )


@pytest.mark.parametrize("page", [1, 2])
def test_audit_log_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any, page: int) -> None:
    _events(clinic, 120)  # more than one page of 100
    # Expect 6 queries: session, user, OTP device, the user's location ids (scope), one page of events plus
    # one row (+ location; no COUNT: the pager only needs to know whether a next page exists), the user's
    # locations (switcher).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("audrey")),
        reverse("core:audit_log") + f"?page={page}",
        STAFF + 3,
        lambda: _events(clinic, 150),
    )
    if page == 1:
        # A full page of 100 (the log's own read events are newest, so a few lines are theirs).
        assert 95 <= small.count("synthetic read") <= large.count("synthetic read") <= 100
        assert "Next" in small and "Previous" not in small
    else:
        assert large.count("synthetic read") > small.count("synthetic read")
        assert "Previous" in large


def test_patient_portal_home_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.core.demo import load_demo

    # Expect 5 queries: session, user, the user's patient record, INSERT audit line (read), the user's
    # locations (none for a patient; the location switcher asks once).
    _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("pat")),
        reverse("core:portal"),
        5,
        lambda: load_demo(patients=30, extras=False),
    )
