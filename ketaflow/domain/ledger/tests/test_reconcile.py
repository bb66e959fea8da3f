"""Counting stock against the book, tolerances, and escalation of repeated small shortages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ketaflow.domain.ledger import (
    ContainerState,
    CountLine,
    DiscrepancyEvent,
    EscalationLevel,
    EscalationPolicy,
    LineStatus,
    Unit,
    assess_discrepancies,
    reconcile_count,
)

from .builders import ESKETAMINE_DEVICE, container


def shelf() -> list[object]:
    return [
        container(container_id="sealed", on_hand="20"),
        container(container_id="open", on_hand="12.4", state=ContainerState.OPEN),
        container(container_id="kit", on_hand="3", product=ESKETAMINE_DEVICE),
        container(container_id="spent", on_hand="0", state=ContainerState.EMPTY, received=True),
    ]


def test_exact_match_has_no_discrepancies() -> None:
    lines = [
        CountLine("sealed", Decimal("20")),
        CountLine("open", Decimal("12.4"), estimated=True),
        CountLine("kit", Decimal("3")),
    ]
    result = reconcile_count(shelf(), lines)  # type: ignore[arg-type]
    assert result.discrepancies == ()
    assert {line.status for line in result.lines} == {LineStatus.MATCH}


def test_estimate_within_tolerance_is_not_a_discrepancy() -> None:
    lines = [
        CountLine("sealed", Decimal("20")),
        CountLine("open", Decimal("12"), estimated=True),
        CountLine("kit", Decimal("3")),
    ]
    result = reconcile_count(shelf(), lines)  # type: ignore[arg-type]
    (open_line,) = [line for line in result.lines if line.container_id == "open"]
    assert open_line.status is LineStatus.WITHIN_TOLERANCE
    assert open_line.difference == Decimal("-0.4")
    assert open_line.allowed == Decimal("0.62")
    assert result.discrepancies == ()


def test_exact_count_short_by_a_device_is_a_discrepancy() -> None:
    lines = [
        CountLine("sealed", Decimal("20")),
        CountLine("open", Decimal("12.4"), estimated=True),
        CountLine("kit", Decimal("2")),
    ]
    (d,) = reconcile_count(shelf(), lines).discrepancies  # type: ignore[arg-type]
    assert d.container_id == "kit"
    assert d.status is LineStatus.SHORT
    assert d.difference == -1
    assert d.unit is Unit.DEVICE


def test_container_not_counted_and_unknown_container_are_reported() -> None:
    lines = [
        CountLine("open", Decimal("12.4"), estimated=True),
        CountLine("kit", Decimal("3")),
        CountLine("stray", Decimal("5")),
    ]
    result = reconcile_count(shelf(), lines)  # type: ignore[arg-type]
    statuses = {d.container_id: d.status for d in result.discrepancies}
    assert statuses == {"sealed": LineStatus.NOT_COUNTED, "stray": LineStatus.UNKNOWN_CONTAINER}


def test_surplus_beyond_tolerance_is_over() -> None:
    lines = [
        CountLine("sealed", Decimal("21")),
        CountLine("open", Decimal("12.4"), estimated=True),
        CountLine("kit", Decimal("3")),
    ]
    (d,) = reconcile_count(shelf(), lines).discrepancies  # type: ignore[arg-type]
    assert d.status is LineStatus.OVER


T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def shortage(days: int, amount: str, location: str = "wdm") -> DiscrepancyEvent:
    return DiscrepancyEvent(
        location_id=location,
        product_id="ketamine",
        unit=Unit.ML,
        discovered_at=T0 + timedelta(days=days),
        shortage=Decimal(amount),
    )


def test_single_small_shortage_is_annotated_only() -> None:
    decision = assess_discrepancies([shortage(0, "0.2")], EscalationPolicy(), as_of=T0)
    assert decision.level is EscalationLevel.ANNOTATE
    assert decision.deadlines is None


def test_large_single_shortage_is_significant_with_dea_deadlines() -> None:
    decision = assess_discrepancies([shortage(0, "5")], EscalationPolicy(), as_of=T0)
    assert decision.level is EscalationLevel.SIGNIFICANT
    assert decision.deadlines is not None
    assert decision.deadlines.notify_dea_by == date(2026, 3, 3)


def test_repeated_small_shortages_within_the_window_escalate() -> None:
    events = [shortage(0, "0.2"), shortage(10, "0.3"), shortage(20, "0.2")]
    decision = assess_discrepancies(
        events, EscalationPolicy(repeat_count=3, repeat_window_days=30), as_of=T0 + timedelta(days=20)
    )
    assert decision.level is EscalationLevel.SIGNIFICANT
    assert "3 small shortages" in decision.reasons[0]
    assert len(decision.events) == 3


def test_small_shortages_spread_beyond_the_window_do_not_escalate() -> None:
    events = [shortage(0, "0.2"), shortage(40, "0.3"), shortage(80, "0.2")]
    decision = assess_discrepancies(
        events, EscalationPolicy(repeat_count=3, repeat_window_days=30), as_of=T0 + timedelta(days=80)
    )
    assert decision.level is EscalationLevel.ANNOTATE


def test_small_shortages_at_different_locations_are_not_pooled() -> None:
    events = [shortage(0, "0.2", "wdm"), shortage(1, "0.2", "dsm"), shortage(2, "0.2", "ames")]
    assert assess_discrepancies(events, EscalationPolicy(), as_of=T0).level is EscalationLevel.ANNOTATE


def test_explained_shortages_and_future_events_are_ignored() -> None:
    explained = DiscrepancyEvent("wdm", "ketamine", Unit.ML, T0, Decimal("5"), explained=True)
    assert (
        assess_discrepancies([explained, shortage(3, "9")], EscalationPolicy(), as_of=T0).level
        is EscalationLevel.NONE
    )
