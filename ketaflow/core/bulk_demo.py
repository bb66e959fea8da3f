"""Bulk synthetic history for scale tests: ``ketaflow demo --patients 100000``.

Rows are built in plain Python and written with ``bulk_create`` in large batches inside one transaction per
batch, with a progress bar. Everything is invented (names from short word lists, ``example.invalid`` emails).
Each app may contribute a generator through ``GENERATORS`` (called once per batch of patients).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaflow.core.demo import FIRST_NAMES, LAST_NAMES

BATCH = 5000


@dataclass
class BulkContext:
    rng: random.Random
    now: dt.datetime
    locations: list[Any]
    prescribers: list[Any]
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n


def _patients(ctx: BulkContext, start: int, size: int) -> list[Any]:
    from ketaflow.patients.models import Patient, Sex

    rng = ctx.rng
    today = ctx.now.date()
    rows = []
    for index in range(start, start + size):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            Patient(
                chart_number=f"BULK-{index:07d}",
                first_name=first,
                last_name=last,
                date_of_birth=today - dt.timedelta(days=rng.randint(19 * 365, 80 * 365)),
                sex=Sex.FEMALE if rng.random() < 0.6 else Sex.MALE,
                email=f"p{index}@example.invalid",
                mobile_phone=f"(515) 555-{index % 10000:04d}",
                preferred_location=ctx.locations[index % len(ctx.locations)],
                is_synthetic=True,
                created_at=ctx.now - dt.timedelta(days=rng.randint(0, 3 * 365)),
            )
        )
    created = Patient.objects.bulk_create(rows, batch_size=BATCH)
    ctx.add("patients", len(created))
    return created


def _consultations(ctx: BulkContext, patients: list[Any]) -> None:
    """One past consultation per patient (completed, some no-shows or cancellations)."""
    from ketaflow.scheduling.models import Appointment, ConsultationType

    consultation = ConsultationType.objects.get(slug="new-patient-consultation")
    rng = ctx.rng
    rows = []
    for patient in patients:
        start = patient.created_at + dt.timedelta(days=rng.randint(3, 21), hours=rng.randint(0, 7))
        if start >= ctx.now:
            start = ctx.now - dt.timedelta(days=1)
        roll = rng.random()
        status = (
            Appointment.Status.COMPLETED
            if roll < 0.85
            else (Appointment.Status.NO_SHOW if roll < 0.93 else Appointment.Status.CANCELLED)
        )
        rows.append(
            Appointment(
                patient=patient,
                location_id=patient.preferred_location_id,
                provider=ctx.prescribers[patient.pk % len(ctx.prescribers)],
                consultation_type=consultation,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
                status=status,
                channel=Appointment.Channel.ONLINE if rng.random() < 0.6 else Appointment.Channel.PHONE,
                reason=Appointment.Reason.DEPRESSION if rng.random() < 0.55 else Appointment.Reason.PAIN,
                booked_at=patient.created_at,
                is_new_patient=True,
                inbox_status=Appointment.InboxStatus.BOOKED,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=BATCH)
    ctx.add("appointments", len(rows))


# App generators: (name, function(ctx, patients)). Apps append theirs at import time of this module's users.
GENERATORS: list[tuple[str, Callable[[BulkContext, list[Any]], None]]] = [("consultations", _consultations)]


def generate(*, patients: int, seed: int = 2026, progress: Any = None) -> dict[str, Any]:
    """Create ``patients`` synthetic patients with their history. Returns row counts and the elapsed time."""
    from ketaflow.accounts.models import User
    from ketaflow.accounts.roles import Role
    from ketaflow.clinics.models import Location
    from ketaflow.scheduling.selectors import schedule_changed

    started = time.perf_counter()
    ctx = BulkContext(
        rng=random.Random(seed),
        now=timezone.now(),
        locations=list(Location.objects.filter(is_active=True).order_by("name")),
        prescribers=list(User.objects.filter(role=Role.PRESCRIBER).order_by("username")),
    )
    from ketaflow.patients.models import Patient

    start = Patient.objects.filter(chart_number__startswith="BULK-").count()
    done = 0
    while done < patients:
        size = min(BATCH, patients - done)
        with transaction.atomic():
            batch = _patients(ctx, start + done, size)
            for _name, generator in GENERATORS:
                generator(ctx, batch)
            schedule_changed()
        done += size
        if progress is not None:
            progress(size)
    return {"patients": patients, "rows": ctx.counts, "seconds": round(time.perf_counter() - started, 1)}
