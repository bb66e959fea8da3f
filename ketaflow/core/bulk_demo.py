"""Bulk synthetic history for scale tests: ``ketaflow demo --patients 100000`` (issue #11).

Three years of an invented clinic group (the two demo sites, then one more site per 5,000 patients; see
``bulk_sites``): consultations, treatment courses, infusion sessions with their vitals, dose orders and adverse events, questionnaires with the measurement requests that asked for them, and
the controlled-substance ledger (receipts, draws, administrations and witnessed waste). Everything is
synthetic (names from short word lists, ``example.invalid`` emails) and the same ``seed`` and end date give
the same rows.

Speed: rows are plain tuples written with PostgreSQL ``COPY`` or SQLite ``executemany``, never through the
ORM; ids are reserved up front (``max(id) + 1``), uuids are derived from the table and the id, and times are
minutes on a grid formatted from two small lookup tables. The ledger is simulated in one chronological pass
after the clinical rows so that every line's before/after balances chain exactly as the services would
have written them (the append-only triggers stay in place: the generator only inserts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import queue
import random
import threading
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from ketaflow.core.demo import FIRST_NAMES, LAST_NAMES

BATCH = 2500  # patients per transaction (about 25k sessions and 200k vitals rows)
HISTORY_DAYS = 3 * 365
OPENS, CLOSES = 8 * 60, 17 * 60  # local minutes: the demo locations open 08:00-17:00 on weekdays
TZ = zoneinfo.ZoneInfo("America/Chicago")
CHART_PREFIX = "BULK-"

# (slug, share of treated patients by reason): depression is IV 85 %, esketamine 15 %; pain is the CRPS protocol.
DEPRESSION_SHARE = 0.68
ESKETAMINE_SHARE = 0.15
# Session outcomes among booked sessions (clinic experience; UNVERIFIED placeholders, synthetic data only).
CANCELLED_SHARE, MISSED_SHARE = 0.06, 0.03
ADVERSE_SHARE = 0.03
# Per-course response types: (name, share, fraction of baseline reached at the plateau, relapse probability).
RESPONSES = (
    ("remitter", 0.32, 0.22, 0.30),
    ("responder", 0.23, 0.45, 0.45),
    ("partial", 0.20, 0.70, 0.30),
    ("non_responder", 0.25, 0.93, 0.0),
)
ADVERSE_KINDS = (
    ("nausea", 0.40, "Ondansetron"),
    ("hypertension", 0.25, "Labetalol"),
    ("anxiety", 0.10, "Midazolam"),
    ("emergence", 0.10, "Midazolam"),
    ("sedation", 0.06, ""),
    ("hypoxia", 0.03, ""),
    ("other", 0.06, ""),
)
IV_PRODUCT_NDC = "99999-0101-20"  # DEMO ketamine 10 mg/mL, 20 mL vial (ketaflow.ledger.demo)
ESKETAMINE_NDC = "99999-0228-02"  # DEMO esketamine 28 mg/device, kit of 2 devices
RECEIPT_CONTAINERS = {IV_PRODUCT_NDC: 25, ESKETAMINE_NDC: 12}
WASTE_REASON = "Infusion stopped early; remainder wasted"


# -- writing rows ------------------------------------------------------------------------------------------------
@dataclass
class TableSpec:
    """The columns we write for one model: the varying ones (in row order), then the constant defaults.

    Columns whose default is NULL are left out (the database fills them); other constants are appended to each
    row for COPY and written as literals in the SQLite statement, so each row carries only what varies.
    """

    model: Any
    varying: tuple[str, ...]
    table: str = ""
    constant: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        meta = self.model._meta
        self.table = meta.db_table
        by_column = {f.column: f for f in meta.concrete_fields}
        missing = [c for c in self.varying if c not in by_column]
        if missing:
            raise ValueError(f"{self.table} has no column(s) {missing}")
        rest = [(f.column, _default(f)) for f in meta.concrete_fields if f.column not in self.varying]
        self.constant = tuple((column, value) for column, value in rest if value is not None)

    def copy_sql(self) -> str:
        columns = ", ".join(_quote(c) for c in self.varying + tuple(c for c, _ in self.constant))
        return f"COPY {_quote(self.table)} ({columns}) FROM STDIN"

    def insert_sql(self) -> str:
        columns = ", ".join(_quote(c) for c in self.varying + tuple(c for c, _ in self.constant))
        values = ", ".join(["?"] * len(self.varying) + [_literal(v) for _, v in self.constant])
        return f"INSERT INTO {_quote(self.table)} ({columns}) VALUES ({values})"  # noqa: S608 - model metadata


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _default(f: models.Field) -> Any:
    if f.has_default() and not callable(f.default):
        value = f.default
        return json.dumps(value) if isinstance(value, (dict, list)) else value
    if f.has_default() and f.default in (dict, list):
        return json.dumps(f.default())
    if f.null:
        return None
    if isinstance(f, (models.CharField, models.TextField)):
        return ""
    raise ValueError(f"{f.model._meta.db_table}.{f.column} needs a value")


class Writer:
    """Appends rows to tables: COPY on PostgreSQL, executemany on SQLite. Counts what it wrote."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.counts: dict[str, int] = {}

    def write(self, spec: TableSpec, rows: list[tuple[Any, ...]], label: str) -> None:
        if not rows:
            return
        if self.vendor == "postgresql":
            tail = tuple(value for _, value in spec.constant)
            with connection.cursor() as cursor, cursor.cursor.copy(spec.copy_sql()) as copy:
                write_row = copy.write_row
                if tail:
                    for row in rows:
                        write_row(row + tail)
                else:
                    for row in rows:
                        write_row(row)
        else:
            raw = connection.connection.cursor()
            raw.executemany(spec.insert_sql(), rows)
            raw.close()
        self.counts[label] = self.counts.get(label, 0) + len(rows)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _next_id(model: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608 - model metadata
        return int(cursor.fetchone()[0]) + 1


def _reset_sequences(models_: Iterable[Any]) -> None:
    """PostgreSQL identity columns do not see ids written explicitly: move them past the largest id."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            last = f"GREATEST((SELECT MAX(id) FROM {table}), 1)"  # noqa: S608 - names from model metadata
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")


def _analyze(specs: Iterable[TableSpec]) -> None:
    """Fresh planner statistics on PostgreSQL: with the estimates from before the load, list pages pick
    sequential scans (docs/scaling.md). SQLite's ANALYZE reads every index in full, so it is left to the user."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(_quote(spec.table) for spec in specs))


# -- time on a grid ----------------------------------------------------------------------------------------------
class Clock:
    """Times are integer minutes since UTC midnight of ``base``; days are indexes from ``base`` (local dates)."""

    def __init__(self, end: dt.date) -> None:
        self.end_date = end
        self.base = end - dt.timedelta(days=HISTORY_DAYS + 30)
        self.end_day = (end - self.base).days  # first day not generated (today)
        days = self.end_day + 400
        self.day_text = [str(self.base + dt.timedelta(days=d)) for d in range(days)]
        self.day_prefix = [text + " " for text in self.day_text]
        self.hms = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(1440)]
        self.weekday = [(self.base + dt.timedelta(days=d)).weekday() for d in range(days)]
        # Minutes to add to a local time (America/Chicago) to get UTC, per day (DST changes at 2 am Sunday).
        self.to_utc = [
            -int(
                dt.datetime.combine(self.base + dt.timedelta(days=d), dt.time(12), TZ)
                .utcoffset()
                .total_seconds()
            )
            // 60
            for d in range(days)
        ]

    def utc(self, day: int, local_minute: int) -> int:
        return day * 1440 + local_minute + self.to_utc[day]

    def text(self, t: int) -> str:
        return self.day_prefix[t // 1440] + self.hms[t % 1440]

    def date(self, day: int) -> str:
        return self.day_text[day]

    def weekday_on_or_after(self, day: int) -> int:
        while self.weekday[day] > 4:
            day += 1
        return day


# -- questionnaires: a few answer vectors per total, scored once by the domain ---------------------------------
class Scores:
    """Answer vectors for each total of PHQ-9, GAD-7, NRS and PEG-3, with the domain's result, as JSON text."""

    def __init__(self) -> None:
        from ketaflow.domain import instruments

        self.version = instruments.VERSION
        self.table: dict[str, list[tuple[str, str]]] = {}
        for instrument, items, top in (("phq9", 9, 3), ("gad7", 7, 3)):
            self.table[instrument] = [
                self._pack(instrument, _spread(total, items, top)) for total in range(items * top + 1)
            ]
        self.table["nrs"] = [self._pack("nrs", [total]) for total in range(11)]
        self.table["peg3"] = [self._pack("peg3", _spread(total * 3, 3, 10)) for total in range(11)]
        # PHQ-9 vectors with item 9 (thoughts of self-harm) above 0, for a small share of high scores.
        self.phq9_item9 = [
            self._pack("phq9", _spread(total - 1, 8, 3) + [1]) if total >= 1 else self.table["phq9"][0]
            for total in range(28)
        ]

    def _pack(self, instrument: str, answers: list[int]) -> tuple[str, str]:
        from ketaflow.domain import instruments

        result = instruments.score(instrument, answers).as_dict()
        return json.dumps(answers), json.dumps(result)


def _spread(total: int, items: int, top: int) -> list[int]:
    """``total`` spread over ``items`` answers of 0..top, highest first (e.g. 10 over 9 items: 2, 1, ... 1)."""
    base, extra = divmod(total, items)
    return [min(top, base + (1 if i < extra else 0)) for i in range(items)]


# -- the generation context ----------------------------------------------------------------------------------------
@dataclass
class Site:
    location_id: int
    slug: str
    city: str
    prescriber_id: int
    nurse_ids: list[int]
    desk_id: int
    custodian_id: int
    chair_ids: list[int]
    storage_id: int
    chair_number: int


@dataclass
class ProtocolInfo:
    id: int
    slug: str
    pathway: str
    kind: str
    infusion_minutes: int
    recovery_minutes: int
    induction: int
    row: Any


@dataclass
class BulkContext:
    rng: random.Random
    clock: Clock
    seed: int
    sites: list[Site]
    protocols: dict[str, ProtocolInfo]
    consultation_type_id: int
    prn_ids: dict[str, int]
    scores: Scores
    writer: Writer
    ids: dict[str, int]
    tags: dict[str, str]
    now_text: str
    dosing_version: str
    # (location index, day) -> [chair index, next free local minute]
    chair_fill: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    dose_cache: dict[tuple[Any, ...], tuple[str, str, int]] = field(default_factory=dict)
    # One tuple per completed session, replayed through the ledger at the end.
    dose_events: list[tuple[Any, ...]] = field(default_factory=list)

    def take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def uuid(self, table: str, pk: int) -> str:
        return f"{self.tags[table]}{pk:012x}"


def _uuid_tag(table: str, seed: int) -> str:
    """20 hex digits per table and seed, shaped like a version-4 uuid; the last 12 digits are the row id."""
    h = hashlib.sha256(f"{table}:{seed}".encode()).hexdigest()
    return f"{h[:12]}4{h[12:15]}8{h[15:18]}"


def _dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def table_specs() -> dict[str, TableSpec]:
    """Every table the generator writes, by the name used in its summary."""
    return {**_specs(), **_ledger_specs()}


def _specs() -> dict[str, TableSpec]:
    from ketaflow.clinics.models import Chair
    from ketaflow.intake.models import QuestionnaireResponse, RemsEnrollment
    from ketaflow.outcomes.models import MeasurementRequest
    from ketaflow.patients.models import Patient
    from ketaflow.scheduling.models import Appointment
    from ketaflow.treatment.models import AdverseEvent, Course, DoseOrder, InfusionSession, VitalsReading

    stamp = ("id", "uuid", "created_at", "updated_at")
    return {
        "chairs": TableSpec(Chair, stamp + ("location_id", "label")),
        "patients": TableSpec(
            Patient,
            stamp
            + (
                "chart_number",
                "first_name",
                "last_name",
                "date_of_birth",
                "sex",
                "email",
                "mobile_phone",
                "preferred_location_id",
                "is_synthetic",
                "city",
                "state",
            ),
        ),
        "appointments": TableSpec(
            Appointment,
            stamp
            + (
                "patient_id",
                "location_id",
                "provider_id",
                "consultation_type_id",
                "starts_at",
                "ends_at",
                "status",
                "channel",
                "reason",
                "booked_at",
                "is_new_patient",
                "inbox_status",
                "cancelled_at",
                "cancel_reason",
            ),
        ),
        "courses": TableSpec(
            Course,
            stamp
            + (
                "created_by_id",
                "patient_id",
                "protocol_id",
                "pathway",
                "location_id",
                "status",
                "planned_sessions",
                "stop_reason",
            ),
        ),
        "sessions": TableSpec(
            InfusionSession,
            stamp
            + (
                "created_by_id",
                "course_id",
                "patient_id",
                "location_id",
                "chair_id",
                "nurse_id",
                "prescriber_id",
                "sequence",
                "starts_at",
                "ends_at",
                "infusion_minutes",
                "recovery_minutes",
                "status",
                "booked_by_id",
                "arrived_at",
                "started_at",
                "stopped_at",
                "discharged_at",
                "discharged_by_id",
                "weight_kg",
                "height_cm",
                "escort_present",
                "cancel_reason",
                "rems_pmf_submitted_on",
                "esketamine_devices",
            ),
        ),
        "vitals": TableSpec(
            VitalsReading,
            stamp
            + (
                "created_by_id",
                "session_id",
                "taken_at",
                "sbp_mmhg",
                "dbp_mmhg",
                "hr_per_min",
                "spo2_pct",
                "rr_per_min",
                "moaas",
                "cadss",
                "pain_nrs",
                "recorded_by_id",
            ),
        ),
        "dose_orders": TableSpec(
            DoseOrder,
            stamp
            + (
                "created_by_id",
                "session_id",
                "inputs",
                "result",
                "engine_version",
                "signed_by_id",
                "signed_at",
            ),
        ),
        "adverse_events": TableSpec(
            AdverseEvent,
            stamp
            + (
                "created_by_id",
                "session_id",
                "kind",
                "severity",
                "occurred_at",
                "action_taken",
                "prn_medicine_id",
                "prn_dose",
                "outcome",
                "recorded_by_id",
            ),
        ),
        "questionnaires": TableSpec(
            QuestionnaireResponse,
            stamp + ("patient_id", "instrument", "answers", "result", "engine_version", "completed_at"),
        ),
        "measurement_requests": TableSpec(
            MeasurementRequest,
            stamp
            + (
                "patient_id",
                "course_id",
                "session_id",
                "instrument",
                "timepoints",
                "due_at",
                "expires_at",
                "status",
                "channels",
                "sent_at",
                "completed_at",
                "response_id",
            ),
        ),
        "rems_enrollments": TableSpec(
            RemsEnrollment,
            stamp + ("created_by_id", "patient_id", "enrolled_on", "enrollment_id", "recorded_by_id"),
        ),
    }


# -- one batch of patients ----------------------------------------------------------------------------------------
@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).append(row)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    roll = rng.random()
    for entry in weighted:
        roll -= entry[1]
        if roll <= 0:
            return entry
    return weighted[-1]


def _patients(ctx: BulkContext, batch: Batch, first_index: int, size: int) -> None:
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
    day = clock.weekday_on_or_after(created_day + rng.randint(3, 21))
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
    course_start = clock.weekday_on_or_after(day + rng.randint(7, 28))
    for course_number in range(3):
        if course_start >= clock.end_day:
            break
        next_start = _course(ctx, batch, pid, site_index, protocol, course_start, body, course_number)
        if next_start is None:
            break
        course_start = next_start


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
) -> tuple[int, int]:
    """Pack sessions into chairs, one after the other within opening hours; add chairs when a day is full."""
    fill = ctx.chair_fill.get((site_index, day))
    if fill is None:
        fill = ctx.chair_fill[(site_index, day)] = [0, OPENS]
    if fill[1] + minutes > CLOSES:
        fill[0] += 1
        fill[1] = OPENS
    start = fill[1]
    fill[1] += minutes
    site = ctx.sites[site_index]
    while fill[0] >= len(site.chair_ids):
        # A busier practice needs more chairs: "Chair 5", "Chair 6"... (written with this batch).
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
    return site.chair_ids[fill[0]], start


def _course(
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
    response, _share, plateau, relapse_p = _pick(rng, RESPONSES)
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
        chair_id, local_start = _allocate_chair(ctx, batch, site_index, day, block)
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
            _pre_infusion_request(
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
            day = clock.weekday_on_or_after(day + 2)
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
        _pre_infusion_request(ctx, batch, pid, cid, sid, starts, scale, day - first_day, "completed")
        plan_index += 1
        # Drop-off: a few stop after any session, more among those who do not improve.
        drop = 0.025 + (0.06 if response == "non_responder" and completed >= 3 else 0.0)
        if plan_index <= len(gaps) and rng.random() < drop:
            stopped = True
            break
        if plan_index <= len(gaps):
            day = clock.weekday_on_or_after(day + gaps[plan_index - 1])
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
    _baseline(ctx, batch, pid, cid, first_start, scale)
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
        next_course = clock.weekday_on_or_after(last_completed_day + relapse_after + rng.randint(14, 60))
    horizon = min(end_day - 4, next_course - 10 if next_course else end_day, last_completed_day + 190)
    month = 1
    while last_completed_day + 30 * month < horizon:
        follow_day = last_completed_day + 30 * month
        _follow_up(
            ctx, batch, pid, cid, clock.utc(follow_day, 9 * 60), scale, follow_day - first_day, stopped
        )
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
    started = starts
    stopped = started + infusion
    # Adverse events (a few per cent); a severe one, or some moderate ones, stop an IV infusion early.
    adverse = None
    if rng.random() < ADVERSE_SHARE:
        kind, _share, prn = _pick(rng, ADVERSE_KINDS)
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
    # Vitals every 15 minutes from the start until discharge.
    pain_scale = protocol.pathway == "iv_ketamine_pain"
    base_sbp = 112 + rng.random() * 30
    base_dbp = 70 + rng.random() * 14
    base_hr = 62 + rng.random() * 22
    random_ = rng.random
    vitals = batch.rows.setdefault("vitals", [])
    append = vitals.append
    tag = ctx.tags["vitals"]
    vid = ctx.ids["vitals"]
    day_prefix, hms = clock.day_prefix, clock.hms
    at = started
    while at <= discharged:
        infusing = started < at <= stopped
        bump = 14.5 if infusing else (5.5 if at <= stopped + 15 else 0.5)
        taken = day_prefix[at // 1440] + hms[at % 1440]
        append(
            (
                vid,
                f"{tag}{vid:012x}",
                taken,
                taken,
                nurse_id,
                sid,
                taken,
                int(base_sbp + bump + (random_() - 0.5) * 12),
                int(base_dbp + bump * 0.5 + (random_() - 0.5) * 8),
                int(base_hr + bump * 0.4 + (random_() - 0.5) * 8),
                int(96.5 + random_() * 4),
                int(12.5 + random_() * 6),
                (3 if random_() < 0.5 else 4) if infusing else 5,
                int(random_() * 8.9) if infusing else 0,
                int(2.5 + random_() * 5) if pain_scale else None,
                nurse_id,
            )
        )
        vid += 1
        at += 15
    ctx.ids["vitals"] = vid
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


# -- questionnaires and the requests that asked for them -----------------------------------------------------------
class Trajectory:
    """A course's symptom scores: improve towards a plateau, may relapse after the course ends.

    Depression courses score PHQ-9 (and GAD-7 alongside); pain courses NRS (and PEG-3 alongside).
    """

    def __init__(self, rng: random.Random, pain: bool, plateau: float) -> None:
        self.rng = rng
        self.pain = pain
        self.plateau = plateau
        self.base = rng.randint(6, 9) if pain else min(27, max(12, round(rng.gauss(19, 3.5))))
        self.end: int | None = None
        self.relapse_after: int | None = None

    def course_end(self, end: int, relapse_after: int | None) -> None:
        self.end, self.relapse_after = end, relapse_after

    def level(self, days: int) -> float:
        base = self.base
        x = max(days, 0)
        level = base * (1 - (1 - self.plateau) * (1 - math.exp(-x / 10)))
        if self.end is not None and self.relapse_after is not None and x > self.end + self.relapse_after:
            level += (base * 0.95 - level) * (1 - math.exp(-(x - self.end - self.relapse_after) / 21))
        return level

    def primary(self, scores: Scores, days: int) -> tuple[str, str, str]:
        rng = self.rng
        if self.pain:
            total = max(0, min(10, round(self.level(days) + (rng.random() - 0.5) * 2)))
            return ("nrs", *scores.table["nrs"][total])
        total = max(0, min(27, round(self.level(days) + (rng.random() - 0.5) * 4)))
        if total >= 15 and rng.random() < 0.08:
            return ("phq9", *scores.phq9_item9[total])
        return ("phq9", *scores.table["phq9"][total])

    def secondary(self, scores: Scores, days: int) -> tuple[str, str, str]:
        rng = self.rng
        if self.pain:
            total = max(0, min(10, round(self.level(days) * 0.9 + (rng.random() - 0.5) * 2)))
            return ("peg3", *scores.table["peg3"][total])
        total = max(0, min(21, round(self.level(days) * 0.7 + (rng.random() - 0.5) * 4)))
        return ("gad7", *scores.table["gad7"][total])


BASELINE, PRE_INFUSION, FOLLOW_UP = '["baseline"]', '["pre_infusion"]', '["follow_up"]'
EMAIL = '["email"]'


def _answer(ctx: BulkContext, batch: Batch, pid: int, scored: tuple[str, str, str], at: int) -> int:
    qid = ctx.take("questionnaires")
    when = ctx.clock.text(at)
    instrument, answers, result = scored
    batch.add(
        "questionnaires",
        (
            qid,
            ctx.uuid("questionnaires", qid),
            when,
            when,
            pid,
            instrument,
            answers,
            result,
            ctx.scores.version,
            when,
        ),
    )
    return qid


def _request(
    ctx: BulkContext,
    batch: Batch,
    pid: int,
    cid: int,
    sid: int | None,
    instrument: str,
    timepoints: str,
    due: int,
    expires: int,
    status: str,
    completed: int | None,
    response: int | None,
) -> None:
    text = ctx.clock.text
    mid = ctx.take("measurement_requests")
    batch.add(
        "measurement_requests",
        (
            mid,
            ctx.uuid("measurement_requests", mid),
            text(due),
            text(completed if completed is not None else expires),
            pid,
            cid,
            sid,
            instrument,
            timepoints,
            text(due),
            text(expires),
            status,
            EMAIL if status != "cancelled" else "[]",
            text(due) if status != "cancelled" else None,
            text(completed) if completed is not None else None,
            response,
        ),
    )


def _pre_infusion_request(
    ctx: BulkContext,
    batch: Batch,
    pid: int,
    cid: int,
    sid: int,
    starts: int,
    scale: Trajectory,
    days: int,
    status: str,
) -> None:
    """The primary score the day before each infusion (PHQ-9 or NRS), answered before arriving (most of the time)."""
    rng = ctx.rng
    scored = scale.primary(ctx.scores, days)
    due = starts - 1440
    if status == "completed" and rng.random() < 0.07:
        status = "expired"
    if status != "completed":
        _request(ctx, batch, pid, cid, sid, scored[0], PRE_INFUSION, due, starts, status, None, None)
        return
    at = starts - rng.randint(30, 900)
    qid = _answer(ctx, batch, pid, scored, at)
    _request(ctx, batch, pid, cid, sid, scored[0], PRE_INFUSION, due, starts, "completed", at, qid)


def _baseline(
    ctx: BulkContext, batch: Batch, pid: int, cid: int, first_start: int, scale: Trajectory
) -> None:
    rng = ctx.rng
    due = first_start - 7 * 1440
    for scored in (scale.primary(ctx.scores, -7), scale.secondary(ctx.scores, -7)):
        at = due + rng.randint(60, 5 * 1440)
        qid = _answer(ctx, batch, pid, scored, at)
        _request(ctx, batch, pid, cid, None, scored[0], BASELINE, due, first_start, "completed", at, qid)


def _follow_up(
    ctx: BulkContext, batch: Batch, pid: int, cid: int, due: int, scale: Trajectory, days: int, stopped: bool
) -> None:
    rng = ctx.rng
    expires = due + 3 * 1440
    answered = rng.random() < (0.55 if stopped else 0.8)
    for scored in (scale.primary(ctx.scores, days), scale.secondary(ctx.scores, days)):
        if not answered:
            _request(ctx, batch, pid, cid, None, scored[0], FOLLOW_UP, due, expires, "expired", None, None)
            continue
        at = due + rng.randint(30, 3 * 1440 - 1)
        qid = _answer(ctx, batch, pid, scored, at)
        _request(ctx, batch, pid, cid, None, scored[0], FOLLOW_UP, due, expires, "completed", at, qid)


# -- the controlled-substance ledger, replayed in time order -------------------------------------------------------
def _qty(milli: int) -> str:
    return f"{milli // 1000}.{milli % 1000:03d}"


@dataclass
class _Stock:
    """One product at one location while the ledger is replayed (quantities in thousandths of the unit)."""

    site: Site
    product: Any
    mg_per_unit: int
    size_milli: int
    custody: int
    containers: list[list[Any]] = field(default_factory=list)  # [id, on_hand, in_use, state, received_row]
    current: int = 0


def _ledger_specs() -> dict[str, TableSpec]:
    from ketaflow.ledger.models import Container, LedgerLine, Lot, Receipt

    stamp = ("id", "uuid", "created_at", "updated_at", "created_by_id")
    return {
        "lots": TableSpec(Lot, stamp + ("product_id", "lot_number", "expires_on")),
        "receipts": TableSpec(
            Receipt,
            stamp
            + (
                "location_id",
                "storage_id",
                "supplier_name",
                "supplier_address",
                "supplier_dea_number",
                "invoice_number",
                "received_on",
                "received_by_id",
            ),
        ),
        "containers": TableSpec(
            Container,
            stamp
            + (
                "location_id",
                "storage_id",
                "product_id",
                "lot_id",
                "receipt_id",
                "label",
                "state",
                "on_hand",
                "in_use",
                "received",
            ),
        ),
        "ledger_lines": TableSpec(
            LedgerLine,
            (
                "id",
                "uuid",
                "location_id",
                "product_id",
                "container_id",
                "kind",
                "occurred_at",
                "recorded_at",
                "actor_id",
                "witness_id",
                "quantity",
                "unit",
                "quantity_mg",
                "session_uuid",
                "session_key",
                "from_storage_id",
                "state_before",
                "state_after",
                "reason",
                "receipt_id",
                "container_before",
                "container_after",
                "container_in_use_before",
                "container_in_use_after",
                "product_before",
                "product_after",
                "engine_version",
            ),
        ),
    }


LINE_FLUSH = 100_000


def _ledger(ctx: BulkContext, on_rows: Callable[[int], None] | None) -> None:
    """Receipts as stock runs out, then per completed session a draw at the start and an administration (and a
    witnessed waste when stopped early) at the stop, in time order, with every balance before and after."""
    from ketaflow.domain import ledger as dl
    from ketaflow.ledger.demo import SUPPLIER
    from ketaflow.ledger.models import Container, Product, StockBalance

    specs = _ledger_specs()
    clock, text, writer = ctx.clock, ctx.clock.text, ctx.writer
    version = dl.VERSION
    products = {p.ndc: p for p in Product.objects.filter(ndc__in=[IV_PRODUCT_NDC, ESKETAMINE_NDC])}
    stocks: dict[tuple[int, str], _Stock] = {}
    # Labels are numbered per location across products, as ``receipt_record`` numbers them.
    label_counter: dict[int, int] = {}
    for index, site in enumerate(ctx.sites):
        label_counter[index] = Container.objects.filter(location_id=site.location_id).count() + 1
        for ndc, product in products.items():
            balance = StockBalance.objects.filter(location_id=site.location_id, product=product).first()
            mg = product.concentration_mg_per_ml if product.unit == "mL" else product.mg_per_device
            stocks[(index, ndc)] = _Stock(
                site=site,
                product=product,
                mg_per_unit=int(mg),
                size_milli=int(product.container_size * 1000),
                custody=int((balance.custody if balance else Decimal(0)) * 1000),
            )
    lots: list[tuple[Any, ...]] = []
    receipts: list[tuple[Any, ...]] = []
    containers: list[list[Any]] = []
    lines: list[tuple[Any, ...]] = []
    holds: dict[str, list[tuple[list[Any], int]]] = {}

    def line(
        stock: _Stock,
        box: list[Any],
        kind: str,
        at: int,
        actor: int,
        witness: int | None,
        quantity: int,
        session: str | None,
        reason: str,
        receipt: int | None,
        before: tuple[int, int, str],
        custody_before: int,
    ) -> None:
        lid = ctx.take("ledger_lines")
        when = text(at)
        lines.append(
            (
                lid,
                ctx.uuid("ledger_lines", lid),
                stock.site.location_id,
                stock.product.pk,
                box[0],
                kind,
                when,
                when,
                actor,
                witness,
                _qty(quantity),
                stock.product.unit,
                _qty(quantity * stock.mg_per_unit),
                session,
                _dashed(session) if session else "",
                stock.site.storage_id,
                before[2],
                box[3],
                reason,
                receipt,
                _qty(before[0]),
                _qty(box[1]),
                _qty(before[1]),
                _qty(box[2]),
                _qty(custody_before),
                _qty(stock.custody),
                version,
            )
        )

    def receive(stock: _Stock, site_index: int, at: int) -> None:
        site = stock.site
        day = at // 1440
        lot_id = ctx.take("lots")
        created = text(at)
        lots.append(
            (
                lot_id,
                ctx.uuid("lots", lot_id),
                created,
                created,
                site.custodian_id,
                stock.product.pk,
                f"BULK-{lot_id:07d}",
                str(clock.base + dt.timedelta(days=day + 540)),
            )
        )
        receipt_id = ctx.take("receipts")
        invoice = f"BULK-INV-{receipt_id:07d}"
        receipts.append(
            (
                receipt_id,
                ctx.uuid("receipts", receipt_id),
                created,
                created,
                site.custodian_id,
                site.location_id,
                site.storage_id,
                SUPPLIER["supplier_name"],
                SUPPLIER["supplier_address"],
                SUPPLIER["supplier_dea_number"],
                invoice,
                clock.date(day),
                site.custodian_id,
            )
        )
        prefix = site.slug[:3].upper()
        for _ in range(RECEIPT_CONTAINERS[stock.product.ndc]):
            box_id = ctx.take("containers")
            number = label_counter[site_index]
            label_counter[site_index] = number + 1
            box = [
                box_id,
                0,
                0,
                "sealed",
                (
                    created,
                    site.custodian_id,
                    site.location_id,
                    site.storage_id,
                    stock.product.pk,
                    lot_id,
                    receipt_id,
                    f"{prefix}-{number:05d}",
                ),
            ]
            stock.containers.append(box)
            containers.append(box)
            custody_before = stock.custody
            before = (0, 0, "sealed")
            box[1] = stock.size_milli
            stock.custody += stock.size_milli
            line(
                stock,
                box,
                "receipt",
                at,
                site.custodian_id,
                None,
                stock.size_milli,
                None,
                f"invoice {invoice}",
                receipt_id,
                before,
                custody_before,
            )

    events = [(e[0], 0, i) for i, e in enumerate(ctx.dose_events)] + [
        (e[1], 1, i) for i, e in enumerate(ctx.dose_events)
    ]
    events.sort()
    for at, phase, index in events:
        started, stopped, session, site_index, ndc, quantity, given, nurse, prescriber = ctx.dose_events[
            index
        ]
        stock = stocks[(site_index, ndc)]
        if phase == 0:
            parts = []
            remaining = quantity
            while remaining > 0:
                while stock.current < len(stock.containers) and stock.containers[stock.current][1] == 0:
                    stock.current += 1
                if stock.current >= len(stock.containers):
                    receive(stock, site_index, at)
                    continue
                box = stock.containers[stock.current]
                take = min(remaining, box[1])
                before = (box[1], box[2], box[3])
                box[1] -= take
                box[2] += take
                box[3] = "empty" if box[1] == 0 else "open"
                line(stock, box, "draw", at, nurse, None, take, session, "", None, before, stock.custody)
                parts.append((box, take))
                remaining -= take
            holds[session] = parts
        else:
            left = given
            for box, drawn in holds.pop(session):
                administered = min(drawn, left)
                left -= administered
                if administered:
                    before = (box[1], box[2], box[3])
                    custody_before = stock.custody
                    box[2] -= administered
                    stock.custody -= administered
                    line(
                        stock,
                        box,
                        "administration",
                        at,
                        nurse,
                        None,
                        administered,
                        session,
                        "",
                        None,
                        before,
                        custody_before,
                    )
                wasted = drawn - administered
                if wasted:
                    before = (box[1], box[2], box[3])
                    custody_before = stock.custody
                    box[2] -= wasted
                    stock.custody -= wasted
                    line(
                        stock,
                        box,
                        "waste",
                        at,
                        nurse,
                        prescriber,
                        wasted,
                        session,
                        WASTE_REASON,
                        None,
                        before,
                        custody_before,
                    )
        if len(lines) >= LINE_FLUSH:
            writer.write(specs["ledger_lines"], lines, "ledger_lines")
            lines.clear()
            if on_rows is not None:
                on_rows(writer.total)
    writer.write(specs["ledger_lines"], lines, "ledger_lines")
    writer.write(specs["lots"], lots, "lots")
    writer.write(specs["receipts"], receipts, "receipts")
    writer.write(
        specs["containers"],
        [
            (
                box[0],
                ctx.uuid("containers", box[0]),
                box[4][0],
                ctx.now_text,
                box[4][1],
                *box[4][2:],
                box[3],
                _qty(box[1]),
                "{}",
                True,
            )
            for box in containers
        ],
        "containers",
    )
    # The running balance per product and location (not append-only: updated like the services do).
    for (_index, _ndc), stock in stocks.items():
        on_hand = sum(box[1] for box in stock.containers)
        if not stock.containers:
            continue
        balance, _ = StockBalance.objects.get_or_create(
            location_id=stock.site.location_id, product=stock.product
        )
        balance.on_hand += Decimal(on_hand) / 1000
        balance.save(update_fields=["on_hand", "updated_at"])
    ctx.dose_events.clear()


# -- putting it together -------------------------------------------------------------------------------------------
TABLE_ORDER = (
    "chairs",
    "patients",
    "appointments",
    "courses",
    "sessions",
    "vitals",
    "dose_orders",
    "adverse_events",
    "questionnaires",
    "measurement_requests",
    "rems_enrollments",
)


def _context(seed: int, end: dt.date) -> tuple[BulkContext, dict[str, TableSpec]]:
    from ketaflow.accounts.models import User
    from ketaflow.accounts.roles import Role
    from ketaflow.clinics.models import Chair, Location
    from ketaflow.domain import dosing
    from ketaflow.ledger.demo import load_demo_ledger
    from ketaflow.ledger.models import StoragePlace
    from ketaflow.scheduling.models import ConsultationType
    from ketaflow.treatment.models import PrnMedicine, Protocol
    from ketaflow.treatment.seeds import ensure_seeded

    ensure_seeded()
    load_demo_ledger()  # products and storage places (idempotent)

    def staff(role: str, location: Any) -> list[int]:
        ids = list(
            User.objects.filter(role=role, locations=location)
            .order_by("username")
            .values_list("id", flat=True)
        )
        return ids or list(User.objects.filter(role=role).order_by("username").values_list("id", flat=True))

    sites = []
    for location in Location.objects.filter(is_active=True).order_by("name"):
        storage = StoragePlace.objects.filter(location=location).order_by("id").first()
        sites.append(
            Site(
                location_id=location.pk,
                slug=location.slug,
                city=location.city,
                prescriber_id=staff(Role.PRESCRIBER, location)[0],
                nurse_ids=staff(Role.NURSE, location),
                desk_id=staff(Role.FRONT_DESK, location)[0],
                custodian_id=staff(Role.CUSTODIAN, location)[0],
                chair_number=_last_chair_number(location),
                chair_ids=list(
                    Chair.objects.filter(location=location, is_active=True)
                    .order_by("id")
                    .values_list("id", flat=True)
                ),
                storage_id=storage.pk if storage else 0,
            )
        )
    protocols = {}
    for key, slug in (
        ("depression", "iv-depression-standard"),
        ("pain", "iv-pain-crps-4h"),
        ("esketamine", "esketamine-trd"),
    ):
        row = Protocol.objects.get(slug=slug)
        recovery = max(row.min_recovery_minutes, 30)
        total = -(-(row.infusion_minutes + recovery) // 15) * 15  # sessions sit on the 15-minute grid
        protocols[key] = ProtocolInfo(
            id=row.pk,
            slug=row.slug,
            pathway=row.pathway,
            kind=row.kind,
            infusion_minutes=row.infusion_minutes,
            recovery_minutes=total - row.infusion_minutes,
            induction=row.induction_sessions,
            row=row,
        )
    all_specs = table_specs()
    clock = Clock(end)
    now_text = clock.text(clock.utc(clock.end_day - 1, 18 * 60))
    ctx = BulkContext(
        rng=random.Random(seed),
        clock=clock,
        seed=seed,
        sites=sites,
        protocols=protocols,
        consultation_type_id=ConsultationType.objects.get(slug="new-patient-consultation").pk,
        prn_ids=dict(PrnMedicine.objects.values_list("name", "id")),
        scores=Scores(),
        writer=Writer(),
        ids={name: _next_id(spec.model) for name, spec in all_specs.items()},
        tags={name: _uuid_tag(name, seed) for name in all_specs},
        now_text=now_text,
        dosing_version=dosing.VERSION,
    )
    return ctx, all_specs


def _last_chair_number(location: Any) -> int:
    from ketaflow.clinics.models import Chair

    numbers = [0]
    for label in Chair.objects.filter(location=location).values_list("label", flat=True):
        head, _, tail = label.rpartition(" ")
        if head == "Chair" and tail.isdigit():
            numbers.append(int(tail))
    return max(numbers)


class _FastLoad:
    """Cheaper writes while the load runs; a crash means re-running it.

    SQLite: ``synchronous=OFF`` and a bigger page cache (foreign keys stay on: SQLite checks them with one index
    probe per row, which costs about what a later check would). PostgreSQL: ``synchronous_commit=off`` and, when
    the role may, ``session_replication_role=replica`` for this session only. That skips the per-row
    foreign-key triggers, which cost as much as the COPY itself; ``verify_foreign_keys`` then checks every new
    row's references with one anti-join per table, and the load fails if any is dangling. No trigger is dropped
    or changed (the ledger's append-only triggers fire on UPDATE and DELETE; the generator only inserts).
    """

    def __init__(self) -> None:
        self.sqlite = self.replica = False

    def __enter__(self) -> _FastLoad:
        with connection.cursor() as cursor:
            if (
                connection.vendor == "sqlite" and not connection.in_atomic_block
            ):  # refused inside a transaction
                self.sqlite = True
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA cache_size=-262144")
            elif connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("SELECT current_setting('is_superuser') = 'on'")
                self.replica = bool(cursor.fetchone()[0])
                if self.replica:
                    cursor.execute("SET session_replication_role = replica")
        return self

    def __exit__(self, *exc: Any) -> None:
        if connection.vendor == "sqlite" and not self.sqlite:
            return
        with connection.cursor() as cursor:
            if self.sqlite:
                cursor.execute("PRAGMA synchronous=NORMAL")
            elif connection.vendor == "postgresql" and connection.connection is not None:
                cursor.execute("SET session_replication_role = origin")
                cursor.execute("SET synchronous_commit = on")


def verify_foreign_keys(specs: dict[str, TableSpec], first_ids: dict[str, int]) -> list[str]:
    """Dangling references among rows with ``id >= first_ids[name]``: one anti-join query per table."""
    problems = []
    with connection.cursor() as cursor:
        for name, spec in specs.items():
            if name not in first_ids:
                continue
            checks = []
            joins = []
            for n, f in enumerate(x for x in spec.model._meta.concrete_fields if x.is_relation):
                target = f.related_model._meta.db_table
                joins.append(f"LEFT JOIN {_quote(target)} p{n} ON p{n}.id = c.{_quote(f.column)}")
                checks.append(f"(c.{_quote(f.column)} IS NOT NULL AND p{n}.id IS NULL)")
            if not checks:
                continue
            where = " OR ".join(checks)
            rows = f"{_quote(spec.table)} c {' '.join(joins)} WHERE c.id >= %s AND ({where})"
            cursor.execute(f"SELECT COUNT(*) FROM {rows}", [first_ids[name]])  # noqa: S608 - model metadata
            dangling = int(cursor.fetchone()[0])
            if dangling:
                problems.append(f"{spec.table}: {dangling} rows reference missing rows")
    return problems


class DanglingReference(RuntimeError):
    pass


class _Sink:
    """Writes each batch of rows in its own transaction, inline or on a writer thread.

    The writer thread has its own database connection, so generating the next batch in Python overlaps writing
    this one (SQLite releases the GIL while it steps through rows; PostgreSQL parses COPY in its own process).
    It is used only outside a transaction (never inside a test's): another connection could not see the test's
    rows. The queue holds one batch, so memory stays bounded.
    """

    def __init__(self, ctx: BulkContext, specs: dict[str, TableSpec], *, threaded: bool) -> None:
        self.ctx, self.specs, self.threaded = ctx, specs, threaded
        self.error: BaseException | None = None
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if threaded:
            self.thread = threading.Thread(target=self._run, name="bulk-demo-writer", daemon=True)
            self.thread.start()

    def put(self, rows: dict[str, list[tuple[Any, ...]]], first_ids: dict[str, int], fast: _FastLoad) -> None:
        if not self.threaded:
            self._write(rows, first_ids, fast)
            return
        if self.error is not None:
            raise self.error
        self.queue.put((rows, first_ids))

    def close(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error

    def _write(
        self, rows: dict[str, list[tuple[Any, ...]]], first_ids: dict[str, int], fast: _FastLoad
    ) -> None:
        with transaction.atomic():
            for name in TABLE_ORDER:
                self.ctx.writer.write(self.specs[name], rows.get(name, []), name)
            if fast.replica:
                _check_references(self.specs, first_ids)

    def _run(self) -> None:
        try:
            with _FastLoad() as fast:
                while (item := self.queue.get()) is not None:
                    self._write(*item, fast)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
            self.error = exc
            while self.queue.get() is not None:  # let the producer finish its put() and see the error
                pass
        finally:
            connection.close()


def _check_references(specs: dict[str, TableSpec], first_ids: dict[str, int]) -> None:
    problems = verify_foreign_keys(specs, first_ids)
    if problems:
        raise DanglingReference("; ".join(problems))


def generate(
    *,
    patients: int,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    end: dt.date | None = None,
    threaded: bool | None = None,
) -> dict[str, Any]:
    """Create ``patients`` synthetic patients with three years of history ending the day before ``end`` (today).

    ``progress`` is called with the number of patients written after each batch, ``on_rows`` with the running
    total of rows. Returns the rows written per table, the seconds and rows per second.
    """
    from ketaflow.core.bulk_sites import ensure_group_sites, sites_for
    from ketaflow.patients.models import Patient
    from ketaflow.scheduling.selectors import schedule_changed

    started = time.perf_counter()
    end = end or dt.datetime.now(dt.UTC).date()
    first_index = Patient.objects.filter(chart_number__startswith=CHART_PREFIX).count()
    ensure_group_sites(sites_for(first_index + patients))
    ctx, specs = _context(seed, end)
    if threaded is None:
        threaded = not connection.in_atomic_block and connection.settings_dict["NAME"] != ":memory:"
    with _FastLoad() as fast:
        sink = _Sink(ctx, specs, threaded=threaded)
        try:
            done = 0
            while done < patients:
                size = min(BATCH, patients - done)
                first_ids = {name: ctx.ids[name] for name in TABLE_ORDER}
                batch = Batch()
                _patients(ctx, batch, first_index + done, size)
                sink.put(batch.rows, first_ids, fast)
                done += size
                if progress is not None:
                    progress(size)
                if on_rows is not None:
                    on_rows(ctx.writer.total)
        finally:
            sink.close()
        with transaction.atomic():
            first_ids = {name: ctx.ids[name] for name in ("lots", "receipts", "containers", "ledger_lines")}
            _ledger(ctx, on_rows)
            if fast.replica:
                _check_references(specs, first_ids)
            schedule_changed()
        _reset_sequences(spec.model for spec in specs.values())
        _analyze(specs.values())
    if on_rows is not None:
        on_rows(ctx.writer.total)
    seconds = time.perf_counter() - started
    rows = {
        name: ctx.writer.counts.get(name, 0)
        for name in (*TABLE_ORDER, "lots", "receipts", "containers", "ledger_lines")
    }
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
    """``generate`` behind a rich progress bar: patients written, rows written and rows per second."""
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
