"""Measurement workflow pages: the patient's links (walk, errors, crisis) and the staff Follow-up worklist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes import services
from ketaflow.outcomes.models import CheckIn, MeasurementRequest, UrgentTask
from ketaflow.outcomes.tests.test_workflow_factories import (
    course_with_sessions,
    open_request,
    sent_check_in,
    sent_measure_link,
)
from ketaflow.testing import login

R = MeasurementRequest.Status
PHQ9_CALM = ["1", "1", "0", "1", "0", "0", "1", "0", "0"]
PHQ9_ITEM9 = ["2", "2", "1", "2", "1", "1", "1", "0", "2"]


def _phq9_post(request: MeasurementRequest, values: list[str]) -> dict[str, str]:
    from ketaflow.domain import instruments

    items = instruments.get_instrument("phq9").items
    return {
        "request": str(request.uuid),
        **{item.id: value for item, value in zip(items, values, strict=True)},
    }


def _all_sent(course: Any) -> list[MeasurementRequest]:
    now = timezone.now()
    rows = list(
        MeasurementRequest.objects.filter(
            course=course, rater="patient", status=R.SCHEDULED, due_at__lte=now, expires_at__gt=now
        )
    )
    services.measurements_send_due(now=now)
    return rows


# --- the patient's link --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_link_shows_the_questionnaire_without_login(clinic: Any) -> None:
    request, url = sent_measure_link(clinic)
    response = Client().get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Patient Health Questionnaire-9" in body and str(request.uuid) in body
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_answering_from_the_link_saves_once_and_a_duplicate_submit_saves_nothing(clinic: Any) -> None:
    request, url = sent_measure_link(clinic)
    client = Client()
    response = client.post(url, _phq9_post(request, PHQ9_CALM))
    assert response.status_code == 302 and response["Location"].endswith("?answered=1")
    request.refresh_from_db()
    assert request.status == R.COMPLETED and request.response.result["total"] == 4
    done = client.get(response["Location"])
    assert done.status_code == 200 and "Your answers are saved" in done.content.decode()
    again = client.post(url, _phq9_post(request, PHQ9_ITEM9))
    assert again.status_code == 409 and services.ALREADY_ANSWERED in again.content.decode()
    assert QuestionnaireResponse.objects.count() == 1 and not UrgentTask.objects.exists()
    later = Client().get(url)
    assert later.status_code == 409 and services.ALL_ANSWERED in later.content.decode()


@pytest.mark.django_db
def test_missing_answers_show_field_errors_and_save_nothing(clinic: Any) -> None:
    request, url = sent_measure_link(clinic)
    data = _phq9_post(request, PHQ9_CALM)
    data.popitem()  # the last item (thoughts of being better off dead) left unanswered
    response = Client().post(url, data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    request.refresh_from_db()
    assert request.status == R.SENT and not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_expired_and_unknown_links_say_so_and_save_nothing(clinic: Any) -> None:
    request, url = sent_measure_link(clinic)
    MeasurementRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    expired = Client().post(url, _phq9_post(request, PHQ9_CALM))
    assert expired.status_code == 410 and services.LINK_EXPIRED in expired.content.decode()
    assert Client().get(url).status_code == 410
    unknown = Client().get(reverse("outcomes:measure_link", args=["not-a-real-token"]))
    assert unknown.status_code == 404 and services.LINK_UNKNOWN in unknown.content.decode()
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_the_link_walks_through_every_measure_due_at_the_same_time(clinic: Any) -> None:
    from ketaflow.domain import instruments

    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    phq9 = open_request(course, "phq9")
    raw = services.measurement_request_send(request=phq9)
    _all_sent(course)
    url = reverse("outcomes:measure_link", args=[raw])
    client = Client()
    seen = []
    for _ in range(3):
        page = client.get(url)
        assert page.status_code == 200
        current = page.context["current"]
        seen.append(current.instrument)
        definition = instruments.get_instrument(current.instrument)
        answers = {item.id: str(item.choices[0].value) for item in definition.items}
        if current.instrument == "cssrs_screener":
            for skipped in ("method", "intent", "plan", "behaviour_recent"):
                answers.pop(skipped)
        response = client.post(url, {"request": str(current.uuid), **answers})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(seen) == ["cssrs_screener", "gad7", "phq9"]
    assert client.get(f"{url}?answered=1").status_code == 200
    assert MeasurementRequest.objects.filter(course=course, status=R.COMPLETED).count() == 3


@pytest.mark.django_db
def test_link_page_queries_do_not_grow_with_the_number_of_open_questionnaires(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    request, url = sent_measure_link(clinic)
    client = Client()
    # Expect 3 queries: the token's request (with patient), the patient's open measures (with course and
    # location) and the audit line of the opened link. No session: the page stores nothing in one.
    with django_assert_num_queries(3) as one:
        assert client.get(url).context["count"] == 1
    _all_sent(request.course)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).context["count"] == 3


@pytest.mark.django_db
def test_a_link_cannot_answer_another_patients_measure(clinic: Any) -> None:
    mine, url = sent_measure_link(clinic)
    theirs, _ = sent_measure_link(clinic, patient_index=1)
    response = Client().post(url, _phq9_post(theirs, PHQ9_CALM))
    assert response.status_code == 404 and services.NOT_YOURS in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == R.SENT and not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_item_9_shows_crisis_resources_and_the_task_exists_within_the_same_request(clinic: Any) -> None:
    request, url = sent_measure_link(clinic)
    response = Client().post(url, _phq9_post(request, PHQ9_ITEM9))
    # No redirect: the crisis panel is the answer to the POST that saved the response.
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and 'href="tel:911"' in body
    assert "A clinician from your care team has been alerted" in body
    request.refresh_from_db()
    task = UrgentTask.objects.get(response=request.response)
    assert task.status == UrgentTask.Status.OPEN and task.assigned_to is not None
    assert AuditEvent.objects.filter(object_uuid=task.uuid, action="create").exists()


# --- check-in link -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_in_from_the_link_lands_in_the_nurses_queue_flagged(clinic: Any) -> None:
    check_in, url = sent_check_in(clinic)
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "How are you feeling" in page.content.decode()
    data = {
        "side_effects": ["headache"],
        "urinary": ["pain", "blood"],
        "mood": "6",
        "suicidal_thoughts": "no",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    check_in.refresh_from_db()
    assert (
        check_in.status == CheckIn.Status.ANSWERED and check_in.needs_attention and check_in.urinary_symptoms
    )
    again = client.post(url, data)
    assert again.status_code == 409 and services.CHECK_IN_ANSWERED in again.content.decode()
    worklist = login(Client(), clinic.user("nina")).get(reverse("outcomes:worklist"))
    assert check_in.patient.full_name in worklist.content.decode()
    assert "urinary symptoms" in worklist.content.decode()


@pytest.mark.django_db
def test_check_in_none_with_a_symptom_is_a_field_error(clinic: Any) -> None:
    check_in, url = sent_check_in(clinic)
    response = Client().post(
        url, {"side_effects": ["none", "nausea"], "urinary": ["none"], "mood": "6", "suicidal_thoughts": "no"}
    )
    assert response.status_code == 400
    check_in.refresh_from_db()
    assert check_in.status == CheckIn.Status.SENT


@pytest.mark.django_db
def test_check_in_suicidality_yes_shows_crisis_resources_and_opens_a_task(clinic: Any) -> None:
    check_in, url = sent_check_in(clinic)
    response = Client().post(
        url, {"side_effects": ["none"], "urinary": ["none"], "mood": "3", "suicidal_thoughts": "yes"}
    )
    assert response.status_code == 200 and 'href="tel:988"' in response.content.decode()
    assert UrgentTask.objects.filter(check_in=check_in, location=clinic.wdm).exists()


@pytest.mark.django_db
def test_an_expired_check_in_link_saves_nothing(clinic: Any) -> None:
    check_in, url = sent_check_in(clinic)
    CheckIn.objects.filter(pk=check_in.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post(
        url, {"side_effects": ["none"], "urinary": ["none"], "mood": "7", "suicidal_thoughts": "no"}
    )
    assert response.status_code == 410 and services.CHECK_IN_EXPIRED in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.answered_at is None


# --- worklist ------------------------------------------------------------------------------------------


def _fill_worklist(clinic: Any, n: int, location: Any) -> None:
    """``n`` answered check-ins and ``n`` open urgent tasks at ``location``."""
    for index in range(n):
        check_in, _ = sent_check_in(clinic, patient_index=index % 3, location=location)
        services.check_in_answer(
            check_in=check_in,
            side_effects=["none"],
            urinary=["none"],
            mood=5,
            suicidal_thoughts=index % 2 == 0,
        )


@pytest.mark.django_db
def test_worklist_queries_do_not_grow_with_rows(clinic: Any, django_assert_num_queries: Any) -> None:
    client = login(Client(), clinic.user("nina"))
    url = reverse("outcomes:worklist")
    _fill_worklist(clinic, 1, clinic.wdm)
    client.get(url)  # warm the session and permission caches
    # Expect 9 queries: session, user, TOTP device, the user's location ids, urgent tasks, check-ins,
    # clinician-rated measures (each with its related rows joined), the header's locations, the audit line.
    with django_assert_num_queries(9) as small:
        assert client.get(url).status_code == 200
    _fill_worklist(clinic, 4, clinic.wdm)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["checkins"]) == 5 and len(response.context["tasks"]) == 3


@pytest.mark.django_db
def test_worklist_is_scoped_to_the_users_locations(clinic: Any) -> None:
    _fill_worklist(clinic, 1, clinic.wdm)
    _, dsm_url = sent_check_in(clinic, location=clinic.dsm)
    Client().post(
        dsm_url, {"side_effects": ["none"], "urinary": ["none"], "mood": "8", "suicidal_thoughts": "no"}
    )
    wdm_names = {c.patient.full_name for c in CheckIn.objects.filter(session__location=clinic.wdm)}
    dsm_names = {c.patient.full_name for c in CheckIn.objects.filter(session__location=clinic.dsm)}
    noah = login(Client(), clinic.user("noah")).get(reverse("outcomes:worklist"))  # Des Moines only
    assert [c.session.location_id for c in noah.context["checkins"]] == [clinic.dsm.pk]
    assert noah.context["tasks"] == []
    nina = login(Client(), clinic.user("nina")).get(reverse("outcomes:worklist"))  # both sites
    assert {c.patient.full_name for c in nina.context["checkins"]} == wdm_names | dsm_names
    assert login(Client(), clinic.user("frank")).get(reverse("outcomes:worklist")).status_code == 403
    assert login(Client(), clinic.user("pat")).get(reverse("outcomes:worklist")).status_code == 403


@pytest.mark.django_db
def test_worklist_lists_clinician_rated_measures_and_a_clinician_rates_one(clinic: Any) -> None:
    from ketaflow.domain import instruments

    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    madrs = open_request(course, "madrs")
    client = login(Client(), clinic.user("paul"))
    page = client.get(reverse("outcomes:worklist"))
    assert madrs in page.context["measures"]
    url = reverse("outcomes:clinician_measure", args=[madrs.uuid])
    items = instruments.get_instrument("madrs").items
    response = client.post(url, {item.id: "2" for item in items})
    assert response.status_code == 302
    madrs.refresh_from_db()
    assert madrs.status == R.COMPLETED and madrs.response.result["total"] == 20
    assert madrs.response.created_by == clinic.user("paul")
    assert client.post(url, {item.id: "1" for item in items}).status_code == 400
    assert QuestionnaireResponse.objects.filter(instrument="madrs").count() == 1


@pytest.mark.django_db
def test_nurse_marks_a_check_in_reviewed_and_the_prescriber_handles_the_task(clinic: Any) -> None:
    check_in, url = sent_check_in(clinic)
    Client().post(
        url, {"side_effects": ["none"], "urinary": ["none"], "mood": "2", "suicidal_thoughts": "yes"}
    )
    task = UrgentTask.objects.get(check_in=check_in)
    nina = login(Client(), clinic.user("nina"))
    empty = nina.post(reverse("outcomes:check_in_review", args=[check_in.uuid]), {"note": ""})
    assert empty.status_code == 302
    check_in.refresh_from_db()
    assert check_in.reviewed_at is None
    nina.post(
        reverse("outcomes:check_in_review", args=[check_in.uuid]), {"note": "Phoned; safety plan in place."}
    )
    check_in.refresh_from_db()
    assert check_in.review_note == "Phoned; safety plan in place."
    # Nurses see tasks but only prescribers act on them.
    denied = nina.post(reverse("outcomes:task_action", args=[task.uuid, "resolve"]), {"note": "x"})
    assert denied.status_code == 403
    paul = login(Client(), clinic.user("paul"))
    paul.post(reverse("outcomes:task_action", args=[task.uuid, "acknowledge"]))
    task.refresh_from_db()
    assert task.status == UrgentTask.Status.ACKNOWLEDGED and task.acknowledged_by == clinic.user("paul")
    paul.post(reverse("outcomes:task_action", args=[task.uuid, "resolve"]), {"note": "Seen in clinic."})
    task.refresh_from_db()
    assert task.status == UrgentTask.Status.RESOLVED and task.resolution_note == "Seen in clinic."
    assert AuditEvent.objects.filter(object_uuid=task.uuid, actor=clinic.user("paul")).count() == 2
    priya = login(Client(), clinic.user("priya"))  # Des Moines only: the task is not hers to see
    assert priya.post(reverse("outcomes:task_action", args=[task.uuid, "acknowledge"])).status_code == 404


# --- command -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_measurements_command_prints_counts_and_refuses_bad_input(clinic: Any, mailoutbox: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    out = StringIO()
    call_command("send_measurements", "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["sent"] == 3 and counts["escalated"] == 0
    out = StringIO()
    call_command("send_measurements", "--json", stdout=out)
    assert json.loads(out.getvalue())["sent"] == 0
    with pytest.raises(CommandError, match="--every must be zero or more seconds"):
        call_command("send_measurements", "--every", "-1")
