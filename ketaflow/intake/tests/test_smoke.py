from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.intake import services
from ketaflow.intake.models import Intake
from ketaflow.intake.tests.factories import wdm_patient

pytestmark = pytest.mark.django_db


def test_pages_render(clinic: Any, as_persona: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any) -> None:
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    patient = wdm_patient(clinic)
    nina = as_persona("nina")
    r = nina.get(reverse("patients:chart", args=[patient.uuid]))
    assert r.status_code == 200, r.content[:3000]
    with django_capture_on_commit_callbacks(execute=True):
        r = nina.post(reverse("intake:send", args=[patient.uuid]), {"reason": "depression", "channel": "email"})
    assert r.status_code == 302
    assert len(mailoutbox) == 1
    url = [line for line in mailoutbox[0].body.splitlines() if "/intake/start/" in line][0]
    path = url.split("8000")[1]
    from django.test import Client

    anon = Client()
    r = anon.get(path)
    assert r.status_code == 302, r.content
    r = anon.get(reverse("intake:overview"))
    assert r.status_code == 200
    for slug in ["about-you", "health", "medications", "antidepressants", "phq9", "gad7", "cssrs_screener"]:
        r = anon.get(reverse("intake:step", args=[slug]))
        assert r.status_code == 200, (slug, r.content[:2000])
    paul = as_persona("paul")
    r = paul.get(reverse("intake:review", args=[patient.uuid]))
    assert r.status_code == 200, r.content[:3000]
    assert Intake.objects.count() >= 1
    assert services
