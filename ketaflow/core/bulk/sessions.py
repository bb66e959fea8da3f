"""Courses, their infusion sessions, vitals, dose orders and adverse events."""

from __future__ import annotations

import json

import numpy as np

from ketaflow.core.bulk.context import (
    ADVERSE_KINDS,
    ADVERSE_SHARE,
    CANCELLED_SHARE,
    CLOSES,
    ESKETAMINE_NDC,
    IV_PRODUCT_NDC,
    MISSED_SHARE,
    OPENS,
    RESPONSES,
    Batch,
    BulkContext,
    ProtocolInfo,
    pick,
)
from ketaflow.core.bulk.outcomes import Trajectory, baseline, follow_up, pre_infusion_request

# A large infusion suite: a site's busiest days fill it, and a full day books the next weekday instead.
CHAIRS_PER_SITE = 20


def _course_plan(ctx: BulkContext, protocol: ProtocolInfo, response: str) -> list[int]:
    """Gaps in days between planned sessions: induction per protocol, then boosters for those who respond."""
    rng = ctx.rng
    if protocol.kind == "esketamine":
        gaps = [rng.choice((3, 4)) for _ in range(protocol.induction - 1)] + [7, 7, 7, 7]
        boosters = {"remitter": (2, 10), "responder": (2, 8), "partial": (0, 4)}.get(response, (0, 0))
        gaps += [rng.choice((7, 14)) for _ in range(rng.randint(*boosters))]
    elif protocol.kind == "iv_rate":
        gaps = [1] * (protocol.induction - 1)
        boosters = {"remitter": (1, 4), "responder": (1, 3), "partial": (0, 2)}.get(response, (0, 0))
        gaps += [rng.randint(30, 90) for _ in range(rng.randint(*boosters))]
    else:
        gaps = [rng.choice((2, 2, 3, 4)) for _ in range(protocol.induction - 1)]
        boosters = {"remitter": (3, 8), "responder": (2, 7), "partial": (0, 3)}.get(response, (0, 1))
        gaps += [rng.randint(21, 56) for _ in range(rng.randint(*boosters))]
    return gaps


def _allocate_chair(
    ctx: BulkContext, batch: Batch, site_index: int, day: int, minutes: int
) -> tuple[int, int, int]:
    """Pack sessions into chairs, one after the other within opening hours, adding chairs up to
    ``CHAIRS_PER_SITE``; when every chair is full that day the session moves to the next weekday with room, as a
    scheduler would book it. Returns the day, the chair and the local start minute."""
    while True:
        fill = ctx.chair_fill.get((site_index, day))
        if fill is None:
            fill = ctx.chair_fill[(site_index, day)] = [0, OPENS]
        if fill[1] + minutes <= CLOSES:
            break
        if fill[0] + 1 < CHAIRS_PER_SITE:
            fill[0] += 1
            fill[1] = OPENS
            break
        day = ctx.clock.weekday_on_or_after(day + 1)
    start = fill[1]
    fill[1] += minutes
    site = ctx.sites[site_index]
    while fill[0] >= len(site.chair_ids):
        # A busier site needs more chairs: "Chair 5", "Chair 6"... (written with this batch).
        chair_id = ctx.take("chairs")
        site.chair_number += 1
        batch.add(
            "chairs",
            (
                chair_id,
                ctx.uuid("chairs", chair_id),
                ctx.now_text,
                ctx.now_text,
                site.location_id,
                f"Chair {site.chair_number}",
            ),
        )
        site.chair_ids.append(chair_id)
    return day, site.chair_ids[fill[0]], start


def course(
    ctx: BulkContext,
    batch: Batch,
    pid: int,
    site_index: int,
    protocol: ProtocolInfo,
    first_day: int,
    body: tuple[int, int, str],
    course_number: int,
) -> int | None:
    """One course: its sessions, vitals, orders, events and questionnaires. Returns the next course's start day."""
    rng, clock = ctx.rng, ctx.clock
    site = ctx.sites[site_index]
    end_day = clock.end_day
    response, _share, plateau, relapse_p = pick(rng, RESPONSES)
    cid = ctx.take("courses")
    created_t = clock.utc(first_day - rng.randint(5, 12), 10 * 60)
    gaps = _course_plan(ctx, protocol, response)
    pain = protocol.pathway == "iv_ketamine_pain"
    esketamine = protocol.kind == "esketamine"
    block = protocol.infusion_minutes + protocol.recovery_minutes
    nurse_ids = site.nurse_ids
    scale = Trajectory(rng, pain, plateau)
    sessions_booked = completed = 0
    stopped = False
    day = first_day
    first_start: int | None = None
    last_completed_day = first_day
    plan_index = 0
    attempts = 0
    while plan_index <= len(gaps):
        if day >= end_day:
            break
        day, chair_id, local_start = _allocate_chair(ctx, batch, site_index, day, block)
        if day >= end_day:
            break
        starts = clock.utc(day, local_start)
        ends = starts + block
        if first_start is None:
            first_start = starts
        sessions_booked += 1
        sid = ctx.take("sessions")
        roll = rng.random()
        nurse_id = nurse_ids[(sid >> 1) % len(nurse_ids)]
        booked = clock.text(starts - rng.randint(2, 20) * 1440)
        if roll < CANCELLED_SHARE + MISSED_SHARE and attempts < 2:
            status = "cancelled" if roll < CANCELLED_SHARE else "missed"
            batch.add(
                "sessions",
                (
                    sid,
                    ctx.uuid("sessions", sid),
                    booked,
                    clock.text(starts),
                    site.desk_id,
                    cid,
                    pid,
                    site.location_id,
                    chair_id,
                    nurse_id,
                    site.prescriber_id,
                    sessions_booked,
                    clock.text(starts),
                    clock.text(ends),
                    protocol.infusion_minutes,
                    protocol.recovery_minutes,
                    status,
                    site.desk_id,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    False,
                    "Patient unwell, rebooked" if status == "cancelled" else "",
                    None,
                    None,
                ),
            )
            pre_infusion_request(
                ctx,
                batch,
                pid,
                cid,
                sid,
                starts,
                scale,
                day - first_day,
                "cancelled" if status == "cancelled" else "expired",
            )
            attempts += 1
            day = clock.weekday_near(day + 2, after=day)
            continue
        attempts = 0
        completed += 1
        last_completed_day = day
        _completed_session(
            ctx,
            batch,
            protocol,
            site_index,
            sid,
            cid,
            pid,
            chair_id,
            nurse_id,
            starts,
            ends,
            booked,
            sessions_booked,
            body,
            esketamine,
        )
        pre_infusion_request(ctx, batch, pid, cid, sid, starts, scale, day - first_day, "completed")
        plan_index += 1
        # Drop-off: a few stop after any session, more among those who do not improve.
        drop = 0.025 + (0.06 if response == "non_responder" and completed >= 3 else 0.0)
        if plan_index <= len(gaps) and rng.random() < drop:
            stopped = True
            break
        if plan_index <= len(gaps):
            day = clock.weekday_near(day + gaps[plan_index - 1], after=day)
    if first_start is None:
        ctx.ids["courses"] -= 1  # nothing booked before the end of the history: no course
        return None
    ongoing = not stopped and day >= end_day and plan_index <= len(gaps)
    if ongoing:
        status = "induction" if completed < protocol.induction else "maintenance"
    else:
        status = "stopped" if stopped else "completed"
    batch.add(
        "courses",
        (
            cid,
            ctx.uuid("courses", cid),
            clock.text(created_t),
            clock.text(created_t),
            site.desk_id,
            pid,
            protocol.id,
            protocol.pathway,
            site.location_id,
            status,
            protocol.induction,
            "Patient chose to stop" if stopped else "",
        ),
    )
    baseline(ctx, batch, pid, cid, first_start, scale)
    if esketamine and course_number == 0:
        rid = ctx.take("rems_enrollments")
        enrolled = first_start - 7 * 1440
        batch.add(
            "rems_enrollments",
            (
                rid,
                ctx.uuid("rems_enrollments", rid),
                clock.text(enrolled),
                clock.text(enrolled),
                site.prescriber_id,
                pid,
                clock.date(enrolled // 1440),
                f"REMS-DEMO-{pid:08d}",
                site.prescriber_id,
            ),
        )
    if ongoing:
        return None
    # Follow-up: monthly after the last session; a relapse may bring the patient back for another course.
    relapse_after = rng.randint(30, 240) if rng.random() < relapse_p else None
    scale.course_end(last_completed_day - first_day, relapse_after)
    next_course = None
    if relapse_after is not None and rng.random() < 0.6:
        next_course = clock.weekday_near(
            last_completed_day + relapse_after + rng.randint(14, 60), after=last_completed_day
        )
    horizon = min(end_day - 4, next_course - 10 if next_course else end_day, last_completed_day + 190)
    month = 1
    while last_completed_day + 30 * month < horizon:
        follow_day = last_completed_day + 30 * month
        follow_up(ctx, batch, pid, cid, clock.utc(follow_day, 9 * 60), scale, follow_day - first_day, stopped)
        month += 1
    return next_course


# -- what happens in a completed session --------------------------------------------------------------------------
def _completed_session(
    ctx: BulkContext,
    batch: Batch,
    protocol: ProtocolInfo,
    site_index: int,
    sid: int,
    cid: int,
    pid: int,
    chair_id: int,
    nurse_id: int,
    starts: int,
    ends: int,
    booked: str,
    sequence: int,
    body: tuple[int, int, str],
    esketamine: bool,
) -> None:
    rng, clock = ctx.rng, ctx.clock
    site = ctx.sites[site_index]
    text = clock.text
    infusion = protocol.infusion_minutes
    pain_scale = protocol.pathway == "iv_ketamine_pain"
    started = starts
    stopped = started + infusion
    # Adverse events (a few per cent); a severe one, or some moderate ones, stop an IV infusion early.
    adverse = None
    if rng.random() < ADVERSE_SHARE:
        kind, _share, prn = pick(rng, ADVERSE_KINDS)
        roll = rng.random()
        severity = "mild" if roll < 0.75 else ("moderate" if roll < 0.97 else "severe")
        occurred = started + rng.randint(5, max(6, infusion - 1))
        if not esketamine and (severity == "severe" or (severity == "moderate" and rng.random() < 0.3)):
            stopped = occurred
        adverse = (kind, severity, occurred, prn)
    discharged = stopped + protocol.recovery_minutes - rng.randint(0, 5)
    if discharged > ends:
        discharged = ends
    sid_uuid = ctx.uuid("sessions", sid)
    devices = None
    weight, height, sex = body
    if esketamine:
        dose_mg = 56 if sequence <= 2 or rng.random() < 0.35 else 84
        devices = dose_mg // 28
    else:
        dose_mg = 0
    batch.add(
        "sessions",
        (
            sid,
            sid_uuid,
            booked,
            text(discharged),
            site.desk_id,
            cid,
            pid,
            site.location_id,
            chair_id,
            nurse_id,
            site.prescriber_id,
            sequence,
            text(starts),
            text(ends),
            infusion,
            protocol.recovery_minutes,
            "discharged",
            site.desk_id,
            text(starts - rng.randint(5, 25)),
            text(started),
            text(stopped),
            text(discharged),
            nurse_id,
            None if esketamine else weight + rng.choice((-1, 0, 0, 1)),
            None if esketamine else height,
            True,
            "",
            clock.date((starts // 1440) + rng.randint(0, 3))
            if esketamine and starts // 1440 + 3 < clock.end_day
            else None,
            devices,
        ),
    )
    # Dose order: the domain's calculation for this protocol and body, cached (a few hundred distinct ones).
    key = (protocol.slug, weight, height, sex, dose_mg)
    order = ctx.dose_cache.get(key)
    if order is None:
        order = ctx.dose_cache[key] = _dose_order(protocol, weight, height, sex, dose_mg)
    inputs, result, quantity_milli = order
    oid = ctx.take("dose_orders")
    signed = text(starts - 3)
    batch.add(
        "dose_orders",
        (
            oid,
            ctx.uuid("dose_orders", oid),
            signed,
            signed,
            site.prescriber_id,
            sid,
            inputs,
            result,
            ctx.dosing_version,
            site.prescriber_id,
            signed,
        ),
    )
    # Vitals every 15 minutes from the start until discharge: written per batch by ``flush_vitals``.
    ctx.vitals_plan.append((sid, nurse_id, started, stopped, discharged, pain_scale))
    if adverse is not None:
        kind, severity, occurred, prn = adverse
        eid = ctx.take("adverse_events")
        at = text(occurred)
        batch.add(
            "adverse_events",
            (
                eid,
                ctx.uuid("adverse_events", eid),
                at,
                at,
                nurse_id,
                sid,
                kind,
                severity,
                at,
                "Infusion stopped" if stopped == occurred else "Observed; rate unchanged",
                ctx.prn_ids.get(prn),
                "as per formulary" if prn else "",
                "Resolved before discharge",
                nurse_id,
            ),
        )
    # The ledger replays these later: draw at the start, administration (and waste) at the stop.
    given = (
        quantity_milli
        if stopped - started >= infusion
        else (quantity_milli * (stopped - started) // infusion)
    )
    ctx.dose_events.append(
        (
            started,
            stopped,
            sid_uuid,
            site_index,
            ESKETAMINE_NDC if esketamine else IV_PRODUCT_NDC,
            quantity_milli,
            given,
            nurse_id,
            site.prescriber_id,
        )
    )


def _dose_order(
    protocol: ProtocolInfo, weight: int, height: int, sex: str, dose_mg: int
) -> tuple[str, str, int]:
    """The inputs and result the dose-order service would store, and the quantity to draw (milli-units)."""
    from dataclasses import asdict

    from ketaflow.treatment import services

    row = protocol.row
    inputs = {
        "protocol": row.slug,
        "weight_kg": float(weight),
        "height_cm": float(height),
        "sex": sex,
        "weight_basis": row.weight_basis,
        "minutes": float(row.infusion_minutes),
        "mg_per_kg": row.mg_per_kg,
        "mg_per_kg_per_h": row.mg_per_kg_per_h,
        "concentration_mg_per_ml": row.default_concentration_mg_per_ml,
        "bag_ml": row.default_bag_ml,
        "max_dose_mg": row.max_dose_mg,
        "esketamine_dose_mg": dose_mg or None,
    }
    result = services._calculate(row, inputs)
    display = result.display() if hasattr(result, "display") else services._jsonable(asdict(result))
    if protocol.kind == "esketamine":
        quantity_milli = int(display["devices"]) * 1000
    else:
        quantity_milli = int(round(float(display["drug_volume_ml"]) * 1000))
    return json.dumps(services._jsonable(inputs)), json.dumps(display), quantity_milli


def flush_vitals(ctx: BulkContext, batch: Batch, first_patient: int) -> None:
    """The batch's vitals, every 15 minutes from each completed session's start until its discharge.

    Built column by column with NumPy (the biggest table: about 10 rows per session) from a random stream of
    its own, seeded by the seed and the batch's first patient, so the rows do not depend on the database.
    Blood pressure and heart rate sit above each patient's baseline while infusing and shortly after; MOAA/S
    and CADSS move only during the infusion; pain is scored on the pain pathway.
    """
    plan = ctx.vitals_plan
    if not plan:
        return
    sid, nurse, started, stopped, discharged, pain = (
        np.array(c, dtype=np.int64) for c in zip(*plan, strict=True)
    )
    plan.clear()
    count = (discharged - started) // 15 + 1
    n = int(count.sum())
    rep = np.repeat(np.arange(len(count)), count)
    at = started[rep] + 15 * (np.arange(n) - np.repeat(np.cumsum(count) - count, count))
    stop = stopped[rep]
    infusing = (at > started[rep]) & (at <= stop)
    bump = np.where(infusing, 14.5, np.where(at <= stop + 15, 5.5, 0.5))
    gen = np.random.default_rng([ctx.seed, first_patient])
    base = gen.random((len(count), 3))
    noise = gen.random((n, 8))
    sbp = (112 + base[:, 0] * 30)[rep] + bump + (noise[:, 0] - 0.5) * 12
    dbp = (70 + base[:, 1] * 14)[rep] + bump * 0.5 + (noise[:, 1] - 0.5) * 8
    hr = (62 + base[:, 2] * 22)[rep] + bump * 0.4 + (noise[:, 2] - 0.5) * 8
    spo2 = 96.5 + noise[:, 3] * 4
    rr = 12.5 + noise[:, 4] * 6
    moaas = np.where(infusing, np.where(noise[:, 5] < 0.5, 3, 4), 5)
    cadss = np.where(infusing, (noise[:, 6] * 8.9).astype(np.int64), 0)
    pain_nrs = np.where(pain[rep] == 1, (2.5 + noise[:, 7] * 5).astype(np.int64), -1).tolist()
    taken = ctx.clock.quarter_texts(at)
    first = ctx.ids["vitals"]
    ctx.ids["vitals"] = first + n
    tag = ctx.tags["vitals"]
    nurses = nurse[rep].tolist()
    batch.rows["vitals"] = list(
        zip(
            range(first, first + n),
            [f"{tag}{pk:012x}" for pk in range(first, first + n)],
            taken,
            taken,
            nurses,
            sid[rep].tolist(),
            taken,
            sbp.astype(np.int64).tolist(),
            dbp.astype(np.int64).tolist(),
            hr.astype(np.int64).tolist(),
            spo2.astype(np.int64).tolist(),
            rr.astype(np.int64).tolist(),
            moaas.tolist(),
            cadss.tolist(),
            [None if p < 0 else p for p in pain_nrs],
            nurses,
            strict=True,
        )
    )
