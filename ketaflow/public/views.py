"""Public pages (no login), the self-screening journey, nearest location, and managers' content editing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from ketaflow.accounts.roles import Perm
from ketaflow.core.permissions import staff_required
from ketaflow.domain import geo
from ketaflow.public import screening, selectors, services
from ketaflow.public.forms import (
    SCREENING_FORMS,
    ConsentForm,
    ContentPageForm,
    FaqEntryForm,
    NearestLocationForm,
    sign_answers,
)
from ketaflow.public.markup import render_markup
from ketaflow.public.models import ContentPage, FaqEntry
from ketaflow.public.ratelimit import ip_hash, rate_limit

CARDS_CACHE_SECONDS = 24 * 3600  # the stamp in the key keeps them fresh; this only frees memory


def _book_url() -> str | None:
    """The booking engine's page, when it is installed (the scheduling app may not have it yet)."""
    try:
        return reverse("scheduling:book")
    except NoReverseMatch:
        return None


# --- information pages ------------------------------------------------------------------------------


def _location_cards() -> str:
    """Every active location's card (address, call/map/book buttons, opening hours) as HTML.

    Rendering twenty cards with their hours costs more than the rest of the page, and they change only when a
    location, its hours or closures change. Those changes move the schedule stamp (scheduling's signals), so the
    HTML is cached under the stamp and is never stale; before the first stamp, or without the scheduling app,
    nothing is cached. The cards need no request (no CSRF token), so one copy serves everyone.
    """
    try:
        from ketaflow.scheduling.selectors import schedule_version
    except ImportError:  # pragma: no cover - the scheduling app is part of every deployment today
        stamp = None
    else:
        stamp = schedule_version()
    key = f"public:location-cards:{stamp}"
    cached = cache.get(key) if stamp is not None else None
    if cached is not None:
        return mark_safe(cached)  # noqa: S308 - our own rendering, stored by this function
    html = render_to_string("public/_location_cards.html", {"locations": list(selectors.public_locations())})
    if stamp is not None:
        cache.set(key, html, CARDS_CACHE_SECONDS)
    return html


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and getattr(request.user, "is_clinic_staff", False):
        return redirect("core:dashboard")
    return render(
        request,
        "public/home.html",
        {"pages": list(selectors.published_pages()), "location_cards": _location_cards()},
    )


def page_index(request: HttpRequest) -> HttpResponse:
    return render(request, "public/page_index.html", {"pages": list(selectors.published_pages())})


def page_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # One query: every published page (a handful) for the side list, the current one picked from it.
    pages = list(selectors.published_pages())
    page = next((p for p in pages if p.slug == slug), None)
    if page is None:
        raise Http404("No such page.")
    return render(
        request,
        "public/page_detail.html",
        {"page": page, "pages": pages, "body_html": render_markup(page.body)},
    )


def faq(request: HttpRequest) -> HttpResponse:
    entries = [(entry, render_markup(entry.answer)) for entry in selectors.published_faq()]
    return render(request, "public/faq.html", {"entries": entries})


# --- nearest location --------------------------------------------------------------------------------


@rate_limit("locations")
def locations(request: HttpRequest) -> HttpResponse:
    """All locations; on POST (ZIP or browser position, never in the URL) ranked nearest first with miles."""
    form = NearestLocationForm(request.POST or None)
    ranked: list[tuple[Any, float]] | None = None
    searched_for = ""
    if request.method == "POST" and form.is_valid():
        locations_list = list(selectors.public_locations())
        data = form.cleaned_data
        try:
            if data["use_position"]:
                ranked = selectors.locations_by_distance(
                    locations_list, position=(data["latitude"], data["longitude"])
                )
                searched_for = "your location"
            else:
                zip_code = data["zip_code"].strip()
                ranked = selectors.locations_by_distance(locations_list, zip_code=zip_code)
                searched_for = f"ZIP code {zip_code[:5]}"
        except geo.GeoError as error:
            field = None if data["use_position"] else "zip_code"
            form.add_error(field, str(error))
    return render(
        request,
        "public/locations.html",
        {
            "form": form,
            "location_cards": "" if ranked else _location_cards(),
            "ranked": ranked,
            "searched_for": searched_for,
        },
        status=200,
    )


# --- self-screening ----------------------------------------------------------------------------------


def screening_start(request: HttpRequest) -> HttpResponse:
    return render(request, "public/screening_start.html", {"crisis_resources": screening.CRISIS_RESOURCES})


def _result_context(outcome: screening.Outcome) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "crisis_resources": screening.CRISIS_RESOURCES,
        "book_url": _book_url(),
        "locations": list(selectors.public_locations()),
    }


@rate_limit("screening")
def screening_questions(request: HttpRequest, path: str) -> HttpResponse:
    form_class = SCREENING_FORMS[path]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_spam():
            # Looks like success to the bot; nothing is evaluated or kept.
            return render(request, "public/screening_received.html", {"book_url": _book_url()})
        outcome = (
            screening.evaluate_depression(form.answers())  # type: ignore[attr-defined]
            if path == screening.DEPRESSION
            else screening.evaluate_pain(form.answers())  # type: ignore[attr-defined]
        )
        # Rendered straight from the POST: the answers are not kept anywhere unless the person consents.
        context = _result_context(outcome)
        context["consent_form"] = ConsentForm(initial={"payload": sign_answers(outcome.answers)})
        return render(request, "public/screening_result.html", context)
    return render(
        request,
        "public/screening_questions.html",
        {"form": form, "path": path, "crisis_resources": screening.CRISIS_RESOURCES},
        status=200,
    )


@rate_limit("screening")
def screening_result(request: HttpRequest) -> HttpResponse:
    """GET: the screening this browser chose to share. POST: store it with consent and go on to booking."""
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            if form.is_spam():
                return render(request, "public/screening_received.html", {"book_url": _book_url()})
            result = services.screening_result_store(
                outcome=form.cleaned_data["payload"], consent_to_store=True, ip_hash=ip_hash(request)
            )
            request.session[services.SESSION_SCREENING_UUID] = str(result.uuid)
            book_url = _book_url()
            if book_url:
                return redirect(book_url)
            return redirect("public:screening_result")
        outcome = form.cleaned_data.get("payload")  # an Outcome when the signed answers were valid
        if not isinstance(outcome, screening.Outcome):
            return render(request, "public/screening_expired.html", {}, status=400)
        context = _result_context(outcome)
        context["consent_form"] = form
        return render(request, "public/screening_result.html", context)
    stored = selectors.screening_by_uuid(request.session.get(services.SESSION_SCREENING_UUID))
    if stored is None:
        return render(request, "public/screening_expired.html", {})
    outcome = screening.evaluate(stored.answers)
    context = _result_context(outcome)
    context["stored"] = stored
    return render(request, "public/screening_result.html", context)


# --- managers: pages and FAQ -------------------------------------------------------------------------


@staff_required(Perm.MANAGE_CONTENT)
def content_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/staff/content_list.html",
        {
            "pages": ContentPage.objects.order_by("order", "title"),
            "faq_entries": FaqEntry.objects.order_by("order", "id"),
        },
    )


def _edit(
    request: HttpRequest,
    *,
    form_class: type[Any],
    instance: Any,
    save: Any,
    kind: str,
    text_field: str,
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    preview_html = None
    if request.method == "POST":
        if "preview" in request.POST:
            preview_html = render_markup(request.POST.get(text_field, ""))
        elif form.is_valid():
            obj = save(form=form, saved_by=request.user)
            messages.success(request, f"{kind.capitalize()} saved{'' if obj.published else ' as a draft'}.")
            return redirect("public:content_list")
        else:
            messages.error(request, "Please correct the fields marked below.")
    if preview_html is None and instance is not None:
        preview_html = render_markup(getattr(instance, text_field))
    return render(
        request,
        "public/staff/content_form.html",
        {
            "form": form,
            "instance": instance,
            "kind": kind,
            "text_field": text_field,
            "preview_html": preview_html,
        },
    )


@staff_required(Perm.MANAGE_CONTENT)
def page_edit(request: HttpRequest, page_uuid: Any = None) -> HttpResponse:
    instance = get_object_or_404(ContentPage, uuid=page_uuid) if page_uuid else None
    return _edit(
        request,
        form_class=ContentPageForm,
        instance=instance,
        save=services.content_page_save,
        kind="page",
        text_field="body",
    )


@staff_required(Perm.MANAGE_CONTENT)
def faq_edit(request: HttpRequest, faq_uuid: Any = None) -> HttpResponse:
    instance = get_object_or_404(FaqEntry, uuid=faq_uuid) if faq_uuid else None
    return _edit(
        request,
        form_class=FaqEntryForm,
        instance=instance,
        save=services.faq_entry_save,
        kind="FAQ entry",
        text_field="answer",
    )


@require_POST
@staff_required(Perm.MANAGE_CONTENT)
def content_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the text as the public page will show it (same renderer). Saves nothing."""
    text = request.POST.get("body", request.POST.get("answer", ""))
    return render(request, "public/staff/content_form.html#preview", {"preview_html": render_markup(text)})
