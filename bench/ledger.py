"""Ledger benchmark on PostgreSQL: 1,000,000 ledger lines at one location.

Ketaflow keeps a running balance per product and location (``StockBalance``, updated under a row lock with
every line, docs/adr/0004-ledger-concurrency.md) and one per container. The peer is the approach found in
many inventory systems: derive the balance by summing every signed line (``SUM(CASE kind …)``), and derive a
count sheet's expected quantities with one ``GROUP BY container`` over all lines. Both read the same database
in the same process and must agree.

Needs PostgreSQL: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/ketaflow_bench_ledger``;
the database is dropped and created). ``BENCH_LINES`` changes the size (default 1,000,000).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ketaflow_bench_ledger")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.config.settings")
os.environ["KETAFLOW_VAR_DIR"] = tempfile.mkdtemp(prefix="ketaflow-bench-ledger-")
os.environ.setdefault("DEBUG", "1")

LINES = int(os.environ.get("BENCH_LINES", "1000000"))
LIVE_CONTAINERS = 50
RUNS = 15
# One used-up vial: receipt 20 mL; draw 10, give 9, waste 1; draw 10, give 10; an exact count of 0.
# (step, kind, quantity, container before/after, in use before/after, custody before/after, state before/after)
STEPS = [
    (1, "receipt", 20, 0, 20, 0, 0, 0, 20, "sealed", "sealed"),
    (2, "draw", 10, 20, 10, 0, 10, 20, 20, "sealed", "open"),
    (3, "administration", 9, 10, 10, 10, 1, 20, 11, "open", "open"),
    (4, "waste", 1, 10, 10, 1, 0, 11, 10, "open", "open"),
    (5, "draw", 10, 10, 0, 0, 10, 10, 10, "open", "empty"),
    (6, "administration", 10, 0, 0, 10, 0, 10, 0, "empty", "empty"),
    (7, "count", 0, 0, 0, 0, 0, 0, 0, "empty", "empty"),
]


def recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    try:
        recreate_database()
    except Exception as exc:  # noqa: BLE001 - report and stop: this bench is PostgreSQL only
        print(f"bench/ledger.py needs PostgreSQL at {DB_URL}: {exc}")
        return

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Case, DecimalField, F, Sum, Value, When
    from django.utils import timezone

    from ketaflow.core.demo import load_demo
    from ketaflow.ledger import selectors, services
    from ketaflow.ledger.demo import DEMO_PRODUCTS, load_demo_ledger
    from ketaflow.ledger.models import (
        Container,
        LedgerLine,
        Lot,
        Product,
        Receipt,
        StockBalance,
        StoragePlace,
    )

    call_command("migrate", verbosity=0)
    load_demo(patients=0)
    load_demo_ledger()
    from ketaflow.accounts.models import User
    from ketaflow.clinics.models import Location

    dsm = Location.objects.get(slug="des-moines")
    cora, nina, noah = (User.objects.get(username=u) for u in ("cora", "nina", "noah"))
    product = Product.objects.get(ndc=DEMO_PRODUCTS[0]["ndc"])
    storage = StoragePlace.objects.get(location=dsm, name="Main safe")
    receipt = Receipt.objects.create(
        location=dsm,
        storage=storage,
        supplier_name="BENCH",
        supplier_address="-",
        supplier_dea_number="RD0",
        invoice_number="BENCH-HISTORY",
        received_on=timezone.localdate(),
        received_by=cora,
    )
    lot = Lot.objects.create(product=product, lot_number="BENCH", expires_on=timezone.localdate())
    used = LINES // len(STEPS)
    started = time.perf_counter()
    values = ", ".join(
        f"({n}, '{k}', {q}, {cb}, {ca}, {ub}, {ua}, {pb}, {pa}, '{sb}', '{sa}')"
        for n, k, q, cb, ca, ub, ua, pb, pa, sb, sa in STEPS
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO ledger_container (uuid, created_at, updated_at, location_id, storage_id, product_id,
                   lot_id, receipt_id, label, state, on_hand, in_use, received)
               SELECT gen_random_uuid(), now(), now(), %s, %s, %s, %s, %s, 'BENCH-' || lpad(g::text, 7, '0'),
                   'empty', 0, '{}'::jsonb, true
               FROM generate_series(1, %s) g""",
            [dsm.pk, storage.pk, product.pk, lot.pk, receipt.pk, used],
        )
        cursor.execute(
            f"""INSERT INTO ledger_ledgerline (uuid, location_id, product_id, container_id, kind, occurred_at,
                   recorded_at, actor_id, witness_id, quantity, unit, quantity_mg, session_label, session_key,
                   estimated, from_storage_id, state_before, state_after, reason, receipt_id, container_before,
                   container_after, container_in_use_before, container_in_use_after, product_before,
                   product_after, engine_version)
               SELECT gen_random_uuid(), %s, %s, c.id, s.kind,
                   now() - interval '1000 days' + (c.id * interval '9 minutes') + s.n * interval '1 minute',
                   now(), %s, CASE WHEN s.kind = 'waste' THEN %s END, s.q, 'mL', s.q * 10,
                   CASE WHEN s.kind IN ('draw', 'administration', 'waste') THEN 'bench ' || c.id ELSE '' END,
                   CASE WHEN s.kind IN ('draw', 'administration', 'waste') THEN 'label:bench ' || c.id ELSE '' END,
                   false, %s, s.sb, s.sa, '', CASE WHEN s.kind = 'receipt' THEN %s END, s.cb, s.ca, s.ub, s.ua,
                   s.pb, s.pa, 'ledger-1.0'
               FROM ledger_container c
               CROSS JOIN (VALUES {values}) AS s(n, kind, q, cb, ca, ub, ua, pb, pa, sb, sa)
               WHERE c.receipt_id = %s
               ORDER BY c.id, s.n""",
            [dsm.pk, product.pk, nina.pk, noah.pk, storage.pk, receipt.pk, receipt.pk],
        )
        cursor.execute("ANALYZE ledger_ledgerline; ANALYZE ledger_container;")
    # The stock in custody today: one box received through the real service (running balance updated).
    services.receipt_record(
        location=dsm,
        storage=storage,
        supplier_name="DEMO",
        supplier_address="-",
        supplier_dea_number="RD0",
        invoice_number="BENCH-LIVE",
        received_on=timezone.localdate(),
        product=product,
        lot_number="BENCH-LIVE",
        expires_on=timezone.localdate().replace(year=timezone.localdate().year + 2),
        container_count=LIVE_CONTAINERS,
        quantity_per_container=Decimal("20"),
        received_by=cora,
    )
    total_lines = LedgerLine.objects.filter(location=dsm).count()
    print(f"{total_lines:,} ledger lines at {dsm.name} loaded in {time.perf_counter() - started:.1f} s")

    signed = Case(
        When(kind__in=["receipt", "return", "adjustment"], then=F("quantity")),
        When(kind__in=["draw", "loss", "theft", "destruction"], then=-F("quantity")),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )
    in_use = Case(
        When(kind="draw", then=F("quantity")),
        When(kind__in=["administration", "waste", "return"], then=-F("quantity")),
        default=Value(Decimal(0)),
        output_field=DecimalField(max_digits=14, decimal_places=3),
    )

    def ours_balance() -> tuple[Decimal, Decimal]:
        b = StockBalance.objects.get(location=dsm, product=product)
        return b.on_hand, b.in_use

    def peer_balance() -> tuple[Decimal, Decimal]:
        r = LedgerLine.objects.filter(location=dsm, product=product).aggregate(o=Sum(signed), u=Sum(in_use))
        return r["o"], r["u"]

    vial = Container.objects.filter(receipt__invoice_number="BENCH-LIVE").order_by("id").first()
    assert vial is not None

    def ours_container() -> Decimal:
        return Container.objects.only("on_hand").get(pk=vial.pk).on_hand

    def peer_container() -> Decimal:
        return LedgerLine.objects.filter(container=vial).aggregate(o=Sum(signed))["o"]

    def ours_expected() -> dict[int, Decimal]:
        return {c.pk: c.on_hand for c in selectors.count_containers(dsm)}

    def peer_expected() -> dict[int, Decimal]:
        rows = (
            LedgerLine.objects.filter(location=dsm)
            .values("container_id")
            .annotate(o=Sum(signed))
            .filter(o__gt=0)
            .values_list("container_id", "o")
        )
        return dict(rows)

    def ours_count() -> int:
        counts = [services.Counted(str(c.uuid), c.on_hand) for c in selectors.count_containers(dsm)]
        return services.count_record(
            location=dsm, kind="daily", counts=counts, counted_by=cora
        ).discrepancy_count

    def timed(fn: object, runs: int = RUNS) -> tuple[float, object]:
        times, result = [], None
        for _ in range(runs):
            t = time.perf_counter()
            result = fn()  # type: ignore[operator]
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000, result

    rows = []
    for work, ours, peer in [
        ("product balance at a location", ours_balance, peer_balance),
        ("one container's balance", ours_container, peer_container),
        ("daily count: expected per container", ours_expected, peer_expected),
    ]:
        peer_ms, peer_value = timed(peer, 5)
        our_ms, our_value = timed(ours)
        agree = our_value == peer_value
        rows.append(
            (work, peer_ms, our_ms, peer_ms / our_ms if our_ms else float("inf"), "0" if agree else "DIFF")
        )
        assert agree, (work, our_value, peer_value)
    count_ms, discrepancies = timed(ours_count, 5)
    assert discrepancies == 0
    rows.append(
        (
            f"daily count recorded ({LIVE_CONTAINERS} containers, writes)",
            float("nan"),
            count_ms,
            float("nan"),
            "0",
        )
    )

    print(f"\n{'work':<52} {'peer ms':>10} {'ours ms':>10} {'ratio':>9} {'max err':>8}")
    for work, peer_ms, our_ms, ratio, err in rows:
        peer_text = "–" if peer_ms != peer_ms else f"{peer_ms:.2f}"  # NaN: no peer for this row
        ratio_text = "–" if ratio != ratio else f"{ratio:.0f}x"
        print(f"{work:<52} {peer_text:>10} {our_ms:>10.2f} {ratio_text:>9} {err:>8}")
    print("peer = SUM(CASE kind …) over every ledger line; ours = running balance rows (median of runs)")


if __name__ == "__main__":
    main()
