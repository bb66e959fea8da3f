"""Clinic analytics panels: each selector aggregates in SQL and returns a small ``Panel`` (rows already grouped).

Every panel runs a fixed number of queries whatever the data size (pinned in tests/test_query_counts.py), and
Python only touches the grouped rows (a handful per location, weekday, protocol or infusion number), never the
raw sessions, consultations or scores. docs/analytics.md defines each figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, CumeDist, ExtractIsoWeekDay, TruncDate

from ketaflow.clinics.models import Chair, Closure, OpeningHours, Weekday
from ketaflow.domain.monitoring import PMF_SUBMISSION_DAYS
from ketaflow.domain.outcomes import DEFAULT_RULES
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment
from ketaflow.treatment.models import AdverseEvent, Course, InfusionSession, Pathway, Protocol

# An infusion counts as given once the patient reached recovery (the drug went in).
GIVEN = ("recovering", "ready", "discharged")
ENDED_COURSE = (Course.Status.COMPLETED, Course.Status.STOPPED)
# Instrument read per pathway for response/remission (docs/analytics.md; rules in domain/outcomes/definitions).
PATHWAY_INSTRUMENT = {
    Pathway.IV_KETAMINE_DEPRESSION: "phq9",
    Pathway.ESKETAMINE_NASAL: "phq9",
    Pathway.IV_KETAMINE_PAIN: "nrs",
}
UNBOUNDED = 2**62  # a LIMIT that never limits (see response_rates)
WEEKDAYS = [label for _, label in Weekday.choices]


@dataclass(frozen=True)
class Filters:
    """A validated date range (inclusive, clinic-local days) and the locations it covers."""

    start: dt.date
    end: dt.date
    locations: tuple[Any, ...]  # clinics.Location rows the user covers, already checked
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Chicago"))

    @property
    def location_ids(self) -> list[int]:
        return [loc.pk for loc in self.locations]

    @property
    def names(self) -> dict[int, str]:
        return {loc.pk: loc.name for loc in self.locations}

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=self.tz)

    @property
    def until(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)


@dataclass
class Panel:
    """One dashboard panel: a table (``columns`` = (key, label) pairs over ``rows`` dicts) and chart data."""

    slug: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    note: str = ""
    chart: dict[str, Any] = field(default_factory=dict)


@contextmanager
def no_jit() -> Iterator[None]:
    """On PostgreSQL, run the enclosed queries without JIT compilation (``SET LOCAL jit = off``).

    The panels' plans are estimated as expensive (many correlated subqueries), which makes PostgreSQL spend
    seconds compiling them while the queries themselves take tens of milliseconds per thousand rows
    (docs/analytics.md). Elsewhere nothing changes.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if not whole else round(100.0 * (part or 0) / whole, 1)


def _minutes(value: dt.timedelta | None) -> float:
    return 0.0 if value is None else value.total_seconds() / 60.0


def _days(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86_400.0, 1)


def weekday_counts(start: dt.date, end: dt.date) -> dict[int, int]:
    """How many of each weekday (0 = Monday) fall in [start, end], in closed form."""
    total = (end - start).days + 1
    weeks, extra = divmod(total, 7)
    counts = dict.fromkeys(range(7), weeks)
    for offset in range(extra):
        counts[(start.weekday() + offset) % 7] += 1
    return counts


# --- 1. Chair utilisation -------------------------------------------------------------------------------


def chair_utilisation(f: Filters) -> Panel:
    """Booked chair-minutes ÷ available chair-minutes (opening hours × active chairs × days), per location and
    weekday. Cancelled sessions free their chair; missed ones held it. Closure days are not available.

    Queries: booked minutes grouped by location × weekday; opening minutes by location × weekday; active chairs
    per location; closures overlapping the range.
    """
    duration = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    booked = (
        InfusionSession.objects.current()
        .filter(location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until)
        .exclude(status=InfusionSession.Status.CANCELLED)
        .annotate(weekday=ExtractIsoWeekDay("starts_at", tzinfo=f.tz))
        .values("location_id", "weekday")
        .annotate(minutes=Sum(duration), sessions=Count("id"))
        .order_by()
    )
    booked_by = {(r["location_id"], r["weekday"] - 1): r for r in booked}
    opening = (
        OpeningHours.objects.filter(location_id__in=f.location_ids)
        .values("location_id", "weekday")
        .annotate(
            minutes=Sum(ExpressionWrapper(F("closes_at") - F("opens_at"), output_field=DurationField()))
        )
        .order_by()
    )
    open_by = {(r["location_id"], r["weekday"]): _minutes(r["minutes"]) for r in opening}
    chairs = dict(
        Chair.objects.filter(location_id__in=f.location_ids, is_active=True)
        .values("location_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("location_id", "n")
    )
    days = {loc: weekday_counts(f.start, f.end) for loc in f.location_ids}
    closures = Closure.objects.filter(
        location_id__in=f.location_ids, starts_on__lte=f.end, ends_on__gte=f.start
    ).values_list("location_id", "starts_on", "ends_on")
    for location_id, starts_on, ends_on in closures:  # a few holidays, not data rows
        day = max(starts_on, f.start)
        while day <= min(ends_on, f.end):
            days[location_id][day.weekday()] -= 1
            day += dt.timedelta(days=1)
    rows = []
    for location in f.locations:
        for weekday in range(7):
            available = open_by.get((location.pk, weekday), 0.0) * chairs.get(location.pk, 0)
            available *= days[location.pk][weekday]
            hit = booked_by.get((location.pk, weekday), {})
            minutes = _minutes(hit.get("minutes"))
            if not available and not minutes:
                continue
            rows.append(
                {
                    "location": location.name,
                    "weekday": WEEKDAYS[weekday],
                    "sessions": hit.get("sessions", 0),
                    "booked_hours": round(minutes / 60, 1),
                    "available_hours": round(available / 60, 1),
                    "utilisation_pct": _pct(minutes, available),
                }
            )
    return Panel(
        "chair-utilisation",
        "Chair utilisation",
        [
            ("location", "Location"),
            ("weekday", "Weekday"),
            ("sessions", "Sessions"),
            ("booked_hours", "Booked chair-hours"),
            ("available_hours", "Available chair-hours"),
            ("utilisation_pct", "Utilisation %"),
        ],
        rows,
        note="Booked = session start to end (treatment and recovery), cancelled sessions excluded. Available ="
        " opening hours × active chairs × open days in the range.",
        chart={
            "kind": "bars",
            "label": "location",
            "category": "weekday",
            "value": "utilisation_pct",
            "unit": "%",
        },
    )


# --- 2. No-shows and cancellations ----------------------------------------------------------------------


def no_shows(f: Filters) -> Panel:
    """Infusion sessions and consultations starting in the range: booked, cancelled, did not attend, per location.

    Queries: sessions grouped by location; consultations grouped by location.
    """
    sessions = (
        InfusionSession.objects.current()
        .filter(location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until)
        .values("location_id")
        .annotate(
            total=Count("id"),
            cancelled=Count("id", filter=Q(status=InfusionSession.Status.CANCELLED)),
            no_show=Count("id", filter=Q(status=InfusionSession.Status.MISSED)),
        )
        .order_by()
    )
    consultations = (
        Appointment.objects.current()
        .filter(location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until)
        .exclude(status__in=[Appointment.Status.HELD, Appointment.Status.EXPIRED])
        .values("location_id")
        .annotate(
            total=Count("id"),
            cancelled=Count("id", filter=Q(status=Appointment.Status.CANCELLED)),
            no_show=Count("id", filter=Q(status=Appointment.Status.NO_SHOW)),
        )
        .order_by()
    )
    grouped = {
        "Infusion sessions": {r["location_id"]: r for r in sessions},
        "Consultations": {r["location_id"]: r for r in consultations},
    }
    rows = []
    for location in f.locations:
        for kind, by_location in grouped.items():
            r = by_location.get(location.pk, {"total": 0, "cancelled": 0, "no_show": 0})
            rows.append(
                {
                    "location": location.name,
                    "kind": kind,
                    "booked": r["total"],
                    "cancelled": r["cancelled"],
                    "cancelled_pct": _pct(r["cancelled"], r["total"]),
                    "no_show": r["no_show"],
                    "no_show_pct": _pct(r["no_show"], r["total"]),
                }
            )
    return Panel(
        "no-shows",
        "No-shows and cancellations",
        [
            ("location", "Location"),
            ("kind", "Kind"),
            ("booked", "Booked"),
            ("cancelled", "Cancelled"),
            ("cancelled_pct", "Cancelled %"),
            ("no_show", "Did not attend"),
            ("no_show_pct", "Did not attend %"),
        ],
        rows,
        note="Everything booked to start in the range (held or expired online holds are not bookings).",
        chart={"kind": "bars", "label": "kind", "category": "location", "value": "no_show_pct", "unit": "%"},
    )


# --- 3. Drop-off by infusion number ---------------------------------------------------------------------


def drop_off(f: Filters) -> Panel:
    """Courses planned in the range grouped by the highest infusion number they completed (0 = none).

    Queries: one, grouping courses by a correlated MAX(sequence) of their given sessions.
    """
    last_given = (
        InfusionSession.objects.current()
        .filter(course=OuterRef("pk"), status__in=GIVEN)
        .order_by()
        .values("course")
        .annotate(m=Max("sequence"))
        .values("m")
    )
    grouped = list(
        Course.objects.current()
        .filter(location_id__in=f.location_ids, created_at__gte=f.since, created_at__lt=f.until)
        .annotate(last=Coalesce(Subquery(last_given), 0))
        .values("last")
        .annotate(courses=Count("id"), ended=Count("id", filter=Q(status__in=ENDED_COURSE)))
        .order_by("last")
    )
    cohort = sum(r["courses"] for r in grouped)
    reached = cohort
    rows = []
    for r in grouped:  # one row per infusion number
        rows.append(
            {
                "infusion": r["last"],
                "reached": reached,
                "reached_pct": _pct(reached, cohort),
                "stopped_here": r["courses"],
                "ended": r["ended"],
                "ongoing": r["courses"] - r["ended"],
            }
        )
        reached -= r["courses"]
    return Panel(
        "drop-off",
        "Drop-off by infusion number",
        [
            ("infusion", "Last infusion completed"),
            ("reached", "Courses reaching it"),
            ("reached_pct", "Reaching it %"),
            ("stopped_here", "Courses whose last is this one"),
            ("ended", "of which ended (completed/stopped)"),
            ("ongoing", "of which still open"),
        ],
        rows,
        note=f"{cohort} courses planned in the range. Infusion 0 = planned but never given.",
        chart={"kind": "line", "x": "infusion", "value": "reached_pct", "unit": "% of courses"},
    )


# --- 4. Time from first contact -------------------------------------------------------------------------


def _percentiles(grouped: Any) -> dict[str, Any]:
    """Nearest-rank median and 90th percentile of ``wait`` over a queryset grouped per patient, in one query:
    CUME_DIST() over the ordered waits, then the smallest wait whose cumulative share reaches 0.5 / 0.9 (Django
    wraps the grouped, windowed query in a derived table)."""
    ranked = grouped.annotate(share=Window(CumeDist(), order_by=F("wait").asc()))
    return ranked.aggregate(
        n=Count("patient_id"),
        median=Min("wait", filter=Q(share__gte=0.5)),
        p90=Min("wait", filter=Q(share__gte=0.9)),
    )


def time_to_care(f: Filters) -> Panel:
    """Patients first in contact (chart created) in the range at these locations: days to their first completed
    consultation and to their first given infusion, median and 90th percentile.

    Queries: cohort size; one percentile query per step (the step's rows joined to the cohort, grouped per
    patient with MIN, ranked with a window function).
    """
    in_cohort = {
        # Events before the range cannot follow a first contact inside it; this bound lets PostgreSQL skip them.
        "starts_at__gte": f.since,
        "patient__entered_in_error": False,
        "patient__preferred_location_id__in": f.location_ids,
        "patient__created_at__gte": f.since,
        "patient__created_at__lt": f.until,
    }
    total = (
        Patient.objects.current()
        .filter(preferred_location_id__in=f.location_ids, created_at__gte=f.since, created_at__lt=f.until)
        .count()
    )
    steps = (
        (
            "First contact → consultation",
            Appointment.objects.current().filter(status=Appointment.Status.COMPLETED, **in_cohort),
        ),
        (
            "First contact → first infusion",
            InfusionSession.objects.current().filter(status__in=GIVEN, **in_cohort),
        ),
    )
    rows = []
    for label, events in steps:
        grouped = (
            events.values("patient_id")
            .annotate(
                wait=ExpressionWrapper(
                    Min("starts_at") - Min("patient__created_at"), output_field=DurationField()
                )
            )
            .order_by()
        )
        stats = _percentiles(grouped)
        rows.append(
            {
                "step": label,
                "patients": total,
                "reached": stats["n"],
                "reached_pct": _pct(stats["n"], total),
                "median_days": _days(stats["median"]),
                "p90_days": _days(stats["p90"]),
            }
        )
    return Panel(
        "time-to-care",
        "Time from first contact",
        [
            ("step", "Step"),
            ("patients", "New patients"),
            ("reached", "Reached the step"),
            ("reached_pct", "Reached %"),
            ("median_days", "Median days"),
            ("p90_days", "90th percentile days"),
        ],
        rows,
        note="New patients = charts created in the range. Percentiles are nearest-rank over those who reached "
        "the step.",
        chart={"kind": "hbars", "label": "step", "values": ["median_days", "p90_days"], "unit": "days"},
    )


# --- 5. Response and remission by protocol --------------------------------------------------------------


def _score() -> Any:
    return Cast(KeyTextTransform("total", "result"), FloatField())


def response_rates(f: Filters) -> Panel:
    """Courses planned in the range, per protocol: baseline (latest score in the rule's window up to the first
    infusion) against the latest score since, read with DEFAULT_RULES (PHQ-9 for depression and esketamine, NRS
    for pain).

    Queries: protocols; one aggregate over the courses (Django wraps the per-course subqueries in a derived
    table, so each is evaluated once per course).
    """
    protocols = list(Protocol.objects.order_by("pathway", "name"))  # a handful of rows
    first_infusion = (
        InfusionSession.objects.current()
        .filter(course=OuterRef("pk"), status__in=GIVEN)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    scores = QuestionnaireResponse.objects.current().filter(
        patient=OuterRef("patient_id"), instrument=OuterRef("instrument")
    )
    window = dt.timedelta(days=DEFAULT_RULES["phq9"].baseline_window_days)
    assert window == dt.timedelta(days=DEFAULT_RULES["nrs"].baseline_window_days)
    baseline = (
        scores.filter(completed_at__lte=OuterRef("started"), completed_at__gte=OuterRef("started") - window)
        .order_by("-completed_at")
        .annotate(score=_score())
        .values("score")[:1]
    )
    latest = (
        scores.filter(completed_at__gt=OuterRef("started"))
        .order_by("-completed_at")
        .annotate(score=_score())
        .values("score")[:1]
    )
    courses = (
        Course.objects.current()
        .filter(location_id__in=f.location_ids, created_at__gte=f.since, created_at__lt=f.until)
        .annotate(
            instrument=Case(
                *[When(pathway=p, then=Value(i)) for p, i in PATHWAY_INSTRUMENT.items()],
                default=Value("phq9"),
            ),
            started=Subquery(first_infusion),
        )
        .annotate(baseline=Subquery(baseline), latest=Subquery(latest))
    )
    aggregates: dict[str, Any] = {}
    for p in protocols:
        instrument = PATHWAY_INSTRUMENT.get(p.pathway, "phq9")
        rule = DEFAULT_RULES[instrument]
        mine = Q(protocol_id=p.pk)
        assessable = mine & Q(baseline__gte=rule.min_baseline, latest__isnull=False)
        responded = assessable & Q(latest__lte=F("baseline") * (1 - rule.response_percent / 100))
        aggregates[f"p{p.pk}_courses"] = Count("pk", filter=mine)
        aggregates[f"p{p.pk}_assessable"] = Count("pk", filter=assessable)
        aggregates[f"p{p.pk}_response"] = Count("pk", filter=responded)
        if rule.remission_at_most is not None:
            aggregates[f"p{p.pk}_remission"] = Count(
                "pk", filter=assessable & Q(latest__lte=rule.remission_at_most)
            )
        if rule.partial_percent is not None:
            partial = assessable & Q(latest__lte=F("baseline") * (1 - rule.partial_percent / 100))
            aggregates[f"p{p.pk}_partial"] = Count("pk", filter=partial)
    # The slice keeps the per-course query a derived table with a LIMIT, which PostgreSQL never flattens into
    # the outer aggregate: flattened, every FILTER would re-run the correlated subqueries (and the plan grows so
    # large that JIT compilation alone took 35 s on 5,000 patients).
    totals = courses.order_by()[:UNBOUNDED].aggregate(**aggregates) if aggregates else {}
    rows = []
    for p in protocols:
        instrument = PATHWAY_INSTRUMENT.get(p.pathway, "phq9")
        rule = DEFAULT_RULES[instrument]
        assessable = totals[f"p{p.pk}_assessable"]
        remission = totals.get(f"p{p.pk}_remission")
        partial = totals.get(f"p{p.pk}_partial")
        if not totals[f"p{p.pk}_courses"]:
            continue
        rows.append(
            {
                "protocol": p.name,
                "measure": rule.label,
                "courses": totals[f"p{p.pk}_courses"],
                "assessable": assessable,
                "response": totals[f"p{p.pk}_response"],
                "response_pct": _pct(totals[f"p{p.pk}_response"], assessable),
                "remission": remission if remission is not None else "",
                "remission_pct": _pct(remission, assessable) if remission is not None else "",
                "partial": partial if partial is not None else "",
                "partial_pct": _pct(partial, assessable) if partial is not None else "",
            }
        )
    return Panel(
        "response",
        "Response and remission by protocol",
        [
            ("protocol", "Protocol"),
            ("measure", "Measure"),
            ("courses", "Courses"),
            ("assessable", "With baseline and follow-up"),
            ("response", "Response (≥ 50%)"),
            ("response_pct", "Response %"),
            ("remission", "Remission"),
            ("remission_pct", "Remission %"),
            ("partial", "Pain ≥ 30%"),
            ("partial_pct", "Pain ≥ 30% %"),
        ],
        rows,
        note="Rates are over courses with a baseline (in the 14 days up to the first infusion) and a later score; "
        "remission = PHQ-9 ≤ 4 on the latest score; pain has no remission, ≥ 30% is IMMPACT's moderate change.",
        chart={
            "kind": "hbars",
            "label": "protocol",
            "values": ["response_pct", "remission_pct"],
            "unit": "%",
        },
    )


# --- 6. Adverse events per 100 sessions -----------------------------------------------------------------


def adverse_events(f: Filters) -> Panel:
    """Adverse events recorded in given sessions of the range, per 100 given sessions, by kind and severity.

    Queries: given sessions (the denominator); events grouped by kind × severity.
    """
    sessions = InfusionSession.objects.current().filter(
        location_id__in=f.location_ids, starts_at__gte=f.since, starts_at__lt=f.until, status__in=GIVEN
    )
    given = sessions.count()
    events = (
        AdverseEvent.objects.current()
        .filter(
            session__location_id__in=f.location_ids,
            session__starts_at__gte=f.since,
            session__starts_at__lt=f.until,
            session__status__in=GIVEN,
            session__entered_in_error=False,
        )
        .values("kind", "severity")
        .annotate(n=Count("id"), sessions=Count("session_id", distinct=True))
        .order_by("kind", "severity")
    )
    kinds = dict(AdverseEvent.Kind.choices)
    severities = dict(AdverseEvent.Severity.choices)
    rows = [
        {
            "kind": kinds.get(r["kind"], r["kind"]),
            "severity": severities.get(r["severity"], r["severity"]),
            "events": r["n"],
            "sessions_affected": r["sessions"],
            "per_100": None if not given else round(100.0 * r["n"] / given, 2),
        }
        for r in events
    ]
    return Panel(
        "adverse-events",
        "Adverse events per 100 sessions",
        [
            ("kind", "Kind"),
            ("severity", "Severity"),
            ("events", "Events"),
            ("sessions_affected", "Sessions affected"),
            ("per_100", "Per 100 sessions"),
        ],
        rows,
        note=f"{given} sessions given in the range (reached recovery).",
        chart={
            "kind": "hbars",
            "label": "kind",
            "category": "severity",
            "values": ["per_100"],
            "unit": "per 100",
        },
    )


# --- 7. SPRAVATO REMS monitoring forms on time ----------------------------------------------------------


def rems_on_time(f: Filters, *, today: dt.date | None = None) -> Panel:
    """Esketamine sessions given in the range: Patient Monitoring Form submitted within PMF_SUBMISSION_DAYS (7)
    days of the session's clinic-local date, late, missing (overdue) or not yet due.

    Queries: one, grouped by location.
    """
    from django.utils import timezone

    today = today or timezone.localdate(timezone.now(), f.tz)
    session_day = TruncDate("starts_at", tzinfo=f.tz)
    lateness = ExpressionWrapper(F("rems_pmf_submitted_on") - session_day, output_field=DurationField())
    limit = dt.timedelta(days=PMF_SUBMISSION_DAYS)
    cutoff = today - limit  # sessions on or before this day are past their due date
    grouped = (
        InfusionSession.objects.current()
        .filter(
            location_id__in=f.location_ids,
            starts_at__gte=f.since,
            starts_at__lt=f.until,
            status__in=GIVEN,
            course__protocol__kind=Protocol.Kind.ESKETAMINE,
        )
        .annotate(day=session_day, lateness=lateness)
        .values("location_id")
        .annotate(
            sessions=Count("id"),
            on_time=Count("id", filter=Q(rems_pmf_submitted_on__isnull=False, lateness__lte=limit)),
            late=Count("id", filter=Q(rems_pmf_submitted_on__isnull=False, lateness__gt=limit)),
            missing=Count("id", filter=Q(rems_pmf_submitted_on__isnull=True, day__lt=cutoff)),
        )
        .order_by()
    )
    by_location = {r["location_id"]: r for r in grouped}
    rows = []
    for location in f.locations:
        r = by_location.get(location.pk, {"sessions": 0, "on_time": 0, "late": 0, "missing": 0})
        judged = r["on_time"] + r["late"] + r["missing"]
        rows.append(
            {
                "location": location.name,
                "sessions": r["sessions"],
                "on_time": r["on_time"],
                "late": r["late"],
                "missing": r["missing"],
                "pending": r["sessions"] - judged,
                "on_time_pct": _pct(r["on_time"], judged),
            }
        )
    return Panel(
        "rems",
        "SPRAVATO REMS monitoring forms on time",
        [
            ("location", "Location"),
            ("sessions", "Esketamine sessions"),
            ("on_time", "Submitted on time"),
            ("late", "Submitted late"),
            ("missing", "Overdue, not submitted"),
            ("pending", "Not yet due"),
            ("on_time_pct", "On time %"),
        ],
        rows,
        note=f"On time = submitted within {PMF_SUBMISSION_DAYS} days of the session date (REMS-PMF). The % is over "
        "forms that are submitted or past due.",
        chart={"kind": "hbars", "label": "location", "values": ["on_time_pct"], "unit": "%"},
    )


# --- 8. Measurement completion --------------------------------------------------------------------------


def measurement_completion(f: Filters) -> Panel:
    """Scheduled questionnaires due in the range: completed ÷ (completed + expired) per location, instrument and
    timepoint, from the outcomes app's ``completion_rates`` (one GROUP BY query; open and cancelled requests are
    not counted)."""
    from ketaflow.outcomes.selectors import completion_rates

    rows = [
        {
            "location": r["location"],
            "instrument": r["instrument"],
            "timepoint": (r["timepoint"] or "").replace("_", " "),
            "completed": r["completed"],
            "expired": r["expired"],
            "completion_pct": None if r["rate"] is None else round(100.0 * r["rate"], 1),
        }
        for r in completion_rates(start=f.since, end=f.until, location_ids=f.location_ids)
    ]
    return Panel(
        "completion",
        "Measurement completion",
        [
            ("location", "Location"),
            ("instrument", "Instrument"),
            ("timepoint", "Timepoint"),
            ("completed", "Completed"),
            ("expired", "Expired unanswered"),
            ("completion_pct", "Completion %"),
        ],
        rows,
        note="Measures due in the range. Completion % = completed ÷ (completed + expired); requests still open "
        "or cancelled are not counted.",
        chart={
            "kind": "hbars",
            "label": "instrument",
            "category": "timepoint",
            "values": ["completion_pct"],
            "unit": "%",
        },
    )


def _without_jit(selector: Callable[[Filters], Panel]) -> Callable[[Filters], Panel]:
    def run(f: Filters) -> Panel:
        with no_jit():
            return selector(f)

    run.__doc__ = selector.__doc__
    run.__name__ = selector.__name__
    return run


PANELS: dict[str, Callable[[Filters], Panel]] = {
    slug: _without_jit(selector)
    for slug, selector in {
        "chair-utilisation": chair_utilisation,
        "no-shows": no_shows,
        "drop-off": drop_off,
        "time-to-care": time_to_care,
        "response": response_rates,
        "adverse-events": adverse_events,
        "rems": rems_on_time,
        "completion": measurement_completion,
    }.items()
}
PANEL_TITLES = {
    "chair-utilisation": "Chair utilisation",
    "no-shows": "No-shows and cancellations",
    "drop-off": "Drop-off by infusion number",
    "time-to-care": "Time from first contact",
    "response": "Response and remission by protocol",
    "adverse-events": "Adverse events per 100 sessions",
    "rems": "SPRAVATO REMS monitoring forms on time",
    "completion": "Measurement completion",
}
