"""iCalendar (.ics) files for appointments. They carry no clinical detail: time, place, phone."""

from __future__ import annotations

from django.conf import settings
from icalendar import Calendar, Event

from ketaflow.scheduling.models import Appointment


def appointment_ics(appointment: Appointment) -> bytes:
    location = appointment.location
    cal = Calendar()
    cal.add("prodid", "-//Ketaflow//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if appointment.status == Appointment.Status.CANCELLED else "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.uuid}@ketaflow")
    event.add("summary", f"{appointment.consultation_type.name} – {location.clinic.name}")
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("dtstamp", appointment.updated_at)
    if appointment.consultation_type.needs_room:
        event.add("location", f"{location.name}: {location.one_line_address}")
    else:
        event.add("location", "Video call (the link comes before the appointment)")
    event.add(
        "description", f"Questions or changes: call {location.phone}. Manage online: {settings.SITE_URL}"
    )
    event.add("status", "CANCELLED" if appointment.status == Appointment.Status.CANCELLED else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
