"""Per-IP rate limiting of form posts, on Django's cache. Reusable: ``@rate_limit("booking")``.

A fixed window per scope and client: at most ``limit`` POSTs per ``window_seconds``; the next one gets a
friendly 429 page with ``Retry-After``. GET requests are never counted. The address is hashed before it is
used in a cache key. Defaults are the constants below; a deployment may override a scope with
``KETAFLOW_RATE_LIMITS = {"screening": (20, 600)}`` in settings.

Behind a reverse proxy every request comes from the proxy's address: set ``KETAFLOW_TRUSTED_PROXIES`` to
the number of proxies in front of gunicorn so the visitor's own address is used.

The default cache is per process (LocMemCache); with several gunicorn workers each keeps its own count,
so configure a shared cache (Redis or the database cache) to make the limit exact.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# scope -> (posts allowed, window in seconds). A person screening twice and booking a couple of times
# stays well inside these; a script does not.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "screening": (10, 10 * 60),
    "booking": (10, 10 * 60),
    "locations": (30, 10 * 60),
}
FALLBACK_LIMIT = (10, 10 * 60)
TEMPLATE = "public/rate_limited.html"


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. Behind N trusted proxies (``KETAFLOW_TRUSTED_PROXIES = N`` in settings), the
    N-th address from the right of X-Forwarded-For; otherwise REMOTE_ADDR. Never trust the header blindly:
    anyone can send it, so only the entries our own proxies appended are believed."""
    proxies = int(getattr(settings, "KETAFLOW_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def ip_hash(request: HttpRequest) -> str:
    """Keyed SHA-256 of the client address: comparable between requests, not reversible without the key."""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, client_ip(request).encode(), hashlib.sha256).hexdigest()


def limits_for(scope: str) -> tuple[int, int]:
    configured: dict[str, tuple[int, int]] = getattr(settings, "KETAFLOW_RATE_LIMITS", {}) or {}
    return configured.get(scope) or DEFAULT_LIMITS.get(scope, FALLBACK_LIMIT)


def over_limit(request: HttpRequest, scope: str) -> tuple[bool, int]:
    """Count this request; return (over the limit?, seconds until the window resets)."""
    limit, window = limits_for(scope)
    now = int(time.time())
    bucket = now // window
    key = f"ketaflow:ratelimit:{scope}:{ip_hash(request)[:32]}:{bucket}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count > limit, window - (now % window)


def rate_limit(scope: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: POSTs beyond the scope's limit get the 429 page; nothing else runs."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                blocked, retry_after = over_limit(request, scope)
                if blocked:
                    response = render(
                        request, TEMPLATE, {"retry_minutes": max(1, -(-retry_after // 60))}, status=429
                    )
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
