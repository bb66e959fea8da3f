"""Progress page, report PDF and booster page: what each role sees, audit, bad input, constant query counts."""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.outcomes import boosters
from ketaflow.outcomes.models import BoosterReview
from ketaflow.outcomes.tests.progress_factories import RELAPSE, add_score, scores, started_course
from ketaflow.scheduling.tests.factories import next_weekday_at
from ketaflow.treatment.models import Course, InfusionSession
from ketaflow.treatment.tests.factories import clear_for_infusion, patient_at, place_session


@pytest.fixture
def relapsing(clinic: Any) -> Any:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    first = timezone.now() - dt.timedelta(days=70)
    started_course(clinic, patient, first=first)
    scores(patient, first, RELAPSE)
    boosters.booster_reviews_refresh(patient=patient)
    return patient


def _url(name: str, **kwargs: Any) -> str:
    return reverse(f"outcomes:{name}", kwargs=kwargs)


def test_nurse_sees_trajectory_classification_and_the_suggestion_but_not_the_decision_button(
    as_persona: Any, relapsing: Any
) -> None:
    response = as_persona("nina").get(_url("progress", patient_uuid=relapsing.uuid))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'data-instrument="phq9"' in html
    assert html.count("data-score=") == len(RELAPSE)
    assert '<tr data-status="relapse">' in html
    assert "PHQ-9 relapse: the improvement was lost" in html
    assert "A prescriber decides on boosters." in html and "Book a booster or decline" not in html
    assert AuditEvent.objects.filter(
        patient_uuid=relapsing.uuid, action="read", detail="progress viewed"
    ).exists()


def test_prescriber_gets_the_link_to_decide(as_persona: Any, relapsing: Any) -> None:
    review = BoosterReview.objects.get(patient=relapsing)
    html = as_persona("paul").get(_url("progress", patient_uuid=relapsing.uuid)).content.decode()
    assert _url("booster_review", review_uuid=review.uuid) in html


def test_chart_page_links_to_progress(clinic: Any, as_persona: Any, relapsing: Any) -> None:
    html = as_persona("nina").get(reverse("patients:chart", args=[relapsing.uuid])).content.decode()
    assert _url("progress", patient_uuid=relapsing.uuid) in html


def test_a_patient_without_scores_gets_a_plain_message(clinic: Any, as_persona: Any) -> None:
    patient = patient_at(clinic, clinic.wdm, 2)
    html = as_persona("nina").get(_url("progress", patient_uuid=patient.uuid)).content.decode()
    assert "No scores yet" in html and "<svg" not in html


def _pdf_strings(pdf: bytes) -> list[str]:
    """Document title and bookmarks (UTF-16 or literal strings) from the PDF's compressed objects."""
    found = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        for hexed in re.findall(rb"/Title <feff([0-9a-fA-F]*)>", data):
            found.append(bytes.fromhex(hexed.decode()).decode("utf-16-be"))
        found += [m.decode("latin-1") for m in re.findall(rb"/Title \(([^)]*)\)", data)]
    return found


def test_progress_report_pdf_renders_with_the_patients_name_and_is_audited(
    as_persona: Any, relapsing: Any
) -> None:
    response = as_persona("paul").get(_url("progress_pdf", patient_uuid=relapsing.uuid))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    strings = _pdf_strings(response.content)
    assert f"Progress report · {relapsing.full_name}" in strings
    assert "PHQ-9" in strings and "How to read this report" in strings
    assert AuditEvent.objects.filter(
        patient_uuid=relapsing.uuid, action="export", detail="progress report PDF"
    ).exists()


def test_report_html_uses_the_same_chart_and_explains_the_definitions(relapsing: Any, clinic: Any) -> None:
    from ketaflow.outcomes.pdf import progress_report_html
    from ketaflow.outcomes.progress import patient_progress

    html = progress_report_html(patient_progress(patient=relapsing), prepared_by=clinic.user("paul"))
    assert 'data-instrument="phq9"' in html and 'id="report-phq9-title"' in html
    assert "Response: PHQ-9 at least 50% below the course&#x27;s baseline." in html
    assert "or the score is 10 or more" in html


def _grow(clinic: Any, patient: Any, sessions: int, days: int) -> None:
    first = timezone.now() - dt.timedelta(days=days + 5)
    course = started_course(clinic, patient, first=first, sessions=sessions, gap_days=1)
    for day in range(-2, days):
        add_score(patient, "phq9", 20 - day % 15, first + dt.timedelta(days=day))
        add_score(patient, "peg3", 7 - day % 4, first + dt.timedelta(days=day))
    place_session(clinic, course, start=first + dt.timedelta(days=days + 8))
    BoosterReview.objects.create(
        patient=patient, course=course, instrument="phq9", why=["x"], engine_version="t"
    )


def test_progress_page_queries_do_not_grow_with_scores_or_sessions(clinic: Any, as_persona: Any) -> None:
    client = as_persona("nina")
    counts = []
    for index, (sessions, days) in enumerate(((2, 3), (15, 60))):
        patient = patient_at(clinic, clinic.wdm, index)
        _grow(clinic, patient, sessions, days)
        client.get(_url("progress", patient_uuid=patient.uuid))  # warm the session and location caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url("progress", patient_uuid=patient.uuid))
        assert response.content.decode().count("data-score=") == 2 * (days + 2)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_progress_page_query_count_is_pinned(
    clinic: Any, as_persona: Any, django_assert_num_queries: Any
) -> None:
    patient = patient_at(clinic, clinic.wdm)
    _grow(clinic, patient, 6, 20)
    client = as_persona("nina")
    client.get(_url("progress", patient_uuid=patient.uuid))
    # Expect 13 queries. Request: session, user, OTP device, the user's locations, the current location (5);
    # patient and the audit insert (2); progress: courses, sessions, booster courses, scores, missed measures,
    # open reviews (6).
    with django_assert_num_queries(13):
        client.get(_url("progress", patient_uuid=patient.uuid))


# --- booster page --------------------------------------------------------------------------------------------


def _review(patient: Any) -> BoosterReview:
    return BoosterReview.objects.get(patient=patient, status=BoosterReview.Status.OPEN)


def test_decline_without_a_reason_shows_the_field_error_and_saves_nothing(
    as_persona: Any, relapsing: Any
) -> None:
    review = _review(relapsing)
    response = as_persona("paul").post(
        _url("booster_review", review_uuid=review.uuid), {"action": "decline", "reason": "  "}
    )
    assert response.status_code == 400
    assert boosters.REASON_REQUIRED in response.content.decode()
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.OPEN


def test_decline_with_a_reason_goes_back_to_progress(as_persona: Any, relapsing: Any) -> None:
    review = _review(relapsing)
    response = as_persona("paul").post(
        _url("booster_review", review_uuid=review.uuid),
        {"action": "decline", "reason": "Stable on review call."},
    )
    assert response.status_code == 302 and response["Location"] == _url(
        "progress", patient_uuid=relapsing.uuid
    )
    review.refresh_from_db()
    assert (
        review.status == BoosterReview.Status.DECLINED and review.decision_reason == "Stable on review call."
    )


def test_propose_then_book_accepts_the_review(clinic: Any, as_persona: Any, relapsing: Any) -> None:
    review = _review(relapsing)
    client = as_persona("paul")
    url = _url("booster_review", review_uuid=review.uuid)
    page = client.get(url).content.decode()
    assert 'name="count"' in page and 'value="1"' in page  # "boosters as needed": one session
    first_day = next_weekday_at(0, days_ahead=2).astimezone(clinic.wdm.tz).date().isoformat()
    form = {"first_day": first_day, "preferred_time": "09:00", "count": "2"}
    proposed = client.post(url, {**form, "action": "propose"})
    html = proposed.content.decode()
    assert proposed.status_code == 200 and "Accept and book 2 sessions" in html
    starts = re.findall(r'name="start" value="([^"]+)"', html)
    assert len(starts) == 2
    booked = client.post(url, {**form, "action": "book", "start": starts, "note": "Booster pair."})
    assert booked.status_code == 302
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.ACCEPTED and review.booked_course is not None
    assert InfusionSession.objects.filter(course=review.booked_course).count() == 2
    # The decided review shows its outcome instead of the forms.
    after = client.get(url).content.decode()
    assert "Accepted by" in after and "Propose sessions" not in after


def test_bad_series_input_shows_field_errors_and_books_nothing(as_persona: Any, relapsing: Any) -> None:
    review = _review(relapsing)
    courses = Course.objects.count()
    response = as_persona("paul").post(
        _url("booster_review", review_uuid=review.uuid),
        {"action": "book", "first_day": "not a day", "preferred_time": "09:00", "count": "0"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Enter a valid date." in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert Course.objects.count() == courses
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.OPEN


def test_a_tampered_start_time_is_refused_and_nothing_is_booked(as_persona: Any, relapsing: Any) -> None:
    review = _review(relapsing)
    courses = Course.objects.count()
    response = as_persona("paul").post(
        _url("booster_review", review_uuid=review.uuid),
        {
            "action": "book",
            "first_day": "2030-01-07",
            "preferred_time": "09:00",
            "count": "1",
            "start": "yesterday",
        },
    )
    assert response.status_code == 400 and "The proposal was changed" in response.content.decode()
    assert Course.objects.count() == courses


@pytest.mark.parametrize("persona", ["nina", "mia", "priya"])
def test_others_cannot_decide_and_nothing_changes(as_persona: Any, relapsing: Any, persona: str) -> None:
    review = _review(relapsing)
    response = as_persona(persona).post(
        _url("booster_review", review_uuid=review.uuid), {"action": "decline", "reason": "No."}
    )
    assert response.status_code in (403, 404)
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.OPEN
