"""Browser: a patient on a phone answers a PHQ-9 with item 9 from the link and sees the crisis resources at
once; the nurse finds the urgent task and a flagged check-in on the Follow-up worklist (axe-clean, CSP-clean)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.domain import instruments
from ketaflow.outcomes.models import UrgentTask
from ketaflow.outcomes.tests.test_workflow_factories import sent_check_in, sent_measure_link
from ketaflow.testing import ARTIFACTS, _new_page, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

ITEM9 = [1, 1, 1, 1, 0, 0, 1, 0, 1]


@pytest.fixture
def phone(chromium: Any, request: Any, live_server: Any) -> Any:
    context, tab = _new_page(chromium, request, {"width": 390, "height": 844})
    tab.base_url = live_server.url
    yield tab
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_patient_on_a_phone_answers_and_the_nurse_sees_the_follow_up(clinic: Any, phone: Any) -> None:
    request, link = sent_measure_link(clinic, "phq9")
    check_in, check_in_link = sent_check_in(clinic, patient_index=1)

    phone.goto(phone.base_url + link)
    phone.get_by_role("heading", name="PHQ-9", exact=False).first.wait_for()
    assert axe_violations(phone) == []
    for item, value in zip(instruments.get_instrument("phq9").items, ITEM9, strict=True):
        phone.locator(f'input[type="radio"][name="{item.id}"][value="{value}"]').check()
    phone.get_by_role("button", name="Save answers").click()
    phone.get_by_role("heading", name="Thank you for telling us").wait_for()
    assert phone.get_by_role("link", name="Call 988").is_visible()
    assert phone.get_by_role("link", name="Text 988").is_visible()
    assert UrgentTask.objects.filter(patient=request.patient, status="open").count() == 1
    assert axe_violations(phone) == []

    phone.goto(phone.base_url + check_in_link)
    phone.get_by_label("Headache").check()
    phone.get_by_label("Blood in the urine").check()
    phone.locator('input[name="mood"][value="5"]').check()
    phone.locator('input[name="suicidal_thoughts"][value="no"]').check()
    phone.get_by_role("button", name="Send my answers").click()
    phone.get_by_role("heading", name="Thank you").wait_for()
    check_in.refresh_from_db()
    assert check_in.needs_attention and check_in.urinary_symptoms
    assert phone.console_errors == []

    browser_login(phone, "nina")
    phone.wait_for_url("**/staff/**")
    phone.get_by_role("link", name="Follow-up").first.click()
    phone.get_by_role("heading", name="Follow-up", level=1).wait_for()
    assert phone.get_by_text("PHQ-9 item 9 answered 1").is_visible()
    assert phone.get_by_text("urinary symptoms").first.is_visible()
    assert axe_violations(phone) == []
    phone.get_by_label("Review note").fill("Phoned: drinking more water, GP review booked.")
    phone.get_by_role("button", name="Mark reviewed").click()
    phone.get_by_text("marked reviewed").wait_for()
    check_in.refresh_from_db()
    assert check_in.reviewed_by is not None
    assert phone.console_errors == []
