"""Online booking (public), the manage-by-link page, and the front desk's calendar, phone booking and inbox."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm, Role
from ketaflow.clinics.models import Location
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import staff_required
from ketaflow.domain import scheduling as domain
from ketaflow.public.ratelimit import over_limit
from ketaflow.scheduling import selectors, services
from ketaflow.scheduling.forms import (
    BookingDetailsForm,
    CancelForm,
    PhoneBookingForm,
    SlotChoiceForm,
    StaffCancelForm,
)
from ketaflow.scheduling.models import Appointment, ConsultationType

SESSION_HOLD = "ketaflow_hold"
SESSION_BOOKED = "ketaflow_booked"
SESSION_SCREENING = "ketaflow_screening_uuid"
DAYS_SHOWN = 7


def _providers_by_id(ids: set[Any]) -> dict[Any, User]:
    return {u.pk: u for u in User.objects.filter(pk__in=ids)}


def _group_slots(slots: list[domain.Slot], locations: dict[int, Location]) -> list[dict[str, Any]]:
    """Slots grouped by local day and then by prescriber, ready for the template."""
    providers = _providers_by_id({s.provider_id for s in slots})
    days: OrderedDict[dt.date, OrderedDict[Any, list[dict[str, Any]]]] = OrderedDict()
    for slot in slots:
        location = locations[int(slot.location_id)]
        local = timezone.localtime(slot.start, location.tz)
        provider = providers.get(slot.provider_id)
        # Labels formatted here once: a week of free times is a few hundred buttons, and template filters
        # on each of them were most of the booking page's render time.
        item = {
            "slot": slot,
            "local": local,
            "provider": provider,
            "provider_uuid": str(provider.uuid) if provider else "",
            "location": location,
            "iso": slot.start.isoformat(),
            "time_label": f"{local:%-I:%M %p}",
        }
        days.setdefault(local.date(), OrderedDict()).setdefault(slot.provider_id, []).append(item)
    return [
        {
            "day": day,
            "day_label": f"{day:%A %B %-d}",
            "slots": [item for items in by_provider.values() for item in items],
            "providers": [
                {
                    "provider": items[0]["provider"],
                    "name": items[0]["provider"].display_name if items[0]["provider"] else "",
                    "slots": items,
                }
                for items in by_provider.values()
            ],
        }
        for day, by_provider in days.items()
    ]


def _rate_limited(request: HttpRequest) -> bool:
    limited, _retry_after = over_limit(request, "booking")
    return limited


def book(request: HttpRequest) -> HttpResponse:
    """Step 1: choose the kind of consultation and a location, then a free time."""
    types = list(selectors.consultation_types(online_only=True))
    if not types:
        raise Http404("Online booking is not available.")
    consultation_type = next((t for t in types if t.slug == request.GET.get("type")), types[0])
    locations = {
        loc.pk: loc
        for loc in Location.objects.filter(is_active=True).select_related("clinic").order_by("name")
    }
    chosen = next((loc for loc in locations.values() if loc.slug == request.GET.get("location")), None)
    if chosen is None:
        chosen = next(iter(locations.values()), None)
    try:
        start_day = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start_day = timezone.localdate()
    start_day = max(start_day, timezone.localdate())
    tz = chosen.tz if chosen else timezone.get_current_timezone()
    window_start = dt.datetime.combine(start_day, dt.time.min, tzinfo=tz)
    slots = (
        selectors.slot_search(
            consultation_type=consultation_type,
            location_ids=[chosen.pk],
            window_start=window_start,
            window_end=window_start + dt.timedelta(days=DAYS_SHOWN),
        )
        if chosen
        else []
    )
    context = {
        "types": types,
        "consultation_type": consultation_type,
        "locations": list(locations.values()),
        "chosen": chosen,
        "days": _group_slots(slots, locations),
        "start_day": start_day,
        "next_from": start_day + dt.timedelta(days=DAYS_SHOWN),
        "prev_from": start_day - dt.timedelta(days=DAYS_SHOWN) if start_day > timezone.localdate() else None,
    }
    template = "scheduling/book.html#slots" if request.htmx else "scheduling/book.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _slot_from_form(form: SlotChoiceForm) -> tuple[ConsultationType, Location, User]:
    data = form.cleaned_data
    consultation_type = get_object_or_404(ConsultationType, slug=data["consultation_type"], is_active=True)
    location = get_object_or_404(Location, slug=data["location"], is_active=True)
    provider = get_object_or_404(User, uuid=data["provider"], role=Role.PRESCRIBER, is_active=True)
    return consultation_type, location, provider


@require_POST
def hold(request: HttpRequest) -> HttpResponse:
    """Step 2: hold the chosen time for 10 minutes."""
    if _rate_limited(request):
        return render(request, "scheduling/rate_limited.html", status=429)
    form = SlotChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("scheduling:book")
    consultation_type, location, provider = _slot_from_form(form)
    if not consultation_type.bookable_online:
        raise Http404("Not bookable online.")
    hold_key = secrets.token_hex(16)
    try:
        appointment = services.appointment_hold(
            consultation_type=consultation_type,
            location=location,
            provider_id=provider.pk,
            starts_at=form.cleaned_data["start"],
            hold_key=hold_key,
        )
    except services.BookingError as exc:
        locations = {location.pk: location}
        return render(
            request,
            "scheduling/slot_taken.html",
            {
                "message": exc.message,
                "days": _group_slots(exc.alternatives, locations),
                "consultation_type": consultation_type,
                "chosen": location,
            },
            status=409,
        )
    request.session[SESSION_HOLD] = {"uuid": str(appointment.uuid), "key": hold_key}
    return redirect("scheduling:details")


def _held(request: HttpRequest) -> Appointment | None:
    held = request.session.get(SESSION_HOLD) or {}
    if not held:
        return None
    return (
        Appointment.objects.select_related("location__clinic", "provider", "consultation_type")
        .filter(uuid=held.get("uuid"), hold_key=held.get("key"), status=Appointment.Status.HELD)
        .first()
    )


def details(request: HttpRequest) -> HttpResponse:
    """Step 3: the person's details, then confirm."""
    appointment = _held(request)
    if (
        appointment is None
        or appointment.hold_expires_at is None
        or appointment.hold_expires_at <= timezone.now()
    ):
        messages.error(request, services.HOLD_EXPIRED)
        return redirect("scheduling:book")
    form = BookingDetailsForm(request.POST or None)
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "scheduling/rate_limited.html", status=429)
        if form.is_valid():
            if form.is_spam():
                request.session.pop(SESSION_HOLD, None)
                return render(request, "scheduling/confirmed.html", {"appointment": None})
            try:
                booked, _token = services.appointment_confirm(
                    appointment_uuid=appointment.uuid,
                    hold_key=request.session[SESSION_HOLD]["key"],
                    details=form.details(screening_uuid=request.session.get(SESSION_SCREENING)),
                )
            except services.BookingError as exc:
                form.add_error(None, exc.message)
            else:
                request.session.pop(SESSION_HOLD, None)
                request.session.pop(SESSION_SCREENING, None)
                request.session[SESSION_BOOKED] = str(booked.uuid)
                return redirect("scheduling:confirmed")
    local = timezone.localtime(appointment.starts_at, appointment.location.tz)
    hold_until = timezone.localtime(appointment.hold_expires_at, appointment.location.tz)
    return render(
        request,
        "scheduling/details.html",
        {
            "form": form,
            "appointment": appointment,
            "local": local,
            "hold_until": hold_until,
            "has_screening": bool(request.session.get(SESSION_SCREENING)),
        },
    )


def confirmed(request: HttpRequest) -> HttpResponse:
    booked = request.session.get(SESSION_BOOKED)
    appointment = (
        Appointment.objects.select_related("location__clinic", "provider", "consultation_type")
        .filter(uuid=booked)
        .first()
        if booked
        else None
    )
    if appointment is None:
        return redirect("scheduling:book")
    local = timezone.localtime(appointment.starts_at, appointment.location.tz)
    return render(request, "scheduling/confirmed.html", {"appointment": appointment, "local": local})


def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's link from the email: see, cancel or move the appointment (no log-in)."""
    appointment = services.appointment_for_token(token)
    if appointment is None:
        raise Http404("This link is not valid.")
    local = timezone.localtime(appointment.starts_at, appointment.location.tz)
    cancel_form = CancelForm(request.POST if request.POST.get("action") == "cancel" else None)
    error = ""
    if request.method == "POST":
        if _rate_limited(request):
            return render(request, "scheduling/rate_limited.html", status=429)
        try:
            if request.POST.get("action") == "cancel" and cancel_form.is_valid():
                services.appointment_cancel(
                    appointment=appointment, reason=cancel_form.cleaned_data["reason"], by_patient=True
                )
                messages.success(request, "Your appointment is cancelled. We hope to see you another time.")
                return redirect("scheduling:manage", token=token)
            if request.POST.get("action") == "move":
                form = SlotChoiceForm(request.POST)
                if not form.is_valid():
                    raise services.BookingError(services.SLOT_NOT_OFFERED)
                _type, _location, provider = _slot_from_form(form)
                services.appointment_reschedule(
                    appointment=appointment,
                    provider_id=provider.pk,
                    starts_at=form.cleaned_data["start"],
                    by_patient=True,
                )
                messages.success(request, "Your appointment is moved. A new calendar file is in your email.")
                return redirect("scheduling:manage", token=token)
        except services.BookingError as exc:
            error = exc.message
    changeable = (
        appointment.status == Appointment.Status.BOOKED
        and appointment.starts_at >= timezone.now() + selectors.ONLINE_MIN_NOTICE
    )
    days = []
    if changeable:
        window_start = max(appointment.starts_at - dt.timedelta(days=3), timezone.now())
        slots = selectors.slot_search(
            consultation_type=appointment.consultation_type,
            location_ids=[appointment.location_id],
            window_start=window_start,
            window_end=window_start + dt.timedelta(days=DAYS_SHOWN),
        )
        days = _group_slots(slots, {appointment.location_id: appointment.location})
    return render(
        request,
        "scheduling/manage.html",
        {
            "appointment": appointment,
            "local": local,
            "cancel_form": cancel_form,
            "error": error,
            "changeable": changeable,
            "days": days,
            "token": token,
        },
    )


# --- Staff ----------------------------------------------------------------------------------------


def _staff_location(request: HttpRequest) -> Location:
    location = request.location  # type: ignore[attr-defined]
    if not location:
        raise PermissionDenied("You are not assigned to a location.")
    return location  # type: ignore[no-any-return]


@staff_required(Perm.VIEW_SCHEDULE)
def calendar(request: HttpRequest) -> HttpResponse:
    location = _staff_location(request)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    week = request.GET.get("view") == "week"
    if week:
        day = day - dt.timedelta(days=day.weekday())
    days = 7 if week else 1
    appointments = list(selectors.appointments_for_day(location=location, day=day, days=days))
    provider_filter = request.GET.get("provider", "")
    if provider_filter:
        appointments = [a for a in appointments if str(a.provider.uuid) == provider_filter]
    by_day: OrderedDict[dt.date, list[dict[str, Any]]] = OrderedDict(
        (day + dt.timedelta(days=i), []) for i in range(days)
    )
    for a in appointments:
        local = timezone.localtime(a.starts_at, location.tz)
        by_day.setdefault(local.date(), []).append(
            {"a": a, "local": local, "local_end": timezone.localtime(a.ends_at, location.tz)}
        )
    context = {
        "location": location,
        "day": day,
        "week": week,
        "by_day": list(by_day.items()),
        "prev": day - dt.timedelta(days=days),
        "next": day + dt.timedelta(days=days),
        "providers": selectors.prescribers().filter(locations=location),
        "provider_filter": provider_filter,
    }
    template = "scheduling/calendar.html#grid" if request.htmx else "scheduling/calendar.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@staff_required(Perm.MANAGE_SCHEDULE)
def phone_book(request: HttpRequest) -> HttpResponse:
    """Front desk books for a caller on the same engine; the chosen slot comes from the slot list."""
    location = _staff_location(request)
    types = list(selectors.consultation_types())
    consultation_type = next(
        (t for t in types if t.slug == request.GET.get("type", request.POST.get("consultation_type"))),
        types[0],
    )
    provider_uuid, _, start_iso = request.POST.get("slot", "").partition("|")
    slot_data = {
        "consultation_type": consultation_type.slug,
        "location": location.slug,
        "provider": provider_uuid,
        "start": start_iso,
    }
    slot_form = SlotChoiceForm(slot_data if request.method == "POST" else None)
    form = PhoneBookingForm(request.POST or None)
    chosen_slot = None
    if request.method == "POST":
        slot_ok = slot_form.is_valid()
        if slot_ok and form.is_valid():
            consultation_type, slot_location, provider = _slot_from_form(slot_form)
            if slot_location.pk != location.pk:
                raise PermissionDenied("Book at your current location.")
            try:
                appointment, _ = services.appointment_book_by_staff(
                    consultation_type=consultation_type,
                    location=location,
                    provider_id=provider.pk,
                    starts_at=slot_form.cleaned_data["start"],
                    details=form.details(),
                    booked_by=request.user,  # type: ignore[arg-type]
                    override_min_notice_reason=form.cleaned_data.get("override_reason", ""),
                )
            except services.BookingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Booked {appointment.patient.full_name} for {timezone.localtime(appointment.starts_at, location.tz):%a %b %-d %-I:%M %p}.",
                )  # type: ignore[union-attr]
                return redirect(
                    f"{reverse('scheduling:calendar')}?day={timezone.localtime(appointment.starts_at, location.tz).date()}"
                )
        elif not slot_ok:
            form.is_valid()
            form.add_error(None, "Choose a time from the list.")
        chosen_slot = request.POST.get("slot")
    try:
        start_day = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start_day = timezone.localdate()
    window_start = max(dt.datetime.combine(start_day, dt.time.min, tzinfo=location.tz), timezone.now())
    slots = selectors.slot_search(
        consultation_type=consultation_type,
        location_ids=[location.pk],
        waive_min_notice=True,
        window_start=window_start,
        window_end=window_start + dt.timedelta(days=DAYS_SHOWN),
    )
    return render(
        request,
        "scheduling/phone_book.html",
        {
            "location": location,
            "types": types,
            "consultation_type": consultation_type,
            "days": _group_slots(slots, {location.pk: location}),
            "form": form,
            "chosen_slot": chosen_slot,
            "start_day": start_day,
            "next_from": start_day + dt.timedelta(days=DAYS_SHOWN),
            "notice_until": timezone.localtime(timezone.now() + selectors.ONLINE_MIN_NOTICE, location.tz),
        },
    )


@staff_required(Perm.VIEW_SCHEDULE)
def appointment_detail(request: HttpRequest, appointment_uuid: Any) -> HttpResponse:
    appointment = get_object_or_404(
        Appointment.objects.select_related("location", "patient", "provider", "consultation_type", "room"),
        uuid=appointment_uuid,
        location_id__in=request.user.location_ids(),  # type: ignore[union-attr]
    )
    moving = request.POST.get("action") == "move"
    form = StaffCancelForm(request.POST if request.method == "POST" and not moving else None)
    move_error = ""
    if request.method == "POST" and moving:
        slot_form = SlotChoiceForm(request.POST)
        try:
            if not slot_form.is_valid():
                raise services.BookingError(services.SLOT_NOT_OFFERED)
            _type, _location, provider = _slot_from_form(slot_form)
            services.appointment_reschedule(
                appointment=appointment,
                provider_id=provider.pk,
                starts_at=slot_form.cleaned_data["start"],
                changed_by=request.user,
            )
        except services.BookingError as exc:
            move_error = exc.message
        else:
            messages.success(request, "Appointment moved; the patient's reminders follow the new time.")
            return redirect("scheduling:appointment", appointment_uuid=appointment.uuid)
    elif request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], cancelled_by=request.user
            )
        except services.BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Appointment cancelled.")
            return redirect("scheduling:appointment", appointment_uuid=appointment.uuid)
    if appointment.patient_id:
        audit(
            Action.READ,
            obj=appointment,
            patient_uuid=appointment.patient.uuid,
            location=appointment.location,
            detail="appointment viewed",
        )  # type: ignore[union-attr]
    local = timezone.localtime(appointment.starts_at, appointment.location.tz)
    can_manage = request.user.has_role_perm(Perm.MANAGE_SCHEDULE)  # type: ignore[union-attr]
    days = []
    if can_manage and appointment.status == Appointment.Status.BOOKED:
        location = appointment.location
        try:
            start_day = dt.date.fromisoformat(request.GET.get("from", ""))
        except ValueError:
            start_day = local.date()
        window_start = max(dt.datetime.combine(start_day, dt.time.min, tzinfo=location.tz), timezone.now())
        slots = selectors.slot_search(
            consultation_type=appointment.consultation_type,
            location_ids=[location.pk],
            waive_min_notice=True,
            window_start=window_start,
            window_end=window_start + dt.timedelta(days=DAYS_SHOWN),
        )
        days = _group_slots(slots, {location.pk: location})
    return render(
        request,
        "scheduling/appointment.html",
        {
            "appointment": appointment,
            "local": local,
            "form": form,
            "can_manage": can_manage,
            "days": days,
            "move_error": move_error,
        },
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def inbox(request: HttpRequest) -> HttpResponse:
    """New online bookings and shared self-screenings to call back."""
    _staff_location(request)
    status = request.GET.get("status", "new")
    if status not in Appointment.InboxStatus.values and status != "all":
        status = "new"
    items = list(
        selectors.inbox_appointments(user=request.user, status=None if status == "all" else status)[:200]
    )
    screenings = list(selectors.inbox_screenings(status=None if status == "all" else status)[:200])
    return render(
        request,
        "scheduling/inbox.html",
        {
            "items": items,
            "screenings": screenings,
            "status": status,
            "statuses": Appointment.InboxStatus.choices,
        },
    )


@require_POST
@staff_required(Perm.MANAGE_SCHEDULE)
def inbox_screening_update(request: HttpRequest, screening_uuid: Any) -> HttpResponse:
    from ketaflow.public.models import ScreeningResult

    _staff_location(request)
    screening = get_object_or_404(ScreeningResult, uuid=screening_uuid)
    status = request.POST.get("inbox_status", "")
    if status not in ScreeningResult.Status.values:
        messages.error(request, "Choose a status from the list.")
        return redirect("scheduling:inbox")
    services.screening_status_set(screening=screening, status=status, changed_by=request.user)
    messages.success(request, "Status updated.")
    back = request.POST.get("return_status", "new")
    return redirect(
        f"{reverse('scheduling:inbox')}?status={back if back in Appointment.InboxStatus.values else 'all'}"
    )


@require_POST
@staff_required(Perm.MANAGE_SCHEDULE)
def inbox_update(request: HttpRequest, appointment_uuid: Any) -> HttpResponse:
    appointment = get_object_or_404(
        Appointment, uuid=appointment_uuid, location_id__in=request.user.location_ids()
    )  # type: ignore[union-attr]
    status = request.POST.get("inbox_status", "")
    if status not in Appointment.InboxStatus.values:
        messages.error(request, "Choose a status from the list.")
        return redirect("scheduling:inbox")
    services.appointment_inbox_status_set(appointment=appointment, status=status, changed_by=request.user)
    messages.success(request, "Status updated.")
    back = request.POST.get("return_status", "new")
    return redirect(
        f"{reverse('scheduling:inbox')}?status={back if back in Appointment.InboxStatus.values else 'all'}"
    )
