"""Journey at a tablet viewport (1024x768): the front desk books a 6-infusion series; on the day the nurse
checks the patient in and completes the checklist (one hard stop shown, then satisfied), the prescriber signs
the dose, a second nurse double-checks, the infusion runs with vitals (one alert raised and acknowledged),
stops, the patient recovers (Aldrete 10) and is discharged; the session note PDF is rendered.

Time is compressed in two places by moving recorded times back in the database (commented below): the first
session is moved to "now", and the infusion/recovery clocks are moved back so the minimum recovery is met.
Screenshots go to docs/img/session-*.png (kept for docs/sessions.md) and var/test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ketaflow.testing import ARTIFACTS, _new_page, axe_violations, browser_login
from ketaflow.treatment import services
from ketaflow.treatment.models import (
    AdministrationEvent,
    Course,
    InfusionSession,
    SessionAlert,
    VitalsReading,
)
from ketaflow.treatment.tests.factories import clear_for_infusion, patient_at

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"session-{name}.png"), full_page=False)
    page.screenshot(path=str(DOCS_IMG / f"session-{name}.png"), full_page=False)


def _as(chromium: Any, request: Any, base_url: str, username: str) -> tuple[Any, Any]:
    context, tab = _new_page(chromium, request, {"width": 1024, "height": 768})
    tab.base_url = base_url
    browser_login(tab, username)
    tab.wait_for_url("**/staff/**")
    return context, tab


def _go(tab: Any, name: str, **kwargs: Any) -> None:
    tab.goto(tab.base_url + reverse(name, kwargs=kwargs))


def test_series_booking_to_discharge_and_pdf(clinic: Any, page: Any, chromium: Any, request: Any) -> None:
    from ketaflow.treatment.seeds import ensure_seeded

    ensure_seeded()
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.dsm))
    base = page.base_url

    # Front desk (Fran, Des Moines) starts the course and books the induction series.
    browser_login(page, "fran")
    page.wait_for_url("**/staff/**")
    _go(page, "treatment:course_new", patient_uuid=patient.uuid)
    expect(page.get_by_text("ready to book").first).to_be_visible()
    page.get_by_label("Protocol").select_option(label="IV ketamine for depression, 0.5 mg/kg over 40 min")
    page.get_by_role("button", name="Create course").click()
    page.wait_for_url("**/treatment/courses/**")
    first_day = timezone.localdate() + dt.timedelta(days=1)
    while first_day.weekday() > 3:
        first_day += dt.timedelta(days=1)
    page.get_by_label("First day").fill(first_day.isoformat())
    page.get_by_label("Preferred time").fill("09:00")
    page.get_by_role("button", name="Propose series").click()
    expect(page.get_by_role("button", name="Book all 6 sessions")).to_be_visible()
    assert axe_violations(page) == []
    _shot(page, "1-series-proposal")
    page.get_by_role("button", name="Book all 6 sessions").click()
    expect(page.locator("#sessions tbody tr")).to_have_count(6)
    course = Course.objects.get(patient=patient)
    assert course.sessions.count() == 6

    # "On the day": move the first session to now (the series was booked for the coming days). The patient
    # arrived 90 minutes ago, so that the clocks moved back below stay inside the session.
    session = course.sessions.order_by("starts_at").first()
    length = session.ends_at - session.starts_at
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=90)
    InfusionSession.objects.filter(pk=session.pk).update(starts_at=start, ends_at=start + length)

    # Nurse (Nina) checks the patient in and fills the checklist: the escort is missing, a hard stop.
    nurse_context, nurse = _as(chromium, request, base, "nina")
    _go(nurse, "treatment:session", session_uuid=session.uuid)
    nurse.get_by_role("button", name="Check in").click()
    expect(nurse.get_by_text("Arrived").first).to_be_visible()
    nurse.get_by_label("Identity confirmed (name and date of birth)").check()
    now_local = timezone.localtime(timezone.now(), clinic.dsm.tz)
    nurse.get_by_label("Last solid food (time today)").fill(
        (now_local - dt.timedelta(hours=7)).strftime("%H:%M") if now_local.hour >= 7 else "00:00"
    )
    nurse.get_by_label("Last clear liquid (time today)").fill(
        (now_local - dt.timedelta(hours=3)).strftime("%H:%M") if now_local.hour >= 3 else "00:00"
    )
    nurse.get_by_label("Escort name").fill("")
    nurse.get_by_label("Today's weight (kg)").fill("80")
    nurse.get_by_label("Baseline systolic BP (mmHg)").fill("128")
    nurse.get_by_label("Baseline diastolic BP (mmHg)").fill("82")
    nurse.get_by_label("Baseline heart rate (/min)").fill("74")
    nurse.get_by_label("Baseline SpO2 (%)").fill("98")
    nurse.get_by_label("Baseline respiratory rate (/min)").fill("14")
    nurse.get_by_label("Pregnancy test").select_option("not_applicable")
    nurse.get_by_label("Medication changes reviewed (interaction flags)").check()
    nurse.get_by_label("Pre-treatment PHQ-9 / NRS done").check()
    nurse.get_by_label("IV access in place").check()
    nurse.get_by_role("button", name="Check", exact=True).click()
    expect(nurse.get_by_text("No escort has been confirmed to take the patient home.")).to_be_visible()
    nurse.locator("#checklist").scroll_into_view_if_needed()
    _shot(nurse, "2-checklist-hard-stop")
    nurse.get_by_label("Escort/ride home confirmed").check()
    nurse.get_by_label("Escort name").fill("Sam Rivera")
    nurse.get_by_label("Escort phone").fill("(515) 555-0142")
    nurse.get_by_role("button", name="Check", exact=True).click()
    expect(nurse.get_by_text("all hard stops satisfied")).to_be_visible()

    # Prescriber (Priya) signs the dose order; a second nurse (Noah) double-checks weight and vial.
    prescriber_context, prescriber = _as(chromium, request, base, "priya")
    _go(prescriber, "treatment:session", session_uuid=session.uuid)
    prescriber.get_by_role("button", name="Sign dose order").click()
    expect(prescriber.get_by_text("40.0 mg")).to_be_visible()
    second_context, second = _as(chromium, request, base, "noah")
    _go(second, "treatment:session", session_uuid=session.uuid)
    second.get_by_label("Weight you measured or read (kg)").fill("80")
    second.get_by_label("Vial concentration you read (mg/mL)").fill("10")
    second.get_by_role("button", name="Record double check").click()
    expect(second.get_by_text("matches")).to_be_visible()
    second.locator("#order").scroll_into_view_if_needed()
    _shot(second, "3-dose-double-checked")

    # Nina starts the pump and records vitals; one blood pressure raises an alert, acknowledged.
    nurse.reload()
    nurse.get_by_label("Kind").select_option("start")
    nurse.get_by_label("Lot / vial").fill("LOT-2611-A")
    nurse.get_by_role("button", name="Record event").click()
    expect(nurse.locator("#status")).to_have_text("Infusing")
    # Compress time: the infusion started 75 minutes ago; baseline readings 5 minutes before it and the
    # readings below every 15 minutes after it (they are entered now and their times moved back).
    started = timezone.now() - dt.timedelta(minutes=75)
    AdministrationEvent.objects.filter(session=session, kind="start").update(at=started)
    InfusionSession.objects.filter(pk=session.pk).update(started_at=started)
    VitalsReading.objects.filter(session=session, source="baseline").update(
        taken_at=started - dt.timedelta(minutes=5)
    )
    for reading in ((130, 82, 76, 98, 5, 0), (176, 104, 88, 97, 4, 4)):
        nurse.get_by_label("SBP", exact=True).fill(str(reading[0]))
        nurse.get_by_label("DBP", exact=True).fill(str(reading[1]))
        nurse.get_by_label("HR", exact=True).fill(str(reading[2]))
        nurse.get_by_label("SpO2", exact=True).fill(str(reading[3]))
        nurse.get_by_label("MOAA/S").fill(str(reading[4]))
        nurse.get_by_label("CADSS").fill(str(reading[5]))
        nurse.get_by_role("button", name="Save reading").click()
        nurse.wait_for_load_state()
    for index, row in enumerate(
        VitalsReading.objects.filter(session=session, source="manual").order_by("id")
    ):
        VitalsReading.objects.filter(pk=row.pk).update(
            taken_at=started + dt.timedelta(minutes=15 * (index + 1))
        )
    nurse.get_by_label("SBP", exact=True).fill("212")
    nurse.get_by_label("DBP", exact=True).fill("124")
    nurse.get_by_label("HR", exact=True).fill("96")
    nurse.get_by_label("SpO2", exact=True).fill("97")
    nurse.get_by_role("button", name="Save reading").click()
    expect(nurse.get_by_text("Blood pressure above 200/120 mmHg.")).to_be_visible()
    nurse.locator("#alerts").scroll_into_view_if_needed()
    _shot(nurse, "4-alert")
    nurse.get_by_role("button", name="Acknowledge").click()
    expect(nurse.get_by_text("Acknowledged by")).to_be_visible()
    latest = VitalsReading.objects.filter(session=session).order_by("-taken_at").first()
    VitalsReading.objects.filter(pk=latest.pk).update(taken_at=started + dt.timedelta(minutes=40))
    SessionAlert.objects.filter(session=session).update(raised_at=started + dt.timedelta(minutes=40))

    # Stop; compress time again so the 30-minute minimum recovery has passed; score Aldrete 10; discharge.
    nurse.get_by_label("Kind").select_option("stop")
    nurse.get_by_role("button", name="Record event").click()
    expect(nurse.locator("#status")).to_have_text("Recovering")
    stopped = started + dt.timedelta(minutes=40)  # 40 min infusion, 35 min ago
    AdministrationEvent.objects.filter(session=session, kind="stop").update(at=stopped)
    InfusionSession.objects.filter(pk=session.pk).update(stopped_at=stopped)
    moved = InfusionSession.objects.get(pk=session.pk)
    services._update_forecast(moved, stopped)  # the PK forecast again, from the moved-back pump events
    moved.save(update_fields=["forecast"])
    for minutes, values in (
        (55, ("150", "92", "84", "97", "5", "1")),
        (70, ("134", "84", "78", "98", "5", "0")),
    ):
        for label, value in zip(("SBP", "DBP", "HR", "SpO2", "MOAA/S", "CADSS"), values, strict=True):
            nurse.get_by_label(label, exact=True).fill(value)
        nurse.get_by_role("button", name="Save reading").click()
        nurse.wait_for_load_state()
        latest = VitalsReading.objects.filter(session=session).order_by("-id").first()
        VitalsReading.objects.filter(pk=latest.pk).update(taken_at=started + dt.timedelta(minutes=minutes))
    nurse.reload()
    nurse.locator("#vitals").scroll_into_view_if_needed()
    _shot(nurse, "5-flowsheet")
    nurse.get_by_role("button", name="Save score").click()
    expect(nurse.get_by_text("Modified Aldrete 10/10")).to_be_visible()
    expect(nurse.get_by_text("Ready for discharge").first).to_be_visible()
    nurse.get_by_label("Escort present to take the patient home").check()
    nurse.get_by_role("button", name="Discharge", exact=True).click()
    expect(nurse.get_by_text("Discharge instructions")).to_be_visible()
    assert axe_violations(nurse) == []
    nurse.locator("#score").scroll_into_view_if_needed()
    _shot(nurse, "6-discharged")
    session.refresh_from_db()
    assert session.status == "discharged"

    # The day board at Des Moines shows the discharged patient; the PDF renders.
    _go(prescriber, "treatment:board")
    expect(prescriber.get_by_text(patient.full_name).first).to_be_visible()
    assert axe_violations(prescriber) == []
    _shot(prescriber, "7-board")
    response = nurse.request.get(
        base + reverse("treatment:session_pdf", kwargs={"session_uuid": session.uuid})
    )
    assert response.ok and response.body().startswith(b"%PDF")
    pdf_path = ARTIFACTS / "session-note.pdf"
    pdf_path.write_bytes(response.body())
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
            str(DOCS_IMG / "session-8-pdf"),
        ],
        check=True,
    )
    assert session.events.get(kind="stop").at == stopped
    assert SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True).count() == 0
    assert nurse.console_errors == []
    for context in (nurse_context, prescriber_context, second_context):
        context.close()
