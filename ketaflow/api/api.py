"""The REST API at /api/v1/: one NinjaAPI, one router module per business area (``ketaflow/api/routers``).

Routes are thin: they check the token's scope, call the apps' selectors and services (which decide
permissions and write the audit log) and shape the answer. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import ninja
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.throttling import AuthRateThrottle

from ketaflow.api.auth import SessionAuth, TokenAuth
from ketaflow.api.models import SCOPES
from ketaflow.api.problems import PROBLEM_MEDIA_TYPE, Problem, problem_response
from ketaflow.scheduling.services import BookingError

logger = logging.getLogger("ketaflow.api")

NOT_FOUND = "Not found."
NOT_AUTHENTICATED = "Authenticate with a bearer token (Authorization: Bearer kf_...) or a session."
SERVER_ERROR = "Something went wrong on our side. Quote the request id to support."

DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "swagger-ui.css": "text/css",
}
NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"

DESCRIPTION = """Ketaflow's REST API. Authenticate with a scoped bearer token (`Authorization: Bearer kf_...`,
created by a manager in the admin or with `ketaflow api_token create`) or, from the browser, with the session
cookie plus the `X-CSRFToken` header on writes. Every error is an RFC 9457 problem document
(`application/problem+json`). Lists use keyset pagination: pass `next_cursor` back as `cursor`.

Scopes: """ + "; ".join(f"`{k}` {v.lower()}" for k, v in SCOPES.items())

COMMON_ERRORS = (400, 401, 403, 404, 422, 429)
WRITE_ERRORS = (409, 412, 428)


class CspSafeSwagger(DocsBase):
    """Swagger UI from our own origin with no inline script, so the strict CSP stays untouched."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        import json

        settings = {"layout": "BaseLayout", "deepLinking": True, "url": reverse("api:openapi-json")}
        return render(request, "api/docs.html", {"api": api, "swagger_settings": json.dumps(settings)})


def docs_asset(request: HttpRequest, asset: str) -> HttpResponse:
    if asset not in DOCS_ASSETS:
        raise Http404(NOT_FOUND)
    response = FileResponse((NINJA_STATIC / asset).open("rb"), content_type=DOCS_ASSETS[asset])
    response["Cache-Control"] = "public, max-age=86400"
    return response


def api_root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return JsonResponse(
        {
            "openapi": reverse("api:openapi-json"),
            "docs": reverse("api:openapi-view"),
            "fhir": "/fhir/R4/metadata",
        }
    )


class KetaflowAPI(NinjaAPI):
    def get_operation_url_name(self, operation: Any, router: Any) -> str:
        # API routes are addressed by path, not by Django URL name; their authorization matrix is
        # ketaflow/api/tests/test_authorization_matrix.py (every route × persona × token scope).
        return None  # type: ignore[return-value]

    def _get_urls(self) -> list[Any]:
        urls = [u for u in super()._get_urls() if getattr(u, "name", None) != "api-root"]
        return [
            *urls,
            path("docs/assets/<str:asset>", docs_asset, name="docs_asset"),
            path("", api_root, name="api-root"),
        ]

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
            },
            "additionalProperties": True,
        }
        problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for methods in schema["paths"].values():
            for method, operation in methods.items():
                # ninja keys responses by int; JSON needs one string key per status (no duplicates).
                responses = {str(code): value for code, value in operation.get("responses", {}).items()}
                operation["responses"] = responses
                codes = COMMON_ERRORS + (WRITE_ERRORS if method in ("post", "patch", "put", "delete") else ())
                for code in codes:
                    responses.setdefault(str(code), {"description": "Problem"})
                for code, response in responses.items():
                    if int(code) >= 400:
                        response["content"] = problem
                        response["description"] = response.get("description") or "Problem"
        return schema


api = KetaflowAPI(
    title="Ketaflow API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    docs=CspSafeSwagger(),
    docs_url="/docs",
    throttle=[AuthRateThrottle("1200/m")],
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc.status, exc.detail, kind=exc.kind, headers=exc.headers, **exc.extra)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(request, 401, NOT_AUTHENTICATED)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem_response(request, exc.status_code, str(exc))


@api.exception_handler(ValidationError)
def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors
    ]
    return problem_response(request, 422, "The request is not valid: see errors.", errors=errors)


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return problem_response(request, 422, "; ".join(exc.messages))


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(request, 403, str(exc) or "You do not have permission to do that.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, 404, NOT_FOUND)


@api.exception_handler(BookingError)
def _booking(request: HttpRequest, exc: BookingError) -> HttpResponse:
    alternatives = [
        {"starts_at": slot.start.isoformat(), "ends_at": slot.end.isoformat()} for slot in exc.alternatives
    ]
    return problem_response(request, 409, exc.message, kind="booking-conflict", alternatives=alternatives)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Log the exception type and request id only: messages may carry values from the request.
    logger.error(
        "api error %s (request %s)", type(exc).__name__, getattr(request, "request_id", ""), exc_info=False
    )
    logger.debug("api error detail", exc_info=exc)
    return problem_response(request, 500, SERVER_ERROR, request_id=getattr(request, "request_id", ""))


def _register_routers() -> None:
    from ketaflow.api.routers import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


_register_routers()
