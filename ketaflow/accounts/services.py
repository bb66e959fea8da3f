"""Account writes: staff creation, TOTP devices."""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Role

TOTP_DEVICE_NAME = "Authenticator app"


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def totp_device_set(*, user: User, key_hex: str, confirmed: bool = True) -> TOTPDevice:
    """Give ``user`` exactly one TOTP device with the given secret (hex)."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key_hex, confirmed=confirmed)


def totp_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps want it (base32, no padding)."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@transaction.atomic
def staff_user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    locations: Any = (),
    prescriber_type: str = "",
) -> User:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    user = User(username=username, role=role, first_name=first_name, last_name=last_name, email=email)
    user.prescriber_type = prescriber_type
    user.set_password(password)
    user.save()
    user.locations.set(locations)
    return user
