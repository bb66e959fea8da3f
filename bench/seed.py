"""Bulk synthetic history benchmark: ``ketaflow demo --patients N`` into fresh SQLite and PostgreSQL databases.

Each database is loaded by its own child process (settings are read once per process): migrate, the demo clinic,
then ``ketaflow.core.bulk.generate`` timed on its own. Prints one table per run (database, patients, rows,
seconds, rows per second) and the rows per table side by side. Issue #11 goal: under 120 s for 100,000 patients.

``BENCH_PATIENTS`` (or the first argument) sets the size (default 100,000). PostgreSQL:
``BENCH_SEED_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/ketaflow_bench_seed``; the database
is dropped and created). SQLite: a new file in a temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_SEED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ketaflow_bench_seed")
GOAL_SECONDS = 120


def child(vendor: str, patients: int) -> None:
    """Runs in a child process: load one fresh database and print the generator's summary as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ketaflow.core.bulk import generate
    from ketaflow.core.demo import load_demo

    call_command("migrate", verbosity=0)
    load_demo(patients=20)
    summary = generate(patients=patients, seed=2026)
    summary["vendor"] = connection.vendor
    print(json.dumps(summary))


def recreate_pg() -> str | None:
    try:
        import psycopg

        url = urlparse(PG_URL)
        admin = url._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}"')
            conn.execute(f'CREATE DATABASE "{url.path.lstrip("/")}"')
    except Exception as exc:  # noqa: BLE001 - report and carry on with SQLite
        return str(exc).splitlines()[0]
    return None


def run(label: str, patients: int, env: dict[str, str]) -> dict[str, object] | None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", label, str(patients)],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **env},
        check=False,
    )
    if result.returncode != 0:
        print(f"{label}: failed after {time.perf_counter() - started:.0f} s")
        print(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(no error output)")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    patients = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_PATIENTS", "100000"))
    results: list[tuple[str, dict[str, object]]] = []
    with tempfile.TemporaryDirectory(prefix="ketaflow-bench-seed-") as var_dir:
        summary = run("SQLite", patients, {"KETAFLOW_VAR_DIR": var_dir})
        if summary:
            results.append(("SQLite", summary))
    problem = recreate_pg()
    if problem:
        print(f"PostgreSQL skipped: {PG_URL}: {problem}")
    else:
        with tempfile.TemporaryDirectory(prefix="ketaflow-bench-seed-") as var_dir:
            summary = run("PostgreSQL", patients, {"KETAFLOW_VAR_DIR": var_dir, "DATABASE_URL": PG_URL})
            if summary:
                results.append(("PostgreSQL", summary))
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"\nbench/seed.py: {patients:,} synthetic patients, {cores} cores (load average {load:.1f} at the end)"
    )
    print(f"{'db':<11} {'patients':>9} {'rows':>12} {'seconds':>9} {'rows/s':>9}  goal < {GOAL_SECONDS} s")
    for label, s in results:
        verdict = "met" if float(s["seconds"]) < GOAL_SECONDS else "missed"  # type: ignore[arg-type]
        print(
            f"{label:<11} {s['patients']:>9,} {s['total_rows']:>12,} {s['seconds']:>9} "
            f"{s['rows_per_second']:>9,}  {verdict}"
        )
    if results:
        print(f"\n{'table':<22}" + "".join(f"{label:>14}" for label, _ in results))
        tables = list(results[0][1]["rows"])  # type: ignore[call-overload]
        for table in tables:
            counts = "".join(f"{s['rows'][table]:>14,}" for _, s in results)  # type: ignore[index]
            print(f"{table:<22}{counts}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
