"""Tokenised intake links: random, stored hashed, expiring, dead after submission; no patient data in URLs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.domain.instruments import get_instrument
from ketaflow.intake import services
from ketaflow.intake.models import Intake, IntakeLink, QuestionnaireResponse
from ketaflow.intake.selectors import token_hash
from ketaflow.intake.tests.factories import ANSWERS, CALM_HISTORY, wdm_patient

pytestmark = pytest.mark.django_db


def _send(clinic: Any, channel: str = "email") -> tuple[Any, str]:
    patient = wdm_patient(clinic)
    intake = services.intake_create(patient=patient, reason="depression", created_by=clinic.user("frank"))
    return intake, services.intake_link_send(intake=intake, channel=channel, sent_by=clinic.user("frank"))


def test_email_link_holds_only_the_token_and_the_database_only_its_hash(
    clinic: Any, as_persona: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patient = wdm_patient(clinic)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_persona("frank").post(
            reverse("intake:send", args=[patient.uuid]), {"reason": "pain", "channel": "email"}
        )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [patient.email]
    url = next(line for line in message.body.splitlines() if "/intake/start/" in line)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    assert patient.last_name not in message.body and str(patient.uuid) not in url
    link = IntakeLink.objects.get()
    assert link.token_sha256 == token_hash(token) and token not in link.token_sha256
    assert Intake.objects.get().reason == "pain"


def test_sms_link_goes_through_the_sms_backend(
    clinic: Any, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.VAR_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        _send(clinic, channel="sms")
    assert "/intake/start/" in (tmp_path / "sms" / "outbox.jsonl").read_text()


def test_opening_a_valid_link_starts_the_bundle(clinic: Any) -> None:
    _, token = _send(clinic)
    client = Client()
    response = client.get(reverse("intake:start", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("intake:overview")
    assert client.get(reverse("intake:overview")).status_code == 200


def test_unknown_link_is_refused_with_a_clear_message(clinic: Any) -> None:
    response = Client().get(reverse("intake:start", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert services.LINK_UNKNOWN in response.content.decode()


def test_expired_link_is_refused_and_nothing_is_saved(clinic: Any) -> None:
    intake, token = _send(clinic)
    client = Client()
    client.get(reverse("intake:start", args=[token]))
    IntakeLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(
        reverse("intake:step", args=["phq9"]), {item.id: "1" for item in get_instrument("phq9").items}
    )
    assert response.status_code == 410
    assert services.LINK_EXPIRED in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    response = Client().get(reverse("intake:start", args=[token]))
    assert response.status_code == 410 and services.LINK_EXPIRED in response.content.decode()


def test_link_cannot_be_used_after_the_intake_is_submitted(clinic: Any) -> None:
    intake, token = _send(clinic)
    client = Client()
    client.get(reverse("intake:start", args=[token]))
    services.intake_demographics_confirm(intake=intake, changes={})
    services.intake_history_save(intake=intake, answers=CALM_HISTORY)
    services.intake_section_confirm(intake=intake, section="medications")
    services.intake_section_confirm(intake=intake, section="antidepressants")
    for instrument_id in ("phq9", "gad7", "cssrs_screener"):
        services.questionnaire_submit(
            intake=intake, instrument_id=instrument_id, answers=ANSWERS[instrument_id]
        )
    assert client.post(reverse("intake:submit")).status_code == 302
    assert IntakeLink.objects.get().used_at is not None
    response = Client().get(reverse("intake:start", args=[token]))
    assert response.status_code == 410
    assert services.LINK_USED in response.content.decode()
    assert client.get(reverse("intake:overview")).status_code == 403


def test_link_without_an_email_address_is_not_sent(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    patient.email = ""
    patient.save()
    response = as_persona("frank").post(
        reverse("intake:send", args=[patient.uuid]), {"reason": "depression", "channel": "email"}, follow=True
    )
    assert services.NO_EMAIL in response.content.decode()
    assert not IntakeLink.objects.exists()


def test_a_resent_link_replaces_the_earlier_one(clinic: Any) -> None:
    intake, first = _send(clinic)
    second = services.intake_link_send(intake=intake, channel="email", sent_by=clinic.user("frank"))
    assert Client().get(reverse("intake:start", args=[first])).status_code == 410
    assert Client().get(reverse("intake:start", args=[second])).status_code == 302
