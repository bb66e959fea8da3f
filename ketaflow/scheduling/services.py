"""Booking writes: hold a slot, confirm it, book by phone, cancel, reschedule.

Double booking is prevented by the database, not by check-then-insert: every write locks the provider's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite runs write transactions with ``BEGIN IMMEDIATE``, one at a
time) before checking the slot, and a partial unique constraint refuses a second live appointment for the
same provider and start. See docs/adr/0002-booking-concurrency.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm, Role
from ketaflow.clinics.models import Location
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain import scheduling as domain
from ketaflow.patients.models import Patient
from ketaflow.patients.services import patient_register
from ketaflow.scheduling.models import Appointment, ConsultationType
from ketaflow.scheduling.selectors import HOLD_MINUTES, ONLINE_MIN_NOTICE, schedule_changed, slot_search

SLOT_TAKEN = "That time was just booked by someone else. Here are the next free times."
SLOT_NOT_OFFERED = "That time is not available. Please choose one of the times shown."
HOLD_EXPIRED = (
    "We could only hold that time for 10 minutes and the hold has expired. Please choose a time again."
)
ALREADY_BOOKED = "You already have a new-patient consultation booked. Use the link in its email to change it."
TOO_LATE_TO_CHANGE = (
    "Online changes close 12 hours before the appointment. Please call the clinic to change it."
)
NOT_CHANGEABLE = "This appointment can no longer be changed."
OVERRIDE_NEEDS_REASON = "Give a reason to book inside the 12-hour minimum notice."
UNDER_18 = "The clinic treats adults. Please ask your doctor about care for people under 18."


class BookingError(Exception):
    def __init__(self, message: str, alternatives: list[domain.Slot] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.alternatives = alternatives or []


@dataclass(frozen=True)
class BookingDetails:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str
    mobile_phone: str
    reason: str
    heard_about: str = ""
    consent_to_contact: bool = False
    screening_uuid: Any = None


def _token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hashlib.sha256(raw.encode()).hexdigest()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _lock_provider(provider_id: int) -> User:
    return User.objects.select_for_update().get(pk=provider_id, role=Role.PRESCRIBER, is_active=True)


def _verify_slot(
    *,
    consultation_type: ConsultationType,
    location: Location,
    provider_id: int,
    starts_at: dt.datetime,
    now: dt.datetime,
    waive_min_notice: bool,
    ignore: Appointment | None = None,
) -> domain.Slot:
    """The slot, if it is still free under every rule; else BookingError with the next three free slots."""
    if ignore is not None:
        # Rescheduling: the appointment's own current time must not block its neighbours.
        Appointment.objects.filter(pk=ignore.pk).update(status=Appointment.Status.EXPIRED)
    duration = dt.timedelta(minutes=consultation_type.duration_minutes)
    slots = slot_search(
        consultation_type=consultation_type,
        now=now,
        location_ids=[location.pk],
        provider_ids=[provider_id],
        waive_min_notice=waive_min_notice,
        window_start=starts_at,
        window_end=starts_at + duration,
        fresh=True,
    )
    for slot in slots:
        if slot.start == starts_at:
            return slot
    alternatives = slot_search(
        consultation_type=consultation_type,
        now=now,
        location_ids=[location.pk],
        waive_min_notice=waive_min_notice,
        next_after=starts_at,
        limit=3,
        fresh=True,
    )
    raise BookingError(SLOT_TAKEN, alternatives)


def _expire_stale_holds(now: dt.datetime) -> None:
    if Appointment.objects.filter(status=Appointment.Status.HELD, hold_expires_at__lte=now).update(
        status=Appointment.Status.EXPIRED
    ):
        schedule_changed()


@transaction.atomic
def appointment_hold(
    *,
    consultation_type: ConsultationType,
    location: Location,
    provider_id: int,
    starts_at: dt.datetime,
    hold_key: str,
    now: dt.datetime | None = None,
    waive_min_notice: bool = False,
    channel: str = Appointment.Channel.ONLINE,
) -> Appointment:
    """Hold a free slot for HOLD_MINUTES while the person fills in the form."""
    now = now or timezone.now()
    _lock_provider(provider_id)
    _expire_stale_holds(now)
    slot = _verify_slot(
        consultation_type=consultation_type,
        location=location,
        provider_id=provider_id,
        starts_at=starts_at,
        now=now,
        waive_min_notice=waive_min_notice,
    )
    schedule_changed()
    try:
        with transaction.atomic():
            return Appointment.objects.create(
                location=location,
                provider_id=provider_id,
                room_id=slot.room_id,
                consultation_type=consultation_type,
                starts_at=slot.start,
                ends_at=slot.end,
                status=Appointment.Status.HELD,
                hold_expires_at=now + dt.timedelta(minutes=HOLD_MINUTES),
                hold_key=hold_key,
                channel=channel,
                is_new_patient=consultation_type.is_new_patient,
            )
    except IntegrityError as exc:
        raise BookingError(SLOT_TAKEN) from exc


def _find_or_register_patient(details: BookingDetails, location: Location, registered_by: Any) -> Patient:
    existing = Patient.objects.current().filter(
        email=details.email.strip().lower(),
        date_of_birth=details.date_of_birth,
        last_name__iexact=details.last_name.strip(),
    )
    patient = existing.first()
    if patient is not None:
        return patient
    return patient_register(
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        email=details.email,
        mobile_phone=details.mobile_phone,
        preferred_location=location,
        registered_by=registered_by,
    )


@transaction.atomic
def appointment_confirm(
    *,
    appointment_uuid: Any,
    hold_key: str,
    details: BookingDetails,
    booked_by: Any = None,
    patient: Patient | None = None,
    now: dt.datetime | None = None,
) -> tuple[Appointment, str]:
    """Turn a hold into a booking. Returns the appointment and the raw manage token (for the email link)."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("location", "consultation_type")
        .filter(uuid=appointment_uuid)
        .first()
    )
    if (
        appointment is None
        or appointment.hold_key != hold_key
        or appointment.status != Appointment.Status.HELD
        or appointment.hold_expires_at is None
        or appointment.hold_expires_at <= now
    ):
        raise BookingError(HOLD_EXPIRED)
    patient = patient or _find_or_register_patient(details, appointment.location, booked_by)
    raw, hashed = _token()
    appointment.patient = patient
    appointment.status = Appointment.Status.BOOKED
    appointment.hold_expires_at = None
    appointment.hold_key = ""
    appointment.reason = details.reason
    appointment.heard_about = details.heard_about
    appointment.consent_to_contact = details.consent_to_contact
    appointment.screening_uuid = details.screening_uuid
    appointment.manage_token_hash = hashed
    appointment.booked_at = now
    appointment.booked_by = booked_by if getattr(booked_by, "pk", None) else None
    appointment.created_by = appointment.booked_by
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        raise BookingError(ALREADY_BOOKED) from exc
    audit(
        Action.CREATE,
        actor=booked_by,
        obj=appointment,
        patient_uuid=patient.uuid,
        location=appointment.location,
        detail=f"consultation booked ({appointment.channel})",
    )
    _after_booking(appointment, raw)
    return appointment, raw


def _after_booking(appointment: Appointment, raw_token: str) -> None:
    from ketaflow.scheduling import notifications

    transaction.on_commit(lambda: notifications.booking_confirmation_send(appointment.pk, raw_token))
    transaction.on_commit(lambda: notifications.reminders_schedule(appointment.pk))


def appointment_book_by_staff(
    *,
    consultation_type: ConsultationType,
    location: Location,
    provider_id: int,
    starts_at: dt.datetime,
    details: BookingDetails,
    booked_by: User,
    patient: Patient | None = None,
    override_min_notice_reason: str = "",
    channel: str = Appointment.Channel.PHONE,
    now: dt.datetime | None = None,
) -> tuple[Appointment, str]:
    """Phone booking: the same engine and rules; the front desk may override the minimum notice with a reason."""
    ensure_perm(booked_by, Perm.MANAGE_SCHEDULE)
    ensure_location(booked_by, location.pk)
    now = now or timezone.now()
    waive = bool(override_min_notice_reason.strip())
    inside_notice = starts_at < now + ONLINE_MIN_NOTICE
    with transaction.atomic():
        hold = appointment_hold(
            consultation_type=consultation_type,
            location=location,
            provider_id=provider_id,
            starts_at=starts_at,
            hold_key=secrets.token_hex(16),
            now=now,
            waive_min_notice=waive,
            channel=channel,
        )
        if inside_notice and waive:
            hold.min_notice_override_reason = override_min_notice_reason.strip()
            hold.save(update_fields=["min_notice_override_reason"])
            audit(
                Action.OVERRIDE,
                actor=booked_by,
                obj=hold,
                location=location,
                detail="minimum notice overridden: " + override_min_notice_reason.strip()[:400],
            )
        appointment, raw = appointment_confirm(
            appointment_uuid=hold.uuid,
            hold_key=hold.hold_key,
            details=details,
            booked_by=booked_by,
            patient=patient,
            now=now,
        )
        appointment.inbox_status = Appointment.InboxStatus.BOOKED
        appointment.save(update_fields=["inbox_status"])
    return appointment, raw


def _changeable(appointment: Appointment, *, by_patient: bool, now: dt.datetime) -> None:
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError(NOT_CHANGEABLE)
    if by_patient and appointment.starts_at < now + ONLINE_MIN_NOTICE:
        raise BookingError(TOO_LATE_TO_CHANGE)


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    reason: str,
    cancelled_by: Any = None,
    by_patient: bool = False,
    now: dt.datetime | None = None,
) -> Appointment:
    now = now or timezone.now()
    if not by_patient:
        ensure_perm(cancelled_by, Perm.MANAGE_SCHEDULE)
        ensure_location(cancelled_by, appointment.location_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    _changeable(appointment, by_patient=by_patient, now=now)
    schedule_changed()
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancel_reason = reason.strip()[:300] or (
        "Cancelled online by the patient" if by_patient else "Cancelled by the clinic"
    )
    appointment.cancelled_at = now
    appointment.updated_by = cancelled_by if getattr(cancelled_by, "pk", None) else None
    appointment.save()
    audit(
        Action.UPDATE,
        actor=cancelled_by,
        obj=appointment,
        patient_uuid=appointment.patient.uuid if appointment.patient else None,
        location=appointment.location,
        detail="appointment cancelled" + (" by patient link" if by_patient else ""),
    )
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    provider_id: int,
    starts_at: dt.datetime,
    changed_by: Any = None,
    by_patient: bool = False,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move a booking to another free slot at the same location, all or nothing."""
    now = now or timezone.now()
    if not by_patient:
        ensure_perm(changed_by, Perm.MANAGE_SCHEDULE)
        ensure_location(changed_by, appointment.location_id)
    for pid in sorted({appointment.provider_id, provider_id}):
        _lock_provider(pid)
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("location", "consultation_type")
        .get(pk=appointment.pk)
    )
    _changeable(appointment, by_patient=by_patient, now=now)
    slot = _verify_slot(
        consultation_type=appointment.consultation_type,
        location=appointment.location,
        provider_id=provider_id,
        starts_at=starts_at,
        now=now,
        waive_min_notice=not by_patient,
        ignore=appointment,
    )
    schedule_changed()
    old = appointment.starts_at
    appointment.status = Appointment.Status.BOOKED
    appointment.provider_id = provider_id
    appointment.room_id = slot.room_id
    appointment.starts_at, appointment.ends_at = slot.start, slot.end
    appointment.updated_by = changed_by if getattr(changed_by, "pk", None) else None
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        raise BookingError(SLOT_TAKEN) from exc
    appointment.reminders.all().delete()
    audit(
        Action.UPDATE,
        actor=changed_by,
        obj=appointment,
        patient_uuid=appointment.patient.uuid if appointment.patient else None,
        location=appointment.location,
        detail=f"appointment moved from {old:%Y-%m-%d %H:%M} UTC",
    )
    from ketaflow.scheduling import notifications

    transaction.on_commit(lambda: notifications.reminders_schedule(appointment.pk))
    return appointment


def appointment_for_token(raw: str) -> Appointment | None:
    if not raw or len(raw) > 100:
        return None
    return (
        Appointment.objects.select_related("location", "consultation_type", "provider", "patient")
        .filter(manage_token_hash=token_hash(raw))
        .first()
    )


def appointment_inbox_status_set(*, appointment: Appointment, status: str, changed_by: Any) -> Appointment:
    ensure_perm(changed_by, Perm.MANAGE_SCHEDULE)
    ensure_location(changed_by, appointment.location_id)
    Appointment.objects.filter(pk=appointment.pk).update(inbox_status=status, updated_by=changed_by)
    appointment.inbox_status = status
    audit(
        Action.UPDATE,
        actor=changed_by,
        obj=appointment,
        location=appointment.location,
        detail=f"inbox status: {status}",
    )
    return appointment


def screening_status_set(*, screening: Any, status: str, changed_by: Any) -> Any:
    ensure_perm(changed_by, Perm.MANAGE_SCHEDULE)
    type(screening).objects.filter(pk=screening.pk).update(status=status)
    screening.status = status
    audit(Action.UPDATE, actor=changed_by, obj=screening, detail=f"screening inbox status: {status}")
    return screening
