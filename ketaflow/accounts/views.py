from __future__ import annotations

import binascii
import os

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.forms import TotpForm
from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Role
from ketaflow.accounts.services import totp_base32, totp_device_for
from ketaflow.core.audit import Action, audit

SESSION_PENDING_KEY = "ketaflow_pending_totp_key"


def _home_for(user: User) -> str:
    return reverse("core:portal") if user.role == Role.PATIENT else reverse("core:dashboard")


def _safe_next(request: HttpRequest, user: User) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        return nxt
    return _home_for(user)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        user = self.request.user
        if getattr(user, "is_clinic_staff", False) and not getattr(user, "is_verified", lambda: False)():
            nxt = self.get_redirect_url()
            target = reverse("accounts:otp") if totp_device_for(user) else reverse("accounts:otp_setup")  # type: ignore[arg-type]
            return f"{target}?next={nxt}" if nxt else target
        return self.get_redirect_url() or _home_for(user)  # type: ignore[arg-type]


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.is_verified():  # type: ignore[attr-defined]
        return HttpResponseRedirect(_safe_next(request, user))
    device = totp_device_for(user)
    if device is None:
        return HttpResponseRedirect(reverse("accounts:otp_setup"))
    form = TotpForm(request.POST or None, device=device)
    if request.method == "POST":
        if form.is_valid():
            otp_login(request, device)
            audit(Action.LOGIN, actor=user, detail="second factor verified")
            return HttpResponseRedirect(_safe_next(request, user))
        audit(Action.LOGIN_FAILED, actor=user, detail="wrong TOTP code")
    return render(request, "accounts/otp.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First log-in of a staff member without an authenticator: show a new secret and confirm one code."""
    user: User = request.user  # type: ignore[assignment]
    if totp_device_for(user) is not None:
        return HttpResponseRedirect(reverse("accounts:otp"))
    key_hex = request.session.get(SESSION_PENDING_KEY)
    if not key_hex:
        key_hex = binascii.hexlify(os.urandom(20)).decode()
        request.session[SESSION_PENDING_KEY] = key_hex
    device = TOTPDevice(user=user, name="Authenticator app", key=key_hex, confirmed=False)
    form = TotpForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save()
        del request.session[SESSION_PENDING_KEY]
        otp_login(request, device)
        audit(
            Action.CREATE,
            actor=user,
            obj=user,
            object_type="accounts.TOTPDevice",
            detail="authenticator enrolled",
        )
        messages.success(request, "Your authenticator app is set up.")
        return HttpResponseRedirect(_safe_next(request, user))
    secret = totp_base32(device)
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111")
    return render(request, "accounts/otp_setup.html", {"form": form, "secret": secret, "qr_svg": qr_svg})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit(Action.LOGOUT, actor=request.user)
    logout(request)
    messages.info(request, "You are logged out.")
    return HttpResponseRedirect(reverse("accounts:login"))


def locked_out(
    request: HttpRequest, credentials: dict[str, str] | None = None, *args: object, **kwargs: object
) -> HttpResponse:
    return render(request, "accounts/locked.html", status=429)


password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/password_reset.html",
    email_template_name="accounts/password_reset_email.txt",
    subject_template_name="accounts/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
