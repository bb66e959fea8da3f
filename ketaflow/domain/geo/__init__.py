"""Nearest-location arithmetic: great-circle distances from a ZIP centroid or a browser position."""

from ketaflow.domain.geo.distance import (
    EARTH_RADIUS_MILES,
    INVALID_COORDINATES,
    INVALID_ZIP,
    UNKNOWN_ZIP,
    GeoError,
    LocationDistance,
    Place,
    haversine_miles,
    nearest_locations,
    nearest_locations_to_zip,
    zip_centroid,
)

__all__ = [
    "EARTH_RADIUS_MILES",
    "INVALID_COORDINATES",
    "INVALID_ZIP",
    "UNKNOWN_ZIP",
    "GeoError",
    "LocationDistance",
    "Place",
    "haversine_miles",
    "nearest_locations",
    "nearest_locations_to_zip",
    "zip_centroid",
]
