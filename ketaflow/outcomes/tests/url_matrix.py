"""Outcomes URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py).

Two engineers add entries here: keep each block to its own section (workflow: links, check-ins, worklist;
progress: trajectories, reports, boosters).
"""

from __future__ import annotations

from ketaflow.core.tests.test_url_matrix import Entry

MATRIX: dict[str, Entry] = {}

# --- workflow (urls_workflow.py) -------------------------------------------------------------------------
_EVERYONE = {
    "frank",
    "fran",
    "nina",
    "noah",
    "paul",
    "priya",
    "carl",
    "cora",
    "mia",
    "audrey",
    "oscar",
    "pat",
    None,
}
_RECORDERS = {"nina", "noah", "paul", "priya", "oscar"}
_NOT_RECORDING_AT_WDM = {"noah", "priya", "oscar"}


def _workflow_objects(clinic: object) -> dict[str, object]:
    """At West Des Moines: a sent PHQ-9 link, a sent and an answered check-in, an open task, a MADRS due."""
    cached = getattr(clinic, "_workflow_objects", None)
    if cached is None:
        from ketaflow.outcomes import services
        from ketaflow.outcomes.tests.test_workflow_factories import (
            course_with_sessions,
            open_request,
            sent_check_in,
        )

        course, _ = course_with_sessions(clinic)  # type: ignore[arg-type]
        services.course_schedule_rebuild(course_id=course.pk)
        raw = services.measurement_request_send(request=open_request(course, "phq9"))
        check_in, check_in_path = sent_check_in(clinic, patient_index=1)
        answered, _ = sent_check_in(clinic, patient_index=2)
        services.check_in_answer(
            check_in=answered, side_effects=["none"], urinary=["none"], mood=5, suicidal_thoughts=False
        )
        task = services.urgent_task_create(patient=course.patient, reason="matrix", location=course.location)
        cached = {
            "token": raw,
            "check_in_token": check_in_path.rstrip("/").rsplit("/", 1)[1],
            "answered": answered,
            "task": task,
            "madrs": open_request(course, "madrs"),
        }
        clinic._workflow_objects = cached  # type: ignore[attr-defined]
    return cached


def _workflow(name: str, kwarg: str, attribute: str = "", **extra: object) -> object:
    def kwargs(clinic: object) -> dict[str, object]:
        value = _workflow_objects(clinic)[name]
        return {kwarg: getattr(value, attribute) if attribute else value, **extra}

    return kwargs


WORKFLOW: dict[str, Entry] = {
    "outcomes:measure_link": Entry(allowed=_EVERYONE, kwargs=_workflow("token", "token")),  # type: ignore[arg-type]
    "outcomes:check_in_link": Entry(allowed=_EVERYONE, kwargs=_workflow("check_in_token", "token")),  # type: ignore[arg-type]
    "outcomes:worklist": Entry(allowed={"nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}),
    "outcomes:check_in_review": Entry(
        allowed=_RECORDERS,
        not_found=_NOT_RECORDING_AT_WDM,
        method="post",
        ok_status=302,
        kwargs=_workflow("answered", "check_in_uuid", "uuid"),  # type: ignore[arg-type]
        data=lambda clinic: {"note": "Called the patient."},
    ),
    "outcomes:task_action": Entry(
        allowed={"paul", "priya"},
        not_found={"priya"},
        method="post",
        ok_status=302,
        kwargs=_workflow("task", "task_uuid", "uuid", action="acknowledge"),  # type: ignore[arg-type]
    ),
    "outcomes:clinician_measure": Entry(
        allowed=_RECORDERS,
        not_found=_NOT_RECORDING_AT_WDM,
        kwargs=_workflow("madrs", "request_uuid", "uuid"),  # type: ignore[arg-type]
    ),
}
MATRIX.update(WORKFLOW)
# --- end workflow ----------------------------------------------------------------------------------------

# --- progress (urls_progress.py) -------------------------------------------------------------------------
_CLINICAL = {"nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}
_NOT_AT_WDM = {"fran", "noah", "priya", "oscar"}


def _progress_objects(clinic: object) -> dict[str, object]:
    cached = getattr(clinic, "_progress_objects", None)
    if cached is None:
        from ketaflow.outcomes.tests.progress_factories import open_review_at_wdm

        cached = open_review_at_wdm(clinic)
        clinic._progress_objects = cached  # type: ignore[attr-defined]
    return cached


def _progress_patient(clinic: object) -> dict[str, object]:
    return {"patient_uuid": _progress_objects(clinic)["patient"].uuid}  # type: ignore[attr-defined]


def _progress_review(clinic: object) -> dict[str, object]:
    return {"review_uuid": _progress_objects(clinic)["review"].uuid}  # type: ignore[attr-defined]


PROGRESS: dict[str, Entry] = {
    "outcomes:progress": Entry(allowed=_CLINICAL, not_found=_NOT_AT_WDM, kwargs=_progress_patient),
    "outcomes:progress_pdf": Entry(allowed=_CLINICAL, not_found=_NOT_AT_WDM, kwargs=_progress_patient),
    "outcomes:booster_review": Entry(allowed={"paul", "priya"}, not_found={"priya"}, kwargs=_progress_review),
}
MATRIX.update(PROGRESS)
# --- end progress ----------------------------------------------------------------------------------------
