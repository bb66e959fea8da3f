"""Durability of response: rows → ``DurabilityRecord`` → Kaplan–Meier (lifelines, in ketaflow.domain.outcomes).

A course enters the analysis when its patient responded (``classify_courses`` with DEFAULT_RULES) and finished
induction (the protocol's ``induction_sessions``-th given infusion). Time runs from that infusion to the relapse
confirmed by the domain rules (event) or to the latest score while still in response (censored). The three
queries fetch only the columns needed; the per-course walk is the domain's (relapse needs consecutive measures,
which SQL would only re-implement). docs/analytics.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import FloatField, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ketaflow.analytics.selectors import GIVEN, Filters
from ketaflow.domain import outcomes
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.treatment.models import Course, InfusionSession, Pathway

OUTCOMES = {
    "depression": (
        "Depression (PHQ-9)",
        "phq9",
        (Pathway.IV_KETAMINE_DEPRESSION, Pathway.ESKETAMINE_NASAL),
    ),
    "pain": ("Pain relief (NRS)", "nrs", (Pathway.IV_KETAMINE_PAIN,)),
    "pain_peg": ("Pain relief (PEG-3)", "peg3", (Pathway.IV_KETAMINE_PAIN,)),
}
GROUPINGS = {
    "overall": "Overall",
    "pathway": "Pathway",
    "protocol": "Protocol",
    "location": "Location",
}


@dataclass
class DurabilityResult:
    outcome: str
    grouping: str
    records: list[outcomes.DurabilityRecord]
    summaries: list[outcomes.DurabilitySummary]
    courses: int
    responders: int
    never_given: int
    excluded_no_induction: int
    excluded_no_follow_up: int


def durability_records(f: Filters, *, outcome: str, grouping: str = "overall") -> DurabilityResult:
    """Build the cohort's records. Queries: courses, their given sessions, the patients' scores."""
    _title, instrument, pathways = OUTCOMES[outcome]
    rule = outcomes.DEFAULT_RULES[instrument]
    course_qs = Course.objects.current().filter(
        location_id__in=f.location_ids,
        created_at__gte=f.since,
        created_at__lt=f.until,
        pathway__in=pathways,
    )
    courses = list(
        course_qs.values(
            "id", "patient_id", "pathway", "protocol__name", "protocol__induction_sessions", "location__name"
        )
    )
    given: dict[int, list[Any]] = defaultdict(list)
    for course_id, starts_at in (
        InfusionSession.objects.current()
        .filter(course_id__in=Subquery(course_qs.values("id")), status__in=GIVEN)
        .order_by("course_id", "starts_at")
        .values_list("course_id", "starts_at")
    ):
        given[course_id].append(starts_at)
    scores: dict[int, list[outcomes.Measurement]] = defaultdict(list)
    for patient_id, completed_at, score in (
        QuestionnaireResponse.objects.current()
        .filter(patient_id__in=Subquery(course_qs.values("patient_id")), instrument=instrument)
        .annotate(score=Cast(KeyTextTransform("total", "result"), FloatField()))
        .values_list("patient_id", "completed_at", "score")
    ):
        scores[patient_id].append(outcomes.Measurement(instrument, completed_at, score))

    by_patient: dict[int, list[dict[str, Any]]] = defaultdict(list)
    never_given = 0
    for course in courses:
        sessions = given.get(course["id"], [])
        if not sessions:
            never_given += 1
            continue
        induction = course["protocol__induction_sessions"] or 1
        course["started_at"] = sessions[0]
        course["induction_ended_at"] = sessions[induction - 1] if len(sessions) >= induction else None
        by_patient[course["patient_id"]].append(course)

    records: list[outcomes.DurabilityRecord] = []
    responders = 0
    no_induction = 0
    no_follow_up = 0
    labels = dict(Pathway.choices)
    for patient_id, mine in by_patient.items():
        domain_courses = [
            outcomes.Course(str(c["id"]), c["started_at"], c["induction_ended_at"]) for c in mine
        ]
        results = outcomes.classify_courses(scores.get(patient_id, []), domain_courses, rule)
        rows = {str(c["id"]): c for c in mine}
        for classification in results:
            course = rows[classification.course_id]
            if classification.responded_at is None:
                continue
            responders += 1
            ended = course["induction_ended_at"]
            if ended is None:
                no_induction += 1
                continue
            relapsed = classification.relapsed_at
            if relapsed is not None and relapsed < ended:
                relapsed = ended  # relapsed before induction ended: no durable relief at all
            last_seen = classification.latest_at
            if relapsed is None and (last_seen is None or last_seen < ended):
                no_follow_up += 1
                continue
            group = {
                "overall": "",
                "pathway": labels.get(course["pathway"], course["pathway"]),
                "protocol": course["protocol__name"],
                "location": course["location__name"],
            }[grouping]
            records.append(
                outcomes.durability_record(
                    f"course-{course['id']}",
                    induction_ended_at=ended,
                    relapsed_at=relapsed,
                    last_seen_at=last_seen or ended,
                    group=group,
                )
            )
    if not records:
        summaries: list[outcomes.DurabilitySummary] = []
    elif grouping == "overall":
        summaries = [outcomes.durability(records)]
    else:
        summaries = outcomes.durability_by_group(records)
    return DurabilityResult(
        outcome=outcome,
        grouping=grouping,
        records=records,
        summaries=summaries,
        courses=len(courses),
        responders=responders,
        never_given=never_given,
        excluded_no_induction=no_induction,
        excluded_no_follow_up=no_follow_up,
    )
