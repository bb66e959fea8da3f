from __future__ import annotations

from typing import Any

from ketaflow.treatment.demo import load_demo_treatment
from ketaflow.treatment.models import Course, InfusionSession


def test_demo_is_idempotent_and_has_a_session_in_progress(clinic: Any) -> None:
    first = load_demo_treatment()
    counts = (Course.objects.count(), InfusionSession.objects.count())
    second = load_demo_treatment()
    assert (Course.objects.count(), InfusionSession.objects.count()) == counts
    assert first["session_today"] == second["session_today"]
    assert InfusionSession.objects.filter(status="infusing").count() == 1
    assert first["courses_booked"] >= 1
