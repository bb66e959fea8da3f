"""Permission checks used by services (the authority) and by views (for a friendly 403 early)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from ketaflow.accounts.roles import Role

F = TypeVar("F", bound=Callable[..., HttpResponse])

NOT_ALLOWED = "You do not have permission to do that."
WRONG_LOCATION = "That belongs to a location you are not assigned to."


def ensure_perm(user: Any, perm: str) -> None:
    """Raise PermissionDenied unless ``user`` holds the named permission."""
    if not (user and user.is_authenticated and user.has_role_perm(perm)):
        raise PermissionDenied(NOT_ALLOWED)


def ensure_location(user: Any, location_id: int | None) -> None:
    """Raise PermissionDenied unless ``user`` works at the location (superusers work everywhere)."""
    if user.is_superuser:
        return
    if location_id is None or location_id not in user.location_ids():
        raise PermissionDenied(WRONG_LOCATION)


def staff_required(perm: str) -> Callable[[F], F]:
    """View decorator: anonymous → login page; logged in without ``perm`` → 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            ensure_perm(request.user, perm)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def patient_required(view: F) -> F:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.role != Role.PATIENT:  # type: ignore[union-attr]
            raise PermissionDenied(NOT_ALLOWED)
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
