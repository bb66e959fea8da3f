"""One entry applied to one container: the arithmetic and every refusal, with exact messages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ketaflow.domain.ledger import (
    ContainerState,
    EntryKind,
    LedgerError,
    apply_entry,
    change_state,
    errors,
)

from .builders import ESKETAMINE_DEVICE, WHEN, container, entry


def held(c: object, session: str) -> Decimal:
    return c.held_for(session)  # type: ignore[attr-defined, no-any-return]


def test_receipt_fills_a_sealed_container_and_reports_before_and_after() -> None:
    result = apply_entry(container(), entry(EntryKind.RECEIPT, "20"))
    assert result.before.on_hand == 0
    assert result.after.on_hand == Decimal("20")
    assert result.after.state is ContainerState.SEALED
    assert result.custody_change == Decimal("20")


def test_negative_receipt_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(), entry(EntryKind.RECEIPT, "-5"))
    assert caught.value.message == errors.RECEIPT_NOT_POSITIVE


def test_second_receipt_into_the_same_container_is_refused() -> None:
    with pytest.raises(LedgerError, match="already been received"):
        apply_entry(container(on_hand="20"), entry(EntryKind.RECEIPT, "20"))


def test_draw_moves_stock_into_the_session_and_opens_the_vial() -> None:
    result = apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "4", session_id="s1"))
    assert result.after.on_hand == Decimal("16")
    assert held(result.after, "s1") == Decimal("4")
    assert result.after.state is ContainerState.OPEN
    assert result.custody_change == 0


def test_drawing_everything_empties_the_container() -> None:
    result = apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "20", session_id="s1"))
    assert result.after.state is ContainerState.EMPTY


def test_withdrawing_more_than_held_is_refused_with_amounts() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="3.5"), entry(EntryKind.DRAW, "4", session_id="s1"))
    assert caught.value.message == errors.INSUFFICIENT_STOCK.format(requested="4", held="3.5", unit="mL")


def test_draw_needs_a_session() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "4"))
    assert caught.value.message == errors.SESSION_REQUIRED


def test_draw_from_an_expired_container_is_refused() -> None:
    c = container(on_hand="20", expires_on=WHEN.date() - timedelta(days=1))
    with pytest.raises(LedgerError) as caught:
        apply_entry(c, entry(EntryKind.DRAW, "4", session_id="s1"))
    assert caught.value.message == errors.CONTAINER_EXPIRED


def test_draw_on_the_expiry_date_itself_is_allowed() -> None:
    c = container(on_hand="20", expires_on=WHEN.date())
    assert apply_entry(c, entry(EntryKind.DRAW, "4", session_id="s1")).after.on_hand == 16


def test_draw_from_a_quarantined_container_is_refused() -> None:
    c = container(on_hand="20", state=ContainerState.QUARANTINED)
    with pytest.raises(LedgerError) as caught:
        apply_entry(c, entry(EntryKind.DRAW, "4", session_id="s1"))
    assert caught.value.message == errors.CONTAINER_QUARANTINED


def test_entry_recorded_at_another_location_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "4", session_id="s1", location_id="dsm"))
    assert caught.value.message == errors.OTHER_LOCATION


def test_entry_for_another_container_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "4", session_id="s1", container_id="x"))
    assert caught.value.message == errors.WRONG_CONTAINER


def test_quantity_in_another_unit_is_refused() -> None:
    from ketaflow.domain.ledger import Unit

    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "40", session_id="s1", unit=Unit.MG))
    assert caught.value.message == errors.UNIT_MISMATCH.format(given="mg", expected="mL")


def test_fractional_device_count_is_refused() -> None:
    c = container(product=ESKETAMINE_DEVICE, on_hand="3")
    with pytest.raises(LedgerError) as caught:
        apply_entry(c, entry(EntryKind.DRAW, "1.5", session_id="s1"))
    assert caught.value.message == errors.DEVICE_NOT_WHOLE


def drawn(amount: str = "10") -> object:
    return apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, amount, session_id="s1")).after


def test_administration_consumes_what_the_session_drew() -> None:
    result = apply_entry(drawn(), entry(EntryKind.ADMINISTRATION, "3.5", session_id="s1"))  # type: ignore[arg-type]
    assert held(result.after, "s1") == Decimal("6.5")
    assert result.custody_change == Decimal("-3.5")


def test_administering_more_than_drawn_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(drawn(), entry(EntryKind.ADMINISTRATION, "11", session_id="s1"))  # type: ignore[arg-type]
    assert caught.value.message == errors.EXCEEDS_DRAWN.format(requested="11", held="10", unit="mL")


def test_waste_with_a_distinct_witness_reduces_the_session_hold() -> None:
    result = apply_entry(
        drawn(),  # type: ignore[arg-type]
        entry(EntryKind.WASTE, "6.5", session_id="s1", witness_ids=("paul",)),
    )
    assert held(result.after, "s1") == Decimal("3.5")


def test_waste_without_witness_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(drawn(), entry(EntryKind.WASTE, "1", session_id="s1"))  # type: ignore[arg-type]
    assert caught.value.message == errors.WITNESS_REQUIRED


def test_self_witnessed_waste_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(drawn(), entry(EntryKind.WASTE, "1", session_id="s1", witness_ids=("nina",)))  # type: ignore[arg-type]
    assert caught.value.message == errors.SELF_WITNESSED


def test_waste_straight_from_the_container_needs_stock() -> None:
    with pytest.raises(LedgerError, match="holds only 20"):
        apply_entry(container(on_hand="20"), entry(EntryKind.WASTE, "21", witness_ids=("paul",)))


def test_return_of_unused_devices_puts_them_back_and_reopens_an_empty_kit() -> None:
    kit = container(product=ESKETAMINE_DEVICE, on_hand="3")
    after_draw = apply_entry(kit, entry(EntryKind.DRAW, "3", session_id="s1")).after
    assert after_draw.state is ContainerState.EMPTY
    after_return = apply_entry(after_draw, entry(EntryKind.RETURN, "1", session_id="s1")).after
    assert after_return.on_hand == 1
    assert after_return.state is ContainerState.OPEN
    assert held(after_return, "s1") == 2


def test_transfer_moves_the_container_to_another_storage_place() -> None:
    result = apply_entry(container(on_hand="20"), entry(EntryKind.TRANSFER, "20", to_storage_id="safe-b"))
    assert result.after.storage_id == "safe-b"
    assert result.after.on_hand == 20


def test_transfer_to_another_location_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(
            container(on_hand="20"),
            entry(EntryKind.TRANSFER, "20", to_storage_id="safe-b", to_location_id="dsm"),
        )
    assert caught.value.message == errors.TRANSFER_OTHER_LOCATION


def test_transfer_quantity_must_be_the_whole_container() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.TRANSFER, "5", to_storage_id="safe-b"))
    assert caught.value.message == errors.TRANSFER_QUANTITY.format(given="5", held="20", unit="mL")


def test_count_leaves_the_balance_and_reports_the_difference() -> None:
    c = container(on_hand="12.5", state=ContainerState.OPEN)
    result = apply_entry(c, entry(EntryKind.COUNT, "12", estimated=True))
    assert result.after == c
    assert result.count_difference == Decimal("-0.5")


def test_estimated_count_of_a_sealed_container_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.COUNT, "20", estimated=True))
    assert caught.value.message == errors.ESTIMATE_NOT_ALLOWED


def test_correction_reverses_the_original_entry() -> None:
    c = container(on_hand="20")
    draw = entry(EntryKind.DRAW, "5", session_id="s1")
    after = apply_entry(c, draw).after
    fix = entry(EntryKind.CORRECTION, "5", corrects_entry_id=draw.entry_id, reason="wrong vial")
    result = apply_entry(after, fix, original=draw)
    assert result.after.on_hand == 20
    assert held(result.after, "s1") == 0


def test_correction_without_a_reason_is_refused() -> None:
    draw = entry(EntryKind.DRAW, "5", session_id="s1")
    after = apply_entry(container(on_hand="20"), draw).after
    with pytest.raises(LedgerError) as caught:
        apply_entry(after, entry(EntryKind.CORRECTION, "5", corrects_entry_id=draw.entry_id), original=draw)
    assert caught.value.message == errors.REASON_REQUIRED


def test_correction_must_reference_the_entry_it_reverses() -> None:
    draw = entry(EntryKind.DRAW, "5", session_id="s1")
    after = apply_entry(container(on_hand="20"), draw).after
    fix = entry(EntryKind.CORRECTION, "5", corrects_entry_id="other", reason="typo")
    with pytest.raises(LedgerError) as caught:
        apply_entry(after, fix, original=draw)
    assert caught.value.message == errors.CORRECTION_MISMATCH


def test_correction_that_would_make_stock_negative_is_refused() -> None:
    receipt = entry(EntryKind.RECEIPT, "20")
    after = apply_entry(container(), receipt).after
    after = apply_entry(after, entry(EntryKind.DRAW, "5", session_id="s1")).after
    fix = entry(EntryKind.CORRECTION, "20", corrects_entry_id=receipt.entry_id, reason="duplicate")
    with pytest.raises(LedgerError) as caught:
        apply_entry(after, fix, original=receipt)
    assert caught.value.message == errors.CORRECTION_NEGATIVE


def quarantined() -> object:
    return change_state(container(on_hand="7"), ContainerState.QUARANTINED, on=WHEN.date())


def test_destruction_of_a_quarantined_container_with_two_witnesses() -> None:
    result = apply_entry(
        quarantined(),  # type: ignore[arg-type]
        entry(EntryKind.DESTRUCTION, "7", witness_ids=("carl", "mia")),
    )
    assert result.after.state is ContainerState.DESTROYED
    assert result.after.on_hand == 0
    assert result.custody_change == Decimal("-7")


@pytest.mark.parametrize("witnesses", [(), ("carl",), ("carl", "carl"), ("carl", "nina")])
def test_destruction_needs_two_distinct_witnesses_other_than_the_actor(witnesses: tuple[str, ...]) -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(quarantined(), entry(EntryKind.DESTRUCTION, "7", witness_ids=witnesses))  # type: ignore[arg-type]
    assert caught.value.message == errors.DESTRUCTION_WITNESSES


def test_destruction_outside_quarantine_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="7"), entry(EntryKind.DESTRUCTION, "7", witness_ids=("carl", "mia")))
    assert caught.value.message == errors.DESTRUCTION_NOT_QUARANTINED


def test_nothing_may_be_recorded_against_a_destroyed_container() -> None:
    gone = container(state=ContainerState.DESTROYED, received=True)
    with pytest.raises(LedgerError) as caught:
        apply_entry(gone, entry(EntryKind.COUNT, "0"))
    assert caught.value.message == errors.CONTAINER_DESTROYED


def test_loss_needs_a_reason_and_reduces_stock() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.LOSS, "2"))
    assert caught.value.message == errors.REASON_REQUIRED
    result = apply_entry(container(on_hand="20"), entry(EntryKind.THEFT, "2", reason="vial missing"))
    assert result.after.on_hand == 18
    assert result.custody_change == -2


def test_adjustment_is_signed_and_witnessed() -> None:
    up = entry(EntryKind.ADJUSTMENT, "0.3", reason="overfill", witness_ids=("paul",))
    assert apply_entry(container(on_hand="20"), up).after.on_hand == Decimal("20.3")
    with pytest.raises(LedgerError) as caught:
        apply_entry(
            container(on_hand="20"), entry(EntryKind.ADJUSTMENT, "0", reason="x", witness_ids=("paul",))
        )
    assert caught.value.message == errors.ADJUSTMENT_ZERO


def test_zero_or_negative_quantities_are_refused_for_movements() -> None:
    with pytest.raises(LedgerError) as caught:
        apply_entry(container(on_hand="20"), entry(EntryKind.DRAW, "0", session_id="s1"))
    assert caught.value.message == errors.QUANTITY_NOT_POSITIVE


def test_state_changes_follow_the_allowed_transitions() -> None:
    expired = change_state(container(on_hand="5"), ContainerState.EXPIRED, on=WHEN.date())
    assert expired.state is ContainerState.EXPIRED
    with pytest.raises(LedgerError) as caught:
        change_state(expired, ContainerState.OPEN, on=WHEN.date())
    assert caught.value.message == errors.TRANSITION_NOT_ALLOWED.format(source="expired", target="open")


def test_release_from_quarantine_after_expiry_is_refused() -> None:
    q = change_state(
        container(on_hand="5", expires_on=date(2026, 1, 1)), ContainerState.QUARANTINED, on=WHEN.date()
    )
    with pytest.raises(LedgerError) as caught:
        change_state(q, ContainerState.SEALED, on=WHEN.date())
    assert caught.value.message == errors.RELEASE_EXPIRED
