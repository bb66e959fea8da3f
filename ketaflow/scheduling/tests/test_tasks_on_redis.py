"""The scale-out task backend: reminders queued in Redis (django-tasks-rq) and run by an RQ worker.

Runs where Redis answers on 127.0.0.1:6379 (CI starts it; `make run-prod TASKS=rq` uses it). The test uses Redis
database 15 and empties it before and after, so it never touches a running topology's queue (database 0).
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest

from ketaflow.scheduling.models import Reminder
from ketaflow.scheduling.tests.factories import booked_appointment, next_weekday_at

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379 (CI starts it)"),
]


@pytest.fixture
def rq_backend(settings: Any) -> Any:
    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_TEST_URL}}
    connection = django_rq.get_connection("default")
    connection.flushdb()
    yield django_rq
    connection.flushdb()


def test_a_reminder_task_runs_through_redis_and_an_rq_worker_once(
    clinic: Any, rq_backend: Any, settings: Any, mailoutbox: Any, tmp_path: Any
) -> None:
    from django.utils import timezone
    from django_tasks import TaskResultStatus, task_backends
    from rq import SimpleWorker

    from ketaflow.scheduling.notifications import reminder_send_task

    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "ketaflow.core.sms.ConsoleSmsBackend"
    assert type(task_backends["default"]).__name__ == "RQBackend"
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10, days_ahead=5))
    # Starts in an hour: the 2-hour reminder is due now.
    type(appointment).objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() + dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=1, minutes=30),
    )
    mailoutbox.clear()
    first = reminder_send_task.enqueue(appointment.pk, "2h")
    second = reminder_send_task.enqueue(appointment.pk, "2h")  # a retried or duplicated task
    queue = rq_backend.get_queue("default")
    assert queue.count == 2  # both jobs wait in Redis; nothing ran in this process yet
    assert not Reminder.objects.exists()

    # The worker the topology runs (`ketaflow rqworker default --job-class django_tasks_rq.Job`), in-process
    # here so it shares the test's database. Without django-tasks-rq's job class RQ cannot call a Task.
    worker = rq_backend.get_worker("default", worker_class=SimpleWorker, job_class="django_tasks_rq.Job")
    assert worker.work(burst=True)

    assert queue.count == 0
    first.refresh()
    second.refresh()
    assert first.status == second.status == TaskResultStatus.SUCCESSFUL
    # Email and SMS sent by one job; the repeat found both claimed and sent nothing.
    assert sorted([first.return_value, second.return_value]) == [0, 2]
    assert len(mailoutbox) == 1 and "Reminder" in mailoutbox[0].body
    assert len((tmp_path / "sms" / "outbox.jsonl").read_text().splitlines()) == 1
    sent = Reminder.objects.filter(appointment=appointment, kind="2h", sent_at__isnull=False)
    assert set(sent.values_list("channel", flat=True)) == {"email", "sms"}
