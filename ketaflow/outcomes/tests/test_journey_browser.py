"""Issue #8 journey in one browser: a patient answers a scheduled PHQ-9 from the link, the prescriber sees the
trajectory chart gain the new point, and the manager opens the analytics dashboard and downloads a CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.domain import instruments
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes.models import MeasurementRequest, UrgentTask
from ketaflow.outcomes.tests.test_workflow_factories import sent_measure_link
from ketaflow.testing import ARTIFACTS, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

# Every PHQ-9 item "several days" (1) except item 9 "not at all" (0): total 8, no suicidality task.
ANSWERS = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def _phq9_points(page: Any, patient_uuid: Any) -> list[str]:
    page.goto(page.base_url + reverse("outcomes:progress", kwargs={"patient_uuid": patient_uuid}))
    page.get_by_role("heading", level=1).wait_for()
    points = page.locator('svg[data-instrument="phq9"] circle[data-score]')
    return [points.nth(i).get_attribute("data-score") or "" for i in range(points.count())]


def test_patient_answers_phq9_clinician_sees_it_manager_downloads_csv(clinic: Any, page: Any) -> None:
    request, link = sent_measure_link(clinic, "phq9")
    patient = request.patient

    # The nurse looks first: no PHQ-9 score yet (a TOTP code cannot be used twice, so the prescriber logs in later).
    browser_login(page, "nina")
    page.wait_for_url("**/staff/**")
    assert _phq9_points(page, patient.uuid) == []
    page.context.clear_cookies()

    # The patient opens the one-time link (no login) and answers the PHQ-9.
    page.goto(page.base_url + link)
    page.get_by_role("heading", name="PHQ-9", exact=False).first.wait_for()
    items = instruments.get_instrument("phq9").items
    for item, value in zip(items, ANSWERS, strict=True):
        page.locator(f'input[type="radio"][name="{item.id}"][value="{value}"]').check()
    page.get_by_role("button", name="Save answers").click()
    page.wait_for_load_state("networkidle")
    assert "error" not in page.url
    request.refresh_from_db()
    assert request.status == MeasurementRequest.Status.COMPLETED
    response = QuestionnaireResponse.objects.get(pk=request.response_id)
    assert response.instrument == "phq9" and response.answers == ANSWERS
    assert not UrgentTask.objects.filter(patient=patient).exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "journey-patient-after-phq9.png"), full_page=True)

    # The same link cannot be used twice.
    page.goto(page.base_url + link)
    assert page.get_by_role("button", name="Save answers").count() == 0
    assert "409" in page.console_errors.pop()  # the refused reuse answers 409 Conflict

    # The prescriber's trajectory chart now has the new score.
    browser_login(page, "paul")
    page.wait_for_url("**/staff/**")
    assert _phq9_points(page, patient.uuid) == ["8"]
    page.screenshot(path=str(ARTIFACTS / "journey-progress-after-phq9.png"), full_page=True)
    page.context.clear_cookies()

    # The manager opens the dashboard; the panels load over htmx; one CSV downloads.
    browser_login(page, "mia")
    page.wait_for_url("**/staff/**")
    page.goto(page.base_url + reverse("analytics:dashboard"))
    csv_link = page.get_by_role("link", name="Download CSV").first
    csv_link.wait_for()
    with page.expect_download() as info:
        csv_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows and len(rows[0]) >= 2  # a header row with the panel's columns
    page.screenshot(path=str(ARTIFACTS / "journey-analytics-dashboard.png"), full_page=True)
    assert page.console_errors == []
