"""20 simultaneous draws from one vial that holds enough for 10: exactly 10 succeed, nothing is lost.

Real threads, each with its own database connection. Run on SQLite (default) and on PostgreSQL with
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/ketaflow_dev``.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from ketaflow.ledger import services
from ketaflow.ledger.models import Container, LedgerLine, StockBalance, StoragePlace


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_draws_from_a_vial_for_ten_serialise(clinic: Any) -> None:
    from ketaflow.ledger.demo import DEMO_PRODUCTS, load_demo_ledger
    from ketaflow.ledger.models import Product

    load_demo_ledger()
    carl, nina = clinic.user("carl"), clinic.user("nina")
    product = Product.objects.get(ndc=DEMO_PRODUCTS[0]["ndc"])  # 10 mg/mL, counted in mL
    receipt = services.receipt_record(
        location=clinic.wdm,
        storage=StoragePlace.objects.get(location=clinic.wdm, name="Main safe"),
        supplier_name="DEMO supplier",
        supplier_address="1 Demo Way",
        supplier_dea_number="RD9999990",
        invoice_number="CONC-1",
        received_on=clinic.wdm.created_at.date(),
        product=product,
        lot_number="CONC-LOT",
        expires_on=clinic.wdm.created_at.date().replace(year=clinic.wdm.created_at.year + 2),
        container_count=1,
        quantity_per_container=Decimal("20"),
        received_by=carl,
    )
    vial = Container.objects.get(receipt=receipt)
    balance_before = StockBalance.objects.get(location=clinic.wdm, product=product)
    custody_before, on_hand_before = balance_before.custody, balance_before.on_hand

    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def draw(n: int) -> None:
        try:
            barrier.wait()
            services.container_draw(
                container=vial,
                quantity=Decimal("2"),
                session_uuid=None,
                session_label=f"thread {n}",
                drawn_by=nina,
            )
            result = "ok"
        except services.LedgerRefusal as refusal:
            result = refusal.message
        except Exception as exc:  # noqa: BLE001 - any other failure is reported by the assertion below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=draw, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcomes.count("ok") == 10, outcomes
    refused = [o for o in outcomes if o != "ok"]
    assert set(refused) == {"Cannot take 2 mL: the container holds only 0 mL."}, refused
    vial.refresh_from_db()
    assert vial.on_hand == Decimal("0")
    assert vial.state == "empty"
    assert vial.in_use_total == Decimal("20")
    draws = list(LedgerLine.objects.filter(container=vial, kind="draw").order_by("id"))
    assert len(draws) == 10
    # Every line starts where the previous one ended: no lost update.
    assert [d.container_before for d in draws] == [Decimal(20 - 2 * i) for i in range(10)]
    assert [d.container_after for d in draws] == [Decimal(18 - 2 * i) for i in range(10)]
    balance = StockBalance.objects.get(location=clinic.wdm, product=product)
    assert balance.on_hand == on_hand_before - Decimal("20")
    assert balance.custody == custody_before  # drawn stock is still in custody until given or wasted


@pytest.mark.django_db(transaction=True)
def test_parallel_draws_from_two_vials_of_one_product_keep_the_product_balance_exact(clinic: Any) -> None:
    """Draws on two vials lock their own rows, then share the product's balance row: no deadlock, no loss."""
    from ketaflow.ledger.demo import load_demo_ledger
    from ketaflow.ledger.tests.factories import product, receive

    load_demo_ledger()
    nina = clinic.user("nina")
    vials = receive(clinic, count=2, quantity="10", invoice="CONC-2", lot="CONC-2")
    before = StockBalance.objects.get(location=clinic.wdm, product=product())
    barrier = threading.Barrier(16)
    outcomes: list[str] = []
    lock = threading.Lock()

    def draw(n: int) -> None:
        try:
            barrier.wait()
            services.container_draw(
                container=vials[n % 2],
                quantity=Decimal("1"),
                session_uuid=None,
                session_label=f"t{n}",
                drawn_by=nina,
            )
            result = "ok"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=draw, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["ok"] * 16
    after = StockBalance.objects.get(location=clinic.wdm, product=product())
    assert after.on_hand == before.on_hand - 16 and after.in_use == before.in_use + 16
    lines = list(LedgerLine.objects.filter(container__in=vials, kind="draw").order_by("id"))
    # The product's running custody is unchanged by draws, and each vial's lines chain without gaps.
    assert all(x.product_before == x.product_after == before.custody for x in lines)
    for vial in vials:
        own = [x for x in lines if x.container_id == vial.pk]
        assert [x.container_before for x in own] == [Decimal(10 - i) for i in range(8)]
