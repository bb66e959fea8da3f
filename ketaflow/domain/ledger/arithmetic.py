"""Apply one entry to one container: the arithmetic of custody and every rule that can refuse it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from . import errors
from .errors import LedgerError
from .model import ZERO, Container, ContainerState, EntryKind, EntryResult, LedgerEntry, Unit

S = ContainerState

# Every state a container may move to from each state, whether moved by an entry or by hand.
# OPEN/EMPTY follow the balance; DESTROYED only through a witnessed destruction (DEA Form 41, DEA-41);
# DESTROYED → QUARANTINED only when a destruction entry is reversed by a correction.
ALLOWED_TRANSITIONS: dict[ContainerState, frozenset[ContainerState]] = {
    S.SEALED: frozenset({S.OPEN, S.EMPTY, S.EXPIRED, S.QUARANTINED}),
    S.OPEN: frozenset({S.EMPTY, S.EXPIRED, S.QUARANTINED}),
    S.EMPTY: frozenset({S.OPEN, S.QUARANTINED}),
    S.EXPIRED: frozenset({S.QUARANTINED}),
    S.QUARANTINED: frozenset({S.SEALED, S.OPEN, S.DESTROYED}),
    S.DESTROYED: frozenset({S.QUARANTINED}),
}

# The subset a person may choose with a STATE_CHANGE entry (expire, quarantine, release from quarantine).
MANUAL_TRANSITIONS: dict[ContainerState, frozenset[ContainerState]] = {
    S.SEALED: frozenset({S.EXPIRED, S.QUARANTINED}),
    S.OPEN: frozenset({S.EXPIRED, S.QUARANTINED}),
    S.EMPTY: frozenset({S.QUARANTINED}),
    S.EXPIRED: frozenset({S.QUARANTINED}),
    S.QUARANTINED: frozenset({S.SEALED, S.OPEN}),
    S.DESTROYED: frozenset(),
}

# Schedules whose open containers may be counted by estimate: 21 CFR 1304.11(e) allows estimates for
# Schedule III–V open containers (CFR-1304); Schedule I–II must be counted exactly.
ESTIMATE_SCHEDULES = frozenset({"CIII", "CIV", "CV"})

# Kinds a correction may reverse. Counts change nothing, transfers are undone by another transfer, state
# changes by another state change, corrections are never corrected (record the entry again instead).
CORRECTABLE = frozenset(
    {
        EntryKind.RECEIPT,
        EntryKind.DRAW,
        EntryKind.ADMINISTRATION,
        EntryKind.WASTE,
        EntryKind.RETURN,
        EntryKind.DESTRUCTION,
        EntryKind.LOSS,
        EntryKind.THEFT,
        EntryKind.ADJUSTMENT,
    }
)


def is_expired(container: Container, on: date) -> bool:
    """True when the container is marked expired or ``on`` is after its expiry date (usable on the date itself)."""
    return container.state is S.EXPIRED or (container.expires_on is not None and on > container.expires_on)


def change_state(container: Container, target: ContainerState, *, on: date) -> Container:
    """Move a container by hand (expire, quarantine, release) if the transition table allows it.

    Raises LedgerError(TRANSITION_NOT_ALLOWED) or LedgerError(RELEASE_EXPIRED).
    """
    if target not in MANUAL_TRANSITIONS[container.state]:
        raise LedgerError(errors.TRANSITION_NOT_ALLOWED.format(source=container.state, target=target))
    if container.state is S.QUARANTINED and container.expires_on is not None and on > container.expires_on:
        raise LedgerError(errors.RELEASE_EXPIRED)
    return replace(container, state=target)


def apply_entry(
    container: Container, entry: LedgerEntry, *, original: LedgerEntry | None = None
) -> EntryResult:
    """Apply one entry to a container and return the container before and after.

    ``original`` is required for a CORRECTION: the entry being reversed. Quantities are Decimal in the
    product's unit (mg, mL or devices). Raises LedgerError with one of the messages in ``errors``.
    """
    try:
        return _apply(container, entry, original)
    except LedgerError as refusal:
        raise LedgerError(refusal.message, entry_id=entry.entry_id) from None


def _apply(c: Container, e: LedgerEntry, original: LedgerEntry | None) -> EntryResult:
    _check_common(c, e)
    kind = e.kind
    if kind is EntryKind.RECEIPT:
        return _receipt(c, e)
    if kind is EntryKind.DRAW:
        return _draw(c, e)
    if kind in (EntryKind.ADMINISTRATION, EntryKind.WASTE, EntryKind.RETURN):
        return _from_session(c, e)
    if kind is EntryKind.TRANSFER:
        return _transfer(c, e)
    if kind is EntryKind.COUNT:
        return _count(c, e)
    if kind is EntryKind.CORRECTION:
        return _correction(c, e, original)
    if kind is EntryKind.DESTRUCTION:
        return _destruction(c, e)
    if kind in (EntryKind.LOSS, EntryKind.THEFT):
        return _loss(c, e)
    if kind is EntryKind.ADJUSTMENT:
        return _adjustment(c, e)
    return _state_change(c, e)


# -- shared checks -------------------------------------------------------------------------------------------
def _check_common(c: Container, e: LedgerEntry) -> None:
    if e.container_id != c.container_id:
        raise LedgerError(errors.WRONG_CONTAINER)
    # Stock belongs to one registered location (Iowa registers each location separately: Iowa-657-10).
    if e.location_id != c.location_id:
        raise LedgerError(errors.OTHER_LOCATION)
    if e.unit is not None and e.unit is not c.product.unit:
        raise LedgerError(errors.UNIT_MISMATCH.format(given=e.unit, expected=c.product.unit))
    if c.state is S.DESTROYED and e.kind is not EntryKind.CORRECTION:
        raise LedgerError(errors.CONTAINER_DESTROYED)
    if c.product.unit is Unit.DEVICE and e.quantity != e.quantity.to_integral_value():
        raise LedgerError(errors.DEVICE_NOT_WHOLE)
    if e.kind is EntryKind.RECEIPT and e.quantity <= 0:
        raise LedgerError(errors.RECEIPT_NOT_POSITIVE)
    if e.kind is EntryKind.COUNT and e.quantity < 0:
        raise LedgerError(errors.COUNT_NEGATIVE)
    if e.kind is EntryKind.ADJUSTMENT and e.quantity == 0:
        raise LedgerError(errors.ADJUSTMENT_ZERO)
    positive_kinds = CORRECTABLE - {EntryKind.ADJUSTMENT, EntryKind.RECEIPT}
    if e.kind in positive_kinds and e.quantity <= 0:
        raise LedgerError(errors.QUANTITY_NOT_POSITIVE)


def _need_witness(e: LedgerEntry) -> None:
    # A second person witnesses waste (institutional/state practice; clinical.md §7, UNVERIFIED federally).
    if not e.witness_ids:
        raise LedgerError(errors.WITNESS_REQUIRED)
    if e.actor_id in e.witness_ids:
        raise LedgerError(errors.SELF_WITNESSED)


def _need_reason(e: LedgerEntry) -> None:
    if not e.reason.strip():
        raise LedgerError(errors.REASON_REQUIRED)


def _fmt(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity == quantity.to_integral_value() else str(quantity)


def _take_from_stock(c: Container, quantity: Decimal) -> Decimal:
    if quantity > c.on_hand:
        raise LedgerError(
            errors.INSUFFICIENT_STOCK.format(
                requested=_fmt(quantity), held=_fmt(c.on_hand), unit=c.product.unit
            )
        )
    return c.on_hand - quantity


def _with_hold(c: Container, session_id: str, delta: Decimal) -> tuple[tuple[str, Decimal], ...]:
    holds = dict(c.in_use)
    holds[session_id] = holds.get(session_id, ZERO) + delta
    return tuple(sorted((sid, q) for sid, q in holds.items() if q != 0))


def _settle(state: ContainerState, on_hand: Decimal) -> ContainerState:
    """Follow the balance: a usable container with nothing left is empty; an empty one refilled is open."""
    if state in (S.SEALED, S.OPEN) and on_hand == 0:
        return S.EMPTY
    if state is S.EMPTY and on_hand > 0:
        return S.OPEN
    return state


def _result(c: Container, e: LedgerEntry, after: Container, custody_change: Decimal = ZERO) -> EntryResult:
    return EntryResult(entry=e, before=c, after=after, custody_change=custody_change)


# -- one function per kind -----------------------------------------------------------------------------------
def _receipt(c: Container, e: LedgerEntry) -> EntryResult:
    # Receipts record quantity and date received (21 CFR 1304.22, CFR-1304).
    if c.received:
        raise LedgerError(errors.ALREADY_RECEIVED)
    if c.state is not S.SEALED:
        raise LedgerError(errors.RECEIPT_NOT_SEALED)
    after = replace(c, on_hand=c.on_hand + e.quantity, received=True)
    return _result(c, e, after, e.quantity)


def _draw(c: Container, e: LedgerEntry) -> EntryResult:
    # Each withdrawal is tied to the session it is for (dispensing record, 21 CFR 1304.22(c), CFR-1304).
    if not e.session_id:
        raise LedgerError(errors.SESSION_REQUIRED)
    if c.state is S.QUARANTINED:
        raise LedgerError(errors.CONTAINER_QUARANTINED)
    if is_expired(c, e.occurred_at.date()):
        raise LedgerError(errors.CONTAINER_EXPIRED)
    on_hand = _take_from_stock(c, e.quantity)
    opened = S.OPEN if c.state is S.SEALED else c.state
    after = replace(
        c, on_hand=on_hand, in_use=_with_hold(c, e.session_id, e.quantity), state=_settle(opened, on_hand)
    )
    return _result(c, e, after)


def _from_session(c: Container, e: LedgerEntry) -> EntryResult:
    if e.kind is EntryKind.WASTE:
        _need_witness(e)
        if not e.session_id:
            # Waste straight from the container (e.g. a broken vial): comes off the stock on hand.
            on_hand = _take_from_stock(c, e.quantity)
            return _result(c, e, replace(c, on_hand=on_hand, state=_settle(c.state, on_hand)), -e.quantity)
    if not e.session_id:
        raise LedgerError(errors.SESSION_REQUIRED)
    held = c.held_for(e.session_id)
    if e.quantity > held:
        raise LedgerError(
            errors.EXCEEDS_DRAWN.format(requested=_fmt(e.quantity), held=_fmt(held), unit=c.product.unit)
        )
    in_use = _with_hold(c, e.session_id, -e.quantity)
    if e.kind is EntryKind.RETURN:
        # Unused stock (e.g. an unopened esketamine device) goes back into the container it came from.
        on_hand = c.on_hand + e.quantity
        return _result(c, e, replace(c, in_use=in_use, on_hand=on_hand, state=_settle(c.state, on_hand)))
    return _result(c, e, replace(c, in_use=in_use), -e.quantity)


def _transfer(c: Container, e: LedgerEntry) -> EntryResult:
    if not e.to_storage_id:
        raise LedgerError(errors.TRANSFER_NO_TARGET)
    # Another location is another registration (Iowa-657-10): that is a distribution, not a transfer.
    if e.to_location_id is not None and e.to_location_id != c.location_id:
        raise LedgerError(errors.TRANSFER_OTHER_LOCATION)
    if e.to_storage_id == c.storage_id:
        raise LedgerError(errors.TRANSFER_SAME_PLACE)
    if e.quantity != c.on_hand:
        raise LedgerError(
            errors.TRANSFER_QUANTITY.format(given=_fmt(e.quantity), held=_fmt(c.on_hand), unit=c.product.unit)
        )
    return _result(c, e, replace(c, storage_id=e.to_storage_id))


def _count(c: Container, e: LedgerEntry) -> EntryResult:
    # Estimates only for opened Schedule III–V containers; sealed ones are counted exactly (21 CFR 1304.11(e)).
    if e.estimated and (c.state is not S.OPEN or c.product.schedule not in ESTIMATE_SCHEDULES):
        raise LedgerError(errors.ESTIMATE_NOT_ALLOWED)
    return EntryResult(entry=e, before=c, after=c, count_difference=e.quantity - c.on_hand)


def _destruction(c: Container, e: LedgerEntry) -> EntryResult:
    # DEA Form 41: destruction recorded with two authorised witnesses (DEA-41).
    if c.state is not S.QUARANTINED:
        raise LedgerError(errors.DESTRUCTION_NOT_QUARANTINED)
    witnesses = set(e.witness_ids)
    if len(witnesses) < 2 or len(witnesses) != len(e.witness_ids) or e.actor_id in witnesses:
        raise LedgerError(errors.DESTRUCTION_WITNESSES)
    if c.in_use:
        raise LedgerError(errors.DESTRUCTION_IN_USE)
    if e.quantity != c.on_hand:
        raise LedgerError(errors.DESTRUCTION_QUANTITY.format(held=_fmt(c.on_hand), unit=c.product.unit))
    return _result(c, e, replace(c, on_hand=ZERO, state=S.DESTROYED), -e.quantity)


def _loss(c: Container, e: LedgerEntry) -> EntryResult:
    # Theft or loss is recorded with what is known; reporting deadlines are in deadlines.py (DEA-106-2023).
    _need_reason(e)
    on_hand = _take_from_stock(c, e.quantity)
    return _result(c, e, replace(c, on_hand=on_hand, state=_settle(c.state, on_hand)), -e.quantity)


def _adjustment(c: Container, e: LedgerEntry) -> EntryResult:
    # Minor count differences are annotated on the inventory record (UMN HSRM quoting DEA guidance).
    _need_reason(e)
    _need_witness(e)
    on_hand = c.on_hand + e.quantity if e.quantity > 0 else _take_from_stock(c, -e.quantity)
    return _result(c, e, replace(c, on_hand=on_hand, state=_settle(c.state, on_hand)), e.quantity)


def _state_change(c: Container, e: LedgerEntry) -> EntryResult:
    if e.to_state is None:
        raise LedgerError(errors.STATE_CHANGE_TARGET)
    return _result(c, e, change_state(c, e.to_state, on=e.occurred_at.date()))


def _correction(c: Container, e: LedgerEntry, original: LedgerEntry | None) -> EntryResult:
    # Records are never erased: a mistake is reversed by an entry that names it and says why (design.md §3).
    if original is None or not e.corrects_entry_id:
        raise LedgerError(errors.CORRECTION_NEEDS_ORIGINAL)
    if e.corrects_entry_id != original.entry_id or original.container_id != c.container_id:
        raise LedgerError(errors.CORRECTION_MISMATCH)
    _need_reason(e)
    if original.kind not in CORRECTABLE:
        raise LedgerError(errors.CORRECTION_KIND)
    if e.quantity != original.quantity:
        raise LedgerError(
            errors.CORRECTION_QUANTITY.format(expected=_fmt(original.quantity), unit=c.product.unit)
        )
    if c.state is S.DESTROYED and original.kind is not EntryKind.DESTRUCTION:
        raise LedgerError(errors.CONTAINER_DESTROYED)
    q = original.quantity
    session = original.session_id
    on_hand, in_use, state, custody = c.on_hand, c.in_use, c.state, ZERO
    kind = original.kind
    if kind is EntryKind.RECEIPT:
        on_hand, custody = on_hand - q, -q
    elif kind is EntryKind.DRAW and session:
        in_use, on_hand = _reverse_hold(c, session, q), on_hand + q
    elif kind in (EntryKind.ADMINISTRATION, EntryKind.WASTE) and session:
        in_use, custody = _with_hold(c, session, q), q
    elif kind is EntryKind.RETURN and session:
        on_hand, in_use = on_hand - q, _with_hold(c, session, q)
    elif kind is EntryKind.DESTRUCTION:
        on_hand, state, custody = on_hand + q, S.QUARANTINED, q
    elif kind is EntryKind.ADJUSTMENT:
        on_hand, custody = on_hand - q, -q
    else:  # loss, theft, or waste straight from the container
        on_hand, custody = on_hand + q, q
    if on_hand < 0:
        raise LedgerError(errors.CORRECTION_NEGATIVE)
    received = c.received and not (kind is EntryKind.RECEIPT and on_hand == 0 and not in_use)
    after = replace(c, on_hand=on_hand, in_use=in_use, state=_settle(state, on_hand), received=received)
    if kind is EntryKind.RECEIPT and not received:
        after = replace(after, state=S.SEALED)
    return _result(c, e, after, custody)


def _reverse_hold(c: Container, session_id: str, quantity: Decimal) -> tuple[tuple[str, Decimal], ...]:
    if c.held_for(session_id) < quantity:
        raise LedgerError(errors.CORRECTION_NEGATIVE)
    return _with_hold(c, session_id, -quantity)
