from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketaflow.clinics.selectors import active_locations_with_details


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and getattr(request.user, "is_clinic_staff", False):
        return redirect("core:dashboard")
    return render(request, "public/home.html", {"locations": active_locations_with_details()})
