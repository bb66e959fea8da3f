from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.db import connection

from ketaflow.core.sms import HttpSmsBackend, SmsError, SmsMessage
from ketaflow.scheduling.models import Reminder
from ketaflow.scheduling.notifications import reminder_send, reminders_send_due
from ketaflow.scheduling.tests.factories import booked_appointment, next_weekday_at


@pytest.fixture
def sms_outbox(settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "ketaflow.core.sms.ConsoleSmsBackend"
    return tmp_path / "sms" / "outbox.jsonl"


def _lines(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.django_db
def test_running_the_sweep_twice_sends_each_reminder_once(
    clinic: Any, mailoutbox: Any, sms_outbox: Any
) -> None:
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10, days_ahead=5))
    mailoutbox.clear()
    at_48h = appointment.starts_at - dt.timedelta(hours=47)
    assert reminders_send_due(now=at_48h) == 2  # email + SMS (the caller consented to texts)
    assert reminders_send_due(now=at_48h) == 0
    assert reminders_send_due(now=at_48h + dt.timedelta(minutes=30)) == 0
    at_2h = appointment.starts_at - dt.timedelta(hours=1, minutes=50)
    assert reminders_send_due(now=at_2h) == 2
    assert reminders_send_due(now=at_2h) == 0
    assert len(mailoutbox) == 2
    assert len(_lines(sms_outbox)) == 2
    assert "West Des Moines" in mailoutbox[0].body
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 4


@pytest.mark.django_db
def test_nothing_is_sent_before_the_window_or_for_cancelled_appointments(
    clinic: Any, mailoutbox: Any, sms_outbox: Any
) -> None:
    from ketaflow.scheduling.services import appointment_cancel

    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10, days_ahead=5))
    mailoutbox.clear()
    assert reminders_send_due(now=appointment.starts_at - dt.timedelta(hours=72)) == 0
    appointment_cancel(appointment=appointment, reason="x", cancelled_by=clinic.user("frank"))
    assert reminders_send_due(now=appointment.starts_at - dt.timedelta(hours=47)) == 0
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_still_send_each_reminder_once(
    clinic: Any, mailoutbox: Any, sms_outbox: Any
) -> None:
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10, days_ahead=5))
    mailoutbox.clear()
    now = appointment.starts_at - dt.timedelta(hours=47)
    results: list[int] = []

    def worker() -> None:
        try:
            results.append(reminder_send(appointment_id=appointment.pk, kind="48h", now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 2
    assert len(mailoutbox) == 1
    assert Reminder.objects.count() == 2


class _FakeGateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 202

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"auth": self.headers["Authorization"], **json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def gateway() -> Any:
    _FakeGateway.received = []
    _FakeGateway.status = 202
    server = HTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_http_sms_backend_posts_to_the_gateway(gateway: Any) -> None:
    backend = HttpSmsBackend(url=f"http://127.0.0.1:{gateway.server_port}/send", token="t0ken")
    backend.send(SmsMessage(to="(515) 555-0101", body="Reminder"))
    assert _FakeGateway.received == [{"auth": "Bearer t0ken", "to": "(515) 555-0101", "body": "Reminder"}]


def test_http_sms_backend_raises_on_a_gateway_error(gateway: Any) -> None:
    _FakeGateway.status = 500
    backend = HttpSmsBackend(url=f"http://127.0.0.1:{gateway.server_port}/send", token="t")
    with pytest.raises(SmsError, match="500"):
        backend.send(SmsMessage(to="1", body="x"))


@pytest.mark.django_db(transaction=True)
def test_the_database_task_worker_run_twice_sends_each_reminder_once(
    clinic: Any, settings: Any, mailoutbox: Any, sms_outbox: Any
) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from ketaflow.scheduling.notifications import reminders_schedule

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Booked 47 hours ahead: the 48-hour reminder is due now, the 2-hour one later.
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10, days_ahead=5))
    type(appointment).objects.filter(pk=appointment.pk).update(
        starts_at=timezone.now() + dt.timedelta(hours=47),
        ends_at=timezone.now() + dt.timedelta(hours=47, minutes=30),
    )
    mailoutbox.clear()
    reminders_schedule(appointment.pk)
    reminders_schedule(appointment.pk)  # scheduled twice on purpose: still one reminder each
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    assert len(mailoutbox) == 1
    assert len(_lines(sms_outbox)) == 1
    assert set(Reminder.objects.values_list("kind", "channel")) == {("48h", "email"), ("48h", "sms")}
