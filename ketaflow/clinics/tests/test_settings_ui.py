from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.clinics.models import Chair, Closure, Location
from ketaflow.core.models import AuditEvent
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def _location_post(location: Location, **overrides: str) -> dict[str, str]:
    data = {
        "name": location.name,
        "address_line1": location.address_line1,
        "address_line2": "",
        "city": location.city,
        "state": location.state,
        "zip_code": location.zip_code,
        "phone": location.phone,
        "latitude": str(location.latitude),
        "longitude": str(location.longitude),
        "time_zone": location.time_zone,
        "is_active": "on",
        "hours-TOTAL_FORMS": "0",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_manager_changes_the_phone_number_and_it_is_audited(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    response = client.post(
        reverse("clinics:location_edit", args=[clinic.wdm.uuid]),
        _location_post(clinic.wdm, phone="(515) 555-0199"),
    )
    assert response.status_code == 302
    clinic.wdm.refresh_from_db()
    assert clinic.wdm.phone == "(515) 555-0199"
    assert AuditEvent.objects.filter(action="update", object_uuid=clinic.wdm.uuid).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("zip_code", "5026", "Enter a 5-digit ZIP code."),
        ("phone", "555", "Enter a 10-digit US phone number"),
        ("time_zone", "Mars/Olympus", "Unknown time zone."),
        ("name", "", "This field is required."),
        ("latitude", "123", "Latitude must be between -90 and 90."),
    ],
)
def test_bad_location_input_shows_the_field_error_and_saves_nothing(
    clinic: Any, field: str, value: str, message: str
) -> None:
    client = login(Client(), clinic.user("mia"))
    before = Location.objects.values().get(pk=clinic.wdm.pk)
    response = client.post(
        reverse("clinics:location_edit", args=[clinic.wdm.uuid]), _location_post(clinic.wdm, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Location.objects.values().get(pk=clinic.wdm.pk) == before


def test_manager_adds_a_chair_and_duplicate_label_is_refused(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    url = reverse("clinics:child_new", args=[clinic.dsm.uuid, "chair"])
    assert client.post(url, {"label": "Chair 5", "is_active": "on"}).status_code == 302
    assert Chair.objects.filter(location=clinic.dsm, label="Chair 5").exists()
    response = client.post(url, {"label": "Chair 5", "is_active": "on"})
    assert response.status_code == 200
    assert "already has a chair with that label" in response.content.decode()
    assert Chair.objects.filter(location=clinic.dsm, label="Chair 5").count() == 1


def test_closure_that_ends_before_it_starts_is_refused(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    url = reverse("clinics:child_new", args=[clinic.wdm.uuid, "closure"])
    response = client.post(url, {"starts_on": "2026-12-26", "ends_on": "2026-12-24", "reason": "Holiday"})
    assert "The closure ends before it starts." in response.content.decode()
    assert not Closure.objects.filter(reason="Holiday").exists()
    assert (
        client.post(
            url, {"starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Holiday"}
        ).status_code
        == 302
    )
    assert Closure.objects.get(reason="Holiday").covers(__import__("datetime").date(2026, 12, 25))


def test_nurse_switches_location_and_the_dashboard_follows(clinic: Any) -> None:
    client = login(Client(), clinic.user("nina"))
    assert (
        "Today at Des Moines" in client.get(reverse("core:dashboard")).content.decode()
    )  # first alphabetically
    client.post(reverse("clinics:switch_location"), {"location": str(clinic.wdm.uuid)})
    assert "Today at West Des Moines" in client.get(reverse("core:dashboard")).content.decode()


def test_switching_to_a_location_one_is_not_assigned_to_is_forbidden(clinic: Any) -> None:
    client = login(Client(), clinic.user("fran"))
    response = client.post(reverse("clinics:switch_location"), {"location": str(clinic.wdm.uuid)})
    assert response.status_code == 403
    assert "Today at Des Moines" in client.get(reverse("core:dashboard")).content.decode()


def test_demo_locations_use_the_zip_centroids() -> None:
    import zipcodes

    centroid = zipcodes.matching("50266")[0]
    assert float(centroid["lat"]) == pytest.approx(41.5695)
