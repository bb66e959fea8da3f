"""The generation context: constants, the clock on a grid, scores, sites and protocols, ids and uuids."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ketaflow.core.bulk.specs import TableSpec, table_specs
from ketaflow.core.bulk.writing import Writer, next_id

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
        self._quarters: Any = None
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

    def quarter_texts(self, minutes: Any) -> list[str]:
        """Texts of times on the 15-minute grid (a NumPy array of minutes), from a table built once."""
        if self._quarters is None:
            self._quarters = np.array(
                [prefix + self.hms[q * 15] for prefix in self.day_prefix for q in range(96)], dtype=object
            )
        if (minutes % 15).any():
            raise ValueError("vitals are read on the 15-minute grid")
        return self._quarters[minutes // 15].tolist()  # type: ignore[no-any-return]

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

    def weekday_near(self, day: int, after: int) -> int:
        """The open weekday nearest ``day``: a Saturday moves back to Friday (when that is still after ``after``,
        the day of the previous visit), a Sunday on to Monday. Moving every weekend day to Monday made Mondays
        three times as busy as other days and filled 45 chairs at a site that needs about 15."""
        if self.weekday[day] == 5 and day - 1 > after:
            return day - 1
        return self.weekday_on_or_after(day)


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
    # One tuple per completed session of the batch: (session, nurse, started, stopped, discharged, pain scale).
    vitals_plan: list[tuple[int, int, int, int, int, bool]] = field(default_factory=list)

    def take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def uuid(self, table: str, pk: int) -> str:
        return f"{self.tags[table]}{pk:012x}"


def uuid_tag(table: str, seed: int) -> str:
    """20 hex digits per table and seed, shaped like a version-4 uuid; the last 12 digits are the row id."""
    h = hashlib.sha256(f"{table}:{seed}".encode()).hexdigest()
    return f"{h[:12]}4{h[12:15]}8{h[15:18]}"


def dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


# -- one batch of patients ----------------------------------------------------------------------------------------
@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).append(row)


def pick(rng: random.Random, weighted: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    roll = rng.random()
    for entry in weighted:
        roll -= entry[1]
        if roll <= 0:
            return entry
    return weighted[-1]


def build_context(seed: int, end: dt.date) -> tuple[BulkContext, dict[str, TableSpec]]:
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
        ids={name: next_id(spec.model) for name, spec in all_specs.items()},
        tags={name: uuid_tag(name, seed) for name in all_specs},
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
