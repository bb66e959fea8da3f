"""Journey: a visitor screens (depression path) from the home page, finds the nearest location by ZIP 50265,
books a consultation there, gets the email with the .ics and cancels from its link.

axe (serious/critical) runs on every public page on the way; screenshots land in var/test-artifacts/.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketaflow.testing import ARTIFACTS, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def content(clinic: Any) -> None:
    """Seed pages and FAQ again: transactional tests flush the rows the data migration created."""
    from django.apps import apps
    from django.core.cache import cache

    cache.clear()
    importlib.import_module("ketaflow.public.migrations.0002_seed_content").seed(apps, None)


def book_url() -> str | None:
    from ketaflow.public.views import _book_url

    return _book_url()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"public-{name}.png"), full_page=True)


def answer(page: Any, question: str, choice: str) -> None:
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def test_visitor_screens_finds_the_nearest_location_books_and_cancels(
    content: None, page: Any, mailoutbox: Any
) -> None:
    from ketaflow.public.models import ScreeningResult

    page.goto(f"{page.base_url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ketamine infusion therapy")
    assert axe_violations(page) == []
    shot(page, "1-home")

    page.get_by_role("link", name="Take the self-screening").click()
    page.wait_for_url("**/screening/")
    expect(page.get_by_text("This is not a diagnosis.")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "2-screening-start")

    page.get_by_role("link", name="Start: depression").click()
    page.wait_for_url("**/screening/depression/")
    assert axe_violations(page) == []
    crisis = page.locator("#crisis-now")
    expect(crisis).to_be_hidden()

    # Submitting with nothing answered shows the errors, linked and announced.
    page.get_by_role("button", name="See my result").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "3-screening-errors")

    answer(page, "How many different antidepressants", "3")
    answers = [
        "On more than half of the days",
        "Nearly every day",
        "On several days",
        "On several days",
        "Not at all",
        "On several days",
        "On several days",
        "Not at all",
    ]
    for number, choice in enumerate(answers, start=1):
        page.get_by_role("group", name=f"{number}. ").get_by_label(choice, exact=True).check()
    # Item 9 above zero: crisis resources appear at once, before anything else on the page.
    page.get_by_role("group", name="9. ").get_by_label("On several days", exact=True).check()
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    shot(page, "4-screening-crisis-shown")
    page.get_by_role("group", name="9. ").get_by_label("Not at all", exact=True).check()
    expect(crisis).to_be_hidden()
    page.get_by_label("You have high blood pressure that is not under control").check()
    shot(page, "5-screening-filled")

    page.get_by_role("button", name="See my result").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your self-screening result")
    expect(page.get_by_role("heading", name="A consultation may be worthwhile.")).to_be_visible()
    expect(page.get_by_text("Ketamine raises blood pressure for a short while")).to_be_visible()
    assert ScreeningResult.objects.count() == 0
    assert axe_violations(page) == []
    shot(page, "6-screening-result")

    # Sharing the answers needs the consent tick; then only the uuid goes into the session.
    page.get_by_role("button", name="Share my answers").click()
    expect(page.get_by_text("Tick the box to let us keep your answers")).to_be_visible()
    assert ScreeningResult.objects.count() == 0
    page.get_by_label("I agree that Metro Anesthesia").check()
    page.get_by_role("button", name="Share my answers").click()
    if book_url() is not None:  # the booking engine takes over; the stored result stays viewable
        page.wait_for_url(f"**{book_url()}")
        assert "?" not in page.url
        page.goto(f"{page.base_url}/screening/result/")
    else:
        page.wait_for_url("**/screening/result/")
    expect(page.get_by_text("Your answers are saved with your agreement.")).to_be_visible()
    stored = ScreeningResult.objects.get()
    assert stored.red_flags == ["high_blood_pressure"] and stored.consent_to_store
    assert axe_violations(page) == []
    shot(page, "7-screening-shared")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Locations").click()
    page.wait_for_url("**/locations/")
    assert axe_violations(page) == []
    page.get_by_label("ZIP code").fill("5026")
    page.get_by_role("button", name="Find nearest").click()
    expect(page.get_by_text("Enter a 5-digit US ZIP code.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("ZIP code").fill("50265")
    page.get_by_role("button", name="Find nearest").click()
    expect(page.get_by_role("heading", name="Nearest to ZIP code 50265")).to_be_visible()
    cards = page.locator("ol.ranked li h3")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("West Des Moines")
    expect(cards.nth(0)).to_contain_text("miles")
    expect(cards.nth(1)).to_contain_text("Des Moines")
    assert "50265" not in page.url
    assert axe_violations(page) == []
    shot(page, "8-nearest-50265")

    # Book at the nearest location, receive the email with the calendar file, cancel from its link.
    from ketaflow.scheduling.models import Appointment
    from ketaflow.scheduling.tests.factories import next_weekday_at

    page.get_by_role("link", name="Book here at West Des Moines").click()
    page.wait_for_url("**/book/?location=west-des-moines")
    page.goto(f"{page.url}&from={next_weekday_at(9).date().isoformat()}")
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile(r"^10:00 AM on .* with Paul Haddad")).first.click()
    page.wait_for_url("**/book/details/")
    expect(page.get_by_text("Your self-screening answers will be shared")).to_be_visible()
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Synthetic")
    page.get_by_label("Date of birth").fill("1988-04-09")
    page.get_by_role("textbox", name="Email").fill("jordan.synthetic@example.invalid")
    page.get_by_label("Mobile phone").fill("(515) 555-0161")
    page.get_by_label("Depression").check()
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/book/confirmed/")
    assert axe_violations(page) == []
    shot(page, "9-booked")
    appointment = Appointment.objects.get(status="booked")
    assert appointment.screening_uuid == stored.uuid
    email = mailoutbox[0]
    assert email.attachments[0][0] == "appointment.ics"
    manage = re.search(r"/appointments/manage/\S+/", email.body).group(0)
    page.goto(f"{page.base_url}{manage}")
    page.get_by_role("button", name="Cancel my appointment").click()
    expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
    shot(page, "10-cancelled")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert page.console_errors == []


def test_every_public_page_has_no_serious_accessibility_findings(content: None, page: Any) -> None:
    paths = [
        "/",
        "/ketamine/",
        "/ketamine/what-is-ketamine/",
        "/ketamine/chronic-pain/",
        "/ketamine/depression/",
        "/ketamine/what-to-expect/",
        "/faq/",
        "/locations/",
        "/screening/",
        "/screening/depression/",
        "/screening/pain/",
        "/screening/result/",
    ]
    for path in paths:
        page.goto(f"{page.base_url}{path}")
        assert axe_violations(page) == [], path
    page.goto(f"{page.base_url}/ketamine/what-is-ketamine/")
    shot(page, "page-what-is-ketamine")
    page.goto(f"{page.base_url}/faq/")
    shot(page, "faq")
    assert page.console_errors == []


def test_pain_path_direct_question_shows_crisis_resources_on_a_phone(content: None, page: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{page.base_url}/")
    shot(page, "phone-home")
    page.goto(f"{page.base_url}/screening/pain/")
    answer(page, "Which kind of pain", "Fibromyalgia")
    answer(page, "How long have you had this pain?", "More than 5 years")
    page.get_by_label("Pain medicines").check()
    answer(page, "How bad is the pain right now", "6")
    answer(page, "In the last 2 weeks, have you had thoughts", "Yes")
    expect(page.locator("#crisis-now")).to_be_visible()
    page.get_by_role("button", name="See my result").click()
    main = page.locator("main")
    expect(main.locator("section.crisis").first).to_be_visible()
    box_crisis = main.locator("section.crisis").first.bounding_box()
    box_h1 = page.get_by_role("heading", level=1).bounding_box()
    assert box_crisis["y"] < box_h1["y"]
    assert axe_violations(page) == []
    shot(page, "phone-pain-result-crisis")
    page.goto(f"{page.base_url}/locations/")
    page.get_by_label("ZIP code").fill("50309")
    page.get_by_role("button", name="Find nearest").click()
    expect(page.locator("ol.ranked li h3").nth(0)).to_contain_text("Des Moines")
    shot(page, "phone-nearest-50309")


def test_use_my_location_ranks_by_browser_position(content: None, page: Any) -> None:
    page.context.grant_permissions(["geolocation"], origin=page.base_url)
    page.context.set_geolocation({"latitude": 41.5868, "longitude": -93.6250})  # downtown Des Moines
    page.goto(f"{page.base_url}/locations/")
    page.get_by_role("button", name="Use my current location").click()
    expect(page.get_by_role("heading", name="Nearest to your location")).to_be_visible()
    expect(page.locator("ol.ranked li h3").nth(0)).to_contain_text("Des Moines")
    expect(page.locator("ol.ranked li h3").nth(0)).not_to_contain_text("West")
    assert "41.58" not in page.url
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_manager_edits_a_page_with_live_preview(content: None, page: Any) -> None:
    browser_login(page, "mia")
    page.wait_for_url(f"{page.base_url}/staff/")
    page.get_by_role("link", name="Site content").click()
    page.wait_for_url("**/staff/content/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="What to expect on treatment day").click()
    page.wait_for_url("**/staff/content/pages/*/")
    page.wait_for_load_state("load")  # htmx is deferred: let it attach before typing
    body = page.get_by_label("Body")
    body.fill("## Parking\n\nPark in the **Locust Street** garage.")
    preview = page.locator("#preview")
    expect(preview.locator("strong", has_text="Locust Street")).to_be_visible()
    expect(preview.locator("h2", has_text="Parking")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "staff-content-preview")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/staff/content/")
    expect(page.get_by_text("Page saved.")).to_be_visible()
    page.goto(f"{page.base_url}/ketamine/what-to-expect/")
    expect(page.locator("article strong", has_text="Locust Street")).to_be_visible()
    assert page.console_errors == []
