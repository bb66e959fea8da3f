"""Property-based run of schemathesis against /api/v1/openapi.json, in process (WSGI), bounded.

Every operation is exercised with generated data as a manager with every scope, and as an anonymous
caller: no server errors, and every response matches the documented status codes, media types, headers and
schemas.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 15


@pytest.fixture
def api_token(clinic: Any) -> str:
    from ketaflow.api.models import SCOPES
    from ketaflow.api.tokens import api_token_create

    _token, raw = api_token_create(user=clinic.user("mia"), scopes=list(SCOPES), days=1)
    # Requests go straight to the WSGI app inside the test's transaction: keep Django from closing the
    # connection at the end of each request (the test client does the same).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield raw
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.xdist_group("schemathesis")
def test_api_conforms_to_its_schema(api_token: str) -> None:
    """One database set-up, then every operation with MAX_EXAMPLES generated cases (about 30 s)."""
    headers = {"Authorization": f"Bearer {api_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    calls = {"authorised": 0, "anonymous": 0}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)
            calls["authorised"] += 1
            anonymous = case.call(headers={"Authorization": ""})
            calls["anonymous"] += 1
            assert anonymous.status_code in (401, 422), (operation.label, anonymous.status_code)

        run()
    print(f"schemathesis: {len(operations)} operations, {calls}")
    assert calls["authorised"] >= len(operations)
