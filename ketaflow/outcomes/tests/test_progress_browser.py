"""In a browser (tablet viewport, strict CSP): the progress page draws each trajectory as inline SVG with one point
per score, the booster suggestion is shown with its reasons, the prescriber books it through the series engine,
and axe finds no serious problems. A screenshot goes
to docs/img/progress-page.png (used by docs/outcomes-progress.md) and var/test-artifacts/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.outcomes.boosters import booster_reviews_refresh
from ketaflow.outcomes.models import BoosterReview
from ketaflow.outcomes.tests.progress_factories import RELAPSE, scores, started_course
from ketaflow.testing import ARTIFACTS, axe_violations, browser_login
from ketaflow.treatment.models import InfusionSession
from ketaflow.treatment.tests.factories import clear_for_infusion, patient_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"


def test_clinician_sees_the_trajectory_and_books_the_suggested_booster(clinic: Any, page: Any) -> None:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    first = timezone.now() - dt.timedelta(days=70)
    started_course(clinic, patient, first=first)
    scores(patient, first, RELAPSE)
    scores(patient, first, ((-3, 15), (1, 11), (8, 7), (20, 6), (45, 9)), instrument="gad7")
    booster_reviews_refresh(patient=patient)
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    browser_login(page, "paul")
    page.wait_for_url("**/staff/**")
    page.goto(page.base_url + reverse("outcomes:progress", kwargs={"patient_uuid": patient.uuid}))

    chart = page.locator('svg[data-instrument="phq9"]')
    chart.wait_for()
    assert chart.locator("circle[data-score]").count() == len(RELAPSE)
    assert chart.locator("circle[data-score]").last.get_attribute("data-score") == "15"
    assert chart.locator('[data-kind="infusion"]').count() == 6
    assert chart.bounding_box()["width"] > 600  # type: ignore[index]
    assert page.locator('svg[data-instrument="gad7"]').count() == 1
    booster = page.locator('.booster[data-instrument="phq9"]')
    assert "relapse" in booster.inner_text().lower()
    assert page.get_by_role("link", name="Book a booster or decline").is_visible()
    assert page.locator('table.classification[data-instrument="phq9"] tr[data-status="relapse"]').count() == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "progress-page.png"), full_page=True)
    page.locator("#instrument-phq9").screenshot(path=str(DOCS_IMG / "progress-phq9.png"))
    assert axe_violations(page) == []

    # The prescriber proposes one booster session through the series engine and books it.
    page.get_by_role("link", name="Book a booster or decline").click()
    page.get_by_role("button", name="Propose sessions").click()
    book = page.get_by_role("button", name="Accept and book 1 session")
    book.wait_for()
    page.screenshot(path=str(ARTIFACTS / "progress-booster-proposal.png"), full_page=True)
    assert axe_violations(page) == []
    book.click()
    page.wait_for_url(f"**/outcomes/patients/{patient.uuid}/progress/")
    review = BoosterReview.objects.get(patient=patient, status=BoosterReview.Status.ACCEPTED)
    assert InfusionSession.objects.filter(course=review.booked_course).count() == 1
    assert page.locator(".booster").count() == 0  # nothing left to decide
    assert page.locator('svg[data-instrument="phq9"] [data-kind="infusion"][data-done="false"]').count() == 1
    assert csp_errors == [] and page.console_errors == []
