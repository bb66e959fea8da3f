"""Journey: a nurse logs in with TOTP, switches location, logs out. axe on every page on the way."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketaflow.testing import ARTIFACTS, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]


def test_nurse_logs_in_with_totp_switches_location_and_logs_out(clinic: Any, page: Any) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    assert axe_violations(page) == []
    browser_login(page, "nina")
    page.wait_for_url(f"{page.base_url}/staff/")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Today at Des Moines"
    assert axe_violations(page) == []

    page.get_by_label("Location").select_option(label="West Des Moines")
    expect(heading).to_have_text("Today at West Des Moines")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "nurse-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Patients").first.click()
    page.wait_for_url("**/patients/")
    assert page.locator("table.data tbody tr").count() >= 1
    assert axe_violations(page) == []

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/")
    assert "You are logged out." in page.content()
    page.goto(f"{page.base_url}/staff/")
    assert "/accounts/login/" in page.url
    assert page.console_errors == []


def test_wrong_totp_shows_the_error_in_the_browser(clinic: Any, page: Any) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("ketaflow-demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("6-digit code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right or has expired")).to_be_visible()
    assert axe_violations(page) == []


def test_manager_settings_and_audit_pages_have_no_serious_accessibility_findings(
    clinic: Any, page: Any
) -> None:
    browser_login(page, "mia")
    page.wait_for_url(f"{page.base_url}/staff/")
    for path in ["/clinic/settings/", f"/clinic/settings/{clinic.wdm.uuid}/", "/staff/audit/", "/"]:
        page.goto(f"{page.base_url}{path}")
        assert axe_violations(page) == [], path
    page.goto(f"{page.base_url}/clinic/settings/")
    page.screenshot(path=str(ARTIFACTS / "manager-settings.png"), full_page=True)
    assert page.console_errors == []
