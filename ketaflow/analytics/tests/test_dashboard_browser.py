"""In a browser (strict CSP): the manager opens the dashboard, every panel loads through htmx with its chart and
table, a CSV downloads, and axe finds no serious problems."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.analytics.selectors import PANELS
from ketaflow.analytics.tests.builders import at, course, session
from ketaflow.testing import ARTIFACTS, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def test_manager_opens_the_dashboard_and_downloads_a_csv(clinic: Any, page: Any) -> None:
    c = course(clinic.wdm, created=at("2026-03-02"), status="stopped")
    session(clinic, c, at("2026-03-03"), sequence=1)
    session(clinic, c, at("2026-03-04"), sequence=2, status="missed")
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    browser_login(page, "mia")
    page.wait_for_url("**/staff/**")
    page.get_by_role("link", name="Analytics").first.click()
    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("To", exact=True).fill("2026-03-15")
    page.get_by_role("button", name="Apply").click()

    downloads = page.get_by_role("link", name="Download CSV")
    downloads.nth(len(PANELS) - 1).wait_for()
    assert downloads.count() == len(PANELS)
    assert page.locator("img.analytics-chart").count() == len(PANELS)
    drop_off = page.locator("#panel-drop-off")
    assert "Drop-off by infusion number" in drop_off.inner_text()
    with page.expect_download() as info:
        drop_off.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "ketaflow-drop-off-2026-03-02-2026-03-15.csv"
    text = open(download.path(), encoding="utf-8").read()  # noqa: PTH123, SIM115
    assert text.splitlines()[1].startswith("1,1,100.0,1,1,0")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analytics-dashboard.png"), full_page=True)
    assert axe_violations(page) == []
    assert csp_errors == [] and page.console_errors == []
    assert reverse("analytics:dashboard") in page.url
