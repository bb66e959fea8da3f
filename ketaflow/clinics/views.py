from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ketaflow.accounts.roles import Perm
from ketaflow.clinics.forms import ChairForm, ClosureForm, LocationForm, OpeningHoursFormSet, RoomForm
from ketaflow.clinics.models import Chair, Closure, Location, Room
from ketaflow.clinics.selectors import SESSION_LOCATION, locations_for_user
from ketaflow.clinics.services import location_child_save, location_update
from ketaflow.core.permissions import WRONG_LOCATION, staff_required


def _managed_location(request: HttpRequest, location_uuid: object) -> Location:
    location = locations_for_user(request.user).filter(uuid=location_uuid).first()
    if location is None:
        raise Http404("No such location.")
    return location


@staff_required(Perm.MANAGE_CLINIC)
def settings_index(request: HttpRequest) -> HttpResponse:
    locations = (
        locations_for_user(request.user)
        .select_related("clinic")
        .prefetch_related("opening_hours", "chairs", "rooms", "closures")
    )
    return render(request, "clinics/settings.html", {"locations": locations})


@staff_required(Perm.MANAGE_CLINIC)
def location_edit(request: HttpRequest, location_uuid: object) -> HttpResponse:
    location = _managed_location(request, location_uuid)
    form = LocationForm(request.POST or None, instance=location)
    hours = OpeningHoursFormSet(request.POST or None, instance=location, prefix="hours")
    if request.method == "POST":
        if form.is_valid() and hours.is_valid():
            try:
                location_update(location=location, form=form, hours_formset=hours, updated_by=request.user)
            except IntegrityError:
                messages.error(request, "Two opening-hour rows start at the same time on the same day.")
            else:
                messages.success(request, f"{location.name} saved.")
                return redirect("clinics:settings")
        else:
            messages.error(request, "Please correct the fields marked below.")
    return render(request, "clinics/location_form.html", {"location": location, "form": form, "hours": hours})


_CHILDREN = {
    "chair": (Chair, ChairForm, "chair"),
    "room": (Room, RoomForm, "room"),
    "closure": (Closure, ClosureForm, "closure or holiday"),
}


@staff_required(Perm.MANAGE_CLINIC)
def child_edit(
    request: HttpRequest, location_uuid: object, kind: str, item_uuid: object = None
) -> HttpResponse:
    if kind not in _CHILDREN:
        raise Http404("Unknown setting.")
    model, form_class, label = _CHILDREN[kind]
    location = _managed_location(request, location_uuid)
    instance = get_object_or_404(model, uuid=item_uuid, location=location) if item_uuid else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            location_child_save(location=location, form=form, saved_by=request.user)
        except IntegrityError:
            form.add_error("label", f"{location.name} already has a {label} with that label.")
        else:
            messages.success(request, f"{label.capitalize()} saved at {location.name}.")
            return redirect("clinics:settings")
    return render(
        request,
        "clinics/child_form.html",
        {"location": location, "form": form, "label": label, "instance": instance},
    )


@require_POST
@staff_required(Perm.VIEW_DASHBOARD)
def switch_location(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("location", "")
    try:
        wanted_uuid = uuid.UUID(wanted)
    except ValueError:
        wanted_uuid = None
    if wanted_uuid is None or not locations_for_user(request.user).filter(uuid=wanted_uuid).exists():
        raise PermissionDenied(WRONG_LOCATION)
    request.session[SESSION_LOCATION] = str(wanted_uuid)
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(nxt)
    return HttpResponseRedirect(reverse("core:dashboard"))
