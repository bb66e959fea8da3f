"""API tokens (hashed at rest), idempotency records for booking writes, and clinicians' calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaflow.core.models import PublicModel

#: Every scope a token may carry. A scope narrows what the token's user may do; it never widens it.
SCOPES: dict[str, str] = {
    "read:schedule": "Read locations, consultation types, free times and appointments",
    "write:schedule": "Book, change and cancel appointments",
    "read:clinical": "Read patients and their chart (demographics, measurements, diagnoses, questionnaires)",
    "write:clinical": "Change patient demographics",
    "read:ledger": "Read the controlled-substance ledger",
    "read:audit": "Read the audit log",
}


class ApiToken(PublicModel):
    """A scoped bearer token acting as ``user``. Only the SHA-256 of the secret is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="The first characters of the token, to recognise it.")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.CharField(max_length=300, help_text="Comma-separated scopes.")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyRecord(models.Model):
    """The stored answer to one POST carrying an ``Idempotency-Key``, replayed when the key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status_code})"


class CalendarFeed(PublicModel):
    """A clinician's private calendar feed. The secret lives only in the feed URL; its SHA-256 is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    rotated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"
