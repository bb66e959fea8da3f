"""Great-circle distances from a US ZIP code centroid (``zipcodes`` package) or raw coordinates.

Distances use the haversine formula on a sphere of radius 3958.8 miles (the mean Earth radius,
6371.0 km, in statute miles); the spherical model is within about 0.5 % of the ellipsoid, which is
plenty for "which clinic is nearest".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import zipcodes

EARTH_RADIUS_MILES = 3958.8  # mean Earth radius 6371.0 km (IUGG) in statute miles

INVALID_ZIP = "Enter a 5-digit US ZIP code."
UNKNOWN_ZIP = "We could not find ZIP code {zip_code}. Please check it and try again."
INVALID_COORDINATES = "Latitude must be between -90 and 90 and longitude between -180 and 180."

_ZIP_PATTERN = re.compile(r"^\d{5}(?:-\d{4})?$")
_matching: Callable[[str], list[dict[str, Any]]] = zipcodes.matching  # the package ships no type hints


class GeoError(ValueError):
    """An invalid or unknown ZIP code, or impossible coordinates; ``str(error)`` is user-facing."""


@dataclass(frozen=True, slots=True)
class Place:
    """A location to rank: its id, display name and position in decimal degrees."""

    id: int | str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class LocationDistance:
    """A location and its great-circle distance in miles from the search point (unrounded)."""

    location: Place
    distance_miles: float


def _check_coordinates(latitude: float, longitude: float) -> None:
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise GeoError(INVALID_COORDINATES)


def haversine_miles(latitude_1: float, longitude_1: float, latitude_2: float, longitude_2: float) -> float:
    """Great-circle distance in miles between two points given in decimal degrees (radius 3958.8 mi)."""
    phi_1, phi_2 = math.radians(latitude_1), math.radians(latitude_2)
    d_phi = phi_2 - phi_1
    d_lambda = math.radians(longitude_2 - longitude_1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi_1) * math.cos(phi_2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


def zip_centroid(zip_code: str) -> tuple[float, float]:
    """Latitude and longitude (decimal degrees) of a US ZIP code's centroid, from the ``zipcodes`` package.

    Accepts ``"50266"`` or ``"50266-1234"`` (surrounding spaces ignored). Raises ``GeoError`` with
    ``INVALID_ZIP`` for a malformed code, or ``UNKNOWN_ZIP`` for a well-formed code that does not exist.
    """
    cleaned = zip_code.strip() if isinstance(zip_code, str) else ""
    if not _ZIP_PATTERN.match(cleaned):
        raise GeoError(INVALID_ZIP)
    try:
        matches = _matching(cleaned[:5])
    except (TypeError, ValueError) as exc:
        raise GeoError(INVALID_ZIP) from exc
    for match in matches:
        try:
            return float(match["lat"]), float(match["long"])
        except (KeyError, TypeError, ValueError):
            continue
    raise GeoError(UNKNOWN_ZIP.format(zip_code=cleaned[:5]))


def nearest_locations(
    latitude: float, longitude: float, locations: Iterable[Place]
) -> list[LocationDistance]:
    """All ``locations`` with their distance in miles from the point, nearest first.

    Ties (same distance rounded to 2 decimals) are ordered alphabetically by name, then by id.
    Raises ``GeoError`` for coordinates outside the valid ranges (e.g. a bad browser position).
    """
    _check_coordinates(latitude, longitude)
    ranked = [
        LocationDistance(place, haversine_miles(latitude, longitude, place.latitude, place.longitude))
        for place in locations
    ]
    ranked.sort(key=lambda item: (round(item.distance_miles, 2), item.location.name, str(item.location.id)))
    return ranked


def nearest_locations_to_zip(zip_code: str, locations: Iterable[Place]) -> list[LocationDistance]:
    """All ``locations`` with their distance in miles from the ZIP code's centroid, nearest first."""
    latitude, longitude = zip_centroid(zip_code)
    return nearest_locations(latitude, longitude, locations)
