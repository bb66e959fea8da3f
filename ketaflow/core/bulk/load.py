"""Putting it together: batches of patients, then the ledger, all in one transaction, behind a progress bar."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from ketaflow.core.bulk.context import BATCH, CHART_PREFIX, Batch, build_context
from ketaflow.core.bulk.ledger import prepare_ledger, replay_ledger
from ketaflow.core.bulk.patients import write_patients
from ketaflow.core.bulk.sessions import flush_vitals
from ketaflow.core.bulk.specs import LEDGER_ORDER, REBUILT, TABLE_ORDER, WRITE_ORDER
from ketaflow.core.bulk.writing import Sink, analyze, reset_sequences

# Below this many patients (or when the tables already hold more than the load adds) rebuilding the secondary
# indexes over the whole table costs more than maintaining them row by row.
REBUILD_FROM = 2000


def generate(
    *,
    patients: int,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    end: dt.date | None = None,
    threaded: bool | None = None,
    rebuild_indexes: bool | None = None,
) -> dict[str, Any]:
    """Create ``patients`` synthetic patients with three years of history ending the day before ``end`` (today).

    ``progress`` is called with the number of patients generated after each batch, ``on_rows`` with the running
    total of rows written. Everything is written in one transaction (``Sink``); ``rebuild_indexes`` drops the
    big tables' secondary indexes for the load and builds them at its end (by default for big loads into
    small tables). Returns the rows written per table, the seconds and rows per second.
    """
    from ketaflow.core.bulk_sites import ensure_group_sites, sites_for
    from ketaflow.patients.models import Patient
    from ketaflow.scheduling.selectors import schedule_changed

    started = time.perf_counter()
    end = end or dt.datetime.now(dt.UTC).date()
    first_index = Patient.objects.filter(chart_number__startswith=CHART_PREFIX).count()
    ensure_group_sites(sites_for(first_index + patients))
    ctx, specs = build_context(seed, end)
    ledger_start = prepare_ledger(ctx)  # reads the database before the writer holds it
    if threaded is None:
        threaded = not connection.in_atomic_block and connection.settings_dict["NAME"] != ":memory:"
    if rebuild_indexes is None:
        rebuild_indexes = threaded and patients >= REBUILD_FROM and patients >= Patient.objects.count()
    sink = Sink(ctx.writer, specs, threaded=threaded, rebuild=REBUILT if rebuild_indexes else ())
    try:
        done = 0
        while done < patients:
            size = min(BATCH, patients - done)
            first_ids = {name: ctx.ids[name] for name in TABLE_ORDER}
            batch = Batch()
            write_patients(ctx, batch, first_index + done, size)
            flush_vitals(ctx, batch, first_index + done)
            sink.put(batch.rows, first_ids)
            done += size
            if progress is not None:
                progress(size)
            if on_rows is not None:
                on_rows(ctx.writer.total)
        first_ids = {name: ctx.ids[name] for name in LEDGER_ORDER}
        balances = replay_ledger(ctx, ledger_start, sink.put)
        sink.put({}, first_ids)
        sink.call(balances)
        sink.call(schedule_changed)
    except BaseException as exc:
        sink.close(exc)
        raise
    sink.close()
    reset_sequences(spec.model for spec in specs.values())
    analyze(specs.values())
    if on_rows is not None:
        on_rows(ctx.writer.total)
    seconds = time.perf_counter() - started
    rows = {name: ctx.writer.counts.get(name, 0) for name in WRITE_ORDER}
    total = sum(rows.values())
    return {
        "patients": patients,
        "seed": seed,
        "rows": rows,
        "total_rows": total,
        "seconds": round(seconds, 1),
        "rows_per_second": round(total / seconds) if seconds else 0,
    }


def generate_with_progress(*, patients: int, seed: int, quiet: bool) -> dict[str, Any]:
    """``generate`` behind a rich progress bar: patients generated, rows written and rows per second."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:>12,} rows {task.fields[rate]:>9,.0f} rows/s"),
        TimeElapsedColumn(),
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("synthetic patients", total=patients, rows=0, rate=0.0)

        def rows(total: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            bar.update(task, rows=total, rate=total / elapsed)

        return generate(patients=patients, seed=seed, progress=lambda n: bar.advance(task, n), on_rows=rows)
