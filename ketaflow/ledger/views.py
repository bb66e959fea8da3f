"""Ledger screens: thin over selectors (reads) and services (writes). docs/ledger.md maps each to its rule."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.paging import seek_page
from ketaflow.core.permissions import ensure_perm, staff_required
from ketaflow.domain import ledger as dl
from ketaflow.ledger import selectors, services
from ketaflow.ledger.forms import (
    AdministerForm,
    CorrectForm,
    CountForm,
    DestroyForm,
    DiscrepancyForm,
    DrawForm,
    IncidentForm,
    IncidentUpdateForm,
    InventoryForm,
    ReceiptForm,
    ReportFilterForm,
    ReturnForm,
    StateForm,
    TransferForm,
    WasteForm,
)
from ketaflow.ledger.models import Discrepancy, Incident, Inventory, LedgerLine, StockCount
from ketaflow.ledger.pdf import pdf_response

FIX_FIELDS = "Nothing was saved. Please correct the fields marked below."
POST_GET = require_http_methods(["GET", "POST"])
NOUNS = {"administer": "Administration", "waste": "Waste", "return": "Return"}


def _location(request: HttpRequest) -> Any:
    location = getattr(request, "location", None)
    if not location:
        raise Http404("You are not assigned to a location.")
    return location


def _refuse(request: HttpRequest, form: Any, refusal: services.LedgerRefusal) -> None:
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)
    messages.error(request, FIX_FIELDS)


# -- overview and reports --------------------------------------------------------------------------------------
@staff_required(Perm.VIEW_LEDGER)
def home(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    overview = selectors.stock_overview(location)
    return render(
        request,
        "ledger/home.html",
        {"location": location, "o": overview, "reports": selectors.REPORTS, "today": timezone.localdate()},
    )


@staff_required(Perm.VIEW_LEDGER)
def report(request: HttpRequest, report: str) -> HttpResponse:
    if report not in selectors.REPORTS:
        raise Http404("No such report.")
    location = _location(request)
    title = selectors.REPORTS[report][0]
    form = ReportFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    lines = selectors.report_lines(
        location=location,
        report=report,
        product=filters.get("product"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        session=filters.get("session") or "",
    )
    fmt = request.GET.get("format")
    if fmt in ("csv", "pdf") and not (form.is_bound and form.errors):
        audit(Action.EXPORT, object_type="ledger.LedgerLine", location=location, detail=f"{report} {fmt}")
        if fmt == "csv":
            return _csv(lines, f"ketaflow-{report}-{location.slug}.csv")
        return pdf_response(
            "ledger/pdf/report.html",
            {
                "title": title,
                "location": location,
                "lines": list(lines[:5000]),
                "filters": filters,
                "generated_at": timezone.localtime(timezone.now(), location.tz),
            },
            f"ketaflow-{report}-{location.slug}.pdf",
        )
    page = seek_page(lines, request.GET.get("page"), 100)
    return render(
        request,
        "ledger/report.html",
        {
            "title": title,
            "report": report,
            "reports": selectors.REPORTS,
            "form": form,
            "page": page,
            "location": location,
            "query": request.GET.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "occurred_at",
    "kind",
    "product",
    "ndc",
    "container",
    "lot",
    "expires_on",
    "quantity",
    "unit",
    "quantity_mg",
    "session_label",
    "session_uuid",
    "actor",
    "witness",
    "second_witness",
    "reason",
    "container_before",
    "container_after",
    "product_before",
    "product_after",
    "supplier",
    "supplier_dea",
    "invoice",
    "line_uuid",
    "corrects",
]


def _csv(lines: Any, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Any:
        yield writer.writerow(CSV_HEADER)
        for x in lines.iterator(chunk_size=2000):
            r = x.receipt
            yield writer.writerow(
                [
                    x.occurred_at.isoformat(),
                    x.kind,
                    x.product.name,
                    x.product.ndc,
                    x.container.label,
                    x.container.lot.lot_number,
                    x.container.lot.expires_on,
                    x.quantity,
                    x.unit,
                    x.quantity_mg if x.quantity_mg is not None else "",
                    x.session_label,
                    x.session_uuid or "",
                    x.actor.username,
                    x.witness.username if x.witness else "",
                    x.second_witness.username if x.second_witness else "",
                    x.reason,
                    x.container_before,
                    x.container_after,
                    x.product_before,
                    x.product_after,
                    r.supplier_name if r else "",
                    r.supplier_dea_number if r else "",
                    r.invoice_number if r else "",
                    x.uuid,
                    x.corrects_id or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- receipts ------------------------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def receive(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = ReceiptForm(request.POST or None, location=location)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                receipt = services.receipt_record(
                    location=location,
                    storage=d["storage"],
                    supplier_name=d["supplier_name"],
                    supplier_address=d["supplier_address"],
                    supplier_dea_number=d["supplier_dea_number"],
                    invoice_number=d["invoice_number"],
                    received_on=d["received_on"],
                    product=d["product"],
                    lot_number=d["lot_number"],
                    expires_on=d["expires_on"],
                    container_count=d["container_count"],
                    quantity_per_container=d["quantity_per_container"],
                    received_by=request.user,
                    note=d["note"],
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(
                    request,
                    f"Received {d['container_count']} containers on invoice {receipt.invoice_number}.",
                )
                return redirect("ledger:home")
        else:
            messages.error(request, FIX_FIELDS)
    return render(request, "ledger/form.html", {"form": form, "title": "Receive stock", "location": location})


# -- one container -------------------------------------------------------------------------------------------------
@staff_required(Perm.VIEW_LEDGER)
def container_detail(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    container = selectors.get_container(request.user, container_uuid)
    lines = list(selectors.lines_for_container(container))
    return render(
        request,
        "ledger/container.html",
        {"c": container, "lines": lines, "sessions": selectors.held_sessions(container)},
    )


@staff_required(Perm.DRAW_CONTROLLED)
@POST_GET
def draw(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    container = selectors.get_container(request.user, container_uuid)
    form = DrawForm(request.POST or None, container=container)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                line = services.container_draw(
                    container=container,
                    quantity=d["quantity"],
                    session_uuid=d["session_uuid"],
                    session_label=d["session_label"],
                    drawn_by=request.user,
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, f"Drew {line.quantity} {line.unit} from {container.label}.")
                url = reverse("ledger:use", kwargs={"container_uuid": container.uuid})
                return redirect(f"{url}?session={line.session_key}")
        else:
            messages.error(request, FIX_FIELDS)
    return render(
        request, "ledger/form.html", {"form": form, "title": f"Draw from {container.label}", "c": container}
    )


@staff_required(Perm.DRAW_CONTROLLED)
@POST_GET
def use(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    """Administer, waste (with a witness) or return what one session drew from a container."""
    container = selectors.get_container(request.user, container_uuid)
    session_key = (request.POST.get("session") or request.GET.get("session") or "").strip()
    if not session_key:
        raise Http404("Name the session.")
    action = request.POST.get("action", "")
    administer = AdministerForm(request.POST if action == "administer" else None, prefix="administer")
    waste = WasteForm(request.POST if action == "waste" else None, prefix="waste")
    give_back = ReturnForm(request.POST if action == "return" else None, prefix="return")
    if request.method == "POST":
        form = {"administer": administer, "waste": waste, "return": give_back}.get(action)
        if form is None:
            raise Http404("Unknown action.")
        if form.is_valid():
            d = form.cleaned_data
            try:
                if action == "administer":
                    services.container_administer(
                        container=container,
                        session_key=session_key,
                        quantity=d["quantity"],
                        administered_by=request.user,
                    )
                elif action == "return":
                    services.container_return(
                        container=container,
                        session_key=session_key,
                        quantity=d["quantity"],
                        returned_by=request.user,
                    )
                else:
                    witness = services.witness_authenticate(
                        username=d["witness_username"],
                        password=d["witness_password"],
                        token=d["witness_token"],
                        actor=request.user,
                        location_id=container.location_id,
                    )
                    services.container_waste(
                        container=container,
                        session_key=session_key,
                        quantity=d["quantity"],
                        wasted_by=request.user,
                        witness=witness,
                        reason=d["reason"],
                    )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(
                    request, f"{NOUNS[action]} of {d['quantity']} {container.product.unit} recorded."
                )
                url = reverse("ledger:use", kwargs={"container_uuid": container.uuid})
                return redirect(f"{url}?session={session_key}")
        else:
            messages.error(request, FIX_FIELDS)
        container = selectors.get_container(request.user, container_uuid)
    held = format(Decimal(container.in_use.get(session_key, "0")).normalize(), "f")
    label = session_key.removeprefix("label:")
    return render(
        request,
        "ledger/use.html",
        {
            "c": container,
            "session_key": session_key,
            "session_label": label,
            "held": held,
            "administer": administer,
            "waste": waste,
            "give_back": give_back,
            "unit": container.product.unit,
        },
    )


def _simple(
    request: HttpRequest,
    container_uuid: Any,
    form_class: Any,
    title: str,
    act: Any,
    done: str,
    **form_kwargs: Any,
) -> HttpResponse:
    container = selectors.get_container(request.user, container_uuid)
    if form_kwargs.pop("with_container", False):
        form_kwargs["container"] = container
    form = form_class(request.POST or None, **form_kwargs)
    if request.method == "POST":
        if form.is_valid():
            try:
                act(container, form.cleaned_data)
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, done.format(label=container.label))
                return redirect("ledger:container", container_uuid=container.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(
        request,
        "ledger/form.html",
        {"form": form, "title": title.format(label=container.label), "c": container},
    )


@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def transfer(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    def act(c: Any, d: dict[str, Any]) -> None:
        services.container_transfer(container=c, to_storage=d["to_storage"], moved_by=request.user)

    return _simple(
        request, container_uuid, TransferForm, "Move {label}", act, "{label} moved.", with_container=True
    )


@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def state_change(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    def act(c: Any, d: dict[str, Any]) -> None:
        services.container_state_change(
            container=c, to_state=d["to_state"], reason=d["reason"], changed_by=request.user
        )

    return _simple(
        request, container_uuid, StateForm, "Quarantine, expire or release {label}", act, "{label} updated."
    )


@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def destroy(request: HttpRequest, container_uuid: Any) -> HttpResponse:
    def act(c: Any, d: dict[str, Any]) -> None:
        first = services.witness_authenticate(
            username=d["witness_username"],
            password=d["witness_password"],
            token=d["witness_token"],
            actor=request.user,
            location_id=c.location_id,
        )
        try:
            second = services.witness_authenticate(
                username=d["second_witness_username"],
                password=d["second_witness_password"],
                token=d["second_witness_token"],
                actor=request.user,
                location_id=c.location_id,
            )
        except services.LedgerRefusal as refusal:
            raise services.LedgerRefusal(
                refusal.message, field=f"second_{refusal.field}" if refusal.field else None
            ) from None
        services.container_destroy(
            container=c,
            method=d["method"],
            destroyed_on=d["destroyed_on"],
            destroyed_by=request.user,
            witness=first,
            second_witness=second,
        )

    return _simple(
        request,
        container_uuid,
        DestroyForm,
        "Destroy {label} (DEA Form 41 record)",
        act,
        "Destruction of {label} recorded.",
    )


@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def correct(request: HttpRequest, line_uuid: Any) -> HttpResponse:
    line = selectors.get_scoped(LedgerLine, request.user, line_uuid, "container", "product")
    form = CorrectForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.line_correct(
                    line=line, reason=form.cleaned_data["reason"], corrected_by=request.user
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, "Correction recorded; the original line is kept.")
                return redirect("ledger:container", container_uuid=line.container.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(
        request,
        "ledger/form.html",
        {
            "form": form,
            "title": f"Correct a {line.get_kind_display().lower()} line",
            "line": line,
            "c": line.container,
        },
    )


# -- counts and discrepancies -----------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def count_new(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    containers = selectors.count_containers(location)
    form = CountForm(request.POST or None, containers=containers)
    if request.method == "POST":
        if form.is_valid():
            try:
                count = services.count_record(
                    location=location,
                    kind=form.cleaned_data["kind"],
                    counts=form.counted(),
                    counted_by=request.user,
                    note=form.cleaned_data["note"],
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                return redirect("ledger:count", count_uuid=count.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(request, "ledger/count_form.html", {"form": form, "location": location})


@staff_required(Perm.VIEW_LEDGER)
def count_detail(request: HttpRequest, count_uuid: Any) -> HttpResponse:
    count = selectors.get_scoped(StockCount, request.user, count_uuid, "counted_by", "location")
    lines = selectors.count_detail(count)
    return render(request, "ledger/count.html", {"count": count, "lines": lines})


@staff_required(Perm.VIEW_LEDGER)
@POST_GET
def discrepancy(request: HttpRequest, discrepancy_uuid: Any) -> HttpResponse:
    item = selectors.get_scoped(
        Discrepancy, request.user, discrepancy_uuid, "product", "container", "count_line__count", "incident"
    )
    form = DiscrepancyForm(request.POST or None, location_id=item.location_id)
    if request.method == "POST":
        ensure_perm(request.user, Perm.MANAGE_STOCK)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.discrepancy_update(
                    discrepancy=item,
                    status=d["status"],
                    explanation=d["explanation"],
                    incident=d["incident"],
                    updated_by=request.user,
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, "Discrepancy updated.")
                return redirect("ledger:discrepancy", discrepancy_uuid=item.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(request, "ledger/discrepancy.html", {"d": item, "form": form})


# -- inventories -------------------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def inventory_new(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    containers = selectors.count_containers(location)
    form = InventoryForm(request.POST or None, containers=containers)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                inventory = services.inventory_take(
                    location=location,
                    kind=d["kind"],
                    taken_on=d["taken_on"],
                    taken_at=d["taken_at"],
                    counts=form.counted(),
                    signature=d["signature"],
                    password=d["password"],
                    taken_by=request.user,
                    note=d["note"],
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, "Inventory signed and recorded.")
                return redirect("ledger:inventory", inventory_uuid=inventory.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(request, "ledger/inventory_form.html", {"form": form, "location": location})


@staff_required(Perm.VIEW_LEDGER)
def inventory_detail(request: HttpRequest, inventory_uuid: Any) -> HttpResponse:
    inventory = selectors.get_scoped(
        Inventory, request.user, inventory_uuid, "location", "taken_by", "signed_by"
    )
    lines = selectors.inventory_detail(inventory)
    context = {"inv": inventory, "lines": lines, "next_due": dl.biennial_inventory_due(inventory.taken_on)}
    if request.GET.get("format") == "pdf":
        audit(Action.EXPORT, obj=inventory, location=inventory.location, detail="inventory PDF")
        context["generated_at"] = timezone.localtime(timezone.now(), inventory.location.tz)
        return pdf_response(
            "ledger/pdf/inventory.html",
            context,
            f"ketaflow-{inventory.kind}-inventory-{inventory.taken_on}.pdf",
        )
    return render(request, "ledger/inventory.html", context)


# -- theft and loss ----------------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_STOCK)
@POST_GET
def incident_new(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    form = IncidentForm(request.POST or None, location=location)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                incident = services.incident_report(
                    location=location,
                    kind=d["kind"],
                    theft_type=d["theft_type"],
                    discovered_at=d["discovered_at"],
                    description=d["description"],
                    missing=[services.Missing(d["container"], d["quantity"])],
                    reported_by=request.user,
                    police_notified=d["police_notified"],
                    police_department=d["police_department"],
                    police_report_number=d["police_report_number"],
                    security_changes=d["security_changes"],
                )
            except services.LedgerRefusal as refusal:
                _refuse(request, form, refusal)
            else:
                messages.success(request, "Incident recorded. Notify the DEA Field Division in writing.")
                return redirect("ledger:incident", incident_uuid=incident.uuid)
        else:
            messages.error(request, FIX_FIELDS)
    return render(
        request,
        "ledger/form.html",
        {"form": form, "title": "Report a theft or significant loss", "location": location},
    )


@staff_required(Perm.VIEW_LEDGER)
@POST_GET
def incident_detail(request: HttpRequest, incident_uuid: Any) -> HttpResponse:
    incident = selectors.get_scoped(Incident, request.user, incident_uuid, "location", "reported_by")
    form = IncidentUpdateForm(
        request.POST or None,
        initial={
            "dea_notified": incident.dea_notified,
            "form_106_submitted": bool(incident.form_106_submitted_at),
            "form_106_reference": incident.form_106_reference,
        },
    )
    if request.method == "POST":
        if not request.user.has_role_perm(Perm.MANAGE_STOCK):  # type: ignore[union-attr]
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            services.incident_update(
                incident=incident,
                dea_notified=d["dea_notified"],
                form_106_submitted=d["form_106_submitted"],
                form_106_reference=d["form_106_reference"],
                updated_by=request.user,
            )
            messages.success(request, "Reporting status saved.")
            return redirect("ledger:incident", incident_uuid=incident.uuid)
        messages.error(request, FIX_FIELDS)
    lines = list(incident.lines.select_related("container", "product"))
    return render(
        request,
        "ledger/incident.html",
        {"i": incident, "form": form, "lines": lines, "today": timezone.localdate()},
    )
