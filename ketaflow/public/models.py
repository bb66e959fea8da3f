"""Public-site content (pages and FAQ, edited by managers) and consented self-screening results."""

from __future__ import annotations

from django.db import models

from ketaflow.core.models import PublicModel, TrackedModel


class ContentPage(TrackedModel):
    """A public information page. ``body`` is restricted Markdown (no raw HTML), see ``markup.py``."""

    slug = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=150)
    summary = models.CharField(
        max_length=300, help_text="One or two sentences shown in lists and on the home page."
    )
    body = models.TextField(
        help_text="Paragraphs separated by a blank line. ## Heading, - bullet, **bold**, [link text](https://...)."
    )
    published = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class FaqEntry(TrackedModel):
    question = models.CharField(max_length=250)
    answer = models.TextField(help_text="Restricted Markdown, as on content pages.")
    published = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question


class ScreeningResult(PublicModel):
    """A self-screening the person chose to share (consent given), for the front-desk inbox and booking."""

    class Path(models.TextChoices):
        DEPRESSION = "depression", "Depression"
        PAIN = "pain", "Chronic pain"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        BOOKED = "booked", "Booked"
        NOT_A_CANDIDATE = "not_a_candidate", "Not a candidate"

    path = models.CharField(max_length=20, choices=Path.choices)
    answers = models.JSONField()
    summary = models.CharField(max_length=500)
    scores = models.JSONField(default=dict)
    red_flags = models.JSONField(default=list)
    suicidality = models.BooleanField(default=False)
    consultation_worthwhile = models.BooleanField(default=False)
    consent_to_store = models.BooleanField(default=False)
    rules_version = models.CharField(max_length=20)
    # SHA-256 of the client IP with the secret key: lets staff spot floods without keeping the address.
    ip_hash = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_to_store=True), name="screening_stored_with_consent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_path_display()} screening {self.created_at:%Y-%m-%d %H:%M}"
