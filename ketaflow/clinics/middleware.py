from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from ketaflow.clinics.selectors import allowed_locations, location_for_request


class CurrentLocationMiddleware:
    """Sets ``request.location``: the location a staff member is working at (chosen in the switcher)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.location = location_for_request(request)  # type: ignore[attr-defined]
        request.allowed_locations = SimpleLazyObject(lambda: allowed_locations(request))  # type: ignore[attr-defined]
        return self.get_response(request)
