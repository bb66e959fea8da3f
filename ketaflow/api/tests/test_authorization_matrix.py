"""Every API route × (anonymous, patient, each staff persona, a token with and without the route's scope).

Allowed → the route's success status. Role without the permission → 403. Object at another location → 404.
Anonymous → 401. A denied call leaves every table (and the object a write targets) unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ketaflow.api.models import SCOPES
from ketaflow.api.tests.routes import ROUTES, STAFF, Call, Route
from ketaflow.testing import PERSONA_NAMES

# Tokens are exercised as the first of these personas the route allows.
TOKEN_PERSONAS = ["mia", "nina", "frank", "audrey", "carl", "pat"]


def _snapshot() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "core", "axes", "otp_totp", "api", "django_tasks_db"}:
            continue
        counts[model._meta.label] = model._default_manager.count()
    return counts


def _send(client: Client, route: Route, call: Call, **extra: Any) -> Any:
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in call.headers.items()}
    kwargs: dict[str, Any] = {**headers, **extra}
    if call.body is not None:
        kwargs.update(data=json.dumps(call.body), content_type="application/json")
    return getattr(client, route.method)(call.path, **kwargs)


def test_every_operation_in_the_openapi_document_is_in_the_matrix(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    documented = {(m, p) for p, ops in document["paths"].items() for m in ops}
    listed = {(r.method, r.template) for r in ROUTES}
    assert documented == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_authorization_matrix(route: Route, clinic: Any, as_persona: Any, make_token: Any) -> None:
    for persona in [None, *PERSONA_NAMES]:
        call = route.make(clinic)
        before, state = _snapshot(), call.state()
        response = _send(as_persona(persona), route, call)
        status = response.status_code
        if persona is None:
            expected = 401
        elif persona in route.not_found and persona in route.allowed:
            expected = 404
        elif persona in route.allowed:
            expected = route.ok_status
        else:
            expected = 403
        assert status == expected, (route.template, persona, status, response.content[:300])
        if status >= 400:
            assert response["Content-Type"] == "application/problem+json"
            assert _snapshot() == before, (route.template, persona)
            assert call.state() == state, (route.template, persona)

    holder = next(p for p in TOKEN_PERSONAS if p in route.allowed and p not in route.not_found)
    scopes_with = [route.scope] if route.scope else ["read:schedule"]
    scopes_without = [s for s in SCOPES if s != route.scope]
    for scopes, expected in ((scopes_with, route.ok_status), (scopes_without, 403 if route.scope else 200)):
        token = make_token(holder, scopes)
        call = route.make(clinic)
        before, state = _snapshot(), call.state()
        response = _send(Client(), route, call, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == expected, (route.template, holder, scopes, response.content[:300])
        if expected == 403:
            assert response.json()["type"].endswith("insufficient-scope")
            assert _snapshot() == before
            assert call.state() == state


def test_matrix_covers_every_persona() -> None:
    assert set(PERSONA_NAMES) == STAFF | {"pat"}
