"""Each panel runs a fixed number of queries, whatever the amount of data (design.md §4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaflow.analytics import selectors
from ketaflow.analytics.tests.builders import at, consultation, course, filters, patient, score, session
from ketaflow.outcomes.models import MeasurementRequest
from ketaflow.testing import login
from ketaflow.treatment.models import AdverseEvent

# Per panel: the queries named in each selector's docstring.
EXPECTED = {
    "chair-utilisation": 4,  # booked minutes, opening minutes, active chairs, closures
    "no-shows": 2,  # sessions by location, consultations by location
    "drop-off": 1,  # courses grouped by last given infusion
    "time-to-care": 3,  # cohort size, consultation percentiles, infusion percentiles
    "response": 2,  # protocols, one aggregate over courses
    "adverse-events": 2,  # given sessions, events by kind × severity
    "rems": 1,  # esketamine sessions by location
    "completion": 1,  # requests by instrument
}


def _grow(clinic: Any, n: int) -> None:
    """n patients at each site, each with a consultation, an IV and an esketamine course, scores, events and
    measurement requests."""
    for location in (clinic.wdm, clinic.dsm):
        for i in range(n):
            who = patient(location, created=at("2026-03-02"))
            consultation(clinic, who, at("2026-03-03", 8) + dt.timedelta(minutes=i), "completed")
            for slug in ("iv-depression-standard", "esketamine-trd", "iv-pain-crps-4h"):
                c = course(location, who=who, slug=slug, created=at("2026-03-02"))
                s = session(
                    clinic, c, at("2026-03-05", 8) + dt.timedelta(minutes=7 * i), pmf=dt.date(2026, 3, 9)
                )
                session(clinic, c, at("2026-03-06", 8), sequence=2, status="missed")
                AdverseEvent.objects.create(
                    session=s,
                    kind="nausea",
                    severity="mild",
                    occurred_at=s.starts_at,
                    recorded_by=clinic.user("nina"),
                )
                MeasurementRequest.objects.create(
                    patient=who,
                    course=c,
                    instrument="phq9",
                    due_at=s.starts_at,
                    expires_at=s.ends_at,
                    status="completed",
                )
            score(who, "phq9", at("2026-03-04"), 20)
            score(who, "phq9", at("2026-03-12"), 8)
            score(who, "nrs", at("2026-03-04"), 8)
            score(who, "nrs", at("2026-03-12"), 3)


# On PostgreSQL every panel runs inside SAVEPOINT / SET LOCAL jit = off / RELEASE (selectors.no_jit).
NO_JIT = 3 if connection.vendor == "postgresql" else 0


def _counts(clinic: Any) -> dict[str, int]:
    f = filters(clinic.wdm, clinic.dsm)
    out = {}
    for slug, selector in selectors.PANELS.items():
        with CaptureQueriesContext(connection) as queries:
            panel = selector(f)
        assert panel.rows, slug
        out[slug] = len(queries.captured_queries)
    return out


def test_panel_query_counts_do_not_grow_with_the_data(clinic: Any) -> None:
    _grow(clinic, 1)
    small = _counts(clinic)
    _grow(clinic, 4)
    large = _counts(clinic)
    assert small == large == {slug: count + NO_JIT for slug, count in EXPECTED.items()}


def test_panel_fragment_query_count_is_constant(
    clinic: Any, client: Any, django_assert_num_queries: Any
) -> None:
    login(client, clinic.user("mia"))
    url = reverse("analytics:panel", args=["response"])
    query = {"start": "2026-03-02", "end": "2026-03-15"}
    client.get(url, query, HTTP_HX_REQUEST="true")  # warm the session
    _grow(clinic, 1)
    # session, user, TOTP device, the user's locations, every active location (filter choices), the selector's 2
    with django_assert_num_queries(7 + NO_JIT):
        assert client.get(url, query, HTTP_HX_REQUEST="true").status_code == 200
    _grow(clinic, 3)
    with django_assert_num_queries(7 + NO_JIT):
        assert client.get(url, query, HTTP_HX_REQUEST="true").status_code == 200
