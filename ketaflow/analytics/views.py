"""Analytics pages: the dashboard shell, one htmx fragment per panel, CSV per panel, durability, research export.

Filters are validated before anything runs: an end before the start or a location the user does not cover is a
form error with status 400 and no panel query.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.analytics import charts, research
from ketaflow.analytics.durability import GROUPINGS, OUTCOMES, durability_records
from ketaflow.analytics.forms import AnalyticsFilterForm, ResearchExportForm
from ketaflow.analytics.selectors import PANEL_TITLES, PANELS, Panel
from ketaflow.clinics.selectors import allowed_locations
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm, staff_required

BAD_REQUEST = 400


def _form(request: HttpRequest) -> AnalyticsFilterForm:
    return AnalyticsFilterForm(request.GET, user=request.user, allowed=allowed_locations(request))


def _slug(slug: str) -> str:
    if slug not in PANELS:
        raise Http404("No such panel.")
    return slug


@staff_required(Perm.VIEW_ANALYTICS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"form": form, "panels": []}
    if not form.is_valid():
        return render(request, "analytics/dashboard.html", context, status=BAD_REQUEST)
    context["filters"] = form.filters()
    context["query"] = form.query()
    context["panels"] = list(PANEL_TITLES.items())
    return render(request, "analytics/dashboard.html", context)


def _panel_context(panel: Panel, query: str) -> dict[str, Any]:
    return {
        "panel": panel,
        "query": query,
        "chart_src": charts.data_uri(charts.panel_chart_svg(panel)),
        "table": [[row.get(key) for key, _ in panel.columns] for row in panel.rows],
    }


@staff_required(Perm.VIEW_ANALYTICS)
def panel(request: HttpRequest, slug: str) -> HttpResponse:
    """One panel: an htmx fragment for the dashboard, or a page of its own without JavaScript."""
    slug = _slug(slug)
    form = _form(request)
    template = "analytics/panel.html#panel" if request.htmx else "analytics/panel.html"  # type: ignore[attr-defined]
    if not form.is_valid():
        return render(
            request, template, {"form": form, "title": PANEL_TITLES[slug], "panel": None}, status=BAD_REQUEST
        )
    result = PANELS[slug](form.filters())
    context = {"form": form, "title": result.title, **_panel_context(result, form.query())}
    return render(request, template, context)


@staff_required(Perm.VIEW_ANALYTICS)
def panel_csv(request: HttpRequest, slug: str) -> HttpResponse:
    slug = _slug(slug)
    form = _form(request)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=BAD_REQUEST, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    result = PANELS[slug](filters)
    audit(
        Action.EXPORT,
        object_type="analytics.panel",
        detail=f"{slug} CSV {filters.start}..{filters.end} at {', '.join(sorted(filters.names.values()))}",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in result.columns])
    for row in result.rows:
        writer.writerow(["" if row.get(key) is None else row.get(key) for key, _ in result.columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ketaflow-{slug}-{filters.start}-{filters.end}.csv"'
    )
    return response


@staff_required(Perm.VIEW_ANALYTICS)
def durability(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    outcome = request.GET.get("outcome") or "depression"
    grouping = request.GET.get("group") or "overall"
    context: dict[str, Any] = {
        "form": form,
        "outcomes": {k: v[0] for k, v in OUTCOMES.items()},
        "groupings": GROUPINGS,
        "outcome": outcome,
        "grouping": grouping,
        "result": None,
    }
    choice_errors = []
    if outcome not in OUTCOMES:
        choice_errors.append("Choose depression or pain relief (NRS or PEG-3).")
    if grouping not in GROUPINGS:
        choice_errors.append("Choose how to group the curves.")
    context["choice_errors"] = choice_errors
    if not form.is_valid() or choice_errors:
        return render(request, "analytics/durability.html", context, status=BAD_REQUEST)
    result = durability_records(form.filters(), outcome=outcome, grouping=grouping)
    context["result"] = result
    context["chart_src"] = charts.data_uri(
        charts.km_chart_svg(result.summaries, title=f"{OUTCOMES[outcome][0]}: time to relapse")
    )
    return render(request, "analytics/durability.html", context)


@staff_required(Perm.VIEW_ANALYTICS)
def research_export(request: HttpRequest) -> HttpResponse:
    """Managers only: download the de-identified dataset of their locations (audited)."""
    ensure_perm(request.user, Perm.MANAGE_CLINIC)
    locations = allowed_locations(request)
    form = ResearchExportForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "analytics/research.html", {"form": form, "locations": locations}, status=400
            )
        fmt = form.cleaned_data["format"]
        ids = [loc.pk for loc in locations]
        buffer = io.BytesIO()
        stamp = timezone.localdate().isoformat()
        if fmt == "csv":
            counts = research.write_csv_zip(buffer, location_ids=ids)
            response = HttpResponse(buffer.getvalue(), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="ketaflow-research-{stamp}.zip"'
        else:
            counts = research.write_fhir(buffer, location_ids=ids)
            response = HttpResponse(buffer.getvalue(), content_type="application/fhir+json")
            response["Content-Disposition"] = f'attachment; filename="ketaflow-research-{stamp}.json"'
        audit(
            Action.EXPORT,
            object_type="analytics.research_export",
            detail=f"research export {fmt} ({research.EXPORT_VERSION}) at "
            f"{', '.join(loc.name for loc in locations)}: "
            + ", ".join(f"{k} {v}" for k, v in counts.items()),
        )
        return response
    return render(request, "analytics/research.html", {"form": form, "locations": locations})
