"""Server time per page, in process, on the load benchmark's 100k-patient PostgreSQL database (issue #11).

`bench/load.py` measures over HTTP with gunicorn and the load generator sharing the cores; this script takes
the network, gunicorn and the generator out and times each page of the load mix through Django's test client
(every middleware, the real database, DEBUG off), next to two floors in the same run:

- `/healthz`: a trivial view through the whole middleware stack (the load benchmark's floor);
- a staff 404 (`/treatment/sessions/<unknown uuid>/`): what every staff page pays before its own work (the
  login session, the user, the second-factor device, the user's locations) plus one query.

Prints median and minimum milliseconds, queries and bytes per page and the median as a multiple of each floor.
Environment: LOAD_DB (default ketaflow_load; run `bench/load.py` once to build it), PAGES_N (requests per page,
default 40). Read-only apart from the audit lines the chart and session pages write, as they do in use.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("LOAD_DB", "ketaflow_load")
N = int(os.environ.get("PAGES_N", "40"))


def _database_ready() -> bool:
    probe = subprocess.run(
        [
            "psql",
            "-qAt",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            DB,
            "-c",
            "SELECT count(*) FROM patients_patient",
        ],
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0 and int(probe.stdout.strip() or 0) > 0


def main() -> int:
    if not _database_ready():
        print(f"database {DB} is missing or empty: run bench/load.py first (it builds it); nothing measured")
        return 0
    os.environ.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
            "DEBUG": "0",
            "SECRET_KEY": "pages-bench-only",
            "SECURE_HTTPS": "0",
            "ALLOWED_HOSTS": "testserver",
            "KETAFLOW_VAR_DIR": str(ROOT / "var" / "load"),
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "ketaflow.config.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # the staff 404s would log one line each
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.load import endpoints
    from ketaflow.accounts.models import User
    from ketaflow.api.tokens import api_token_create, api_token_revoke
    from ketaflow.clinics.models import Location
    from ketaflow.patients.models import Patient
    from ketaflow.testing import login

    call_command("collectstatic", interactive=False, verbosity=0)
    wdm = Location.objects.get(slug="west-des-moines")
    nina = login(Client(), User.objects.get(username="nina"))
    nina.post("/clinic/switch-location/", {"location": str(wdm.uuid), "next": "/staff/"})
    token, raw = api_token_create(
        user=User.objects.get(username="mia"),
        scopes=["read:clinical", "read:schedule"],
        days=1,
        name="pages bench",
    )
    clients = {
        "nina": nina,
        "frank": login(Client(), User.objects.get(username="frank")),
        "public": Client(),
        "api": Client(HTTP_AUTHORIZATION=f"Bearer {raw}"),
    }
    htmx = {"HTTP_HX_REQUEST": "true"}
    # The load benchmark's read pages with the same paths and people, after the two floors.
    pages: list[tuple[str, Client, list[str], dict[str, str], int]] = [
        ("floor /healthz", clients["public"], ["/healthz"], {}, 200),
        ("floor staff 404", nina, [f"/treatment/sessions/{uuid.uuid4()}/"], {}, 404),
    ] + [
        (e.label, clients[e.who], list(e.paths), htmx if e.htmx else {}, 200)
        for e in endpoints()
        if e.method == "GET"
    ]
    print(
        f"\nIn-process server time per page, {DB} ({Patient.objects.count():,} patients), {os.cpu_count()} cores"
    )
    print(
        f"{'page':<20}{'median ms':>10}{'min ms':>8}{'queries':>8}{'bytes':>9}{'x /healthz':>11}{'x staff 404':>12}"
    )
    floors: dict[str, float] = {}
    try:
        for label, client, paths, headers, status in pages:
            for path in paths[:3]:  # warm the process's caches and the connection
                client.get(path, **headers)
            times, queries, size = [], 0, 0
            for index in range(N):
                path = paths[index % len(paths)]
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path, **headers)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != status:
                    raise SystemExit(f"{label}: {path} answered {response.status_code}")
                queries, size = max(queries, len(captured)), max(size, len(response.content))
            median = statistics.median(times)
            if label.startswith("floor"):
                floors[label] = median
            ratio = "".join(
                f"{median / floors[name]:>{width}.1f}" if name in floors else f"{'':>{width}}"
                for name, width in (("floor /healthz", 11), ("floor staff 404", 12))
            )
            print(f"{label:<20}{median:>10.1f}{min(times):>8.1f}{queries:>8}{size:>9}{ratio}")
    finally:
        api_token_revoke(token=token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
