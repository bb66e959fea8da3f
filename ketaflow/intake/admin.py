"""Only consent-form versions appear in the admin, read-only: managers publish them on the Consent forms page
(which versions them). Patient data stays out of the admin, where reads would not be audited."""

from django.contrib import admin

from ketaflow.core.admin_site import ReadOnlyModelAdmin
from ketaflow.intake.models import ConsentTemplate


@admin.register(ConsentTemplate)
class ConsentTemplateAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "pathway", "version", "status", "created_at"]
    list_filter = ["pathway", "status"]
