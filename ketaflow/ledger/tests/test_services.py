"""Ledger services: every refusal leaves nothing saved and the balance unchanged; lines are append-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ketaflow.core.models import AuditEvent, ImmutableRecordError
from ketaflow.domain.ledger import errors
from ketaflow.ledger import services
from ketaflow.ledger.models import (
    Container,
    Discrepancy,
    Incident,
    LedgerLine,
    StockBalance,
    StoragePlace,
)
from ketaflow.ledger.selectors import stock_overview
from ketaflow.ledger.tests.factories import ESKETAMINE, product, receive

pytestmark = pytest.mark.django_db


def _state(clinic: Any) -> tuple[int, list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    balances = list(StockBalance.objects.order_by("id").values_list("on_hand", "in_use"))
    containers = list(Container.objects.order_by("id").values_list("state", "on_hand", "in_use"))
    return LedgerLine.objects.count(), balances, containers


def _refused(clinic: Any, message: str, call: Any) -> None:
    before = _state(clinic)
    with pytest.raises(services.LedgerRefusal) as refusal:
        call()
    assert refusal.value.message == message
    assert _state(clinic) == before


def test_receipt_adds_sealed_containers_and_lines_with_running_balance(stock: Any) -> None:
    vials = receive(stock, count=3, quantity="20")
    assert [v.state for v in vials] == ["sealed"] * 3
    lines = list(LedgerLine.objects.filter(container__in=vials).order_by("id"))
    assert [(x.kind, x.container_before, x.container_after) for x in lines] == [("receipt", 0, 20)] * 3
    assert lines[1].product_before == lines[0].product_after
    assert lines[2].product_after - lines[0].product_before == Decimal("60")
    assert lines[0].quantity_mg == Decimal("200")
    assert AuditEvent.objects.filter(object_type="ledger.Receipt").exists()


def test_receipt_with_a_negative_quantity_is_refused(stock: Any) -> None:
    _refused(stock, errors.RECEIPT_NOT_POSITIVE, lambda: receive(stock, quantity="-5"))
    assert not Container.objects.filter(lot__lot_number="T-LOT-1").exists()


def test_draw_administer_waste_with_witness_keeps_custody_exact(stock: Any) -> None:
    (vial,) = receive(stock)
    nina, paul = stock.user("nina"), stock.user("paul")
    line = services.container_draw(
        container=vial, quantity=Decimal("4"), session_uuid=None, session_label="Chair 2 09:00", drawn_by=nina
    )
    assert (line.container_before, line.container_after) == (Decimal(20), Decimal(16))
    assert line.product_before == line.product_after  # still in custody, in the syringe
    assert line.quantity_mg == Decimal("40")
    key = line.session_key
    services.container_administer(
        container=vial, session_key=key, quantity=Decimal("3.5"), administered_by=nina
    )
    waste = services.container_waste(
        container=vial, session_key=key, quantity=Decimal("0.5"), wasted_by=nina, witness=paul, reason="rest"
    )
    assert waste.session_label == "Chair 2 09:00"
    assert waste.product_after == waste.product_before - Decimal("0.5")
    vial.refresh_from_db()
    assert (vial.state, vial.on_hand, vial.in_use) == ("open", Decimal(16), {})


def test_drawing_more_than_the_container_holds_is_refused(stock: Any) -> None:
    (vial,) = receive(stock)
    _refused(
        stock,
        errors.INSUFFICIENT_STOCK.format(requested="25", held="20", unit="mL"),
        lambda: services.container_draw(
            container=vial,
            quantity=Decimal("25"),
            session_uuid=None,
            session_label="x",
            drawn_by=stock.user("nina"),
        ),
    )


def test_drawing_from_an_expired_container_is_refused(stock: Any) -> None:
    (vial,) = receive(stock, expires_on=timezone.localdate() - dt.timedelta(days=1), lot="OLD")
    _refused(
        stock,
        errors.CONTAINER_EXPIRED,
        lambda: services.container_draw(
            container=vial,
            quantity=Decimal("1"),
            session_uuid=None,
            session_label="x",
            drawn_by=stock.user("nina"),
        ),
    )


def test_drawing_from_a_quarantined_container_is_refused(stock: Any) -> None:
    (vial,) = receive(stock)
    services.container_state_change(
        container=vial, to_state="quarantined", reason="cracked", changed_by=stock.user("carl")
    )
    _refused(
        stock,
        errors.CONTAINER_QUARANTINED,
        lambda: services.container_draw(
            container=vial,
            quantity=Decimal("1"),
            session_uuid=None,
            session_label="x",
            drawn_by=stock.user("nina"),
        ),
    )


def test_drawing_from_another_locations_container_is_refused(stock: Any) -> None:
    (vial,) = receive(stock)  # West Des Moines; noah works only in Des Moines
    before = _state(stock)
    with pytest.raises(PermissionDenied):
        services.container_draw(
            container=vial,
            quantity=Decimal("1"),
            session_uuid=None,
            session_label="x",
            drawn_by=stock.user("noah"),
        )
    assert _state(stock) == before


def test_waste_without_a_witness_or_witnessed_by_oneself_is_refused(stock: Any) -> None:
    (vial,) = receive(stock)
    nina = stock.user("nina")
    line = services.container_draw(
        container=vial, quantity=Decimal("2"), session_uuid=None, session_label="s", drawn_by=nina
    )
    for witness, message in [(None, errors.WITNESS_REQUIRED), (nina, errors.SELF_WITNESSED)]:
        _refused(
            stock,
            message,
            lambda w=witness: services.container_waste(
                container=vial,
                session_key=line.session_key,
                quantity=Decimal("1"),
                wasted_by=nina,
                witness=w,
                reason="r",
            ),
        )


def test_witness_must_authenticate_with_password_and_their_own_code(stock: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaflow.accounts.services import totp_current_code, totp_device_for

    nina, paul = stock.user("nina"), stock.user("paul")
    code = totp_current_code(totp_device_for(paul))
    wdm = stock.wdm.pk

    def auth(username: str, password: str, token: str) -> Any:
        return services.witness_authenticate(
            username=username, password=password, token=token, actor=nina, location_id=wdm
        )

    with pytest.raises(services.LedgerRefusal) as self_witness:
        auth("nina", "ketaflow-demo-2026", code)
    assert self_witness.value.message == errors.SELF_WITNESSED
    with pytest.raises(services.LedgerRefusal) as front_desk:
        auth("frank", "ketaflow-demo-2026", code)
    assert front_desk.value.message == services.WITNESS_NOT_ALLOWED
    with pytest.raises(services.LedgerRefusal) as other_site:
        auth("noah", "ketaflow-demo-2026", code)
    assert other_site.value.message == services.WITNESS_NOT_ALLOWED
    assert auth("paul", "ketaflow-demo-2026", code) == paul
    with pytest.raises(services.LedgerRefusal) as replayed:  # a code is good for one signature only
        auth("paul", "ketaflow-demo-2026", code)
    assert replayed.value.message == services.WITNESS_CODE
    TOTPDevice.objects.filter(user=paul).update(throttling_failure_count=0)
    with pytest.raises(services.LedgerRefusal) as wrong_password:
        auth("paul", "nope", code)
    assert wrong_password.value.message == services.WITNESS_CREDENTIALS
    with pytest.raises(services.LedgerRefusal) as throttled:  # right password, but too soon after a wrong one
        auth("paul", "ketaflow-demo-2026", code)
    assert throttled.value.message == services.WITNESS_THROTTLED


def test_esketamine_is_counted_per_whole_device(stock: Any) -> None:
    (kit,) = receive(stock, ndc=ESKETAMINE, quantity="2", lot="ESK-1")
    nina = stock.user("nina")
    _refused(
        stock,
        errors.DEVICE_NOT_WHOLE,
        lambda: services.container_draw(
            container=kit, quantity=Decimal("0.5"), session_uuid=None, session_label="x", drawn_by=nina
        ),
    )
    line = services.container_draw(
        container=kit, quantity=Decimal("2"), session_uuid=None, session_label="s", drawn_by=nina
    )
    assert line.quantity_mg == Decimal("56")
    services.container_return(
        container=kit, session_key=line.session_key, quantity=Decimal("1"), returned_by=nina
    )
    kit.refresh_from_db()
    assert (kit.on_hand, kit.state) == (Decimal(1), "open")


def test_transfer_moves_the_whole_container_within_the_location(stock: Any) -> None:
    (vial,) = receive(stock)
    cabinet = StoragePlace.objects.get(location=stock.wdm, name="Infusion room cabinet")
    line = services.container_transfer(container=vial, to_storage=cabinet, moved_by=stock.user("carl"))
    vial.refresh_from_db()
    assert vial.storage == cabinet and line.to_storage == cabinet and line.from_storage.name == "Main safe"
    other = StoragePlace.objects.get(location=stock.dsm, name="Main safe")
    _refused(
        stock,
        errors.TRANSFER_OTHER_LOCATION,
        lambda: services.container_transfer(container=vial, to_storage=other, moved_by=stock.user("mia")),
    )


def test_correction_reverses_a_line_once_and_keeps_the_original(stock: Any) -> None:
    (vial,) = receive(stock)
    nina, carl = stock.user("nina"), stock.user("carl")
    draw = services.container_draw(
        container=vial, quantity=Decimal("5"), session_uuid=None, session_label="s", drawn_by=nina
    )
    correction = services.line_correct(line=draw, reason="drawn into the wrong syringe", corrected_by=carl)
    assert correction.corrects == draw and correction.container_after == Decimal(20)
    _refused(
        stock,
        errors.ALREADY_CORRECTED,
        lambda: services.line_correct(line=draw, reason="again", corrected_by=carl),
    )
    assert LedgerLine.objects.filter(pk=draw.pk, quantity=Decimal(5)).exists()


def test_ledger_lines_refuse_update_and_delete_through_the_orm(stock: Any) -> None:
    (vial,) = receive(stock)
    line = LedgerLine.objects.filter(container=vial).get()
    line.quantity = Decimal("999")
    with pytest.raises(ImmutableRecordError):
        line.save()
    with pytest.raises(ImmutableRecordError):
        line.delete()
    with pytest.raises(ImmutableRecordError):
        LedgerLine.objects.filter(pk=line.pk).update(quantity=Decimal("999"))
    with pytest.raises(ImmutableRecordError):
        LedgerLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(ImmutableRecordError):
        Container.objects.filter(pk=vial.pk).delete()
    assert LedgerLine.objects.get(pk=line.pk).quantity == Decimal("20")


def test_database_trigger_refuses_update_of_a_ledger_line_below_the_orm(stock: Any) -> None:
    (vial,) = receive(stock)
    line = LedgerLine.objects.filter(container=vial).get()
    with pytest.raises(Exception) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_ledgerline SET quantity = 999 WHERE id = %s", [line.pk])
    assert "append-only" in str(refused.value)
    assert LedgerLine.objects.get(pk=line.pk).quantity == Decimal("20")


def test_database_refuses_a_negative_container_balance(stock: Any) -> None:
    (vial,) = receive(stock)
    with pytest.raises(IntegrityError), transaction.atomic():
        Container.objects.filter(pk=vial.pk).update(on_hand=Decimal("-1"))


def test_daily_count_with_a_shortage_opens_a_discrepancy_and_repeats_escalate(stock: Any) -> None:
    carl = stock.user("carl")
    vials = receive(stock, count=2)
    ids = {str(v.uuid) for v in vials}
    for _ in range(3):
        counts = [
            services.Counted(str(c.uuid), c.on_hand - (Decimal("0.5") if str(c.uuid) in ids else 0))
            for c in Container.objects.filter(location=stock.wdm, received=True).exclude(state="destroyed")
        ]
        count = services.count_record(location=stock.wdm, kind="daily", counts=counts, counted_by=carl)
        assert count.discrepancy_count == 2
    overview = stock_overview(stock.wdm)
    assert overview.escalation.level == "significant"
    assert overview.escalation.deadlines is not None
    item = Discrepancy.objects.filter(location=stock.wdm).first()
    _refused(
        stock,
        services.EXPLANATION_REQUIRED,
        lambda: services.discrepancy_update(
            discrepancy=item, status="explained", explanation=" ", incident=None, updated_by=carl
        ),
    )
    services.discrepancy_update(
        discrepancy=item, status="explained", explanation="spill at the chair", incident=None, updated_by=carl
    )
    item.refresh_from_db()
    assert item.status == "explained" and "spill at the chair" in item.explanation


def test_exact_count_matches_and_an_estimate_of_a_sealed_vial_is_refused(stock: Any) -> None:
    carl = stock.user("carl")
    (vial,) = receive(stock)
    everything = Container.objects.filter(location=stock.wdm, received=True).exclude(state="destroyed")
    count = services.count_record(
        location=stock.wdm,
        kind="daily",
        counts=[services.Counted(str(c.uuid), c.on_hand) for c in everything],
        counted_by=carl,
    )
    assert count.discrepancy_count == 0
    _refused(
        stock,
        errors.ESTIMATE_NOT_ALLOWED,
        lambda: services.count_record(
            location=stock.wdm,
            kind="shift",
            counts=[services.Counted(str(vial.uuid), Decimal(20), True)],
            counted_by=carl,
        ),
    )


def test_destruction_needs_quarantine_and_two_distinct_witnesses(stock: Any) -> None:
    carl, nina, paul = stock.user("carl"), stock.user("nina"), stock.user("paul")
    (vial,) = receive(stock)

    def destroy(w1: Any, w2: Any) -> Any:
        return services.container_destroy(
            container=vial,
            method="denaturing kit",
            destroyed_on=timezone.localdate(),
            destroyed_by=carl,
            witness=w1,
            second_witness=w2,
        )

    _refused(stock, errors.DESTRUCTION_NOT_QUARANTINED, lambda: destroy(nina, paul))
    services.container_state_change(container=vial, to_state="expired", reason="past date", changed_by=carl)
    services.container_state_change(
        container=vial, to_state="quarantined", reason="for destruction", changed_by=carl
    )
    _refused(stock, services.WITNESSES_DISTINCT, lambda: destroy(nina, nina))
    _refused(stock, errors.DESTRUCTION_WITNESSES, lambda: destroy(carl, paul))
    record = destroy(nina, paul)
    assert (record.ndc, record.total_destroyed, record.package_quantity) == (
        product().ndc,
        Decimal(20),
        Decimal(20),
    )
    vial.refresh_from_db()
    assert (vial.state, vial.on_hand) == ("destroyed", Decimal(0))


def test_theft_incident_takes_stock_off_the_book_and_sets_dea_deadlines(stock: Any) -> None:
    carl = stock.user("carl")
    (vial,) = receive(stock)
    friday = dt.datetime(2026, 11, 27, 10, tzinfo=stock.wdm.tz)  # day after Thanksgiving
    incident = services.incident_report(
        location=stock.wdm,
        kind="theft",
        theft_type="night_break_in",
        discovered_at=friday,
        description="Safe forced overnight",
        missing=[services.Missing(vial, Decimal("20"))],
        reported_by=carl,
    )
    assert incident.notify_by == dt.date(2026, 11, 30)  # next business day: Monday
    assert incident.form_106_by == dt.date(2027, 1, 11)
    assert incident.lines.get().kind == "theft"
    services.incident_update(
        incident=incident, dea_notified=True, form_106_submitted=False, form_106_reference="", updated_by=carl
    )
    incident.refresh_from_db()
    assert incident.dea_notified and incident.dea_notified_at is not None
    assert Incident.objects.filter(location=stock.wdm, form_106_submitted_at__isnull=True).count() == 1


def test_signed_inventory_records_every_container_and_needs_the_signers_password(stock: Any) -> None:
    carl = stock.user("carl")
    receive(stock, count=2)
    kwargs: dict[str, Any] = {
        "location": stock.wdm,
        "kind": "biennial",
        "taken_on": timezone.localdate(),
        "taken_at": "closing",
        "counts": [],
        "signature": "Carl Custodian",
        "taken_by": carl,
    }
    _refused(stock, services.SIGNATURE_PASSWORD, lambda: services.inventory_take(password="wrong", **kwargs))
    inventory = services.inventory_take(password="ketaflow-demo-2026", **kwargs)
    on_hand = Container.objects.filter(location=stock.wdm, received=True).exclude(
        state__in=["destroyed", "empty"]
    )
    assert inventory.lines.count() == on_hand.count()
    assert "DEA FM9999991" in inventory.registrations


def test_auditor_cannot_write(stock: Any) -> None:
    (vial,) = receive(stock)
    with pytest.raises(PermissionDenied):
        services.container_draw(
            container=vial,
            quantity=Decimal("1"),
            session_uuid=None,
            session_label="x",
            drawn_by=stock.user("audrey"),
        )
