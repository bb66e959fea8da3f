"""The clinic settings page answers in a pinned number of queries however many chairs, rooms and closures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.clinics.models import Chair, Closure, Room
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def test_settings_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    url = reverse("clinics:settings")
    client.get(url)
    # Expect 9 queries: session, user, OTP device, the user's locations (+ clinic), their opening hours, chairs,
    # rooms and closures (4 prefetches), the user's locations (switcher).
    with django_assert_num_queries(9):
        small = client.get(url).content.decode()
    for i in range(5):
        for location in (clinic.wdm, clinic.dsm):
            Chair.objects.create(location=location, label=f"Extra chair {i}")
            Room.objects.create(location=location, label=f"Extra room {i}")
            Closure.objects.create(
                location=location,
                starts_on=dt.date(2031, 1, 1 + i),
                ends_on=dt.date(2031, 1, 1 + i),
                reason=f"Closed {i}",
            )
    with django_assert_num_queries(9):
        large = client.get(url).content.decode()
    assert large.count("Extra chair") == small.count("Extra chair") + 10
