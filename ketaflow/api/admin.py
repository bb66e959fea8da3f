"""API tokens in the Django admin (managers): create (the secret is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from ketaflow.accounts.models import User
from ketaflow.api.models import SCOPES, ApiToken
from ketaflow.api.tokens import api_token_create, api_token_revoke


class ApiTokenCreateForm(forms.ModelForm):
    scope_choices = forms.MultipleChoiceField(
        choices=list(SCOPES.items()), widget=forms.CheckboxSelectMultiple, label="Scopes"
    )
    days = forms.IntegerField(min_value=1, max_value=366, initial=90, label="Valid for (days)")
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"))

    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "scopes", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    actions = ["revoke"]
    readonly_fields = [
        "prefix",
        "user",
        "name",
        "scopes",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_by",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
            kwargs["fields"] = ["user", "name", "scope_choices", "days"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row stays for the audit trail

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and obj is None

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            form = ApiTokenCreateForm(request.POST)
            if form.is_valid():
                token, raw = api_token_create(
                    user=form.cleaned_data["user"],
                    scopes=form.cleaned_data["scope_choices"],
                    days=form.cleaned_data["days"],
                    created_by=request.user,
                    name=form.cleaned_data.get("name", ""),
                )
                # Rendered directly (not via a redirect and a message) so the secret never sits in a cookie.
                context = {
                    **self.admin_site.each_context(request),
                    "token": token,
                    "raw": raw,
                    "opts": self.opts,
                }
                response = TemplateResponse(request, "api/token_created.html", context)
                response["Cache-Control"] = "no-store"
                return response
        return super().add_view(request, form_url, extra_context)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset:
            api_token_revoke(token=token, revoked_by=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
