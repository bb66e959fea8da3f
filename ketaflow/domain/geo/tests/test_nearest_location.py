"""Nearest location from a ZIP code or a browser position."""

import math

import pytest

from ketaflow.domain.geo import (
    EARTH_RADIUS_MILES,
    INVALID_COORDINATES,
    INVALID_ZIP,
    UNKNOWN_ZIP,
    GeoError,
    Place,
    haversine_miles,
    nearest_locations,
    nearest_locations_to_zip,
    zip_centroid,
)

# Approximate clinic positions (West Des Moines, Jordan Creek area; downtown Des Moines).
WEST_DES_MOINES = Place(id=1, name="West Des Moines", latitude=41.5772, longitude=-93.7113)
DES_MOINES = Place(id=2, name="Des Moines", latitude=41.5868, longitude=-93.6250)
SITES = [DES_MOINES, WEST_DES_MOINES]


def test_earth_radius_is_the_mean_radius_in_miles() -> None:
    assert EARTH_RADIUS_MILES == 3958.8


def test_zip_50266_is_nearest_west_des_moines() -> None:
    ranked = nearest_locations_to_zip("50266", SITES)
    assert [r.location.name for r in ranked] == ["West Des Moines", "Des Moines"]
    assert ranked[0].distance_miles < ranked[1].distance_miles


def test_zip_50309_is_nearest_des_moines() -> None:
    ranked = nearest_locations_to_zip("50309", SITES)
    assert ranked[0].location is DES_MOINES
    assert ranked[0].distance_miles < 2


def test_zip_50265_is_nearest_west_des_moines() -> None:
    ranked = nearest_locations_to_zip("50265", SITES)
    assert ranked[0].location is WEST_DES_MOINES


def test_zip_plus_four_and_spaces_are_accepted() -> None:
    assert zip_centroid(" 50266-1234 ") == zip_centroid("50266")


def test_zip_centroid_comes_from_the_zipcodes_package() -> None:
    assert zip_centroid("50266") == (41.5695, -93.7994)


@pytest.mark.parametrize("zip_code", ["ABCDE", "1234", "", "502661", "50 26"])
def test_malformed_zip_is_refused_with_a_clear_message(zip_code: str) -> None:
    with pytest.raises(GeoError) as error:
        nearest_locations_to_zip(zip_code, SITES)
    assert str(error.value) == INVALID_ZIP


def test_unknown_zip_is_refused_with_a_clear_message() -> None:
    with pytest.raises(GeoError) as error:
        nearest_locations_to_zip("00000", SITES)
    assert str(error.value) == UNKNOWN_ZIP.format(zip_code="00000")


def test_browser_position_ranks_all_locations() -> None:
    ranked = nearest_locations(41.5870, -93.6260, SITES)
    assert [r.location.id for r in ranked] == [2, 1]
    assert ranked[0].distance_miles == pytest.approx(0.06, abs=0.01)


@pytest.mark.parametrize(("latitude", "longitude"), [(91, 0), (-91, 0), (0, 181), (0, -180.5), (math.nan, 0)])
def test_impossible_browser_position_is_refused(latitude: float, longitude: float) -> None:
    with pytest.raises(GeoError) as error:
        nearest_locations(latitude, longitude, SITES)
    assert str(error.value) == INVALID_COORDINATES


def test_ties_at_two_decimals_go_alphabetically_by_name() -> None:
    zulu = Place(id=1, name="Zulu", latitude=41.0, longitude=-93.0)
    alpha = Place(id=2, name="Alpha", latitude=41.0, longitude=-93.0 + 1e-9)
    ranked = nearest_locations(41.1, -93.0, [zulu, alpha])
    assert [r.location.name for r in ranked] == ["Alpha", "Zulu"]


def test_no_locations_gives_an_empty_list() -> None:
    assert nearest_locations_to_zip("50266", []) == []


def test_haversine_matches_a_known_distance() -> None:
    # One degree of latitude along a meridian is 2πR/360 on the sphere.
    assert haversine_miles(41.0, -93.0, 42.0, -93.0) == pytest.approx(2 * math.pi * 3958.8 / 360)
    assert haversine_miles(41.0, -93.0, 41.0, -93.0) == 0.0
