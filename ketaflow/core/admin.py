from django.contrib import admin

from ketaflow.core.admin_site import ReadOnlyModelAdmin
from ketaflow.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ["occurred_at", "actor_label", "role", "action", "object_type", "location", "ip_address"]
    list_filter = ["action", "role", "location"]
    search_fields = ["actor_label", "object_uuid", "patient_uuid", "request_id"]
    date_hierarchy = "occurred_at"
