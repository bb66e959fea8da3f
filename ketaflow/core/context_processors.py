from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketaflow.accounts.roles import permissions_for
from ketaflow.core.nav import nav_for


def ketaflow(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    perms = permissions_for(user.role) if user is not None and user.is_authenticated else frozenset()
    staff = perms and getattr(user, "role", "") not in {"patient", "api_client"}
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "KETAFLOW_VERSION": "0.1.0",
        "user_perms": perms,
        "staff_nav": nav_for(perms, getattr(request, "resolver_match", None)) if staff else [],
    }
