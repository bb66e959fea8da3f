"""Slot search benchmark: 2 locations, 6 prescribers, 60 days, 5,000 existing appointments.

Ketaflow's `slot_search` (a fixed handful of queries, then interval arithmetic in `ketaflow.domain.scheduling`)
against the peer approach found in many booking systems: walk the grid and ask the database, for each
candidate start, whether the prescriber is free (one overlap query per candidate). Both run on the same
SQLite database in this process; the peer is timed on a sample and extrapolated (it says so).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.config.settings")
os.environ["KETAFLOW_VAR_DIR"] = tempfile.mkdtemp(prefix="ketaflow-bench-slots-")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

APPOINTMENTS = 5000
RUNS = 15


def setup() -> tuple[object, list[object], dt.datetime]:
    from ketaflow.accounts.models import User
    from ketaflow.accounts.roles import Role
    from ketaflow.clinics.models import Location
    from ketaflow.core.demo import load_demo
    from ketaflow.scheduling.models import Appointment, ConsultationType, ProviderAvailability

    call_command("migrate", verbosity=0)
    load_demo(patients=0)
    locations = list(Location.objects.order_by("name"))
    providers = list(User.objects.filter(role=Role.PRESCRIBER))
    for index in range(4):  # 6 prescribers in all
        user = User.objects.create(
            username=f"bench-prescriber-{index}", role=Role.PRESCRIBER, last_name=f"Bench{index}"
        )
        providers.append(user)
        for weekday in range(5):
            ProviderAvailability.objects.create(
                provider=user,
                location=locations[index % 2],
                weekday=weekday,
                starts_at=dt.time(8),
                ends_at=dt.time(17),
            )
    follow_up, _ = ConsultationType.objects.get_or_create(
        slug="bench-follow-up",
        defaults={
            "name": "Follow-up",
            "mode": "in_person",
            "duration_minutes": 15,
            "buffer_after_minutes": 0,
        },
    )
    now = timezone.now()
    tz = locations[0].tz
    rng = random.Random(7)
    taken: set[tuple[int, dt.datetime]] = set()
    rows = []
    availability = list(ProviderAvailability.objects.all())
    while len(rows) < APPOINTMENTS:
        window = rng.choice(availability)
        day = timezone.localdate() + dt.timedelta(days=rng.randint(1, 60))
        if day.weekday() != window.weekday:
            continue
        minutes = rng.randrange(0, (window.ends_at.hour - window.starts_at.hour) * 60 - 15, 15)
        start = dt.datetime.combine(day, window.starts_at, tzinfo=tz) + dt.timedelta(minutes=minutes)
        if (window.provider_id, start) in taken:
            continue
        taken.add((window.provider_id, start))
        rows.append(
            Appointment(
                location_id=window.location_id,
                provider_id=window.provider_id,
                consultation_type=follow_up,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=15),
                status=Appointment.Status.BOOKED,
                is_new_patient=False,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=1000)
    return ConsultationType.objects.get(slug="new-patient-consultation"), providers, now


def ketaflow_search(consultation_type: object, now: dt.datetime, *, cold: bool) -> tuple[float, int, int]:
    """Median over RUNS; ``cold`` bumps the schedule version first so every run re-reads the appointments."""
    from ketaflow.scheduling.selectors import schedule_changed, slot_search

    times = []
    for _ in range(RUNS):
        if cold:
            schedule_changed()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            slots = slot_search(consultation_type=consultation_type, now=now)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(queries.captured_queries), len(slots)


def peer_search(
    consultation_type: object, providers: list[object], now: dt.datetime, sample: int = 300
) -> tuple[float, int]:
    """One overlap query per candidate start (timed on ``sample`` candidates, extrapolated to all)."""
    from ketaflow.scheduling.models import Appointment, ProviderAvailability

    candidates = []
    for window in ProviderAvailability.objects.all():
        tz = window.location.tz
        for offset in range(1, 61):
            day = timezone.localdate() + dt.timedelta(days=offset)
            if day.weekday() != window.weekday:
                continue
            start = dt.datetime.combine(day, window.starts_at, tzinfo=tz)
            end_of_window = dt.datetime.combine(day, window.ends_at, tzinfo=tz)
            while start + dt.timedelta(minutes=30) <= end_of_window:
                candidates.append((window.provider_id, start))
                start += dt.timedelta(minutes=15)
    started = time.perf_counter()
    for provider_id, start in candidates[:sample]:
        Appointment.objects.filter(
            provider_id=provider_id,
            starts_at__lt=start + dt.timedelta(minutes=40),
            ends_at__gt=start,
            status="booked",
        ).exists()
    per_candidate = (time.perf_counter() - started) / sample
    return per_candidate * len(candidates), len(candidates)


def main() -> None:
    consultation_type, providers, now = setup()
    cold, cold_queries, _ = ketaflow_search(consultation_type, now, cold=True)
    ours, queries, slots = ketaflow_search(consultation_type, now, cold=False)
    peer, candidates = peer_search(consultation_type, providers, now)
    print(
        f"Slot search: 2 locations, {len(providers)} prescribers, 60 days, {APPOINTMENTS:,} appointments ({os.cpu_count()} cores)"
    )
    print(f"{'implementation':<42}{'median time':>14}{'queries':>10}{'ratio':>9}")
    print(
        f"{'Ketaflow slot_search (' + format(slots, ',') + ' free slots)':<42}{ours * 1000:>11.1f} ms{queries:>10}{1:>8.0f}x"
    )
    print(
        f"{'Ketaflow, schedule just changed (cold)':<42}{cold * 1000:>11.1f} ms{cold_queries:>10}{cold / ours:>8.1f}x"
    )
    print(
        f"{'per-candidate overlap query (extrapolated)':<42}{peer * 1000:>11.1f} ms{candidates:>10,}{peer / ours:>8.0f}x"
    )
    print(f"goal: median < 20 ms -> {'met' if ours < 0.020 else 'NOT met'}")


if __name__ == "__main__":
    main()
