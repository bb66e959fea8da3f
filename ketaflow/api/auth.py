"""Who is calling: a scoped bearer token (scripts) or the browser session (with CSRF on writes).

A token acts as its user: the services check the user's role and locations exactly as for the web pages,
and the token's scopes narrow that further (``require_scope``). Failed token attempts are rate-limited per
client address (429).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ketaflow.api.problems import Problem
from ketaflow.api.tokens import api_token_authenticate

FAILED_AUTH_LIMIT = 20  # bad tokens per client address per window
FAILED_AUTH_WINDOW_SECONDS = 300
TOO_MANY_FAILURES = "Too many failed authentication attempts from this address. Try again later."
MISSING_SCOPE = "This token lacks the {scope!r} scope."
CSRF_FAILED = "CSRF check failed: send the X-CSRFToken header with session authentication."


def _failure_key(request: HttpRequest) -> str:
    ip = str(request.META.get("REMOTE_ADDR") or "unknown")
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:32]
    return f"ketaflow:api-auth-fail:{digest}"


def _check_not_locked(request: HttpRequest) -> None:
    if (cache.get(_failure_key(request)) or 0) >= FAILED_AUTH_LIMIT:
        raise Problem(429, TOO_MANY_FAILURES, headers={"Retry-After": str(FAILED_AUTH_WINDOW_SECONDS)})


def _count_failure(request: HttpRequest) -> None:
    key = _failure_key(request)
    if cache.add(key, 1, FAILED_AUTH_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, FAILED_AUTH_WINDOW_SECONDS)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        _check_not_locked(request)
        found = api_token_authenticate(token.strip())
        if found is None:
            _count_failure(request)
            return None
        request.user = found.user  # type: ignore[assignment]
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session. Unsafe methods need Django's CSRF token (header X-CSRFToken)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - unused
        return None

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get("Authorization"):
            return None  # a (bad) token was sent: do not fall back to the cookie
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request):
            raise HttpError(403, CSRF_FAILED)
        request.api_token = None  # type: ignore[attr-defined]
        return user


def is_token(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is not None


def require_scope(request: HttpRequest, scope: str) -> None:
    """Tokens must carry ``scope``; session users are limited by their role only."""
    token = getattr(request, "api_token", None)
    if token is not None and scope not in token.scope_set:
        raise Problem(403, MISSING_SCOPE.format(scope=scope), kind="insufficient-scope")


def via(request: HttpRequest) -> str:
    token = getattr(request, "api_token", None)
    return f"API token {token.prefix}" if token is not None else "API session"
