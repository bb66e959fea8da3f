"""Reads for the public site. Each public page needs at most a few queries (pinned in tests)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, QuerySet

from ketaflow.clinics.models import Location, OpeningHours
from ketaflow.domain import geo
from ketaflow.public.models import ContentPage, FaqEntry, ScreeningResult


def published_pages() -> QuerySet[ContentPage]:
    return ContentPage.objects.filter(published=True).order_by("order", "title")


def published_faq() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(published=True).order_by("order", "id")


def public_locations() -> QuerySet[Location]:
    """Active locations with their opening hours: 2 queries (locations, hours)."""
    return (
        Location.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at"))
        )
        .order_by("name")
    )


def _places(locations: list[Location]) -> list[geo.Place]:
    return [
        geo.Place(id=loc.pk, name=loc.name, latitude=loc.latitude, longitude=loc.longitude)
        for loc in locations
    ]


def locations_by_distance(
    locations: list[Location], *, zip_code: str | None = None, position: tuple[float, float] | None = None
) -> list[tuple[Location, float]]:
    """``locations`` nearest first with distances in miles (unrounded). Raises ``geo.GeoError``."""
    places = _places(locations)
    if zip_code is not None:
        ranked = geo.nearest_locations_to_zip(zip_code, places)
    elif position is not None:
        ranked = geo.nearest_locations(position[0], position[1], places)
    else:
        raise ValueError("zip_code or position is required")
    by_id = {loc.pk: loc for loc in locations}
    return [(by_id[item.location.id], item.distance_miles) for item in ranked]


def nearest_to_zip(zip_code: str) -> dict[str, Any]:
    """The CLI's JSON document: ``{"zip": ..., "locations": [{"name", "distance_miles"}]}``, nearest first."""
    geo.zip_centroid(zip_code)  # refuse a bad ZIP before touching the database
    locations = list(Location.objects.filter(is_active=True).order_by("name"))
    ranked = locations_by_distance(locations, zip_code=zip_code)
    return {
        "zip": zip_code.strip()[:5],
        "locations": [{"name": loc.name, "distance_miles": round(miles, 2)} for loc, miles in ranked],
    }


def screening_by_uuid(value: Any) -> ScreeningResult | None:
    """The stored screening for the session's uuid; a stale or tampered value is simply "none"."""
    try:
        wanted = uuid.UUID(str(value))
    except ValueError:
        return None
    return ScreeningResult.objects.filter(uuid=wanted).first()
