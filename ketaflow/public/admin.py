from django.contrib import admin

from ketaflow.public.models import ContentPage, FaqEntry, ScreeningResult


@admin.register(ContentPage)
class ContentPageAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published", "order", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "slug"]


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["question", "published", "order", "updated_at"]
    list_filter = ["published"]


@admin.register(ScreeningResult)
class ScreeningResultAdmin(admin.ModelAdmin):
    """Read-only here: the front-desk inbox (scheduling app) changes the status."""

    list_display = ["created_at", "path", "summary", "suicidality", "status"]
    list_filter = ["path", "status", "suicidality"]
    readonly_fields = [f.name for f in ScreeningResult._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
