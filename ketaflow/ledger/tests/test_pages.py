"""Ledger pages: field errors with nothing saved, exports, and query counts that do not grow with the lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.clinics.selectors import SESSION_LOCATION
from ketaflow.core.models import AuditEvent
from ketaflow.domain.ledger import errors
from ketaflow.ledger import services
from ketaflow.ledger.models import Container, LedgerLine, Receipt, StockBalance
from ketaflow.ledger.tests.factories import product, receive, safe
from ketaflow.ledger.tests.objects import objects
from ketaflow.testing import login

pytestmark = pytest.mark.django_db


def _at_wdm(clinic: Any, name: str) -> Client:
    client = login(Client(), clinic.user(name))
    session = client.session
    session[SESSION_LOCATION] = str(clinic.wdm.uuid)
    session.save()
    return client


def _more_lines(clinic: Any, n: int = 6) -> None:
    """Add receipts, draws, administrations and witnessed wastes: more lines of every kind on every page."""
    nina, paul = clinic.user("nina"), clinic.user("paul")
    for i in range(n):
        (vial,) = receive(clinic, invoice=f"MORE-{i}", lot=f"MORE-{i}")
        line = services.container_draw(
            container=vial, quantity=Decimal("3"), session_uuid=None, session_label=f"more {i}", drawn_by=nina
        )
        services.container_administer(
            container=vial, session_key=line.session_key, quantity=Decimal("2"), administered_by=nina
        )
        services.container_waste(
            container=vial,
            session_key=line.session_key,
            quantity=Decimal("1"),
            wasted_by=nina,
            witness=paul,
            reason="rest",
        )


def _pinned(django_assert_num_queries: Any, client: Client, url: str, expected: int, clinic: Any) -> None:
    assert client.get(url).status_code == 200
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    _more_lines(clinic)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_stock_home_query_count_is_pinned(stock: Any, django_assert_num_queries: Any) -> None:
    objects(stock)
    client = _at_wdm(stock, "mia")
    # Expect 10 queries: session, user, OTP device, the user's locations (current location + switcher),
    # balances with products, containers with product/lot/storage, recent discrepancies with product/container,
    # open incidents, last counts with counter, last inventories with taker.
    _pinned(django_assert_num_queries, client, reverse("ledger:home"), 10, stock)


def test_ledger_report_query_count_is_pinned(stock: Any, django_assert_num_queries: Any) -> None:
    objects(stock)
    client = _at_wdm(stock, "audrey")
    # Expect 6 queries: session, user, OTP device, the user's locations, one page of lines plus one row (no
    # COUNT) with product/container/lot/actor/witnesses/receipt/storage joined, products (filter select).
    _pinned(
        django_assert_num_queries, client, reverse("ledger:report", kwargs={"report": "ledger"}), 6, stock
    )


def test_container_page_query_count_is_pinned(stock: Any, django_assert_num_queries: Any) -> None:
    o = objects(stock)
    vial = o["container"]
    client = _at_wdm(stock, "carl")
    url = reverse("ledger:container", kwargs={"container_uuid": vial.uuid})
    assert client.get(url).status_code == 200
    # Expect 7 queries: session, user, OTP device, the user's location ids (scope), the container with product,
    # lot, storage, location and receipt, its lines with actor/witnesses/receipt, the user's locations (switcher).
    with django_assert_num_queries(7):
        client.get(url)
    nina = stock.user("nina")
    for i in range(5):
        line = services.container_draw(
            container=vial, quantity=Decimal("1"), session_uuid=None, session_label=f"p{i}", drawn_by=nina
        )
        services.container_return(
            container=vial, session_key=line.session_key, quantity=Decimal("1"), returned_by=nina
        )
    with django_assert_num_queries(7):
        client.get(url)


def test_count_pages_query_counts_are_pinned(stock: Any, django_assert_num_queries: Any) -> None:
    o = objects(stock)
    client = _at_wdm(stock, "carl")
    # Expect 5 queries: session, user, OTP device, the user's locations, containers with product/lot/storage.
    _pinned(django_assert_num_queries, client, reverse("ledger:count_new"), 5, stock)
    url = reverse("ledger:count", kwargs={"count_uuid": o["count"].uuid})
    client.get(url)
    # Expect 7 queries: session, user, OTP device, the user's location ids (scope), the count with counter and
    # location, its lines with container/product/lot/discrepancy, the user's locations (switcher).
    with django_assert_num_queries(7):
        client.get(url)
    everything = Container.objects.filter(location=stock.wdm, received=True).exclude(state="destroyed")
    _more_lines(stock)
    bigger = services.count_record(
        location=stock.wdm,
        kind="daily",
        counts=[services.Counted(str(c.uuid), c.on_hand) for c in everything],
        counted_by=stock.user("carl"),
    )
    with django_assert_num_queries(7):
        client.get(reverse("ledger:count", kwargs={"count_uuid": bigger.uuid}))


def test_receipt_with_negative_quantity_shows_the_error_and_saves_nothing(stock: Any) -> None:
    client = _at_wdm(stock, "carl")
    before = (
        Receipt.objects.count(),
        LedgerLine.objects.count(),
        list(StockBalance.objects.values_list("on_hand")),
    )
    response = client.post(
        reverse("ledger:receive"),
        {
            "storage": safe(stock.wdm).pk,
            "supplier_name": "S",
            "supplier_address": "A",
            "supplier_dea_number": "RD1",
            "invoice_number": "BAD-1",
            "received_on": "2026-11-20",
            "product": product().pk,
            "lot_number": "L",
            "expires_on": "2027-11-20",
            "container_count": "2",
            "quantity_per_container": "-20",
            "confirmed": "on",
        },
    )
    assert response.status_code == 200
    assert errors.RECEIPT_NOT_POSITIVE in response.content.decode()
    after = (
        Receipt.objects.count(),
        LedgerLine.objects.count(),
        list(StockBalance.objects.values_list("on_hand")),
    )
    assert after == before


def test_waste_with_wrong_witness_password_shows_the_error_and_saves_nothing(stock: Any) -> None:
    objects(stock)
    (vial,) = receive(stock)
    line = services.container_draw(
        container=vial,
        quantity=Decimal("4"),
        session_uuid=None,
        session_label="Chair 3",
        drawn_by=stock.user("nina"),
    )
    client = _at_wdm(stock, "nina")
    before = LedgerLine.objects.count()
    response = client.post(
        reverse("ledger:use", kwargs={"container_uuid": vial.uuid}),
        {
            "action": "waste",
            "session": line.session_key,
            "waste-quantity": "1",
            "waste-reason": "rest",
            "waste-witness_username": "paul",
            "waste-witness_password": "wrong",
            "waste-witness_token": "123456",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The witness&#x27;s user name or password is not right." in body
    assert 'aria-invalid="true"' in body
    assert LedgerLine.objects.count() == before
    vial.refresh_from_db()
    assert vial.in_use == {line.session_key: "4.000"} or Decimal(vial.in_use[line.session_key]) == 4


def test_draw_more_than_the_vial_holds_shows_the_error(stock: Any) -> None:
    (vial,) = receive(stock)
    client = _at_wdm(stock, "nina")
    response = client.post(
        reverse("ledger:draw", kwargs={"container_uuid": vial.uuid}), {"session_label": "s", "quantity": "21"}
    )
    assert "Cannot take 21 mL: the container holds only 20 mL." in response.content.decode()
    assert LedgerLine.objects.filter(container=vial).count() == 1


def test_there_is_no_way_to_edit_or_delete_a_line_only_to_correct_it(stock: Any) -> None:
    (vial,) = receive(stock)
    draw = services.container_draw(
        container=vial,
        quantity=Decimal("4"),
        session_uuid=None,
        session_label="s",
        drawn_by=stock.user("nina"),
    )
    client = _at_wdm(stock, "carl")
    url = reverse("ledger:correct", kwargs={"line_uuid": draw.uuid})
    response = client.post(url, {"reason": ""})
    assert "This field is required." in response.content.decode()
    assert not LedgerLine.objects.filter(corrects=draw).exists()
    response = client.post(url, {"reason": "wrong vial"})
    assert response.status_code == 302, response.content.decode()
    assert LedgerLine.objects.filter(corrects=draw).get().reason == "wrong vial"
    assert LedgerLine.objects.filter(pk=draw.pk, quantity=Decimal(4)).exists()
    vial.refresh_from_db()
    assert vial.on_hand == Decimal(20)


def test_reports_export_csv_and_pdf_and_the_export_is_audited(stock: Any) -> None:
    objects(stock)
    client = _at_wdm(stock, "audrey")
    url = reverse("ledger:report", kwargs={"report": "waste"})
    csv_body = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    rows = csv_body.strip().splitlines()
    assert rows[0].startswith("occurred_at,kind,product")
    assert len(rows) == 2 and ",waste," in rows[1] and ",paul," in rows[1]
    pdf = client.get(url, {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="export", actor=stock.user("audrey")).count() == 2


def test_inventory_pdf_renders(stock: Any) -> None:
    o = objects(stock)
    client = _at_wdm(stock, "audrey")
    response = client.get(
        reverse("ledger:inventory", kwargs={"inventory_uuid": o["inventory"].uuid}), {"format": "pdf"}
    )
    assert response.content.startswith(b"%PDF")
