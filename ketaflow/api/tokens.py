"""Services for API tokens and calendar feed tokens: create, authenticate, revoke, rotate."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm
from ketaflow.api.models import SCOPES, ApiToken, CalendarFeed
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm

TOKEN_PREFIX = "kf_"
MAX_DAYS = 366
UNKNOWN_SCOPE = "unknown scope {scope!r}; known scopes: {known}"
NO_SCOPES = "give at least one scope"
BAD_DAYS = f"--days must be between 1 and {MAX_DAYS}"
INACTIVE_USER = "user {username!r} is not active"


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    scopes = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    if not scopes:
        raise ValueError(NO_SCOPES)
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(UNKNOWN_SCOPE.format(scope=scope, known=", ".join(SCOPES)))
    return sorted(set(scopes))


@transaction.atomic
def api_token_create(
    *, user: User, scopes: list[str] | str, days: int, created_by: Any = None, name: str = ""
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw secret, which is shown once and never stored.

    ``created_by=None`` means the ``ketaflow api_token`` command (operator access to the server).
    """
    if created_by is not None:
        ensure_perm(created_by, Perm.MANAGE_STAFF)
    scope_list = parse_scopes(scopes)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(BAD_DAYS)
    if not user.is_active:
        raise ValueError(INACTIVE_USER.format(username=user.username))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:10],
        token_sha256=sha256(raw),
        scopes=",".join(scope_list),
        expires_at=timezone.now() + dt.timedelta(days=days),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    audit(
        Action.CREATE,
        actor=created_by,
        obj=token,
        actor_label="" if created_by else "command line",
        detail=f"API token for {user.username}: {token.scopes}, {days} days",
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, revoked_by: Any = None) -> ApiToken:
    if revoked_by is not None:
        ensure_perm(revoked_by, Perm.MANAGE_STAFF)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit(
            Action.UPDATE,
            actor=revoked_by,
            obj=token,
            actor_label="" if revoked_by else "command line",
            detail="API token revoked",
        )
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token for a raw secret, or None (unknown, revoked, expired, or user inactive)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(token_sha256=sha256(raw)).first()
    if token is None or not token.is_live or not token.user.is_active:
        return None
    now = timezone.now()
    # Write last use at most once a minute, not on every request.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


FEED_NOT_ALLOWED = "Calendar feeds are for staff who see the schedule."


@transaction.atomic
def calendar_feed_rotate(*, user: Any) -> str:
    """Give ``user`` a new feed secret (the old feed URL stops working at once). Returns the raw secret."""
    if not user.is_authenticated or not user.has_role_perm(Perm.VIEW_SCHEDULE):
        raise PermissionDenied(FEED_NOT_ALLOWED)
    raw = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_sha256": sha256(raw), "rotated_at": timezone.now()}
    )
    audit(Action.UPDATE, actor=user, object_type="api.CalendarFeed", detail="calendar feed link rotated")
    return raw


def calendar_feed_user(raw: str) -> User | None:
    if not raw or len(raw) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_sha256=sha256(raw)).first()
    if feed is None or not feed.user.is_active or not feed.user.has_role_perm(Perm.VIEW_SCHEDULE):
        return None
    return feed.user
