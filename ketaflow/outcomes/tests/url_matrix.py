"""Outcomes URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py).

Two engineers add entries here: keep each block to its own section (workflow: links, check-ins, worklist;
progress: trajectories, reports, boosters).
"""

from __future__ import annotations

from ketaflow.core.tests.test_url_matrix import Entry

MATRIX: dict[str, Entry] = {}

# --- workflow (urls_workflow.py) -------------------------------------------------------------------------
WORKFLOW: dict[str, Entry] = {}
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
