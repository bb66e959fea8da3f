"""Ledger writes. Each service checks permissions, locks the rows it changes, calls ``ketaflow.domain.ledger``
for the arithmetic, appends ledger lines with before/after balances, and audits (docs/adr/0004).

Lock order, always: container rows (by id), then the product's ``StockBalance`` row. On PostgreSQL the locks
are ``SELECT … FOR UPDATE``; on SQLite every transaction starts with ``BEGIN IMMEDIATE`` (settings), which
serialises writers for the whole database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.accounts.services import totp_device_for
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain import ledger as dl
from ketaflow.ledger.models import (
    LIVE_STATES,
    ZERO,
    Container,
    ContainerState,
    CountLine,
    Destruction,
    Discrepancy,
    Incident,
    Inventory,
    InventoryLine,
    Kind,
    LedgerLine,
    Lot,
    Product,
    Receipt,
    StockBalance,
    StockCount,
    StoragePlace,
)

# Messages of refusals the domain package does not own (tests compare them exactly).
WITNESS_CREDENTIALS = "The witness's user name or password is not right."
WITNESS_CODE = "The witness's 6-digit code is not right or has expired."
WITNESS_THROTTLED = "Too many wrong attempts for this witness; wait a few seconds and try again."
WITNESS_NOT_ALLOWED = "The witness must be licensed staff allowed to witness controlled substances here."
WITNESSES_DISTINCT = "The two witnesses must be two different people."
LOT_EXPIRY_MISMATCH = "Lot {lot} is already recorded with expiry {expires_on}; check the label."
RECEIPT_CONTAINERS = "Receive at least one container."
STORAGE_OTHER_LOCATION = "That storage place belongs to another location."
ALREADY_CORRECTED = dl.errors.ALREADY_CORRECTED
SIGNATURE_PASSWORD = "Your password is not right; the inventory was not signed."
LABEL_TAKEN = "Another container was labelled at the same moment; submit again."
LOSS_NOTHING = "Name at least one container and the quantity missing from it."


class LedgerRefusal(Exception):
    """A refused ledger write: ``message`` for the person, ``field`` for the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# -- conversion to the domain ----------------------------------------------------------------------------------
def domain_product(product: Product) -> dl.Product:
    return dl.Product(
        product_id=str(product.pk),
        name=product.name,
        unit=dl.Unit(product.unit),
        schedule=product.schedule,
        ndc=product.ndc,
        concentration_mg_per_ml=product.concentration_mg_per_ml,
    )


def domain_container(container: Container) -> dl.Container:
    return dl.Container(
        container_id=str(container.pk),
        product=domain_product(container.product),
        location_id=str(container.location_id),
        storage_id=str(container.storage_id),
        state=dl.ContainerState(container.state),
        on_hand=container.on_hand,
        in_use=tuple(sorted((key, Decimal(q)) for key, q in container.in_use.items())),
        expires_on=container.lot.expires_on,
        received=container.received,
    )


def domain_entry(line: LedgerLine) -> dl.LedgerEntry:
    return dl.LedgerEntry(
        entry_id=str(line.uuid),
        kind=dl.EntryKind(line.kind),
        container_id=str(line.container_id),
        location_id=str(line.location_id),
        occurred_at=line.occurred_at,
        actor_id=str(line.actor_id),
        quantity=line.quantity,
        unit=dl.Unit(line.unit),
        session_id=line.session_key or None,
        witness_ids=tuple(str(w) for w in (line.witness_id, line.second_witness_id) if w),
        estimated=line.estimated,
        corrects_entry_id=str(line.corrects.uuid) if line.corrects_id else None,  # type: ignore[union-attr]
        reason=line.reason,
    )


def session_key_for(session_uuid: uuid.UUID | str | None, session_label: str) -> str:
    """The domain's session id: the infusion session's uuid, or its label until sessions exist (issue #9)."""
    if session_uuid:
        return str(session_uuid)
    label = " ".join(session_label.split())
    return f"label:{label}" if label else ""


# -- locking ---------------------------------------------------------------------------------------------------
def lock_container(container_id: int) -> Container:
    """Fetch one container FOR UPDATE (with what the domain needs). Call inside ``transaction.atomic``."""
    return (
        Container.objects.select_for_update(of=("self",))
        .select_related("product", "lot", "location")
        .get(pk=container_id)
    )


def _lock_balance(location_id: int, product_id: int) -> StockBalance:
    query = StockBalance.objects.select_for_update()
    try:
        return query.get(location_id=location_id, product_id=product_id)
    except StockBalance.DoesNotExist:
        try:
            with transaction.atomic():
                StockBalance.objects.create(location_id=location_id, product_id=product_id)
        except IntegrityError:
            pass  # created by a concurrent receipt; lock theirs
        return query.get(location_id=location_id, product_id=product_id)


# -- the one place a line is written ---------------------------------------------------------------------------
@dataclass
class _Extra:
    session_uuid: uuid.UUID | None = None
    session_label: str = ""
    witness: Any = None
    second_witness: Any = None
    to_storage: StoragePlace | None = None
    to_state: str | None = None
    estimated: bool = False
    corrects: LedgerLine | None = None
    reason: str = ""
    receipt: Receipt | None = None
    count: StockCount | None = None
    incident: Incident | None = None


def _record(
    *,
    container: Container,
    kind: str,
    actor: Any,
    quantity: Decimal,
    occurred_at: dt.datetime | None = None,
    extra: _Extra | None = None,
    balances: dict[tuple[int, int], StockBalance] | None = None,
) -> tuple[LedgerLine, dl.EntryResult]:
    """Apply one entry to a container already locked by the caller and append its ledger line.

    ``balances`` lets a caller writing many lines in one transaction lock each balance row once.
    """
    x = extra or _Extra()
    now = occurred_at or timezone.now()
    session_key = session_key_for(x.session_uuid, x.session_label)
    line_uuid = uuid.uuid4()
    entry = dl.LedgerEntry(
        entry_id=str(line_uuid),
        kind=dl.EntryKind(kind),
        container_id=str(container.pk),
        location_id=str(container.location_id),
        # Local dates decide expiry (the expiry date itself is still usable).
        occurred_at=timezone.localtime(now, container.location.tz),
        actor_id=str(actor.pk),
        quantity=quantity,
        unit=dl.Unit(container.product.unit),
        session_id=session_key or None,
        witness_ids=tuple(str(w.pk) for w in (x.witness, x.second_witness) if w is not None),
        to_storage_id=str(x.to_storage.pk) if x.to_storage else None,
        to_location_id=str(x.to_storage.location_id) if x.to_storage else None,
        to_state=dl.ContainerState(x.to_state) if x.to_state else None,
        estimated=x.estimated,
        corrects_entry_id=str(x.corrects.uuid) if x.corrects else None,
        reason=x.reason,
    )
    original = domain_entry(x.corrects) if x.corrects else None
    try:
        result = dl.apply_entry(domain_container(container), entry, original=original)
    except dl.LedgerError as refusal:
        raise LedgerRefusal(refusal.message) from None
    before, after = result.before, result.after
    key = (container.location_id, container.product_id)
    balance = balances.get(key) if balances is not None else None
    if balance is None:
        balance = _lock_balance(*key)
        if balances is not None:
            balances[key] = balance
    product_before = balance.custody
    on_hand_change = after.on_hand - before.on_hand
    in_use_change = after.in_use_total - before.in_use_total
    if on_hand_change or in_use_change:
        balance.on_hand += on_hand_change
        balance.in_use += in_use_change
        balance.save(update_fields=["on_hand", "in_use", "updated_at"])
    from_storage_id = container.storage_id
    if after != before:
        container.state = str(after.state)
        container.on_hand = after.on_hand
        container.in_use = {k: str(q) for k, q in after.in_use}
        container.received = after.received
        container.storage_id = int(after.storage_id)
        container.updated_by = actor
        container.save(
            update_fields=["state", "on_hand", "in_use", "received", "storage", "updated_by", "updated_at"]
        )
    line = LedgerLine.objects.create(
        uuid=line_uuid,
        location=container.location,
        product=container.product,
        container=container,
        kind=kind,
        occurred_at=now,
        actor=actor,
        witness=x.witness,
        second_witness=x.second_witness,
        quantity=quantity,
        unit=container.product.unit,
        quantity_mg=container.product.mg_for(quantity) if kind != Kind.STATE_CHANGE else None,
        session_uuid=x.session_uuid,
        session_label=x.session_label,
        session_key=session_key,
        estimated=x.estimated,
        from_storage_id=from_storage_id,
        to_storage=x.to_storage,
        state_before=str(before.state),
        state_after=str(after.state),
        corrects=x.corrects,
        reason=x.reason,
        receipt=x.receipt,
        count=x.count,
        incident=x.incident,
        container_before=before.on_hand,
        container_after=after.on_hand,
        container_in_use_before=before.in_use_total,
        container_in_use_after=after.in_use_total,
        product_before=product_before,
        product_after=balance.custody,
        count_difference=result.count_difference,
        engine_version=dl.VERSION,
    )
    return line, result


def _guard(user: Any, perm: str, location_id: int) -> None:
    ensure_perm(user, perm)
    ensure_location(user, location_id)


def _audit_line(line: LedgerLine, detail: str) -> None:
    audit(Action.CREATE, actor=line.actor, obj=line, location=line.location, detail=detail)


# -- witnesses ---------------------------------------------------------------------------------------------------
def witness_authenticate(*, username: str, password: str, token: str, actor: Any, location_id: int) -> Any:
    """The witness signs on the same tablet: password and their own TOTP code, never the actor themselves."""
    from ketaflow.accounts.models import User

    witness = User.objects.filter(username=username.strip(), is_active=True).first()
    device = totp_device_for(witness) if witness is not None else None
    # Witness sign-ins bypass the log-in page (and its lockout), so wrong passwords slow down the witness's
    # second factor the way wrong codes do (django-otp throttling, doubling delays).
    if device is not None and not device.verify_is_allowed()[0]:
        raise LedgerRefusal(WITNESS_THROTTLED, field="witness_password")
    if witness is None or not witness.check_password(password):
        if device is not None:
            device.throttle_increment()
            audit(Action.LOGIN_FAILED, actor=witness, detail="witness password refused at a ledger entry")
        raise LedgerRefusal(WITNESS_CREDENTIALS, field="witness_password")
    if witness.pk == actor.pk:
        raise LedgerRefusal(dl.errors.SELF_WITNESSED, field="witness_username")
    allowed = witness.is_licensed and witness.has_role_perm(Perm.WITNESS_CONTROLLED)
    if not allowed or (not witness.is_superuser and location_id not in witness.location_ids()):
        raise LedgerRefusal(WITNESS_NOT_ALLOWED, field="witness_username")
    if device is None or not device.verify_token(token.strip()):
        audit(Action.LOGIN_FAILED, actor=witness, detail="witness code refused at a ledger entry")
        raise LedgerRefusal(WITNESS_CODE, field="witness_token")
    return witness


# -- receipts ----------------------------------------------------------------------------------------------------
@transaction.atomic
def receipt_record(
    *,
    location: Any,
    storage: StoragePlace,
    supplier_name: str,
    supplier_address: str,
    supplier_dea_number: str,
    invoice_number: str,
    received_on: dt.date,
    product: Product,
    lot_number: str,
    expires_on: dt.date,
    container_count: int,
    quantity_per_container: Decimal,
    received_by: Any,
    note: str = "",
) -> Receipt:
    """Receive ``container_count`` sealed containers of one lot into a storage place (invoice-based, CIII)."""
    _guard(received_by, Perm.MANAGE_STOCK, location.pk)
    if storage.location_id != location.pk:
        raise LedgerRefusal(STORAGE_OTHER_LOCATION, field="storage")
    if container_count < 1:
        raise LedgerRefusal(RECEIPT_CONTAINERS, field="container_count")
    if quantity_per_container <= 0:
        raise LedgerRefusal(dl.errors.RECEIPT_NOT_POSITIVE, field="quantity_per_container")
    lot, _ = Lot.objects.get_or_create(
        product=product,
        lot_number=lot_number.strip(),
        defaults={"expires_on": expires_on, "created_by": received_by},
    )
    if lot.expires_on != expires_on:
        raise LedgerRefusal(
            LOT_EXPIRY_MISMATCH.format(lot=lot.lot_number, expires_on=lot.expires_on), field="expires_on"
        )
    receipt = Receipt.objects.create(
        location=location,
        storage=storage,
        supplier_name=supplier_name,
        supplier_address=supplier_address,
        supplier_dea_number=supplier_dea_number,
        invoice_number=invoice_number,
        received_on=received_on,
        received_by=received_by,
        note=note,
        created_by=received_by,
    )
    _lock_balance(location.pk, product.pk)  # serialises receipts of one product (and their labels)
    prefix = location.slug[:3].upper()
    start = Container.objects.filter(location=location).count() + 1
    now = timezone.now()
    for n in range(container_count):
        try:
            with transaction.atomic():
                container = Container.objects.create(
                    location=location,
                    storage=storage,
                    product=product,
                    lot=lot,
                    receipt=receipt,
                    label=f"{prefix}-{start + n:05d}",
                    created_by=received_by,
                )
        except IntegrityError:
            raise LedgerRefusal(LABEL_TAKEN) from None
        container.location = location
        container.lot = lot
        container.product = product
        _record(
            container=container,
            kind=Kind.RECEIPT,
            actor=received_by,
            quantity=quantity_per_container,
            occurred_at=now,
            extra=_Extra(receipt=receipt, reason=f"invoice {invoice_number}"),
        )
    audit(
        Action.CREATE,
        actor=received_by,
        obj=receipt,
        location=location,
        detail=f"receipt of {container_count} × {quantity_per_container} {product.unit} {product.ndc}",
    )
    return receipt


# -- use at the chair --------------------------------------------------------------------------------------------
@transaction.atomic
def container_draw(
    *,
    container: Container,
    quantity: Decimal,
    session_uuid: uuid.UUID | None,
    session_label: str,
    drawn_by: Any,
) -> LedgerLine:
    """Draw from a container for one infusion session. Concurrent draws from one vial queue on its row lock."""
    _guard(drawn_by, Perm.DRAW_CONTROLLED, container.location_id)
    locked = lock_container(container.pk)
    line, _ = _record(
        container=locked,
        kind=Kind.DRAW,
        actor=drawn_by,
        quantity=quantity,
        extra=_Extra(session_uuid=session_uuid, session_label=session_label),
    )
    _audit_line(line, f"draw {quantity} {line.unit} from {locked.label} for {line.session_key}")
    return line


def _session_line(
    *, container: Container, kind: str, quantity: Decimal, session_key: str, actor: Any, extra: _Extra
) -> LedgerLine:
    locked = lock_container(container.pk)
    first_draw = (
        LedgerLine.objects.filter(container=locked, kind=Kind.DRAW, session_key=session_key)
        .order_by("id")
        .first()
    )
    if session_key and first_draw is not None:
        extra.session_uuid, extra.session_label = first_draw.session_uuid, first_draw.session_label
    elif session_key.startswith("label:"):
        extra.session_label = session_key.removeprefix("label:")
    elif session_key:
        extra.session_uuid = uuid.UUID(session_key)
    line, _ = _record(container=locked, kind=kind, actor=actor, quantity=quantity, extra=extra)
    return line


@transaction.atomic
def container_administer(
    *, container: Container, session_key: str, quantity: Decimal, administered_by: Any
) -> LedgerLine:
    """Record what was given to the patient from what this session drew (from the administration record)."""
    _guard(administered_by, Perm.DRAW_CONTROLLED, container.location_id)
    line = _session_line(
        container=container,
        kind=Kind.ADMINISTRATION,
        quantity=quantity,
        session_key=session_key,
        actor=administered_by,
        extra=_Extra(),
    )
    _audit_line(line, f"administration {quantity} {line.unit} from {container.label}")
    return line


@transaction.atomic
def container_waste(
    *,
    container: Container,
    session_key: str,
    quantity: Decimal,
    wasted_by: Any,
    witness: Any,
    reason: str,
) -> LedgerLine:
    """Waste the remainder with a second person who authenticated separately (``witness_authenticate``)."""
    _guard(wasted_by, Perm.DRAW_CONTROLLED, container.location_id)
    if witness is None:
        raise LedgerRefusal(dl.errors.WITNESS_REQUIRED, field="witness_username")
    if witness.pk == wasted_by.pk:
        raise LedgerRefusal(dl.errors.SELF_WITNESSED, field="witness_username")
    line = _session_line(
        container=container,
        kind=Kind.WASTE,
        quantity=quantity,
        session_key=session_key,
        actor=wasted_by,
        extra=_Extra(witness=witness, reason=reason),
    )
    _audit_line(line, f"waste {quantity} {line.unit} from {container.label} witnessed by {witness.username}")
    return line


@transaction.atomic
def container_return(
    *, container: Container, session_key: str, quantity: Decimal, returned_by: Any
) -> LedgerLine:
    """Put unused stock (an unopened esketamine device) back into the container it was drawn from."""
    _guard(returned_by, Perm.DRAW_CONTROLLED, container.location_id)
    line = _session_line(
        container=container,
        kind=Kind.RETURN,
        quantity=quantity,
        session_key=session_key,
        actor=returned_by,
        extra=_Extra(),
    )
    _audit_line(line, f"return {quantity} {line.unit} to {container.label}")
    return line


# -- custody changes ---------------------------------------------------------------------------------------------
@transaction.atomic
def container_transfer(*, container: Container, to_storage: StoragePlace, moved_by: Any) -> LedgerLine:
    """Move a whole container to another storage place of the same location."""
    _guard(moved_by, Perm.MANAGE_STOCK, container.location_id)
    locked = lock_container(container.pk)
    line, _ = _record(
        container=locked,
        kind=Kind.TRANSFER,
        actor=moved_by,
        quantity=locked.on_hand,
        extra=_Extra(to_storage=to_storage),
    )
    _audit_line(line, f"transfer {locked.label} to {to_storage.name}")
    return line


@transaction.atomic
def container_state_change(
    *, container: Container, to_state: str, reason: str, changed_by: Any
) -> LedgerLine:
    """Expire, quarantine or release a container (the manual transitions of the domain)."""
    _guard(changed_by, Perm.MANAGE_STOCK, container.location_id)
    locked = lock_container(container.pk)
    line, _ = _record(
        container=locked,
        kind=Kind.STATE_CHANGE,
        actor=changed_by,
        quantity=ZERO,
        extra=_Extra(to_state=to_state, reason=reason),
    )
    _audit_line(line, f"{locked.label} {line.state_before} → {line.state_after}")
    return line


@transaction.atomic
def container_destroy(
    *,
    container: Container,
    method: str,
    destroyed_on: dt.date,
    destroyed_by: Any,
    witness: Any,
    second_witness: Any,
) -> Destruction:
    """Destroy a quarantined container: the DEA Form 41 data and two authorised witnesses."""
    _guard(destroyed_by, Perm.MANAGE_STOCK, container.location_id)
    if witness is not None and second_witness is not None and witness.pk == second_witness.pk:
        raise LedgerRefusal(WITNESSES_DISTINCT, field="second_witness_username")
    locked = lock_container(container.pk)
    held = locked.on_hand
    line, _ = _record(
        container=locked,
        kind=Kind.DESTRUCTION,
        actor=destroyed_by,
        quantity=held,
        extra=_Extra(witness=witness, second_witness=second_witness, reason=method),
    )
    product = locked.product
    strength = (
        f"{product.concentration_mg_per_ml} mg/mL"
        if product.concentration_mg_per_ml is not None
        else f"{product.mg_per_device} mg per device"
    )
    destruction = Destruction.objects.create(
        location_id=locked.location_id,
        container=locked,
        line=line,
        ndc=product.ndc,
        product_name=product.name,
        strength=strength,
        form=product.get_form_display(),
        package_quantity=product.container_size,
        partial_count=held,
        total_destroyed=held,
        unit=product.unit,
        method=method,
        destroyed_on=destroyed_on,
        destroyed_by=destroyed_by,
        witness=witness,
        second_witness=second_witness,
        created_by=destroyed_by,
    )
    _audit_line(line, f"destruction of {locked.label} ({held} {product.unit})")
    return destruction


@transaction.atomic
def line_correct(*, line: LedgerLine, reason: str, corrected_by: Any) -> LedgerLine:
    """Reverse a past line with a new line that names it and says why. Past lines are never edited."""
    _guard(corrected_by, Perm.MANAGE_STOCK, line.location_id)
    locked = lock_container(line.container_id)
    original = LedgerLine.objects.select_related("corrects").get(pk=line.pk)
    if LedgerLine.objects.filter(corrects=original).exists():
        raise LedgerRefusal(ALREADY_CORRECTED)
    correction, _ = _record(
        container=locked,
        kind=Kind.CORRECTION,
        actor=corrected_by,
        quantity=original.quantity,
        extra=_Extra(
            corrects=original,
            reason=reason,
            session_uuid=original.session_uuid,
            session_label=original.session_label,
        ),
    )
    _audit_line(correction, f"correction of {original.kind} line {original.uuid}")
    return correction


# -- counts and discrepancies ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counted:
    container_uuid: str
    counted: Decimal | None
    estimated: bool = False


@transaction.atomic
def count_record(
    *, location: Any, kind: str, counts: Sequence[Counted], counted_by: Any, note: str = ""
) -> StockCount:
    """Count every container at a location against the book (locks them all for a consistent snapshot)."""
    _guard(counted_by, Perm.MANAGE_STOCK, location.pk)
    containers = list(
        Container.objects.select_for_update(of=("self",))
        .select_related("product", "lot", "location")
        # Empty and destroyed containers hold nothing to count (years of them after a while).
        .filter(location=location, received=True, state__in=LIVE_STATES)
        .order_by("id")
    )
    by_uuid = {str(c.uuid): c for c in containers}
    now = timezone.now()
    count = StockCount.objects.create(
        location=location,
        kind=kind,
        counted_at=now,
        counted_by=counted_by,
        note=note,
        engine_version=dl.VERSION,
        created_by=counted_by,
    )
    lines: list[dl.CountLine] = []
    balances: dict[tuple[int, int], StockBalance] = {}
    for item in counts:
        container = by_uuid.get(item.container_uuid)
        if container is None or item.counted is None:
            continue
        try:
            _record(
                container=container,
                kind=Kind.COUNT,
                actor=counted_by,
                quantity=item.counted,
                occurred_at=now,
                extra=_Extra(estimated=item.estimated, count=count),
                balances=balances,
            )
        except LedgerRefusal as refusal:
            raise LedgerRefusal(refusal.message, field=f"counted_{item.container_uuid}") from None
        lines.append(dl.CountLine(str(container.pk), item.counted, item.estimated))
    reconciliation = dl.reconcile_count([domain_container(c) for c in containers], lines)
    by_pk = {str(c.pk): c for c in containers}
    count_lines = CountLine.objects.bulk_create(
        CountLine(
            count=count,
            container=by_pk[r.container_id],
            expected=r.expected if r.expected is not None else ZERO,
            counted=r.counted,
            difference=r.difference,
            allowed=r.allowed,
            estimated=r.estimated,
            status=str(r.status),
            created_by=counted_by,
        )
        for r in reconciliation.lines
    )
    found = [
        Discrepancy(
            location=location,
            product=count_line.container.product,
            container=count_line.container,
            count_line=count_line,
            discovered_at=now,
            # Missing quantity: −difference, or the whole book quantity of a container nobody counted.
            shortage=-r.difference if r.difference is not None else (r.expected or ZERO),
            created_by=counted_by,
        )
        for r, count_line in zip(reconciliation.lines, count_lines, strict=True)
        if r.status in dl.reconcile.DISCREPANT
    ]
    Discrepancy.objects.bulk_create(found)
    discrepancies = len(found)
    if discrepancies:
        StockCount.objects.filter(pk=count.pk).update(discrepancy_count=discrepancies)
        count.discrepancy_count = discrepancies
    audit(
        Action.CREATE,
        actor=counted_by,
        obj=count,
        location=location,
        detail=f"{count.get_kind_display()}: {len(lines)} containers, {discrepancies} discrepancies",
    )
    return count


DISCREPANCY_STEPS = {
    Discrepancy.Status.OPEN: {Discrepancy.Status.INVESTIGATING, Discrepancy.Status.EXPLAINED},
    Discrepancy.Status.INVESTIGATING: {
        Discrepancy.Status.EXPLAINED,
        Discrepancy.Status.RESOLVED,
        Discrepancy.Status.REPORTED,
    },
    Discrepancy.Status.EXPLAINED: {Discrepancy.Status.RESOLVED, Discrepancy.Status.INVESTIGATING},
    Discrepancy.Status.RESOLVED: set(),
    Discrepancy.Status.REPORTED: set(),
}
DISCREPANCY_STEP = "A discrepancy cannot go from {source} to {target}."
EXPLANATION_REQUIRED = "Write what was found: the explanation goes on the count record."
INCIDENT_REQUIRED = "A reported discrepancy must name the theft or loss incident it was reported in."


@transaction.atomic
def discrepancy_update(
    *, discrepancy: Discrepancy, status: str, explanation: str, incident: Incident | None, updated_by: Any
) -> Discrepancy:
    """Investigate, explain, resolve or report a count discrepancy."""
    _guard(updated_by, Perm.MANAGE_STOCK, discrepancy.location_id)
    locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if status not in DISCREPANCY_STEPS[Discrepancy.Status(locked.status)]:
        raise LedgerRefusal(DISCREPANCY_STEP.format(source=locked.status, target=status), field="status")
    if status != Discrepancy.Status.INVESTIGATING and not explanation.strip():
        raise LedgerRefusal(EXPLANATION_REQUIRED, field="explanation")
    if status == Discrepancy.Status.REPORTED and incident is None:
        raise LedgerRefusal(INCIDENT_REQUIRED, field="incident")
    locked.status = status
    if explanation.strip():
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        note = f"[{stamp} {updated_by.username}] {explanation.strip()}"
        locked.explanation = f"{locked.explanation}\n{note}".strip()
    locked.incident = incident
    locked.updated_by = updated_by
    locked.save()
    audit(Action.UPDATE, actor=updated_by, obj=locked, detail=f"discrepancy → {status}")
    return locked


# -- inventories -------------------------------------------------------------------------------------------------
@transaction.atomic
def inventory_take(
    *,
    location: Any,
    kind: str,
    taken_on: dt.date,
    taken_at: str,
    counts: Sequence[Counted],
    signature: str,
    password: str,
    taken_by: Any,
    note: str = "",
) -> Inventory:
    """An initial or biennial inventory of every container on hand, signed by the person who took it."""
    _guard(taken_by, Perm.MANAGE_STOCK, location.pk)
    if not taken_by.check_password(password):
        raise LedgerRefusal(SIGNATURE_PASSWORD, field="password")
    containers = list(
        Container.objects.select_for_update(of=("self",))
        .select_related("product", "lot")
        .filter(location=location, received=True, state__in=LIVE_STATES)
        .order_by("id")
    )
    given = {c.container_uuid: c for c in counts}
    registrations = ", ".join(str(r) for r in location.registrations.all())
    inventory = Inventory.objects.create(
        location=location,
        kind=kind,
        taken_on=taken_on,
        taken_at=taken_at,
        taken_by=taken_by,
        signed_by=taken_by,
        signed_at=timezone.now(),
        signature=signature,
        registrations=registrations,
        note=note,
        created_by=taken_by,
    )
    for c in containers:
        item = given.get(str(c.uuid))
        counted = item.counted if item is not None and item.counted is not None else c.on_hand
        estimated = bool(item and item.estimated)
        if estimated and (c.state != ContainerState.OPEN or c.product.schedule not in ("CIII", "CIV", "CV")):
            raise LedgerRefusal(dl.errors.ESTIMATE_NOT_ALLOWED, field=f"counted_{c.uuid}")
        if counted < 0:
            raise LedgerRefusal(dl.errors.COUNT_NEGATIVE, field=f"counted_{c.uuid}")
        InventoryLine.objects.create(
            inventory=inventory,
            container=c,
            product_name=c.product.name,
            ndc=c.product.ndc,
            lot_number=c.lot.lot_number,
            expires_on=c.lot.expires_on,
            state=c.state,
            book=c.on_hand,
            counted=counted,
            estimated=estimated,
            unit=c.product.unit,
            created_by=taken_by,
        )
    audit(Action.CREATE, actor=taken_by, obj=inventory, location=location, detail=f"{kind} inventory signed")
    return inventory


# -- theft and significant loss ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Missing:
    container: Container
    quantity: Decimal


@transaction.atomic
def incident_report(
    *,
    location: Any,
    kind: str,
    theft_type: str,
    discovered_at: dt.datetime,
    description: str,
    missing: Iterable[Missing],
    reported_by: Any,
    police_notified: bool = False,
    police_department: str = "",
    police_report_number: str = "",
    security_changes: str = "",
) -> Incident:
    """Record a theft or significant loss, take the stock off the book, and start the DEA deadline clock."""
    _guard(reported_by, Perm.MANAGE_STOCK, location.pk)
    items = [m for m in missing if m.quantity]
    if not items:
        raise LedgerRefusal(LOSS_NOTHING, field="container")
    deadlines = dl.theft_loss_deadlines(timezone.localtime(discovered_at, location.tz).date())
    incident = Incident.objects.create(
        location=location,
        kind=kind,
        theft_type=theft_type,
        discovered_at=discovered_at,
        reported_by=reported_by,
        description=description,
        police_notified=police_notified,
        police_department=police_department,
        police_report_number=police_report_number,
        security_changes=security_changes,
        notify_by=deadlines.notify_dea_by,
        form_106_by=deadlines.form_106_by,
        created_by=reported_by,
    )
    line_kind = Kind.THEFT if kind == Incident.Kind.THEFT else Kind.LOSS
    for item in sorted(items, key=lambda m: m.container.pk):
        if item.container.location_id != location.pk:
            raise LedgerRefusal(dl.errors.OTHER_LOCATION, field="container")
        locked = lock_container(item.container.pk)
        _record(
            container=locked,
            kind=line_kind,
            actor=reported_by,
            quantity=item.quantity,
            extra=_Extra(incident=incident, reason=description[:500]),
        )
    audit(
        Action.CREATE, actor=reported_by, obj=incident, location=location, detail=f"{kind} incident reported"
    )
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    dea_notified: bool,
    form_106_submitted: bool,
    form_106_reference: str,
    updated_by: Any,
) -> Incident:
    """Tick the one-business-day notice and the Form 106 submission; the first tick stamps the time."""
    _guard(updated_by, Perm.MANAGE_STOCK, incident.location_id)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    now = timezone.now()
    if dea_notified and not locked.dea_notified:
        locked.dea_notified, locked.dea_notified_at = True, now
    if form_106_submitted and locked.form_106_submitted_at is None:
        locked.form_106_submitted_at = now
    if form_106_reference:
        locked.form_106_reference = form_106_reference
    locked.updated_by = updated_by
    locked.save()
    audit(Action.UPDATE, actor=updated_by, obj=locked, detail="incident reporting status updated")
    return locked
