"""Races on real connections: simultaneous sweeps send each link once; simultaneous submits save one answer;
simultaneous escalation sweeps escalate a task once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes import services
from ketaflow.outcomes.models import MeasurementRequest, UrgentTask
from ketaflow.outcomes.tests.test_workflow_factories import course_with_sessions, sent_measure_link

WORKERS = 8
CALM = [1, 1, 0, 1, 0, 0, 1, 0, 0]


def _race(work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(index)
        except ValidationError as error:
            result = error.messages[0]
        except Exception as error:  # noqa: BLE001 - any other failure is a bug and fails the test
            result = f"error: {type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == WORKERS
    return results


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sweeps_send_each_link_once(clinic: Any, mailoutbox: Any) -> None:
    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    mailoutbox.clear()
    results = _race(lambda index: services.measurements_send_due())
    assert sum(results) == 3, results
    assert len(mailoutbox) == 1
    assert MeasurementRequest.objects.filter(course=course, status="sent").count() == 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_of_one_questionnaire_save_one_answer(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)

    def submit(index: int) -> str:
        services.measurement_answer(token_request=request, request_uuid=request.uuid, answers=CALM)
        return "saved"

    results = _race(submit)
    assert results.count("saved") == 1, results
    assert results.count(services.ALREADY_ANSWERED) == WORKERS - 1, results
    assert QuestionnaireResponse.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_escalation_sweeps_escalate_once(clinic: Any, settings: Any, mailoutbox: Any) -> None:
    settings.OUTCOMES_ESCALATE_AFTER_MINUTES = 0
    request, _ = sent_measure_link(clinic)
    _, task = services.measurement_answer(
        token_request=request, request_uuid=request.uuid, answers=[1, 1, 0, 1, 0, 0, 1, 0, 1]
    )
    assert task is not None
    mailoutbox.clear()
    results = _race(lambda index: services.urgent_tasks_escalate())
    assert sum(results) == 1, results
    assert UrgentTask.objects.get(pk=task.pk).escalated_to == clinic.user("mia")
    assert len([m for m in mailoutbox if m.subject.startswith("Escalated")]) == 1
