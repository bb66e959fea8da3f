from django.contrib import admin

from ketaflow.clinics.models import Chair, Clinic, Closure, Location, OpeningHours, Room
from ketaflow.core.admin_site import ManagerModelAdmin


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True


@admin.register(Location)
class LocationAdmin(ManagerModelAdmin):
    list_display = ["name", "city", "zip_code", "phone", "is_active"]
    inlines = [OpeningHoursInline]
    prepopulated_fields = {"slug": ["name"]}


admin.site.register(Clinic, ManagerModelAdmin)
admin.site.register(Chair, ManagerModelAdmin)
admin.site.register(Room, ManagerModelAdmin)
admin.site.register(Closure, ManagerModelAdmin)
