"""Journey (issue #5): a patient completes intake from a link on a phone, a prescriber approves, the patient
signs consent in the portal, the signed PDF downloads and renders. axe on every page on the way."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from ketaflow.testing import ARTIFACTS, CHROMIUM_ARGS, axe_violations, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

PHONE = {"width": 390, "height": 844}
assert CHROMIUM_ARGS


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def phone(chromium: Any, live_server: Any, request: Any) -> Any:
    context = chromium.new_context(
        viewport=PHONE, locale="en-US", timezone_id="America/Chicago", accept_downloads=True
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.console_errors = errors
    tab.base_url = live_server.url
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-phone.png"), full_page=True)
    context.close()


def _fits_the_phone(tab: Any) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(tab) == []


def _save_continue(tab: Any) -> None:
    tab.get_by_role("button", name="Save and continue").click()


def _answer(tab: Any, name: str, value: str) -> None:
    tab.locator(f"input[name='{name}'][value='{value}']").check()


def test_patient_intake_on_a_phone_then_review_consent_and_pdf(clinic: Any, phone: Any, page: Any) -> None:
    from ketaflow.domain import instruments
    from ketaflow.intake import services
    from ketaflow.intake.models import SignedConsent
    from ketaflow.intake.selectors import candidacy_approved, consent_current
    from ketaflow.intake.tests.factories import CALM_HISTORY
    from ketaflow.patients.demo import load_demo_chart_data
    from ketaflow.patients.models import Patient

    load_demo_chart_data()
    patient = Patient.objects.get(user=clinic.user("pat"))
    intake = services.intake_create(patient=patient, reason="depression", created_by=clinic.user("frank"))
    token = services.intake_link_send(intake=intake, channel="email", sent_by=clinic.user("frank"))

    # 1. The patient opens the link on a phone.
    phone.goto(f"{phone.base_url}/intake/start/{token}/")
    phone.wait_for_url("**/intake/form/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Your intake questionnaire"
    _fits_the_phone(phone)

    phone.get_by_role("link", name="About you").click()
    phone.get_by_label("Mobile phone").fill("(515) 555-0199")
    phone.get_by_label("Emergency contact name").fill("Jamie Example")
    phone.get_by_label("Emergency contact phone").fill("(515) 555-0111")
    phone.get_by_label("Who will usually drive you home after a treatment?").fill("Jamie Example")
    _save_continue(phone)
    # The confirmation box was left unticked: the error shows and the section stays to do.
    assert phone.get_by_text("This field is required.").first.is_visible()
    _fits_the_phone(phone)
    phone.get_by_label("My name and date of birth shown above are correct").check()
    _save_continue(phone)

    phone.wait_for_url("**/intake/form/health/")
    for key, value in CALM_HISTORY.items():
        _answer(phone, key, value)
    _fits_the_phone(phone)
    _save_continue(phone)

    phone.wait_for_url("**/intake/form/medications/")
    phone.get_by_label("Medicine name").fill("Sertraline")
    phone.get_by_label("Dose and how often").fill("100 mg daily")
    phone.get_by_role("button", name="Add", exact=True).click()
    assert phone.get_by_text("Added Sertraline.").is_visible()
    _fits_the_phone(phone)
    phone.get_by_role("button", name="That is the full list — continue").click()

    phone.wait_for_url("**/intake/form/antidepressants/")
    for drug, weeks in (("Sertraline", "10"), ("Escitalopram", "8")):
        phone.get_by_label("Antidepressant").fill(drug)
        phone.get_by_label("For how many weeks?").fill(weeks)
        _answer(phone, "response", "none")
        _answer(phone, "current_episode", "yes")
        phone.get_by_role("button", name="Add", exact=True).click()
    phone.get_by_role("button", name="That is the full list — continue").click()

    phone.wait_for_url("**/intake/form/phq9/")
    _fits_the_phone(phone)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "intake-phone-phq9.png"))
    for item, value in zip(
        instruments.get_instrument("phq9").items, [2, 2, 2, 2, 2, 2, 2, 1, 0], strict=True
    ):
        _answer(phone, item.id, str(value))
    _save_continue(phone)
    phone.wait_for_url("**/intake/form/gad7/")
    for item in instruments.get_instrument("gad7").items:
        _answer(phone, item.id, "1")
    _save_continue(phone)
    phone.wait_for_url("**/intake/form/cssrs_screener/")
    for name in ("wish_dead", "suicidal_thoughts", "behaviour"):
        _answer(phone, name, "0")
    _save_continue(phone)

    phone.wait_for_url("**/intake/form/")
    assert phone.locator(".steps li.done").count() == 7
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "intake-phone-overview.png"), full_page=True)
    phone.get_by_role("button", name="Send my intake to the clinic").click()
    phone.wait_for_url("**/intake/form/done/")
    _fits_the_phone(phone)
    # The link is spent.
    phone.goto(f"{phone.base_url}/intake/start/{token}/")
    assert phone.get_by_text("already been submitted").is_visible()

    # 2. The prescriber reviews and approves.
    browser_login(page, "paul")
    page.wait_for_url("**/staff/")
    page.goto(f"{page.base_url}/patients/{patient.uuid}/")
    assert "PHQ-9 15 moderately severe" in page.content()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Candidacy review").click()
    page.wait_for_url("**/review/")
    assert "Treatment-resistant depression: 2 adequate failed antidepressant trials" in page.content()
    assert axe_violations(page) == []
    page.get_by_label("Pathway").select_option("iv_ketamine_depression")
    page.get_by_label("Approve").check()
    page.get_by_label("Protocol (for an approval)").fill("IV ketamine for depression")
    page.get_by_label("Note").fill("Risks and benefits discussed.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(f"**/patients/{patient.uuid}/#intake")
    assert "Decision recorded." in page.content()
    assert candidacy_approved(patient, "iv_ketamine_depression")

    # 3. The patient signs consent in the portal, drawing the signature, and downloads the PDF.
    phone.goto(f"{phone.base_url}/accounts/login/")
    browser_login(phone, "pat")
    phone.goto(f"{phone.base_url}/intake/portal/")
    _fits_the_phone(phone)
    phone.get_by_role("link", name="Read and sign: Consent to intravenous ketamine for depression").click()
    _fits_the_phone(phone)
    phone.get_by_label("I have read this form").check()
    phone.get_by_label("Your full name").fill(patient.full_name)
    pad = phone.locator("canvas[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    phone.mouse.move(x + w * 0.1, y + h * 0.7)
    phone.mouse.down()
    for step in range(1, 13):
        phone.mouse.move(x + w * (0.1 + 0.065 * step), y + h * (0.7 - 0.4 * (step % 2)), steps=3)
    phone.mouse.up()
    phone.screenshot(path=str(ARTIFACTS / "consent-phone-signing.png"), full_page=True)
    phone.get_by_role("button", name="Sign").click()
    assert phone.get_by_role("heading", name="Consent signed").is_visible()
    consent = SignedConsent.objects.get(patient=patient)
    assert consent.signature_kind == "drawn" and consent.ip_address == "127.0.0.1"
    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="Download the signed PDF").click()
    pdf_path = ARTIFACTS / "consent-signed.pdf"
    download_info.value.save_as(str(pdf_path))
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(ARTIFACTS / "consent-signed"),
        ],
        check=True,
    )
    image = next(ARTIFACTS.glob("consent-signed-*1.png"))
    assert image.stat().st_size > 5_000  # a rendered page, not an empty image

    # 4. Staff counter-sign: the consent now covers a course.
    page.goto(f"{page.base_url}/patients/{patient.uuid}/")
    page.reload()  # the previous URL differed only by its fragment
    assert "awaiting counter-signature" in page.content()
    page.get_by_role("button", name="Counter-sign").click()
    page.wait_for_url(f"**/patients/{patient.uuid}/#consent")
    assert consent_current(patient, "iv_ketamine_depression") == consent
    # The 400 (unticked confirmation) and 410 (spent link) above were deliberate; nothing else may fail,
    # and no CSP violation may appear.
    unexpected = [e for e in phone.console_errors + page.console_errors if "Failed to load resource" not in e]
    assert unexpected == []
    assert len(phone.console_errors) == 2


def test_pain_sections_and_manager_consent_pages_pass_axe(clinic: Any, phone: Any, page: Any) -> None:
    from ketaflow.intake import services
    from ketaflow.intake.tests.factories import CALM_HISTORY, wdm_patient
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    patient = wdm_patient(clinic)
    intake = services.intake_create(patient=patient, reason="pain", created_by=clinic.user("frank"))
    services.intake_history_save(intake=intake, answers=CALM_HISTORY)
    token = services.intake_link_send(intake=intake, channel="sms", sent_by=clinic.user("frank"))
    phone.goto(f"{phone.base_url}/intake/start/{token}/")
    phone.get_by_role("link", name="Pain history").click()
    _fits_the_phone(phone)
    phone.get_by_role("button", name="Save and continue").click()
    assert phone.locator(".errorlist").first.is_visible()
    _fits_the_phone(phone)
    phone.get_by_label("Complex regional pain syndrome").check()
    phone.get_by_label("1 to 5 years").check()
    phone.get_by_label("Physical therapy").check()
    _save_continue(phone)
    for slug in ("nrs", "peg3", "bpi_sf", "about-you"):
        phone.goto(f"{phone.base_url}/intake/form/{slug}/")
        _fits_the_phone(phone)

    browser_login(page, "mia")
    page.wait_for_url("**/staff/")
    page.goto(f"{page.base_url}/intake/consent-forms/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="New version").first.click()
    assert axe_violations(page) == []
    page.get_by_label("Body").fill(page.get_by_label("Body").input_value() + "\n\nA new paragraph.")
    page.get_by_role("button", name="Publish").click()
    assert "The previous version is superseded." in page.content()
    assert "Superseded" in page.content()
    assert axe_violations(page) == []
