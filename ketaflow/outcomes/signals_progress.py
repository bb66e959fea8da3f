"""Refresh the patient's booster reviews once a questionnaire score or a course is saved (after the commit).

Imported by ``OutcomesConfig.ready()``. The refresh runs after the commit so that it reads the saved score and
never holds up or rolls back the patient's answer; a failure is logged, not shown to the patient.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes.progress import SCORED_INSTRUMENTS
from ketaflow.treatment.models import Course

logger = logging.getLogger(__name__)


def _refresh(patient_id: int) -> None:
    from ketaflow.outcomes.boosters import booster_reviews_refresh
    from ketaflow.patients.models import Patient

    try:
        booster_reviews_refresh(patient=Patient.objects.get(pk=patient_id))
    except Exception:  # the answer is saved; the next score or a manual refresh retries
        logger.exception("booster review refresh failed for patient %s", patient_id)


@receiver(post_save, sender=QuestionnaireResponse, dispatch_uid="outcomes_progress_booster_refresh")
def questionnaire_saved(sender: Any, instance: QuestionnaireResponse, **kwargs: Any) -> None:
    """Any save of a charted instrument's response (new, or marked entered in error) can change a trajectory."""
    if instance.instrument in SCORED_INSTRUMENTS:
        patient_id = instance.patient_id
        transaction.on_commit(lambda: _refresh(patient_id))


@receiver(post_save, sender=Course, dispatch_uid="outcomes_progress_booster_refresh_course")
def course_saved(sender: Any, instance: Course, created: bool, **kwargs: Any) -> None:
    """A course that is stopped (or completed, resumed...) changes which courses are assessed."""
    if not created:
        patient_id = instance.patient_id
        transaction.on_commit(lambda: _refresh(patient_id))
