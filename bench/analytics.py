"""Analytics benchmark on PostgreSQL: every dashboard panel at 100,000 patients / about 1,000,000 sessions.

The data come from the bulk synthetic history (``ketaflow demo --patients N``, ketaflow/core/bulk/),
written once into a dedicated database and reused while it holds exactly N bulk patients. Each panel's selector
runs on the last 365 days at every location (and on the whole three-year history) and the table shows the best of
``RUNS`` timings and the number of queries. Two panels are also computed by a naive peer that loads the rows and
loops in Python (what a first version of such a dashboard often does); both must agree and the ratio is printed.

    DEBUG=1 .venv/bin/python bench/analytics.py [--patients 100000] [--runs 3] [--fresh]

Needs PostgreSQL: ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/ketaflow_bench_analytics``).
Goal: under one second per panel at 100,000 patients.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ketaflow_bench_analytics")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.config.settings")
os.environ.setdefault("KETAFLOW_VAR_DIR", tempfile.mkdtemp(prefix="ketaflow-bench-analytics-"))
os.environ.setdefault("DEBUG", "1")
GOAL_MS = 1000.0


def ensure_database(fresh: bool) -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def populate(patients: int) -> str:
    """Generate the bulk history unless the database already holds exactly ``patients`` bulk patients."""
    from django.core.management import call_command
    from django.db import connection

    from ketaflow.core.bulk import CHART_PREFIX
    from ketaflow.patients.models import Patient

    call_command("migrate", verbosity=0)
    have = Patient.objects.filter(chart_number__startswith=CHART_PREFIX).count()
    if have == patients:
        return f"reused {have:,} bulk patients"
    if have:
        raise SystemExit(
            f"{DB_URL} holds {have:,} bulk patients, not {patients:,}: rerun with --fresh to rebuild it."
        )
    started = time.perf_counter()
    call_command("demo", patients=patients, json=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return f"generated {patients:,} bulk patients in {time.perf_counter() - started:.0f} s"


def timed(fn: Any, runs: int) -> tuple[float, int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best = float("inf")
    result = None
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - started)
        # SELECTs only: each panel also runs BEGIN, SET LOCAL jit = off and COMMIT on PostgreSQL.
        queries = sum(1 for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT"))
    return best * 1000, queries, result


# --- naive peers: load rows, loop in Python --------------------------------------------------------------


def peer_drop_off(f: Any) -> list[tuple[int, int]]:
    """Every course of the range and every given session loaded; the last infusion found in a Python loop."""
    from ketaflow.analytics.selectors import GIVEN
    from ketaflow.treatment.models import Course, InfusionSession

    courses = Course.objects.current().filter(
        location_id__in=f.location_ids, created_at__gte=f.since, created_at__lt=f.until
    )
    last: dict[int, int] = {c.pk: 0 for c in courses}
    for s in InfusionSession.objects.current().filter(course__in=courses, status__in=GIVEN):
        last[s.course_id] = max(last[s.course_id], s.sequence)
    return sorted(Counter(last.values()).items())


def peer_no_shows(f: Any) -> list[tuple[str, str, int, int, int]]:
    """Every session and consultation of the range loaded and counted in Python."""
    from ketaflow.scheduling.models import Appointment
    from ketaflow.treatment.models import InfusionSession

    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in InfusionSession.objects.current().filter(
        location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until
    ):
        row = counts["Infusion sessions", s.location_id]
        row[0] += 1
        row[1] += s.status == "cancelled"
        row[2] += s.status == "missed"
    for a in Appointment.objects.current().filter(
        location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until
    ):
        if a.status in ("held", "expired"):
            continue
        row = counts["Consultations", a.location_id]
        row[0] += 1
        row[1] += a.status == "cancelled"
        row[2] += a.status == "no_show"
    names = f.names
    return sorted((names[loc], kind, *v) for (kind, loc), v in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=int(os.environ.get("BENCH_PATIENTS", "100000")))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the benchmark database")
    args = parser.parse_args()
    try:
        ensure_database(args.fresh)
    except Exception as exc:  # noqa: BLE001 - report and stop: this bench is PostgreSQL only
        print(f"bench/analytics.py needs PostgreSQL at {DB_URL}: {exc}")
        return

    import django

    django.setup()
    from django.utils import timezone

    from ketaflow.analytics.selectors import PANELS, Filters
    from ketaflow.clinics.models import Location
    from ketaflow.treatment.models import InfusionSession

    how = populate(args.patients)
    sessions = InfusionSession.objects.count()
    locations = tuple(Location.objects.filter(is_active=True).order_by("name"))
    today = timezone.localdate()
    ranges = {
        "last 365 days": Filters(start=today - dt.timedelta(days=365), end=today, locations=locations),
        "3 years": Filters(start=today - dt.timedelta(days=3 * 365 + 1), end=today, locations=locations),
    }
    print(f"Analytics panels on PostgreSQL: {args.patients:,} patients, {sessions:,} sessions ({how}).")
    print(f"Best of {args.runs} runs per panel, every location.\n")
    header = f"{'panel':<20} {'range':<14} {'ms':>9} {'selects':>8} {'rows':>5}  goal < {GOAL_MS:.0f} ms"
    print(header)
    print("-" * len(header))
    slowest = 0.0
    for label, f in ranges.items():
        for slug, selector in PANELS.items():
            ms, queries, panel = timed(lambda s=selector, f=f: s(f), args.runs)
            slowest = max(slowest, ms) if label == "last 365 days" else slowest
            flag = "ok" if ms < GOAL_MS else "SLOW"
            print(f"{slug:<20} {label:<14} {ms:>9.1f} {queries:>8} {len(panel.rows):>5}  {flag}")
    print()

    f = ranges["last 365 days"]
    from ketaflow.analytics.selectors import drop_off, no_shows

    header = f"{'panel':<12} {'peer ms':>9} {'ours ms':>9} {'ratio':>7} {'peer queries':>13}  agree"
    print("Naive peer (rows loaded, Python loop) against the SQL selector, last 365 days:")
    print(header)
    print("-" * len(header))
    for name, ours_fn, peer_fn, as_peer in (
        ("drop-off", drop_off, peer_drop_off, lambda p: [(r["infusion"], r["stopped_here"]) for r in p.rows]),
        (
            "no-shows",
            no_shows,
            peer_no_shows,
            lambda p: sorted(
                (r["location"], r["kind"], r["booked"], r["cancelled"], r["no_show"])
                for r in p.rows
                if r["booked"]
            ),
        ),
    ):
        ours_ms, _q, ours = timed(lambda fn=ours_fn: fn(f), args.runs)
        peer_ms, peer_q, theirs = timed(lambda fn=peer_fn: fn(f), 1)
        agree = as_peer(ours) == theirs
        print(f"{name:<12} {peer_ms:>9.1f} {ours_ms:>9.1f} {peer_ms / ours_ms:>6.1f}x {peer_q:>13}  {agree}")
        if not agree:
            raise SystemExit(f"{name}: the peer and the selector disagree")
    print()
    print(
        f"Slowest panel over the last 365 days: {slowest:.0f} ms ({'within' if slowest < GOAL_MS else 'over'} the {GOAL_MS:.0f} ms goal)."
    )


if __name__ == "__main__":
    main()
