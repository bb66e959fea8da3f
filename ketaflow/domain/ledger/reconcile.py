"""Physical counts against the book, tolerances for estimated counts, and escalation of shortages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from .deadlines import TheftLossDeadlines, theft_loss_deadlines
from .model import ZERO, Container, ContainerState, Unit


@dataclass(frozen=True)
class Tolerance:
    """Allowed difference: the larger of an absolute amount and a fraction of the expected amount."""

    absolute: Decimal = ZERO
    relative: Decimal = ZERO

    def allowed(self, expected: Decimal) -> Decimal:
        """Largest difference (either way) accepted for this expected quantity."""
        return max(self.absolute, self.relative * expected)


def _default_estimated() -> dict[Unit, Tolerance]:
    # Clinic-configurable placeholders, not regulatory numbers: the rule only allows estimating open
    # Schedule III–V containers (21 CFR 1304.11(e)); how close an estimate must be is the clinic's policy.
    return {
        Unit.ML: Tolerance(absolute=Decimal("0.5"), relative=Decimal("0.05")),
        Unit.MG: Tolerance(absolute=Decimal("5"), relative=Decimal("0.05")),
        Unit.DEVICE: Tolerance(),
    }


@dataclass(frozen=True)
class TolerancePolicy:
    """Exact counts must match (``exact``); estimated counts of open containers get ``estimated[unit]``."""

    exact: Tolerance = Tolerance()
    estimated: Mapping[Unit, Tolerance] = field(default_factory=_default_estimated)


class LineStatus(StrEnum):
    """Outcome of comparing one container's count with the book."""

    MATCH = "match"
    WITHIN_TOLERANCE = "within_tolerance"
    SHORT = "short"
    OVER = "over"
    NOT_COUNTED = "not_counted"
    UNKNOWN_CONTAINER = "unknown_container"


DISCREPANT = frozenset(
    {LineStatus.SHORT, LineStatus.OVER, LineStatus.NOT_COUNTED, LineStatus.UNKNOWN_CONTAINER}
)


@dataclass(frozen=True)
class CountLine:
    """What the counter found in one container (product unit); ``estimated`` for a by-eye volume."""

    container_id: str
    counted: Decimal
    estimated: bool = False


@dataclass(frozen=True)
class ReconciliationLine:
    """One container: expected (book), counted, difference = counted − expected, allowed tolerance, status."""

    container_id: str
    product_id: str | None
    unit: Unit | None
    expected: Decimal | None
    counted: Decimal | None
    difference: Decimal | None
    allowed: Decimal
    estimated: bool
    status: LineStatus


@dataclass(frozen=True)
class Reconciliation:
    """Every line of a count, and the discrepant ones."""

    lines: tuple[ReconciliationLine, ...]

    @property
    def discrepancies(self) -> tuple[ReconciliationLine, ...]:
        """Lines that are short, over, not counted or not in the book."""
        return tuple(line for line in self.lines if line.status in DISCREPANT)


def reconcile_count(
    containers: Iterable[Container], lines: Iterable[CountLine], *, policy: TolerancePolicy | None = None
) -> Reconciliation:
    """Compare a physical count with the book balance of each container.

    Expected is the container's ``on_hand`` (stock drawn for sessions is not in the container). Empty and
    destroyed containers are expected only if counted. Estimates count as exact for a sealed container.
    """
    rules = policy or TolerancePolicy()
    book = {c.container_id: c for c in containers}
    counted = {line.container_id: line for line in lines}
    out: list[ReconciliationLine] = []
    for cid, c in sorted(book.items()):
        line = counted.get(cid)
        if line is None:
            if c.state in (ContainerState.EMPTY, ContainerState.DESTROYED) or c.on_hand == 0:
                continue
            out.append(
                ReconciliationLine(
                    cid,
                    c.product.product_id,
                    c.product.unit,
                    c.on_hand,
                    None,
                    None,
                    ZERO,
                    False,
                    LineStatus.NOT_COUNTED,
                )
            )
            continue
        estimated = line.estimated and c.state is ContainerState.OPEN
        tolerance = rules.estimated.get(c.product.unit, rules.exact) if estimated else rules.exact
        allowed = tolerance.allowed(c.on_hand)
        difference = line.counted - c.on_hand
        if difference == 0:
            status = LineStatus.MATCH
        elif abs(difference) <= allowed:
            status = LineStatus.WITHIN_TOLERANCE
        else:
            status = LineStatus.SHORT if difference < 0 else LineStatus.OVER
        out.append(
            ReconciliationLine(
                cid,
                c.product.product_id,
                c.product.unit,
                c.on_hand,
                line.counted,
                difference,
                allowed,
                estimated,
                status,
            )
        )
    for cid, line in sorted(counted.items()):
        if cid not in book:
            out.append(
                ReconciliationLine(
                    cid,
                    None,
                    None,
                    None,
                    line.counted,
                    None,
                    ZERO,
                    line.estimated,
                    LineStatus.UNKNOWN_CONTAINER,
                )
            )
    return Reconciliation(lines=tuple(out))


# -- escalation ----------------------------------------------------------------------------------------------
class EscalationLevel(StrEnum):
    """NONE: nothing open. ANNOTATE: minor, note it on the inventory. SIGNIFICANT: report to DEA."""

    NONE = "none"
    ANNOTATE = "annotate"
    SIGNIFICANT = "significant"


@dataclass(frozen=True)
class DiscrepancyEvent:
    """A shortage found (count, reconciliation or incident). ``shortage`` > 0 is missing stock, product unit.

    ``discovered_at`` should be in the location's local time: business days are local.
    """

    location_id: str
    product_id: str
    unit: Unit
    discovered_at: datetime
    shortage: Decimal
    explained: bool = False


def _default_significant() -> dict[Unit, Decimal]:
    # Clinic-configurable placeholders. DEA names no quantity: significance weighs the amount, the substance,
    # and a pattern of losses over time (21 CFR 1301.76(b) — verify wording; UMN HSRM quoting DEA guidance).
    return {Unit.ML: Decimal("2"), Unit.MG: Decimal("20"), Unit.DEVICE: Decimal("1")}


@dataclass(frozen=True)
class EscalationPolicy:
    """A single shortage ≥ ``significant_single[unit]`` is significant; so are ``repeat_count`` smaller ones
    at one location within ``repeat_window_days`` (repeated small losses count as significant: UMN HSRM)."""

    significant_single: Mapping[Unit, Decimal] = field(default_factory=_default_significant)
    repeat_count: int = 3
    repeat_window_days: int = 30


@dataclass(frozen=True)
class EscalationDecision:
    """What to do, why, which events triggered it, and DEA deadlines when significant."""

    level: EscalationLevel
    reasons: tuple[str, ...]
    events: tuple[DiscrepancyEvent, ...]
    deadlines: TheftLossDeadlines | None


def assess_discrepancies(
    events: Iterable[DiscrepancyEvent], policy: EscalationPolicy, *, as_of: datetime
) -> EscalationDecision:
    """Decide whether shortages known ``as_of`` are minor or a significant loss to be reported.

    Explained events, surpluses and events after ``as_of`` are ignored. Deadlines run from the discovery of the
    event that made the loss significant (the large one, or the shortage completing the repeated pattern).
    """
    live = sorted(
        (e for e in events if not e.explained and e.shortage > 0 and e.discovered_at <= as_of),
        key=lambda e: e.discovered_at,
    )
    if not live:
        return EscalationDecision(EscalationLevel.NONE, (), (), None)
    reasons: list[str] = []
    triggers: list[DiscrepancyEvent] = []
    trigger_times: list[datetime] = []
    small_by_location: dict[str, list[DiscrepancyEvent]] = defaultdict(list)
    for e in live:
        limit = policy.significant_single.get(e.unit)
        if limit is not None and e.shortage >= limit:
            reasons.append(
                f"{e.shortage} {e.unit} of {e.product_id} missing at {e.location_id} "
                f"(at or above the {limit} {e.unit} threshold for a single loss)."
            )
            triggers.append(e)
            trigger_times.append(e.discovered_at)
        else:
            small_by_location[e.location_id].append(e)
    window = timedelta(days=policy.repeat_window_days)
    for location, small in sorted(small_by_location.items()):
        pattern = _first_pattern(small, policy.repeat_count, window)
        if pattern:
            reasons.append(
                f"{len(pattern)} small shortages at {location} within {policy.repeat_window_days} days "
                f"({pattern[0].discovered_at.date()} to {pattern[-1].discovered_at.date()}): a pattern of losses."
            )
            triggers.extend(pattern)
            trigger_times.append(pattern[-1].discovered_at)
    if not triggers:
        note = f"{len(live)} minor shortage(s): annotate the inventory record with the explanation."
        return EscalationDecision(EscalationLevel.ANNOTATE, (note,), tuple(live), None)
    deadlines = theft_loss_deadlines(min(trigger_times).date())
    return EscalationDecision(EscalationLevel.SIGNIFICANT, tuple(reasons), tuple(triggers), deadlines)


def _first_pattern(events: list[DiscrepancyEvent], count: int, window: timedelta) -> list[DiscrepancyEvent]:
    """The earliest run of ``count`` events whose first and last are at most ``window`` apart."""
    if count < 1:
        return []
    for end in range(count - 1, len(events)):
        run = events[end - count + 1 : end + 1]
        if run[-1].discovered_at - run[0].discovered_at <= window:
            return run
    return []
