"""Confirmation emails and reminders (48 h and 2 h before, email and SMS) through the task worker.

Sending is idempotent: a reminder is claimed by inserting its unique (appointment, kind, channel) row before
anything is sent, so two workers, a retried task or a repeated sweep never send it twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend, task

from ketaflow.core.sms import SmsMessage, get_sms_backend
from ketaflow.scheduling.calendar_files import appointment_ics
from ketaflow.scheduling.models import Appointment, Reminder

log = logging.getLogger(__name__)

REMINDER_OFFSETS = {Reminder.Kind.H48: dt.timedelta(hours=48), Reminder.Kind.H2: dt.timedelta(hours=2)}
# A reminder is only worth sending inside its window: at most this late after its due time.
REMINDER_GRACE = {
    Reminder.Kind.H48: dt.timedelta(hours=24),
    Reminder.Kind.H2: dt.timedelta(hours=1, minutes=45),
}


def _local(appointment: Appointment) -> dt.datetime:
    return timezone.localtime(appointment.starts_at, appointment.location.tz)


def _load(appointment_id: int) -> Appointment | None:
    return (
        Appointment.objects.select_related("location__clinic", "consultation_type", "patient", "provider")
        .filter(pk=appointment_id)
        .first()
    )


def booking_confirmation_send(appointment_id: int, raw_token: str) -> None:
    appointment = _load(appointment_id)
    if appointment is None or appointment.patient is None or not appointment.patient.email:
        return
    manage_url = settings.SITE_URL + reverse("scheduling:manage", args=[raw_token])
    context = {"appointment": appointment, "local_start": _local(appointment), "manage_url": manage_url}
    message = EmailMessage(
        subject=f"Your consultation on {_local(appointment):%A %B %-d at %-I:%M %p}",
        body=render_to_string("scheduling/email/confirmation.txt", context),
        to=[appointment.patient.email],
    )
    message.attach("appointment.ics", appointment_ics(appointment), "text/calendar")
    message.send()


@task()
def reminder_send_task(appointment_id: int, kind: str) -> int:
    return reminder_send(appointment_id=appointment_id, kind=kind)


def reminders_schedule(appointment_id: int) -> None:
    """Queue the 48 h and 2 h reminders for when they are due (backends that cannot defer rely on the sweep)."""
    appointment = _load(appointment_id)
    if appointment is None or not default_task_backend.supports_defer:
        return
    now = timezone.now()
    for kind, offset in REMINDER_OFFSETS.items():
        due = appointment.starts_at - offset
        if due + REMINDER_GRACE[kind] > now:
            reminder_send_task.using(run_after=max(due, now)).enqueue(appointment_id, str(kind))


def _claim(appointment: Appointment, kind: str, channel: str, now: dt.datetime) -> Reminder | None:
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                appointment=appointment, kind=kind, channel=channel, claimed_at=now
            )
    except IntegrityError:
        return None


def reminder_send(*, appointment_id: int, kind: str, now: dt.datetime | None = None) -> int:
    """Send one appointment's reminder of ``kind`` by email and SMS if due and not sent yet. Returns how many went."""
    now = now or timezone.now()
    appointment = _load(appointment_id)
    if appointment is None or appointment.status != Appointment.Status.BOOKED or appointment.patient is None:
        return 0
    due = appointment.starts_at - REMINDER_OFFSETS[Reminder.Kind(kind)]
    if not (due <= now <= min(due + REMINDER_GRACE[Reminder.Kind(kind)], appointment.starts_at)):
        return 0
    sent = 0
    patient = appointment.patient
    local = _local(appointment)
    text = (
        f"Reminder: {appointment.consultation_type.name} at {appointment.location.clinic.name}, "
        f"{appointment.location.name}, {local:%a %b %-d at %-I:%M %p}. To change it call {appointment.location.phone}."
    )
    channels = []
    if patient.email:
        channels.append(Reminder.Channel.EMAIL)
    if patient.mobile_phone and appointment.consent_to_contact:
        channels.append(Reminder.Channel.SMS)
    for channel in channels:
        reminder = _claim(appointment, kind, channel, now)
        if reminder is None:
            continue
        try:
            if channel == Reminder.Channel.EMAIL:
                EmailMessage(subject="Appointment reminder", body=text, to=[patient.email]).send()
            else:
                get_sms_backend().send(SmsMessage(to=patient.mobile_phone, body=text))
        except Exception as exc:  # noqa: BLE001 - record the failure on the claimed row; never send twice
            Reminder.objects.filter(pk=reminder.pk).update(error=str(exc)[:300])
            log.warning("reminder %s failed for appointment %s", kind, appointment.uuid)
            continue
        Reminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
        sent += 1
    return sent


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Sweep: send every reminder that is due now. Safe to run often and from several workers at once."""
    now = now or timezone.now()
    total = 0
    for kind, offset in REMINDER_OFFSETS.items():
        window_start = now + offset - REMINDER_GRACE[kind]
        ids = Appointment.objects.filter(
            status=Appointment.Status.BOOKED, starts_at__gt=window_start, starts_at__lte=now + offset
        ).values_list("pk", flat=True)
        for appointment_id in ids:
            total += reminder_send(appointment_id=appointment_id, kind=kind, now=now)
    return total


@task()
def reminders_send_due_task() -> int:
    return reminders_send_due()
