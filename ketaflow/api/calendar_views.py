"""Calendar files: one appointment's .ics for staff, and each clinician's private feed of their schedule.

The feed carries no clinical detail and no patient names: "Consultation" or "Infusion", the time and the
location. Its secret is in the URL (calendar apps cannot log in); only its SHA-256 is stored, and the
clinician can rotate it at any time, which kills the old URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from ketaflow.accounts.roles import Perm
from ketaflow.api.models import CalendarFeed
from ketaflow.api.selectors import appointment_get, provider_appointments
from ketaflow.api.tokens import calendar_feed_rotate, calendar_feed_user
from ketaflow.core.permissions import staff_required
from ketaflow.scheduling.calendar_files import appointment_ics

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 120


@require_GET
@staff_required(Perm.VIEW_SCHEDULE)
def appointment_ics_download(request: HttpRequest, appointment_uuid: Any) -> HttpResponse:
    appointment = appointment_get(
        user=request.user, appointment_uuid=appointment_uuid, detail="calendar file downloaded"
    )
    response = HttpResponse(appointment_ics(appointment), content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@require_http_methods(["GET", "POST"])
@staff_required(Perm.VIEW_SCHEDULE)
def feed_settings(request: HttpRequest) -> HttpResponse:
    feed_url = None
    if request.method == "POST":
        raw = calendar_feed_rotate(user=request.user)
        feed_url = settings.SITE_URL.rstrip("/") + reverse("calendar:feed", kwargs={"token": raw})
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "api/calendar_feed.html", {"feed": feed, "feed_url": feed_url})


def feed_calendar(user: Any, *, now: dt.datetime | None = None) -> bytes:
    now = now or timezone.now()
    cal = Calendar()
    cal.add("prodid", "-//Ketaflow//Clinician schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Ketaflow schedule")
    rows = provider_appointments(user).filter(
        starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
        starts_at__lt=now + dt.timedelta(days=FEED_FUTURE_DAYS),
    )
    for appointment in rows:
        event = Event()
        event.add("uid", f"{appointment.uuid}@ketaflow")
        # Only the kind of visit and the place: no names, no reasons, no clinical detail.
        event.add("summary", "Consultation")
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("dtstamp", appointment.updated_at)
        event.add(
            "location",
            appointment.location.name if appointment.consultation_type.needs_room else "Video consultation",
        )
        cal.add_component(event)
    for session in _infusion_sessions(user, now):
        event = Event()
        event.add("uid", f"{session.uuid}@ketaflow")
        event.add("summary", "Infusion")
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("dtstamp", session.updated_at)
        event.add("location", session.location.name)
        cal.add_component(event)
    return cal.to_ical()


def _infusion_sessions(user: Any, now: dt.datetime) -> list[Any]:
    """Infusion sessions the clinician runs (nurse) or supervises (prescriber), when the treatment app exists."""
    try:
        from ketaflow.treatment.models import InfusionSession
    except ImportError:
        return []
    from django.db.models import Q

    return list(
        InfusionSession.objects.current()
        .filter(Q(nurse=user) | Q(prescriber=user))
        .exclude(status__in=["cancelled", "missed"])
        .filter(
            starts_at__gte=now - dt.timedelta(days=FEED_PAST_DAYS),
            starts_at__lt=now + dt.timedelta(days=FEED_FUTURE_DAYS),
        )
        .select_related("location")
        .order_by("starts_at")
    )


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    user = calendar_feed_user(token)
    if user is None:
        raise Http404("No such feed.")
    response = HttpResponse(feed_calendar(user), content_type="text/calendar")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
