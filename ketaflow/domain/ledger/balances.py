"""Replaying entries: balances per container and per product at a location, and the custody identity.

The identity every ledger must satisfy, per product and location:

    on hand + drawn-but-unaccounted = received − administered − wasted − destroyed − lost ± adjustments

where adjustments are signed ADJUSTMENT entries plus the custody effect of corrections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from . import errors
from .arithmetic import apply_entry
from .errors import LedgerError
from .model import ZERO, Container, EntryKind, EntryResult, LedgerEntry, Unit

BalanceKey = tuple[str, str]  # (location_id, product_id)


@dataclass(frozen=True)
class LedgerTotals:
    """Cumulative movements in and out of custody for one product at one location (product unit)."""

    received: Decimal = ZERO
    administered: Decimal = ZERO
    wasted: Decimal = ZERO
    destroyed: Decimal = ZERO
    lost: Decimal = ZERO
    adjustments: Decimal = ZERO

    @property
    def expected_custody(self) -> Decimal:
        """received − administered − wasted − destroyed − lost + adjustments."""
        return self.received - self.administered - self.wasted - self.destroyed - self.lost + self.adjustments

    def plus(self, result: EntryResult) -> LedgerTotals:
        """These totals after one applied entry."""
        kind, moved = result.entry.kind, -result.custody_change
        if kind is EntryKind.RECEIPT:
            return replace(self, received=self.received + result.custody_change)
        if kind is EntryKind.ADMINISTRATION:
            return replace(self, administered=self.administered + moved)
        if kind is EntryKind.WASTE:
            return replace(self, wasted=self.wasted + moved)
        if kind is EntryKind.DESTRUCTION:
            return replace(self, destroyed=self.destroyed + moved)
        if kind in (EntryKind.LOSS, EntryKind.THEFT):
            return replace(self, lost=self.lost + moved)
        if kind in (EntryKind.ADJUSTMENT, EntryKind.CORRECTION):
            return replace(self, adjustments=self.adjustments + result.custody_change)
        return self


@dataclass(frozen=True)
class LedgerState:
    """Containers after a replay, totals per (location, product), and every entry's before/after."""

    containers: Mapping[str, Container]
    totals: Mapping[BalanceKey, LedgerTotals]
    results: tuple[EntryResult, ...]


def replay(
    containers: Iterable[Container],
    entries: Iterable[LedgerEntry],
    *,
    totals: Mapping[BalanceKey, LedgerTotals] | None = None,
) -> LedgerState:
    """Apply entries in the order given to the containers as they stood before the first entry.

    Corrections are matched to earlier entries by id; each entry may be corrected once. ``totals`` carries the
    cumulative totals from an earlier replay when starting from a later snapshot. Raises LedgerError with the
    offending ``entry_id``.
    """
    current = {c.container_id: c for c in containers}
    running: dict[BalanceKey, LedgerTotals] = dict(totals or {})
    seen: dict[str, LedgerEntry] = {}
    corrected: set[str] = set()
    results: list[EntryResult] = []
    for entry in entries:
        container = current.get(entry.container_id)
        if container is None:
            raise LedgerError(errors.UNKNOWN_CONTAINER, entry_id=entry.entry_id)
        original = None
        if entry.kind is EntryKind.CORRECTION and entry.corrects_entry_id is not None:
            original = seen.get(entry.corrects_entry_id)
            if original is None:
                raise LedgerError(errors.CORRECTION_UNKNOWN, entry_id=entry.entry_id)
            if original.entry_id in corrected:
                raise LedgerError(errors.ALREADY_CORRECTED, entry_id=entry.entry_id)
        result = apply_entry(container, entry, original=original)
        if original is not None:
            corrected.add(original.entry_id)
        seen[entry.entry_id] = entry
        current[entry.container_id] = result.after
        key = (container.location_id, container.product.product_id)
        running[key] = running.get(key, LedgerTotals()).plus(result)
        results.append(result)
    return LedgerState(containers=current, totals=running, results=tuple(results))


@dataclass(frozen=True)
class ProductBalance:
    """Stock of one product at one location: in containers, in sessions' custody, and containers holding it."""

    location_id: str
    product_id: str
    unit: Unit
    on_hand: Decimal
    in_use: Decimal
    containers: int


def balances_by_product(containers: Iterable[Container]) -> list[ProductBalance]:
    """Sum container balances per (location, product), sorted by location then product.

    ``containers`` counts the ones still holding stock (on hand or in use).
    """
    sums: dict[BalanceKey, tuple[Unit, Decimal, Decimal, int]] = {}
    for c in containers:
        key = (c.location_id, c.product.product_id)
        unit, on_hand, in_use, count = sums.get(key, (c.product.unit, ZERO, ZERO, 0))
        holding = 1 if (c.on_hand > 0 or c.in_use_total > 0) else 0
        sums[key] = (unit, on_hand + c.on_hand, in_use + c.in_use_total, count + holding)
    return [
        ProductBalance(location_id=loc, product_id=pid, unit=u, on_hand=oh, in_use=iu, containers=n)
        for (loc, pid), (u, oh, iu, n) in sorted(sums.items())
    ]


@dataclass(frozen=True)
class IdentityLine:
    """The identity for one product at one location: what the totals say against what the containers hold."""

    location_id: str
    product_id: str
    totals: LedgerTotals
    on_hand: Decimal
    in_use: Decimal

    @property
    def actual_custody(self) -> Decimal:
        """On hand plus drawn and not yet accounted for."""
        return self.on_hand + self.in_use

    @property
    def difference(self) -> Decimal:
        """Actual minus expected custody; zero when the books balance."""
        return self.actual_custody - self.totals.expected_custody

    @property
    def holds(self) -> bool:
        """True when the books balance exactly."""
        return self.difference == 0


def identity_report(state: LedgerState) -> list[IdentityLine]:
    """Check received − administered − wasted − destroyed − lost ± adjustments = custody, per product/location."""
    balances = {(b.location_id, b.product_id): b for b in balances_by_product(state.containers.values())}
    keys = sorted(set(balances) | set(state.totals))
    lines = []
    for key in keys:
        balance = balances.get(key)
        lines.append(
            IdentityLine(
                location_id=key[0],
                product_id=key[1],
                totals=state.totals.get(key, LedgerTotals()),
                on_hand=balance.on_hand if balance else ZERO,
                in_use=balance.in_use if balance else ZERO,
            )
        )
    return lines
