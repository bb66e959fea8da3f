"""Quarantine → destruction with two witnesses, theft incident with deadlines, discrepancy workflow: by form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.accounts.services import totp_current_code, totp_device_for
from ketaflow.ledger import services
from ketaflow.ledger.models import Container, Destruction, Discrepancy, Incident, LedgerLine
from ketaflow.ledger.tests.factories import receive
from ketaflow.ledger.tests.test_pages import _at_wdm

pytestmark = pytest.mark.django_db
PASSWORD = "ketaflow-demo-2026"


def test_quarantined_vial_is_destroyed_with_two_witnesses_through_the_form(stock: Any) -> None:
    (vial,) = receive(stock)
    client = _at_wdm(stock, "carl")
    client.post(
        reverse("ledger:state", kwargs={"container_uuid": vial.uuid}),
        {"to_state": "quarantined", "reason": "cracked cap"},
    )
    vial.refresh_from_db()
    assert vial.state == "quarantined"
    url = reverse("ledger:destroy", kwargs={"container_uuid": vial.uuid})
    nina, paul = stock.user("nina"), stock.user("paul")
    form = {
        "method": "Chemical denaturing kit",
        "destroyed_on": "2026-11-25",
        "witness_username": "nina",
        "witness_password": PASSWORD,
        "witness_token": totp_current_code(totp_device_for(nina)),
        "second_witness_username": "paul",
        "second_witness_password": "wrong",
        "second_witness_token": "123456",
    }
    response = client.post(url, form)
    assert services.WITNESS_CREDENTIALS.replace("'", "&#x27;") in response.content.decode()
    assert not Destruction.objects.exists()
    vial.refresh_from_db()
    assert vial.state == "quarantined" and vial.on_hand == Decimal(20)
    # The first witness's code was used once; both sign again with fresh codes.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__in=[nina, paul]).update(last_t=-1, throttling_failure_count=0)
    form |= {
        "witness_token": totp_current_code(totp_device_for(nina)),
        "second_witness_password": PASSWORD,
        "second_witness_token": totp_current_code(totp_device_for(paul)),
    }
    response = client.post(url, form)
    assert response.status_code == 302
    record = Destruction.objects.get()
    assert (record.witness, record.second_witness, record.total_destroyed) == (nina, paul, Decimal(20))
    assert LedgerLine.objects.get(kind="destruction").product_after == LedgerLine.objects.get(
        kind="destruction"
    ).product_before - Decimal(20)


def test_theft_report_shows_deadlines_and_the_notice_checkbox_stamps_the_time(stock: Any) -> None:
    (vial,) = receive(stock)
    client = _at_wdm(stock, "mia")
    response = client.post(
        reverse("ledger:incident_new"),
        {
            "kind": "theft",
            "theft_type": "employee_pilferage",
            "discovered_at": "2026-11-25T08:30",
            "container": vial.pk,
            "quantity": "5",
            "description": "Vial found short at the morning count",
            "police_notified": "on",
            "police_department": "Des Moines PD",
            "police_report_number": "DEMO-1",
        },
    )
    incident = Incident.objects.get()
    assert response["Location"] == reverse("ledger:incident", kwargs={"incident_uuid": incident.uuid})
    page = client.get(response["Location"]).content.decode()
    assert "2026-11-27" in page  # Wednesday before Thanksgiving → Friday (Thursday is a holiday)
    assert "2027-01-09" in page  # 45 days
    client.post(response["Location"], {"dea_notified": "on"})
    incident.refresh_from_db()
    assert incident.dea_notified_at is not None
    vial.refresh_from_db()
    assert vial.on_hand == Decimal(15)


def test_incident_quantity_must_be_positive_and_nothing_is_saved(stock: Any) -> None:
    (vial,) = receive(stock)
    client = _at_wdm(stock, "carl")
    response = client.post(
        reverse("ledger:incident_new"),
        {
            "kind": "loss",
            "theft_type": "other",
            "discovered_at": "2026-11-25T08:30",
            "container": vial.pk,
            "quantity": "-1",
            "description": "x",
        },
    )
    assert "The quantity must be greater than zero." in response.content.decode()
    assert not Incident.objects.exists()


def test_discrepancy_is_explained_then_resolved_and_auditor_cannot_change_it(stock: Any) -> None:
    (vial,) = receive(stock)
    everything = Container.objects.filter(location=stock.wdm, received=True).exclude(
        state__in=["destroyed", "empty"]
    )
    counts = [
        services.Counted(str(c.uuid), c.on_hand - (Decimal(1) if c.pk == vial.pk else 0)) for c in everything
    ]
    services.count_record(location=stock.wdm, kind="daily", counts=counts, counted_by=stock.user("carl"))
    item = Discrepancy.objects.get(container=vial)
    url = reverse("ledger:discrepancy", kwargs={"discrepancy_uuid": item.uuid})
    assert _at_wdm(stock, "audrey").post(url, {"status": "resolved", "explanation": "x"}).status_code == 403
    client = _at_wdm(stock, "carl")
    response = client.post(url, {"status": "resolved", "explanation": "x"})
    assert "A discrepancy cannot go from open to resolved." in response.content.decode()
    client.post(url, {"status": "explained", "explanation": "1 mL spilled priming the line"})
    client.post(url, {"status": "resolved", "explanation": "Adjusted practice"})
    item.refresh_from_db()
    assert item.status == "resolved" and "spilled" in item.explanation
    home = client.get(reverse("ledger:home")).content.decode()
    assert "Open discrepancies" in home and f"{vial.label}: 1" not in home
