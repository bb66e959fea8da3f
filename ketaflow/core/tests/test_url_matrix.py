"""Every registered URL × every persona: allowed → 2xx/3xx as expected, denied → 403/404/login, data unchanged.

Each app lists its URLs in ``ketaflow/<app>/tests/url_matrix.py`` as ``MATRIX = {name: Entry(...)}`` (import
``Entry`` and the persona sets from here); this module merges them. Adding a URL without an entry fails
`test_every_url_has_a_matrix_entry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

from ketaflow.testing import PERSONA_NAMES

STAFF = {"frank", "fran", "nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "oscar"}
EVERYONE = {*STAFF, "pat", None}
PATIENT_READERS = {"frank", "fran", "nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}


@dataclass
class Entry:
    allowed: set[str | None]
    kwargs: Callable[[Any], dict[str, Any]] = lambda clinic: {}
    ok_status: int = 200
    # Personas allowed by role who still get 403/404 because the object is at another location.
    not_found: set[str] = field(default_factory=set)
    method: str = "get"
    data: Callable[[Any], dict[str, Any]] = lambda clinic: {}


def _patient_at_wdm(clinic: Any) -> dict[str, Any]:
    from ketaflow.patients.models import Patient

    return {"patient_uuid": Patient.objects.filter(preferred_location=clinic.wdm).first().uuid}


def _chair_at_wdm(clinic: Any) -> dict[str, Any]:
    return {"location_uuid": clinic.wdm.uuid, "kind": "chair", "item_uuid": clinic.wdm.chairs.first().uuid}


MATRIX: dict[str, Entry] = {
    "public:home": Entry(allowed={"pat", None}, ok_status=200),
    "core:dashboard": Entry(allowed=STAFF),
    "core:audit_log": Entry(allowed={"mia", "audrey"}),
    "core:portal": Entry(allowed={"pat"}),
    "core:healthz": Entry(allowed=EVERYONE),
    "core:readyz": Entry(allowed=EVERYONE),
    "accounts:login": Entry(allowed={None}),
    "accounts:otp": Entry(allowed=STAFF | {"pat"}),
    "accounts:otp_setup": Entry(allowed=STAFF | {"pat"}),
    "accounts:logout": Entry(allowed=EVERYONE, method="post", ok_status=302),
    "accounts:password_reset": Entry(allowed=EVERYONE),
    "accounts:password_reset_done": Entry(allowed=EVERYONE),
    "accounts:password_reset_confirm": Entry(
        allowed=EVERYONE, kwargs=lambda c: {"uidb64": "MQ", "token": "set-password"}
    ),
    "accounts:password_reset_complete": Entry(allowed=EVERYONE),
    "clinics:settings": Entry(allowed={"mia"}),
    "clinics:location_edit": Entry(allowed={"mia"}, kwargs=lambda c: {"location_uuid": c.wdm.uuid}),
    "clinics:child_new": Entry(
        allowed={"mia"}, kwargs=lambda c: {"location_uuid": c.wdm.uuid, "kind": "chair"}
    ),
    "clinics:child_edit": Entry(allowed={"mia"}, kwargs=_chair_at_wdm),
    "clinics:switch_location": Entry(
        allowed=STAFF,
        method="post",
        ok_status=302,
        data=lambda c: {"location": str(c.wdm.uuid)},
        not_found={"fran", "noah", "priya", "cora", "oscar"},
    ),
    "patients:list": Entry(allowed=PATIENT_READERS),
    "patients:chart": Entry(
        allowed=PATIENT_READERS, kwargs=_patient_at_wdm, not_found={"fran", "noah", "priya", "oscar"}
    ),
    # Django admin: one representative URL for the whole admin namespace.
    "admin:index": Entry(allowed={"mia"}),
}


def _app_matrices() -> None:
    import importlib
    import pkgutil

    import ketaflow

    for module in pkgutil.iter_modules(ketaflow.__path__):
        try:
            extra = importlib.import_module(f"ketaflow.{module.name}.tests.url_matrix")
        except ModuleNotFoundError as exc:
            if (
                exc.name
                and exc.name.startswith(f"ketaflow.{module.name}")
                and exc.name.endswith(("tests", "url_matrix"))
            ):
                continue
            raise
        overlap = set(extra.MATRIX) & set(MATRIX)
        assert not overlap, f"URL matrix entries defined twice: {sorted(overlap)}"
        MATRIX.update(extra.MATRIX)


_app_matrices()


def _names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= _names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{prefix}{pattern.name}")
    return names


def test_every_url_has_a_matrix_entry() -> None:
    registered = {name for name in _names() if not name.startswith("admin:")} | {"admin:index"}
    missing = registered - set(MATRIX)
    assert not missing, f"URLs without a role matrix entry: {sorted(missing)}"
    stale = set(MATRIX) - registered
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


def _snapshot() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "core", "axes", "otp_totp"}:
            continue
        counts[model._meta.label] = model._default_manager.count()
    return counts


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(name: str, clinic: Any, as_persona: Any) -> None:
    from django.urls import reverse

    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(clinic))
    for persona in [*PERSONA_NAMES, None]:
        cache.clear()  # each persona is its own visitor: rate limits must not carry over
        client = as_persona(persona)
        before = _snapshot()
        response = getattr(client, entry.method)(url, entry.data(clinic))
        status = response.status_code
        if persona in entry.allowed and persona not in entry.not_found:
            if (
                name.startswith("accounts:otp")
                and persona in STAFF
                or persona in {"pat", None}
                and name in {"accounts:otp", "accounts:otp_setup"}
            ):
                assert status in (200, 302), (name, persona, status)
            else:
                assert status == entry.ok_status, (name, persona, status)
        elif persona in entry.not_found:
            assert status in (403, 404), (name, persona, status)
        else:
            denied = status in (401, 403, 404) or (status == 302 and "login/" in response["Location"])
            redirected_home = status == 302 and name in {"public:home", "accounts:login"}
            assert denied or redirected_home, (name, persona, status)
        if entry.method == "get":
            assert _snapshot() == before, (name, persona)
