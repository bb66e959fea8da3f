from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from ketaflow.accounts.roles import Perm


class KetaflowAdminSite(admin.AdminSite):
    """Django admin for clinic managers only, after their second factor."""

    site_header = "Ketaflow administration"
    site_title = "Ketaflow admin"
    index_title = "Clinic data"

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        from django.conf import settings

        verified = settings.DEMO_MODE or user.is_verified()
        return bool(verified and user.has_role_perm(Perm.USE_ADMIN))

    def login(self, request: HttpRequest, extra_context: Any = None) -> Any:
        """No separate admin log-in: staff log in (with TOTP) through Ketaflow; others get 403."""
        if request.user.is_authenticated:
            raise PermissionDenied("The admin is for clinic managers.")
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.GET.get("next", "/django-admin/"))


class KetaflowAdminConfig(AdminConfig):
    default_site = "ketaflow.core.admin_site.KetaflowAdminSite"


class ManagerModelAdmin(admin.ModelAdmin):
    """Managers may view, add and change; nobody deletes through the admin."""

    def _is_manager(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser or user.has_role_perm(Perm.USE_ADMIN))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_manager(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_manager(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyModelAdmin(ManagerModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
