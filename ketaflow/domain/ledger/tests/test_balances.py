"""Replaying a sequence of entries: balances per container and per product, and the ledger identity."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaflow.domain.ledger import (
    ContainerState,
    EntryKind,
    LedgerError,
    balances_by_product,
    change_state,
    errors,
    identity_report,
    replay,
)

from .builders import WHEN, container, entry


def day_of_work() -> list[object]:
    return [
        entry(EntryKind.RECEIPT, "20", container_id="v1"),
        entry(EntryKind.RECEIPT, "20", container_id="v2"),
        entry(EntryKind.DRAW, "8", container_id="v1", session_id="s1"),
        entry(EntryKind.ADMINISTRATION, "3.5", container_id="v1", session_id="s1"),
        entry(EntryKind.WASTE, "4.5", container_id="v1", session_id="s1", witness_ids=("paul",)),
        entry(EntryKind.DRAW, "4", container_id="v2", session_id="s2"),
        entry(EntryKind.ADMINISTRATION, "4", container_id="v2", session_id="s2"),
        entry(EntryKind.LOSS, "0.5", container_id="v2", reason="spill, witnessed"),
    ]


def empty_vials() -> list[object]:
    return [container(container_id="v1"), container(container_id="v2")]


def test_replay_gives_each_container_its_balance() -> None:
    state = replay(empty_vials(), day_of_work())  # type: ignore[arg-type]
    assert state.containers["v1"].on_hand == 12
    assert state.containers["v1"].in_use_total == 0
    assert state.containers["v2"].on_hand == Decimal("15.5")


def test_balances_per_product_per_location() -> None:
    state = replay(empty_vials(), day_of_work())  # type: ignore[arg-type]
    (line,) = balances_by_product(state.containers.values())
    assert line.location_id == "wdm"
    assert line.on_hand == Decimal("27.5")
    assert line.in_use == 0
    assert line.containers == 2


def test_identity_received_minus_outflows_equals_custody() -> None:
    state = replay(empty_vials(), day_of_work())  # type: ignore[arg-type]
    (line,) = identity_report(state)
    assert line.totals.received == 40
    assert line.totals.administered == Decimal("7.5")
    assert line.totals.wasted == Decimal("4.5")
    assert line.totals.lost == Decimal("0.5")
    assert line.totals.expected_custody == Decimal("27.5")
    assert line.actual_custody == Decimal("27.5")
    assert line.holds


def test_drawn_but_not_yet_administered_counts_as_custody() -> None:
    entries = [
        entry(EntryKind.RECEIPT, "20", container_id="v1"),
        entry(EntryKind.DRAW, "8", container_id="v1", session_id="s1"),
    ]
    state = replay([container(container_id="v1")], entries)
    (line,) = identity_report(state)
    assert line.on_hand == 12
    assert line.in_use == 8
    assert line.holds


def test_corrections_show_up_as_adjustments() -> None:
    receipt = entry(EntryKind.RECEIPT, "20", container_id="v1")
    loss = entry(EntryKind.LOSS, "2", container_id="v1", reason="thought missing")
    found = entry(
        EntryKind.CORRECTION, "2", container_id="v1", corrects_entry_id=loss.entry_id, reason="found"
    )
    state = replay([container(container_id="v1")], [receipt, loss, found])
    (line,) = identity_report(state)
    assert line.totals.lost == 2
    assert line.totals.adjustments == 2
    assert line.actual_custody == 20
    assert line.holds


def test_an_entry_may_be_corrected_only_once() -> None:
    receipt = entry(EntryKind.RECEIPT, "20", container_id="v1")
    loss = entry(EntryKind.LOSS, "2", container_id="v1", reason="x")
    fix1 = entry(
        EntryKind.CORRECTION, "2", container_id="v1", corrects_entry_id=loss.entry_id, reason="found"
    )
    fix2 = entry(
        EntryKind.CORRECTION, "2", container_id="v1", corrects_entry_id=loss.entry_id, reason="again"
    )
    with pytest.raises(LedgerError) as caught:
        replay([container(container_id="v1")], [receipt, loss, fix1, fix2])
    assert caught.value.message == errors.ALREADY_CORRECTED
    assert caught.value.entry_id == fix2.entry_id


def test_correcting_an_unknown_entry_is_refused() -> None:
    fix = entry(EntryKind.CORRECTION, "2", container_id="v1", corrects_entry_id="nope", reason="x")
    with pytest.raises(LedgerError) as caught:
        replay([container(container_id="v1")], [fix])
    assert caught.value.message == errors.CORRECTION_UNKNOWN


def test_entry_for_a_container_not_in_the_ledger_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        replay([], [entry(EntryKind.RECEIPT, "20", container_id="ghost")])
    assert caught.value.message == errors.UNKNOWN_CONTAINER


def test_destroyed_stock_leaves_custody_through_the_destroyed_total() -> None:
    receipt = entry(EntryKind.RECEIPT, "20", container_id="v1")
    state = replay([container(container_id="v1")], [receipt])
    quarantined = change_state(state.containers["v1"], ContainerState.QUARANTINED, on=WHEN.date())
    destroy = entry(EntryKind.DESTRUCTION, "20", container_id="v1", witness_ids=("carl", "mia"))
    state2 = replay([quarantined], [destroy], totals=state.totals)
    (line,) = identity_report(state2)
    assert line.totals.destroyed == 20
    assert line.totals.expected_custody == 0
    assert line.holds
