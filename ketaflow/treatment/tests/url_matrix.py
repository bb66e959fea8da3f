"""Treatment URLs in the role matrix (ketaflow/core/tests/test_url_matrix.py). Objects live at West Des Moines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaflow.core.tests.test_url_matrix import Entry

SCHEDULE = {"frank", "fran", "nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}
BOOKERS = {"frank", "fran", "nina", "noah", "paul", "priya", "mia", "oscar"}
CLINICAL = {"nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}
RECORDERS = {"nina", "noah", "paul", "priya", "oscar"}
NOT_AT_WDM = {"fran", "noah", "priya", "oscar"}


def _objects(clinic: Any) -> dict[str, Any]:
    cached = getattr(clinic, "_treatment_objects", None)
    if cached is None:
        from ketaflow.treatment.tests.factories import course_for, patient_at, place_session, today_at

        patient = patient_at(clinic, clinic.wdm)
        course = course_for(clinic, patient)
        session = place_session(clinic, course, start=today_at(clinic.wdm, 9) + dt.timedelta(days=1))
        cached = {"patient": patient, "course": course, "session": session}
        clinic._treatment_objects = cached
    return cached


def _uuid(name: str, kwarg: str, **extra: Any) -> Any:
    return lambda clinic: {kwarg: _objects(clinic)[name].uuid, **extra}


MATRIX: dict[str, Entry] = {
    "treatment:board": Entry(allowed=SCHEDULE, not_found={"oscar"}),
    "treatment:protocols": Entry(allowed=SCHEDULE),
    "treatment:rems": Entry(allowed=CLINICAL, not_found={"oscar"}),
    "treatment:course_new": Entry(
        allowed=BOOKERS, not_found=NOT_AT_WDM, kwargs=_uuid("patient", "patient_uuid")
    ),
    "treatment:course": Entry(allowed=BOOKERS, not_found=NOT_AT_WDM, kwargs=_uuid("course", "course_uuid")),
    "treatment:session": Entry(
        allowed=CLINICAL, not_found=NOT_AT_WDM, kwargs=_uuid("session", "session_uuid")
    ),
    "treatment:session_chart": Entry(
        allowed=CLINICAL, not_found=NOT_AT_WDM, kwargs=_uuid("session", "session_uuid")
    ),
    "treatment:session_pdf": Entry(
        allowed=CLINICAL, not_found=NOT_AT_WDM, kwargs=_uuid("session", "session_uuid")
    ),
    "treatment:session_move": Entry(
        allowed=BOOKERS,
        not_found=NOT_AT_WDM,
        method="post",
        ok_status=302,
        kwargs=_uuid("session", "session_uuid"),
        data=lambda c: {"chair": str(_objects(c)["session"].chair.uuid)},
    ),
    "treatment:session_action": Entry(
        allowed=RECORDERS,
        not_found=NOT_AT_WDM,
        method="post",
        kwargs=_uuid("session", "session_uuid", action="vitals"),
    ),
}
