"""Patients and their new-patient consultation; those seen go on to courses (``sessions``)."""

from __future__ import annotations

import datetime as dt

from ketaflow.core.bulk.context import (
    CHART_PREFIX,
    DEPRESSION_SHARE,
    ESKETAMINE_SHARE,
    Batch,
    BulkContext,
)
from ketaflow.core.bulk.sessions import course
from ketaflow.core.demo import FIRST_NAMES, LAST_NAMES


def write_patients(ctx: BulkContext, batch: Batch, first_index: int, size: int) -> None:
    rng, clock = ctx.rng, ctx.clock
    sites = ctx.sites
    last_day = clock.end_day - 60
    for index in range(first_index, first_index + size):
        pid = ctx.take("patients")
        site_index = index % len(sites)
        site = sites[site_index]
        created_day = rng.randrange(30, last_day)  # the first 30 days hold baselines only
        created = clock.text(clock.utc(created_day, 7 * 60 + rng.randrange(0, 10 * 60)))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        female = rng.random() < 0.6
        dob = clock.base - dt.timedelta(days=rng.randint(18 * 365, 76 * 365))
        batch.add(
            "patients",
            (
                pid,
                ctx.uuid("patients", pid),
                created,
                created,
                f"{CHART_PREFIX}{index:07d}",
                first,
                last,
                str(dob),
                "female" if female else "male",
                f"p{index}@example.invalid",
                f"(515) 555-{index % 10000:04d}",
                site.location_id,
                True,
                site.city,
                "IA",
            ),
        )
        _consultation_and_care(ctx, batch, pid, site_index, created_day, created, female)


def _consultation_and_care(
    ctx: BulkContext, batch: Batch, pid: int, site_index: int, created_day: int, created: str, female: bool
) -> None:
    rng, clock = ctx.rng, ctx.clock
    site = ctx.sites[site_index]
    day = clock.weekday_near(created_day + rng.randint(3, 21), after=created_day)
    start = clock.utc(day, 8 * 60 + 30 + 15 * rng.randrange(0, 28))
    roll = rng.random()
    status = "completed" if roll < 0.88 else ("no_show" if roll < 0.95 else "cancelled")
    depression = rng.random() < DEPRESSION_SHARE
    aid = ctx.take("appointments")
    batch.add(
        "appointments",
        (
            aid,
            ctx.uuid("appointments", aid),
            created,
            clock.text(start + 30),
            pid,
            site.location_id,
            site.prescriber_id,
            ctx.consultation_type_id,
            clock.text(start),
            clock.text(start + 30),
            status,
            "online" if rng.random() < 0.6 else "phone",
            "depression" if depression else "pain",
            created,
            True,
            "booked",
            clock.text(start - 1440) if status == "cancelled" else None,
            "Patient cancelled by phone" if status == "cancelled" else "",
        ),
    )
    if status != "completed" or rng.random() < 0.07:  # not seen, or not a candidate
        return
    if depression:
        protocol = ctx.protocols["esketamine" if rng.random() < ESKETAMINE_SHARE else "depression"]
    else:
        protocol = ctx.protocols["pain"]
    weight = max(45, min(150, round(rng.gauss(74 if female else 88, 14))))
    height = round(rng.gauss(163 if female else 177, 7))
    body = (weight, height, "female" if female else "male")
    course_start = clock.weekday_near(day + rng.randint(7, 28), after=day)
    for course_number in range(3):
        if course_start >= clock.end_day:
            break
        next_start = course(ctx, batch, pid, site_index, protocol, course_start, body, course_number)
        if next_start is None:
            break
        course_start = next_start
