"""Hooks that keep the measurement workflow in step with treatment and intake, without those apps importing us.

- A saved infusion session or course rebuilds the course's measurement schedule once the transaction commits
  (one rebuild per course per transaction, however many sessions a series booking saved).
- A session saved as discharged gets its next-day check-in (after commit).
- An intake questionnaire answer with a suicidality signal opens an urgent task inside intake's own
  transaction (the same request that saved the answer).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)


class _Rebuild:
    """An on-commit callback for one course; recognisable so a transaction queues it only once."""

    def __init__(self, course_id: int) -> None:
        self.key = ("rebuild", course_id)
        self.done = False

    def __call__(self) -> None:
        from ketaflow.outcomes.services import course_schedule_rebuild

        self.done = True
        course_schedule_rebuild(course_id=self.key[1])


class _CheckIn:
    def __init__(self, session_id: int) -> None:
        self.key = ("check_in", session_id)
        self.done = False

    def __call__(self) -> None:
        from ketaflow.outcomes.services import check_in_create

        self.done = True
        check_in_create(session_id=self.key[1])


def _queued(callback: Any) -> bool:
    for entry in getattr(connection, "run_on_commit", []):
        func = entry[1]
        if getattr(func, "key", None) == callback.key and not func.done:
            return True
    return False


def _after_commit(callback: Any) -> None:
    if not _queued(callback):
        transaction.on_commit(callback, robust=True)


# Statuses that can change a course's calendar; the steps of a running session (arrived ... ready) cannot.
CALENDAR_STATUSES = frozenset({"booked", "cancelled", "missed"})


def session_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if created or instance.status in CALENDAR_STATUSES or instance.entered_in_error:
        _after_commit(_Rebuild(instance.course_id))
    if instance.status == "discharged":
        _after_commit(_CheckIn(instance.pk))


def course_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if kwargs.get("raw") or created:
        return
    _after_commit(_Rebuild(instance.pk))


def questionnaire_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if kwargs.get("raw") or not created or instance.intake_id is None:
        return
    from ketaflow.outcomes.services import intake_response_check

    intake_response_check(response=instance)


def connect() -> None:
    from django.apps import apps

    post_save.connect(
        session_saved,
        sender=apps.get_model("treatment.InfusionSession"),
        dispatch_uid="outcomes-session-saved",
    )
    post_save.connect(
        course_saved, sender=apps.get_model("treatment.Course"), dispatch_uid="outcomes-course-saved"
    )
    post_save.connect(
        questionnaire_saved,
        sender=apps.get_model("intake.QuestionnaireResponse"),
        dispatch_uid="outcomes-intake-questionnaire-saved",
    )
