from __future__ import annotations

from typing import Any

from ketaflow.core.tests.test_url_matrix import STAFF, Entry

EVERYONE: set[str | None] = {*STAFF, "pat", None}
SCHEDULE_MANAGERS = {"frank", "fran", "nina", "noah", "paul", "priya", "mia"}
SCHEDULE_VIEWERS = {*SCHEDULE_MANAGERS, "audrey"}


def _appointment(clinic: Any) -> dict[str, Any]:
    from ketaflow.scheduling.tests.factories import booked_appointment

    return {"appointment_uuid": booked_appointment(clinic).uuid}


def _screening(clinic: Any) -> dict[str, Any]:
    from ketaflow.public.models import ScreeningResult

    screening = ScreeningResult.objects.create(
        path="depression",
        answers={},
        summary="Two antidepressants tried",
        consent_to_store=True,
        rules_version="1",
    )
    return {"screening_uuid": screening.uuid}


MATRIX = {
    "scheduling:book": Entry(allowed=EVERYONE),
    # Without a held slot in the session these steps send the visitor back to step 1.
    "scheduling:details": Entry(allowed=EVERYONE, ok_status=302),
    "scheduling:confirmed": Entry(allowed=EVERYONE, ok_status=302),
    "scheduling:hold": Entry(allowed=EVERYONE, method="post", ok_status=302),
    # A wrong token is a 404 for everyone; the right one is tested in the booking tests.
    "scheduling:manage": Entry(allowed=set(), kwargs=lambda c: {"token": "not-a-token"}),
    "scheduling:calendar": Entry(allowed=SCHEDULE_VIEWERS),
    "scheduling:phone_book": Entry(allowed=SCHEDULE_MANAGERS),
    "scheduling:appointment": Entry(
        allowed=SCHEDULE_VIEWERS, kwargs=_appointment, not_found={"fran", "noah", "priya"}
    ),
    "scheduling:inbox": Entry(allowed=SCHEDULE_MANAGERS),
    "scheduling:inbox_screening_update": Entry(
        allowed=SCHEDULE_MANAGERS,
        method="post",
        ok_status=302,
        kwargs=_screening,
        data=lambda c: {"inbox_status": "contacted"},
    ),
    "scheduling:inbox_update": Entry(
        allowed=SCHEDULE_MANAGERS,
        method="post",
        ok_status=302,
        kwargs=_appointment,
        data=lambda c: {"inbox_status": "contacted"},
        not_found={"fran", "noah", "priya"},
    ),
}
