from django.contrib import admin

from ketaflow.accounts.models import User
from ketaflow.core.admin_site import ManagerModelAdmin


@admin.register(User)
class UserAdmin(ManagerModelAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "locations"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "prescriber_type",
        "license_number",
        "phone",
        "locations",
        "is_active",
    ]
    filter_horizontal = ["locations"]
