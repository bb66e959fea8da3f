"""The controlled-substance ledger, replayed in time order after the clinical rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ketaflow.core.bulk.context import (
    ESKETAMINE_NDC,
    IV_PRODUCT_NDC,
    RECEIPT_CONTAINERS,
    WASTE_REASON,
    BulkContext,
    Site,
    dashed,
)
from ketaflow.core.bulk.writing import Rows


# -- the controlled-substance ledger, replayed in time order -------------------------------------------------------
def _qty(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


class _Quantities(dict[int, str]):
    """``_qty`` remembered: the ledger repeats the same few thousand quantities and balances millions of times."""

    def __missing__(self, milli: int) -> str:
        text = self[milli] = _qty(milli)
        return text


@dataclass
class _Stock:
    """One product at one location while the ledger is replayed (quantities in thousandths of the unit)."""

    site: Site
    product: Any
    mg_per_unit: int
    size_milli: int
    custody: int
    containers: list[list[Any]] = field(default_factory=list)  # [id, on_hand, in_use, state, received_row]
    current: int = 0
    unit: str = ""
    location_id: int = 0
    product_id: int = 0
    storage_id: int = 0

    def __post_init__(self) -> None:
        self.unit, self.product_id = self.product.unit, self.product.pk
        self.location_id, self.storage_id = self.site.location_id, self.site.storage_id


LINE_FLUSH = 100_000


@dataclass
class LedgerStart:
    """What the replay needs from the database, read before the load's transaction opens (on SQLite the
    writer then holds the file; the generating thread must not read it)."""

    stocks: dict[tuple[int, str], _Stock]
    label_counter: dict[int, int]
    supplier: dict[str, str]
    version: str


def prepare_ledger(ctx: BulkContext) -> LedgerStart:
    from ketaflow.domain import ledger as dl
    from ketaflow.ledger.demo import SUPPLIER
    from ketaflow.ledger.models import Container, Product, StockBalance

    products = {p.ndc: p for p in Product.objects.filter(ndc__in=[IV_PRODUCT_NDC, ESKETAMINE_NDC])}
    stocks: dict[tuple[int, str], _Stock] = {}
    # Labels are numbered per location across products, as ``receipt_record`` numbers them.
    label_counter: dict[int, int] = {}
    for index, site in enumerate(ctx.sites):
        label_counter[index] = Container.objects.filter(location_id=site.location_id).count() + 1
        for ndc, product in products.items():
            balance = StockBalance.objects.filter(location_id=site.location_id, product=product).first()
            mg = product.concentration_mg_per_ml if product.unit == "mL" else product.mg_per_device
            stocks[(index, ndc)] = _Stock(
                site=site,
                product=product,
                mg_per_unit=int(mg),
                size_milli=int(product.container_size * 1000),
                custody=int((balance.custody if balance else Decimal(0)) * 1000),
            )
    return LedgerStart(stocks, label_counter, dict(SUPPLIER), dl.VERSION)


def replay_ledger(ctx: BulkContext, start: LedgerStart, put: Callable[[Rows], None]) -> Callable[[], None]:
    """Receipts as stock runs out, then per completed session a draw at the start and an administration (and a
    witnessed waste when stopped early) at the stop, in time order, with every balance before and after.

    Hands the rows to ``put`` (lines in chunks, then lots, receipts and containers) and returns the update of
    the running balances, to run in the load's transaction."""
    from ketaflow.ledger.models import StockBalance

    clock, text = ctx.clock, ctx.clock.text
    version, SUPPLIER = start.version, start.supplier
    stocks, label_counter = start.stocks, start.label_counter
    lots: list[tuple[Any, ...]] = []
    receipts: list[tuple[Any, ...]] = []
    containers: list[list[Any]] = []
    lines: list[tuple[Any, ...]] = []
    holds: dict[str, list[tuple[list[Any], int]]] = {}

    qty = _Quantities()
    line_ids = itertools.count(ctx.ids["ledger_lines"])
    line_tag = ctx.tags["ledger_lines"]

    def line(
        stock: _Stock,
        box: list[Any],
        kind: str,
        at: int,
        actor: int,
        witness: int | None,
        quantity: int,
        session: str | None,
        reason: str,
        receipt: int | None,
        before: tuple[int, int, str],
        custody_before: int,
    ) -> None:
        lid = next(line_ids)
        when = text(at)
        lines.append(
            (
                lid,
                f"{line_tag}{lid:012x}",
                stock.location_id,
                stock.product_id,
                box[0],
                kind,
                when,
                when,
                actor,
                witness,
                qty[quantity],
                stock.unit,
                qty[quantity * stock.mg_per_unit],
                session,
                dashed(session) if session else "",
                stock.storage_id,
                before[2],
                box[3],
                reason,
                receipt,
                qty[before[0]],
                qty[box[1]],
                qty[before[1]],
                qty[box[2]],
                qty[custody_before],
                qty[stock.custody],
                version,
            )
        )

    def receive(stock: _Stock, site_index: int, at: int) -> None:
        site = stock.site
        day = at // 1440
        lot_id = ctx.take("lots")
        created = text(at)
        lots.append(
            (
                lot_id,
                ctx.uuid("lots", lot_id),
                created,
                created,
                site.custodian_id,
                stock.product.pk,
                f"BULK-{lot_id:07d}",
                str(clock.base + dt.timedelta(days=day + 540)),
            )
        )
        receipt_id = ctx.take("receipts")
        invoice = f"BULK-INV-{receipt_id:07d}"
        receipts.append(
            (
                receipt_id,
                ctx.uuid("receipts", receipt_id),
                created,
                created,
                site.custodian_id,
                site.location_id,
                site.storage_id,
                SUPPLIER["supplier_name"],
                SUPPLIER["supplier_address"],
                SUPPLIER["supplier_dea_number"],
                invoice,
                clock.date(day),
                site.custodian_id,
            )
        )
        prefix = site.slug[:3].upper()
        for _ in range(RECEIPT_CONTAINERS[stock.product.ndc]):
            box_id = ctx.take("containers")
            number = label_counter[site_index]
            label_counter[site_index] = number + 1
            box = [
                box_id,
                0,
                0,
                "sealed",
                (
                    created,
                    site.custodian_id,
                    site.location_id,
                    site.storage_id,
                    stock.product.pk,
                    lot_id,
                    receipt_id,
                    f"{prefix}-{number:05d}",
                ),
            ]
            stock.containers.append(box)
            containers.append(box)
            custody_before = stock.custody
            before = (0, 0, "sealed")
            box[1] = stock.size_milli
            stock.custody += stock.size_milli
            line(
                stock,
                box,
                "receipt",
                at,
                site.custodian_id,
                None,
                stock.size_milli,
                None,
                f"invoice {invoice}",
                receipt_id,
                before,
                custody_before,
            )

    events = [(e[0], 0, i) for i, e in enumerate(ctx.dose_events)] + [
        (e[1], 1, i) for i, e in enumerate(ctx.dose_events)
    ]
    events.sort()
    for at, phase, index in events:
        started, stopped, session, site_index, ndc, quantity, given, nurse, prescriber = ctx.dose_events[
            index
        ]
        stock = stocks[(site_index, ndc)]
        if phase == 0:
            parts = []
            remaining = quantity
            while remaining > 0:
                while stock.current < len(stock.containers) and stock.containers[stock.current][1] == 0:
                    stock.current += 1
                if stock.current >= len(stock.containers):
                    receive(stock, site_index, at)
                    continue
                box = stock.containers[stock.current]
                take = min(remaining, box[1])
                before = (box[1], box[2], box[3])
                box[1] -= take
                box[2] += take
                box[3] = "empty" if box[1] == 0 else "open"
                line(stock, box, "draw", at, nurse, None, take, session, "", None, before, stock.custody)
                parts.append((box, take))
                remaining -= take
            holds[session] = parts
        else:
            left = given
            for box, drawn in holds.pop(session):
                administered = min(drawn, left)
                left -= administered
                # What was drawn is given, and what is left of it is wasted in front of a witness.
                for kind, quantity, witness, reason in (
                    ("administration", administered, None, ""),
                    ("waste", drawn - administered, prescriber, WASTE_REASON),
                ):
                    if not quantity:
                        continue
                    before = (box[1], box[2], box[3])
                    custody_before = stock.custody
                    box[2] -= quantity
                    stock.custody -= quantity
                    line(
                        stock,
                        box,
                        kind,
                        at,
                        nurse,
                        witness,
                        quantity,
                        session,
                        reason,
                        None,
                        before,
                        custody_before,
                    )
        if len(lines) >= LINE_FLUSH:
            put({"ledger_lines": lines})
            lines = []
    put(
        {
            "ledger_lines": lines,
            "lots": lots,
            "receipts": receipts,
            "containers": [
                (
                    box[0],
                    ctx.uuid("containers", box[0]),
                    box[4][0],
                    ctx.now_text,
                    box[4][1],
                    *box[4][2:],
                    box[3],
                    _qty(box[1]),
                    "{}",
                    True,
                )
                for box in containers
            ],
        }
    )
    ctx.dose_events.clear()
    ctx.ids["ledger_lines"] = next(line_ids)

    def balances() -> None:
        """The running balance per product and location (not append-only: updated like the services do)."""
        for stock in stocks.values():
            if not stock.containers:
                continue
            on_hand = sum(box[1] for box in stock.containers)
            balance, _ = StockBalance.objects.get_or_create(
                location_id=stock.site.location_id, product=stock.product
            )
            balance.on_hand += Decimal(on_hand) / 1000
            balance.save(update_fields=["on_hand", "updated_at"])

    return balances
