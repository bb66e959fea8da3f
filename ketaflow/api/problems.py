"""RFC 9457 problem details: every API error is ``application/problem+json`` with type/title/status/detail.

Details never carry patient data: they are the services' fixed messages or field-level validation errors.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://ketaflow.invalid/problems/"


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, detail: str, *, kind: str = "", headers: Any = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra


def problem_kind(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        412: "precondition-failed",
        422: "validation-error",
        428: "precondition-required",
        429: "too-many-requests",
    }.get(status, "error")


def problem_response(
    request: HttpRequest | None,
    status: int,
    detail: str,
    *,
    kind: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body = {
        "type": TYPE_BASE + (kind or problem_kind(status)),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **({"instance": request.path} if request is not None else {}),
        **extra,
    }
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="ketaflow"'
    return response
