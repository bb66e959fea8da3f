from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.functional import SimpleLazyObject

from ketaflow.accounts.roles import Role
from ketaflow.clinics.models import Chair, Location, OpeningHours, Room

SESSION_LOCATION = "ketaflow_location"


def locations_for_user(user: Any) -> QuerySet[Location]:
    """Locations a user may work at. Managers and auditors at a location see only their own locations too."""
    if not user.is_authenticated:
        return Location.objects.none()
    if user.is_superuser:
        return Location.objects.filter(is_active=True)
    return user.locations.filter(is_active=True).order_by("name")


def allowed_locations(request: Any) -> list[Location]:
    """The locations the request's user works at, fetched once per request."""
    cached: list[Location] | None = getattr(request, "_allowed_locations", None)
    if cached is None:
        user = request.user
        staff = user.is_authenticated and user.role != Role.PATIENT
        cached = list(locations_for_user(user)) if staff else []
        request._allowed_locations = cached
    return cached


def _resolve(request: Any) -> Location | None:
    allowed = allowed_locations(request)
    wanted = request.session.get(SESSION_LOCATION)
    for location in allowed:
        if str(location.uuid) == wanted:
            return location
    return allowed[0] if allowed else None


def location_for_request(request: Any) -> Any:
    return SimpleLazyObject(lambda: _resolve(request))


def active_locations_with_details() -> QuerySet[Location]:
    return (
        Location.objects.filter(is_active=True)
        .select_related("clinic")
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")),
            Prefetch("chairs", queryset=Chair.objects.order_by("label")),
            Prefetch("rooms", queryset=Room.objects.order_by("label")),
        )
        .order_by("name")
    )
