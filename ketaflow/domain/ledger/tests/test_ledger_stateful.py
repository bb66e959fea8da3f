"""Stateful property test: random ledger histories keep the identity and never go negative.

Default profile: 40 histories of up to 50 steps (bounded, a few seconds).
Long run (≥ 10,000 steps in total):

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -m slow ketaflow/domain/ledger

The class under test is an independent shadow model (plain dicts) next to the real functions: after every
step the real containers must match the shadow and the ledger identity must hold per product and location.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ketaflow.domain.ledger import (
    Container,
    ContainerState,
    EntryKind,
    LedgerEntry,
    LedgerError,
    LedgerTotals,
    apply_entry,
    identity_report,
    replay,
)

from .builders import ESKETAMINE_DEVICE, KETAMINE_10, WHEN, container

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
SESSIONS = ("s1", "s2", "s3")
STORAGE = ("safe-a", "safe-b")
tenths = st.integers(min_value=1, max_value=250).map(lambda n: Decimal(n) / 10)


class LedgerMachine(RuleBasedStateMachine):
    """Drives receipts, draws, administrations, wastes, returns, transfers, counts, corrections, destructions,
    losses, thefts and adjustments."""

    steps_run = 0

    def __init__(self) -> None:
        super().__init__()
        self.initial: list[Container] = []
        self.containers: dict[str, Container] = {}
        self.entries: list[LedgerEntry] = []
        self.correctable: list[LedgerEntry] = []
        self.shadow_on_hand: dict[str, Decimal] = {}
        self.shadow_held: dict[str, dict[str, Decimal]] = {}
        self.totals = LedgerTotals()
        self.serial = 0

    # -- helpers ---------------------------------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def _record(self, kind: EntryKind, container_id: str, quantity: Decimal, **extra: object) -> bool:
        """Apply an entry; on success keep it, on refusal assert nothing changed. Returns success."""
        LedgerMachine.steps_run += 1
        e = LedgerEntry(
            entry_id=self._next_id("e"),
            kind=kind,
            container_id=container_id,
            location_id="wdm",
            occurred_at=WHEN,
            actor_id="nina",
            quantity=quantity,
            **extra,  # type: ignore[arg-type]
        )
        original = next((o for o in self.entries if o.entry_id == e.corrects_entry_id), None)
        try:
            result = apply_entry(self.containers[container_id], e, original=original)
        except LedgerError:
            return False
        self.containers[container_id] = result.after
        self.entries.append(e)
        self.totals = self.totals.plus(result)
        if kind not in (EntryKind.COUNT, EntryKind.CORRECTION, EntryKind.TRANSFER, EntryKind.STATE_CHANGE):
            self.correctable.append(e)
        if kind is EntryKind.CORRECTION:
            self.correctable = [o for o in self.correctable if o.entry_id != e.corrects_entry_id]
        return True

    def _live(self, container_id: str) -> bool:
        return self.containers[container_id].state is not ContainerState.DESTROYED

    # -- rules -----------------------------------------------------------------------------------------------
    @rule(devices=st.booleans(), amount=tenths, whole=st.integers(1, 6))
    def receive(self, devices: bool, amount: Decimal, whole: int) -> None:
        cid = self._next_id("c")
        product = ESKETAMINE_DEVICE if devices else KETAMINE_10
        fresh = container(container_id=cid, product=product)
        self.initial.append(fresh)
        self.containers[cid] = fresh
        quantity = Decimal(whole) if devices else amount
        assert self._record(EntryKind.RECEIPT, cid, quantity)
        self.shadow_on_hand[cid] = quantity
        self.shadow_held[cid] = {}

    @precondition(lambda self: self.containers)
    @rule(data=st.data(), session=st.sampled_from(SESSIONS), fraction=st.integers(1, 12))
    def draw(self, data: st.DataObject, session: str, fraction: int) -> None:
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        quantity = self._quantity(c, self.shadow_on_hand[cid], fraction)
        drawable = c.state in (ContainerState.SEALED, ContainerState.OPEN)
        ok = self._record(EntryKind.DRAW, cid, quantity, session_id=session)
        assert ok == (drawable and Decimal(0) < quantity <= self.shadow_on_hand[cid])
        if ok:
            self.shadow_on_hand[cid] -= quantity
            held = self.shadow_held[cid]
            held[session] = held.get(session, Decimal(0)) + quantity

    def _quantity(self, c: Container, available: Decimal, fraction: int) -> Decimal:
        """Something between a tenth and 120% of what is available, in the container's unit."""
        raw = available * fraction / 10
        if c.product.unit.value == "device":
            return Decimal(max(int(raw), 1))
        return max(raw.quantize(Decimal("0.1")), Decimal("0.1"))

    @precondition(lambda self: any(q > 0 for h in self.shadow_held.values() for q in h.values()))
    @rule(
        data=st.data(),
        kind=st.sampled_from([EntryKind.ADMINISTRATION, EntryKind.WASTE, EntryKind.RETURN]),
        fraction=st.integers(1, 12),
        self_witness=st.booleans(),
    )
    def consume(self, data: st.DataObject, kind: EntryKind, fraction: int, self_witness: bool) -> None:
        cid, session = data.draw(
            st.sampled_from(
                sorted((c, s) for c, h in self.shadow_held.items() for s, q in h.items() if q > 0)
            )
        )
        c = self.containers[cid]
        held = self.shadow_held[cid][session]
        quantity = self._quantity(c, held, fraction)
        witnesses = ("nina",) if self_witness else ("paul",)
        ok = self._record(kind, cid, quantity, session_id=session, witness_ids=witnesses)
        expected = quantity <= held and not (kind is EntryKind.WASTE and self_witness)
        assert ok == expected
        if ok:
            self.shadow_held[cid][session] -= quantity
            if kind is EntryKind.RETURN:
                self.shadow_on_hand[cid] += quantity

    @precondition(lambda self: self.containers)
    @rule(data=st.data(), storage=st.sampled_from(STORAGE))
    def transfer(self, data: st.DataObject, storage: str) -> None:
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        ok = self._record(EntryKind.TRANSFER, cid, c.on_hand, to_storage_id=storage)
        assert ok == (self._live(cid) and storage != c.storage_id)

    @precondition(lambda self: self.containers)
    @rule(data=st.data(), off=st.integers(-3, 3), estimated=st.booleans())
    def count(self, data: st.DataObject, off: int, estimated: bool) -> None:
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        counted = max(
            c.on_hand + Decimal(off) / 10 if c.product.unit.value != "device" else c.on_hand, Decimal(0)
        )
        ok = self._record(EntryKind.COUNT, cid, counted, estimated=estimated)
        if ok:
            assert self.containers[cid] == c

    @precondition(lambda self: self.correctable)
    @rule(data=st.data())
    def correct(self, data: st.DataObject) -> None:
        original = data.draw(st.sampled_from(self.correctable))
        before = self.containers[original.container_id]
        ok = self._record(
            EntryKind.CORRECTION,
            original.container_id,
            original.quantity,
            corrects_entry_id=original.entry_id,
            reason="entered in error",
        )
        if ok:
            self._shadow_reverse(original)
        else:
            assert self.containers[original.container_id] == before

    def _shadow_reverse(self, original: LedgerEntry) -> None:
        cid, q, kind = original.container_id, original.quantity, original.kind
        held = self.shadow_held[cid]
        s = original.session_id or ""
        if kind is EntryKind.RECEIPT:
            self.shadow_on_hand[cid] -= q
        elif kind is EntryKind.DRAW:
            self.shadow_on_hand[cid] += q
            held[s] -= q
        elif kind is EntryKind.ADMINISTRATION:
            held[s] += q
        elif kind is EntryKind.WASTE:
            if original.session_id:
                held[s] += q
            else:
                self.shadow_on_hand[cid] += q
        elif kind is EntryKind.RETURN:
            self.shadow_on_hand[cid] -= q
            held[s] += q
        elif kind in (EntryKind.DESTRUCTION, EntryKind.LOSS, EntryKind.THEFT):
            self.shadow_on_hand[cid] += q
        elif kind is EntryKind.ADJUSTMENT:
            self.shadow_on_hand[cid] -= q

    @precondition(lambda self: self.containers)
    @rule(data=st.data())
    def quarantine_and_destroy(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        if c.state not in (ContainerState.SEALED, ContainerState.OPEN) or c.in_use_total or c.on_hand == 0:
            return
        assert self._record(EntryKind.STATE_CHANGE, cid, Decimal(0), to_state=ContainerState.QUARANTINED)
        assert self._record(EntryKind.DESTRUCTION, cid, c.on_hand, witness_ids=("carl", "mia"))
        self.shadow_on_hand[cid] = Decimal(0)

    @precondition(lambda self: self.containers)
    @rule(data=st.data(), fraction=st.integers(1, 12))
    def lose(self, data: st.DataObject, fraction: int) -> None:
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        if c.on_hand == 0:
            return
        quantity = self._quantity(c, c.on_hand, fraction)
        ok = self._record(EntryKind.LOSS, cid, quantity, reason="count short")
        assert ok == (self._live(cid) and quantity <= self.shadow_on_hand[cid])
        if ok:
            self.shadow_on_hand[cid] -= quantity

    @precondition(lambda self: self.containers)
    @rule(data=st.data(), tenths=st.integers(-30, 30), theft=st.booleans())
    def adjust_or_steal(self, data: st.DataObject, tenths: int, theft: bool) -> None:
        """Signed witnessed adjustments (vial overfill found at a count) and thefts."""
        cid = data.draw(st.sampled_from(sorted(self.containers)))
        c = self.containers[cid]
        if c.product.unit.value == "device":
            return
        amount = Decimal(tenths) / 10
        if theft:
            ok = self._record(EntryKind.THEFT, cid, abs(amount), reason="broken lock")
            assert ok == (self._live(cid) and Decimal(0) < abs(amount) <= self.shadow_on_hand[cid])
            if ok:
                self.shadow_on_hand[cid] -= abs(amount)
            return
        ok = self._record(EntryKind.ADJUSTMENT, cid, amount, reason="overfill", witness_ids=("paul",))
        assert ok == (self._live(cid) and amount != 0 and self.shadow_on_hand[cid] + amount >= 0)
        if ok:
            self.shadow_on_hand[cid] += amount

    # -- invariants ------------------------------------------------------------------------------------------
    @invariant()
    def never_negative_and_matches_shadow(self) -> None:
        for cid, c in self.containers.items():
            assert c.on_hand >= 0
            assert all(q >= 0 for _, q in c.in_use)
            assert c.on_hand == self.shadow_on_hand[cid]
            for session, q in self.shadow_held[cid].items():
                assert c.held_for(session) == q

    @invariant()
    def identity_holds_for_every_product_and_location(self) -> None:
        custody = sum((c.on_hand + c.in_use_total for c in self.containers.values()), Decimal(0))
        assert custody == self.totals.expected_custody

    @invariant()
    def replay_from_scratch_agrees(self) -> None:
        if len(self.entries) % 10:
            return  # replay every tenth step keeps the run fast
        state = replay(self.initial, self.entries)
        for line in identity_report(state):
            assert line.holds, line
        for cid, c in state.containers.items():
            assert c.on_hand == self.containers[cid].on_hand


TestLedgerHistories = LedgerMachine.TestCase
TestLedgerHistories.settings = settings(
    max_examples=400 if LONG else 40, stateful_step_count=50, deadline=None
)


@pytest.mark.slow
@pytest.mark.skipif(not LONG, reason="long soak: HYPOTHESIS_PROFILE=long pytest -m slow")
def test_ten_thousand_ledger_steps_keep_the_identity() -> None:
    LedgerMachine.steps_run = 0
    while LedgerMachine.steps_run < 10_000:
        run_state_machine_as_test(
            LedgerMachine, settings=settings(max_examples=100, stateful_step_count=50, deadline=None)
        )
    assert LedgerMachine.steps_run >= 10_000
