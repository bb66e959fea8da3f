"""Dashboard pages: filters, errors (400, nothing run), htmx fragments, CSV downloads, permissions, scoping."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.analytics import forms, selectors
from ketaflow.analytics.tests.builders import at, course, session
from ketaflow.core.models import AuditEvent
from ketaflow.testing import login

QUERY = {"start": "2026-03-02", "end": "2026-03-15"}


def test_dashboard_lists_one_htmx_panel_per_selector(clinic: Any, client: Any) -> None:
    login(client, clinic.user("mia"))
    response = client.get(reverse("analytics:dashboard"), QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    for slug in selectors.PANELS:
        url = reverse("analytics:panel", args=[slug])
        assert f'hx-get="{url}?start=2026-03-02&amp;end=2026-03-15"' in html
    assert html.count('hx-trigger="load"') == len(selectors.PANELS)


def test_end_before_start_is_a_400_with_the_message_and_runs_no_panel(
    clinic: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, clinic.user("mia"))
    bad = {"start": "2026-03-15", "end": "2026-03-02"}
    response = client.get(reverse("analytics:dashboard"), bad)
    assert response.status_code == 400
    assert forms.END_BEFORE_START in response.content.decode()
    assert "hx-get" not in response.content.decode()
    for name in ("analytics:panel", "analytics:panel_csv"):
        before = AuditEvent.objects.count()
        response = client.get(reverse(name, args=["response"]), bad)
        assert response.status_code == 400
        assert forms.END_BEFORE_START in response.content.decode()
        assert AuditEvent.objects.count() == before  # no export recorded


def test_a_location_the_user_does_not_cover_is_refused(clinic: Any, client: Any) -> None:
    paul = clinic.user("paul")  # prescriber at West Des Moines only
    assert paul.location_ids() == {clinic.wdm.pk}
    login(client, paul)
    for name, args in (
        ("analytics:dashboard", []),
        ("analytics:panel", ["no-shows"]),
        ("analytics:panel_csv", ["no-shows"]),
    ):
        response = client.get(reverse(name, args=args), {**QUERY, "location": str(clinic.dsm.uuid)})
        assert response.status_code == 400, name
        assert "You do not cover Des Moines" in response.content.decode()
    response = client.get(
        reverse("analytics:panel", args=["no-shows"]), {**QUERY, "location": "not-a-location"}
    )
    assert response.status_code == 400


def test_unknown_panel_is_404(clinic: Any, client: Any) -> None:
    login(client, clinic.user("mia"))
    assert client.get(reverse("analytics:panel", args=["nope"]), QUERY).status_code == 404
    assert client.get(reverse("analytics:panel_csv", args=["nope"]), QUERY).status_code == 404


def test_default_locations_are_the_users_own(clinic: Any, client: Any) -> None:
    for location in (clinic.wdm, clinic.dsm):
        session(clinic, course(location, created=at("2026-01-05")), at("2026-03-03"), status="missed")
    login(client, clinic.user("paul"))
    response = client.get(reverse("analytics:panel_csv", args=["no-shows"]), QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert {r[0] for r in rows[1:]} == {"West Des Moines"}
    login(client, clinic.user("mia"))
    response = client.get(reverse("analytics:panel_csv", args=["no-shows"]), QUERY)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert {r[0] for r in rows[1:]} == {"West Des Moines", "Des Moines"}


def test_panel_fragment_for_htmx_and_full_page_without(clinic: Any, client: Any) -> None:
    session(clinic, course(clinic.wdm, created=at("2026-03-02")), at("2026-03-03"))
    login(client, clinic.user("mia"))
    url = reverse("analytics:panel", args=["drop-off"])
    fragment = client.get(url, QUERY, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html
    assert "Drop-off by infusion number" in html
    assert "Download CSV" in html
    assert 'src="data:image/svg+xml;base64,' in html
    page = client.get(url, QUERY)
    assert "<html" in page.content.decode() and "Download CSV" in page.content.decode()


def test_csv_download_has_the_panel_table_and_is_audited_as_an_export(clinic: Any, client: Any) -> None:
    c = course(clinic.wdm, created=at("2026-03-02"), status="stopped")
    session(clinic, c, at("2026-03-03"), sequence=1)
    session(clinic, c, at("2026-03-04"), sequence=2)
    course(clinic.wdm, created=at("2026-03-02"))
    mia = clinic.user("mia")
    login(client, mia)
    response = client.get(
        reverse("analytics:panel_csv", args=["drop-off"]), {**QUERY, "location": str(clinic.wdm.uuid)}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ketaflow-drop-off-2026-03-02-2026-03-15.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Last infusion completed", "Courses reaching it"]
    assert rows[1:] == [["0", "2", "100.0", "1", "0", "1"], ["2", "1", "50.0", "1", "1", "0"]]
    event = AuditEvent.objects.get(action="export", object_type="analytics.panel")
    assert event.actor == mia
    assert event.detail == "drop-off CSV 2026-03-02..2026-03-15 at West Des Moines"


@pytest.mark.parametrize("name", ["nina", "frank", "carl", "pat"])
def test_people_without_analytics_are_refused(name: str, clinic: Any, client: Any) -> None:
    login(client, clinic.user(name))
    assert client.get(reverse("analytics:dashboard")).status_code == 403
    assert client.get(reverse("analytics:panel_csv", args=["drop-off"])).status_code == 403


def test_durability_page_shows_the_table_and_chart(clinic: Any, client: Any) -> None:
    login(client, clinic.user("audrey"))
    response = client.get(reverse("analytics:durability"), {**QUERY, "outcome": "pain", "group": "location"})
    assert response.status_code == 200
    assert "Durability of response" in response.content.decode()
    bad = client.get(reverse("analytics:durability"), {**QUERY, "outcome": "mood"})
    assert bad.status_code == 400
    assert "Choose depression or pain relief (NRS or PEG-3)." in bad.content.decode()


def test_range_defaults_to_the_last_90_days(clinic: Any, client: Any) -> None:
    login(client, clinic.user("mia"))
    response = client.get(reverse("analytics:dashboard"))
    filters = response.context["filters"]
    assert (filters.end - filters.start) == dt.timedelta(days=89)
