"""ETags and If-Match for updates; Idempotency-Key for booking POSTs."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from ketaflow.api.models import IdempotencyRecord
from ketaflow.api.problems import Problem

IF_MATCH_REQUIRED = "This update needs an If-Match header with the ETag from your last read."
STALE = "The resource changed since you read it: read it again and retry with the new ETag."
KEY_REUSED = "This Idempotency-Key was already used with a different request body."
KEY_IN_FLIGHT = "A request with this Idempotency-Key is still being processed."


#: Fields that some services change with ``.update()`` (which leaves ``updated_at`` alone).
ETAG_EXTRA_FIELDS = ("status", "inbox_status", "starts_at", "provider_id", "revoked_at")


def etag_for(obj: Any) -> str:
    """A strong ETag from the row's public id, its last change and its state fields."""
    extra = [str(getattr(obj, name, "")) for name in ETAG_EXTRA_FIELDS]
    raw = ":".join([str(obj.uuid), obj.updated_at.isoformat(), *extra])
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(request: HttpRequest, obj: Any) -> None:
    header = request.headers.get("If-Match")
    if not header:
        raise Problem(428, IF_MATCH_REQUIRED)
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in wanted and etag_for(obj) not in wanted:
        raise Problem(412, STALE)


def _request_hash(request: HttpRequest) -> str:
    body = request.body or b""
    # The same JSON with other whitespace or key order is the same request.
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def idempotent(request: HttpRequest, key: str, make: Callable[[], HttpResponse]) -> HttpResponse:
    """Run ``make`` once per (user, key): a repeat with the same body replays the stored answer.

    Only successful answers (2xx) and conflicts (409) are stored; a 4xx from validation or permissions is
    not, so a corrected retry with the same key can still succeed.
    """
    user = request.user
    digest = _request_hash(request)
    existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if existing is not None:
        if existing.request_sha256 != digest or existing.path != request.path:
            raise Problem(422, KEY_REUSED, kind="idempotency-key-reused")
        replay = HttpResponse(existing.body, status=existing.status_code, content_type=existing.content_type)
        replay["Idempotent-Replayed"] = "true"
        return replay
    response = make()
    if 200 <= response.status_code < 300 or response.status_code == 409:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=request.method or "POST",
                    path=request.path,
                    request_sha256=digest,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content.decode(),
                )
        except IntegrityError as exc:  # a concurrent request with the same key won the race
            raise Problem(409, KEY_IN_FLIGHT) from exc
    return response
