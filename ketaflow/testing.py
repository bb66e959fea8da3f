"""Shared pytest fixtures: the demo clinic and its personas (design.md §7), logged-in clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from ketaflow.accounts.models import User
from ketaflow.accounts.services import totp_device_for

PERSONA_NAMES = ["frank", "fran", "nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "pat", "oscar"]


@dataclass
class Clinic:
    wdm: Any
    dsm: Any
    users: dict[str, User]

    def user(self, name: str) -> User:
        return self.users[name]


@pytest.fixture
def clinic(db: Any) -> Clinic:
    """The demo clinic with 6 synthetic patients, plus `oscar`, a staff member with no location."""
    from ketaflow.accounts.roles import Role
    from ketaflow.clinics.models import Location
    from ketaflow.core.demo import DEMO_TOTP_HEX, load_demo
    from ketaflow.accounts.services import totp_device_set

    load_demo(patients=6)
    oscar = User.objects.create_user(username="oscar", password="ketaflow-demo-2026", role=Role.NURSE)
    totp_device_set(user=oscar, key_hex=DEMO_TOTP_HEX)
    users = {u.username: u for u in User.objects.all()}
    return Clinic(
        wdm=Location.objects.get(slug="west-des-moines"), dsm=Location.objects.get(slug="des-moines"), users=users
    )


def login(client: Client, user: User, *, verified: bool = True) -> Client:
    """Log ``client`` in as ``user``; staff also pass their second factor unless ``verified`` is False."""
    client.force_login(user)
    device = totp_device_for(user)
    if verified and device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def as_persona(clinic: Clinic) -> Any:
    def make(name: str | None) -> Client:
        client = Client()
        if name is None:
            return client
        return login(client, clinic.user(name))

    return make
