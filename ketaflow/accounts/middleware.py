from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SESSION_LAST_SEEN = "ketaflow_last_seen"
# Paths a half-authenticated staff member (password ok, TOTP not yet) may still reach.
_OTP_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/readyz")


class StaffSessionMiddleware:
    """Staff sessions end after STAFF_IDLE_TIMEOUT_SECONDS idle; staff pages need a verified TOTP device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "is_clinic_staff", False):
            now = time.time()
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if last_seen is not None and now - float(last_seen) > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                logout(request)
                messages.info(
                    request, "Your session expired after 15 minutes without activity. Please log in again."
                )
                return HttpResponseRedirect(f"{reverse('accounts:login')}?next={request.path}")
            # Write the session at most once a minute, not on every request.
            if last_seen is None or now - float(last_seen) > 60:
                request.session[SESSION_LAST_SEEN] = now
            if (
                not settings.DEMO_MODE
                and not user.is_verified()  # type: ignore[attr-defined]
                and not request.path.startswith(_OTP_EXEMPT_PREFIXES)
            ):
                return HttpResponseRedirect(reverse("accounts:otp"))
        return self.get_response(request)
