from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.accounts.forms import BAD_CODE
from ketaflow.accounts.middleware import SESSION_LAST_SEEN
from ketaflow.accounts.services import totp_current_code, totp_device_for
from ketaflow.core.demo import DEMO_PASSWORD
from ketaflow.core.models import AuditEvent
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def _password_login(client: Client, username: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_staff_password_login_leads_to_the_totp_step(clinic: Any) -> None:
    client = Client()
    response = _password_login(client, "nina")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp"))
    # Without the second factor, staff pages send the nurse back to the TOTP step.
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp")


def test_correct_totp_code_opens_the_dashboard(clinic: Any) -> None:
    client = Client()
    _password_login(client, "nina")
    code = totp_current_code(totp_device_for(clinic.user("nina")))
    response = client.post(reverse("accounts:otp"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("core:dashboard")
    assert client.get(reverse("core:dashboard")).status_code == 200
    assert AuditEvent.objects.filter(
        actor=clinic.user("nina"), action="login", detail="second factor verified"
    ).exists()


def test_wrong_totp_code_is_refused_with_a_clear_message(clinic: Any) -> None:
    client = Client()
    _password_login(client, "nina")
    response = client.post(reverse("accounts:otp"), {"code": "000000"})
    assert response.status_code == 200
    assert BAD_CODE in response.content.decode()
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action="login_failed", detail="wrong TOTP code").exists()


def test_wrong_password_shows_an_error_and_is_audited(clinic: Any) -> None:
    response = _password_login(Client(), "nina", "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", actor_label="nina").exists()


def test_five_failed_passwords_lock_the_account(clinic: Any) -> None:
    client = Client()
    for _ in range(5):
        _password_login(client, "paul", "wrong-password")
    response = _password_login(client, "paul")  # even the right password is refused now
    assert response.status_code == 429
    assert "locked" in response.content.decode()


def test_staff_session_expires_after_fifteen_idle_minutes(clinic: Any) -> None:
    client = login(Client(), clinic.user("nina"))
    assert client.get(reverse("core:dashboard")).status_code == 200
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 16 * 60
    session.save()
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("core:dashboard")).status_code == 302


def test_new_staff_member_enrols_an_authenticator(clinic: Any) -> None:
    from ketaflow.accounts.models import User
    from ketaflow.accounts.roles import Role

    User.objects.create_user(username="newbie", password=DEMO_PASSWORD, role=Role.NURSE)
    client = Client()
    response = _password_login(client, "newbie")
    assert response["Location"].startswith(reverse("accounts:otp_setup"))
    page = client.get(reverse("accounts:otp_setup"))
    assert "Secret" in page.content.decode()
    user = User.objects.get(username="newbie")
    assert totp_device_for(user) is None
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = client.session["ketaflow_pending_totp_key"]
    device = TOTPDevice(user=user, key=key)
    code = f"{TOTP(device.bin_key).token():06d}"
    response = client.post(reverse("accounts:otp_setup"), {"code": code})
    assert response.status_code == 302
    assert totp_device_for(user) is not None


def test_patient_logs_in_without_totp_to_the_portal(clinic: Any) -> None:
    client = Client()
    response = _password_login(client, "pat")
    assert response["Location"] == reverse("core:portal")
    assert client.get(reverse("core:portal")).status_code == 200


def test_password_reset_sends_an_email(clinic: Any, mailoutbox: Any) -> None:
    response = Client().post(reverse("accounts:password_reset"), {"email": "nina@demo.ketaflow.invalid"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_logout_ends_the_session(clinic: Any) -> None:
    client = login(Client(), clinic.user("nina"))
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("core:dashboard")).status_code == 302
