"""Named URLs of the API package: the OpenAPI document and docs, and the calendar pages.

API operations themselves are addressed by path and have no Django URL name; their matrix (every route ×
persona × token scope, with 401 for anonymous callers) is ``test_authorization_matrix.py``.
"""

from typing import Any

from ketaflow.core.tests.test_url_matrix import EVERYONE, STAFF, Entry

SCHEDULE = STAFF - {"carl", "cora"}
NOT_AT_WDM = {"fran", "noah", "priya", "oscar"}


def _appointment(clinic: Any) -> dict[str, Any]:
    from ketaflow.api.tests.routes import book

    return {"appointment_uuid": book(clinic).uuid}


def _feed(clinic: Any) -> dict[str, Any]:
    from ketaflow.api.tokens import calendar_feed_rotate

    return {"token": calendar_feed_rotate(user=clinic.user("paul"))}


MATRIX = {
    "api:api-root": Entry(allowed=EVERYONE),
    "api:openapi-json": Entry(allowed=EVERYONE),
    "api:openapi-view": Entry(allowed=EVERYONE),
    "api:docs_asset": Entry(allowed=EVERYONE, kwargs=lambda c: {"asset": "swagger-ui-init.js"}),
    "calendar:appointment_ics": Entry(allowed=SCHEDULE, kwargs=_appointment, not_found=NOT_AT_WDM),
    "calendar:feed_settings": Entry(allowed=SCHEDULE),
    "calendar:feed": Entry(allowed=EVERYONE, kwargs=_feed),
}
