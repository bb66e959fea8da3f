"""Booster reviews: the engine's suggestion kept current per (course, instrument), and the prescriber's decision.

``booster_reviews_refresh`` runs ``domain.outcomes.suggest_booster`` on every assessed course's scores and keeps
exactly one OPEN ``BoosterReview`` per (course, instrument) while the engine suggests a booster, with its reasons,
classification, slope and engine version; a review whose evidence changed is superseded by a fresh one, and a
review the engine no longer supports is superseded with the engine's reason. A suggestion already decided by a
prescriber on the same evidence (same latest score) is not raised again. It runs after every saved questionnaire
(``signals_progress``) and may be run for one patient or course at any time: running it twice changes nothing.

A prescriber accepts (a new course with the same protocol, booked through the series engine, all or nothing) or
declines with a reason. Both are audited; errors are ``ValidationError`` (field errors where a field exists).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain import outcomes as domain
from ketaflow.outcomes import progress
from ketaflow.outcomes.models import BoosterReview
from ketaflow.patients.models import Patient
from ketaflow.treatment import booking
from ketaflow.treatment import services as treatment_services
from ketaflow.treatment.models import Course

ENGINE_LABEL = "outcomes engine"
REASON_REQUIRED = "Give the reason the booster is declined."
REASON_TOO_LONG = "Keep the reason under 300 characters."
NOT_OPEN = "This booster suggestion has already been decided or replaced; reload the page."
CHOOSE_SESSIONS = "Propose the booster sessions, then book them."
PAST_SESSION = "Booster sessions must start in the future; propose again."
NO_LONGER_SUGGESTED = "No longer suggested: {why}"
REPLACED = "Replaced by a newer suggestion (new scores)."
COURSE_NOT_ASSESSED = "Course is no longer active or completed."
DEFAULT_BOOSTER_SESSIONS = 1
MAX_BOOSTER_SESSIONS = 12
# "2 booster infusions", "booster: 2 sessions", "boosters x3" in a course's booster plan text.
_BOOSTER_COUNT = re.compile(
    r"(?:(\d{1,2})\s*(?:x\s*)?boosters?\b)|(?:boosters?\b[^0-9.;]{0,20}?(?:x\s*)?(\d{1,2})\b)", re.IGNORECASE
)


def booster_session_count(plan_text: str) -> int:
    """Sessions in one booster from a booster plan ("2 booster infusions" → 2); 1 when the plan gives none."""
    match = _BOOSTER_COUNT.search(plan_text or "")
    if match:
        count = int(match.group(1) or match.group(2))
        if 1 <= count <= MAX_BOOSTER_SESSIONS:
            return count
    return DEFAULT_BOOSTER_SESSIONS


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if hasattr(value, "value") and not isinstance(value, (int, str)):
        return value.value
    return value


def classification_json(classification: domain.Classification) -> dict[str, Any]:
    """A classification as stored on the review (dates ISO 8601, status its value, floats to 4 places)."""
    return _jsonable(asdict(classification))


def _payload(suggestion: domain.BoosterSuggestion) -> dict[str, Any]:
    slope = suggestion.slope_per_week
    return {
        "why": [suggestion.why, *suggestion.classification.reasons],
        "classification": classification_json(suggestion.classification),
        "slope_per_week": round(slope, 4) if slope is not None else None,
        "engine_version": domain.VERSION,
    }


def _same(review: BoosterReview, payload: dict[str, Any]) -> bool:
    return (
        review.why == payload["why"]
        and review.classification == payload["classification"]
        and review.slope_per_week == payload["slope_per_week"]
        and review.engine_version == payload["engine_version"]
    )


def _supersede(review: BoosterReview, reason: str) -> None:
    review.status = BoosterReview.Status.SUPERSEDED
    review.decision_reason = reason[:300]
    review.decided_at = timezone.now()
    review.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
    audit(
        Action.UPDATE,
        actor_label=ENGINE_LABEL,
        obj=review,
        patient_uuid=review.patient.uuid,
        detail=f"booster review superseded ({review.instrument}): {reason}",
    )


def booster_reviews_refresh(
    *, patient: Patient | None = None, course: Course | None = None
) -> list[BoosterReview]:
    """Bring the patient's (or one course's) OPEN booster reviews in line with the engine; return them.

    Assessed courses: induction, maintenance, paused, completed (planned ones have no start; stopped ones are
    not boosted). Each course is read with the follow-up window ``domain.classify_courses`` gives it.
    """
    if patient is None and course is None:
        raise ValueError("booster_reviews_refresh needs a patient or a course")
    patient_id = course.patient_id if course is not None else patient.pk  # type: ignore[union-attr]
    with transaction.atomic():
        # Serialises refreshes of one patient (two answers saved at once); SQLite serialises writers anyway.
        locked = Patient.objects.select_for_update().get(pk=patient_id)
        timelines = progress.load_timelines(locked)
        measurements = progress.patient_measurements(locked)
        in_scope = [t for t in timelines if course is None or t.course.pk == course.pk]
        assessed = {
            t.course.pk
            for t in in_scope
            if t.domain_course is not None and t.course.status in progress.ASSESSED_STATUSES
        }
        reviews = BoosterReview.objects.filter(patient=locked).select_related("patient")
        if course is not None:
            reviews = reviews.filter(course=course)
        open_by_key: dict[tuple[int, str], BoosterReview] = {}
        decided_by_key: dict[tuple[int, str], BoosterReview] = {}
        for review in reviews.order_by("created_at", "id"):
            key = (review.course_id, review.instrument)
            if review.status == BoosterReview.Status.OPEN:
                open_by_key[key] = review
            elif review.status in (BoosterReview.Status.ACCEPTED, BoosterReview.Status.DECLINED):
                decided_by_key[key] = review
        for instrument_id, rows in measurements.items():
            rule = domain.DEFAULT_RULES[instrument_id]
            for timeline, until in progress.course_windows(timelines, rule):
                if timeline.course.pk not in assessed:
                    continue
                assert timeline.domain_course is not None
                key = (timeline.course.pk, instrument_id)
                suggestion = domain.suggest_booster(rows, timeline.domain_course, rule, until=until)
                current = open_by_key.pop(key, None)
                if not suggestion.suggest:
                    if current is not None:
                        _supersede(current, NO_LONGER_SUGGESTED.format(why=suggestion.why))
                    continue
                payload = _payload(suggestion)
                if current is not None and _same(current, payload):
                    open_by_key[key] = current
                    continue
                decided = decided_by_key.get(key)
                if (
                    current is None
                    and decided is not None
                    and decided.classification.get("latest_at") == payload["classification"]["latest_at"]
                ):
                    continue  # the prescriber already decided on this very evidence
                if current is not None:
                    _supersede(current, REPLACED)
                try:
                    with transaction.atomic():
                        review = BoosterReview.objects.create(
                            patient=locked, course=timeline.course, instrument=instrument_id, **payload
                        )
                except IntegrityError:  # a concurrent refresh made it first (SQLite has no row lock)
                    review = BoosterReview.objects.get(
                        course=timeline.course, instrument=instrument_id, status=BoosterReview.Status.OPEN
                    )
                else:
                    audit(
                        Action.CREATE,
                        actor_label=ENGINE_LABEL,
                        obj=review,
                        patient_uuid=locked.uuid,
                        location=timeline.course.location,
                        detail=f"booster suggested ({instrument_id}): {suggestion.why}",
                    )
                open_by_key[key] = review
        result = []
        for key, review in open_by_key.items():
            if key[0] in assessed:
                result.append(review)
            else:  # the course stopped, or lost its sessions, or the instrument's scores are gone
                _supersede(review, COURSE_NOT_ASSESSED)
        return result


def _decidable(review: BoosterReview, user: Any) -> BoosterReview:
    ensure_perm(user, Perm.PRESCRIBE)
    ensure_location(user, review.course.location_id)
    locked = (
        BoosterReview.objects.select_for_update()
        .select_related("patient", "course__protocol", "course__location", "course__patient")
        .get(pk=review.pk)
    )
    if locked.status != BoosterReview.Status.OPEN:
        raise ValidationError(NOT_OPEN)
    return locked


def booster_accept(
    *, review: BoosterReview, starts: list[dt.datetime], accepted_by: Any, note: str = ""
) -> BoosterReview:
    """Accept: a new course with the same protocol and location, ``starts`` booked through the series engine,
    linked as ``booked_course``. All or nothing: a taken slot or a closed booking gate saves nothing."""
    ensure_perm(accepted_by, Perm.PRESCRIBE)
    ensure_location(accepted_by, review.course.location_id)
    if not starts:
        raise ValidationError(CHOOSE_SESSIONS)
    now = timezone.now()
    if any(start.tzinfo is None or start <= now for start in starts):
        raise ValidationError(PAST_SESSION)
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"note": REASON_TOO_LONG})
    try:
        with transaction.atomic():
            locked = _decidable(review, accepted_by)
            old = locked.course
            label = (
                domain.DEFAULT_RULES[locked.instrument].label
                if locked.instrument in domain.DEFAULT_RULES
                else ""
            )
            new_course = treatment_services.course_create(
                patient=old.patient,
                protocol=old.protocol,
                location=old.location,
                created_by=accepted_by,
                planned_sessions=len(starts),
                booster_plan=f"Booster ({label}) accepted {timezone.localdate(timezone.now(), old.location.tz)}",
            )
            sessions = booking.series_book(course=new_course, starts=starts, booked_by=accepted_by)
            treatment_services.course_status_set(
                course=new_course, status=Course.Status.MAINTENANCE, changed_by=accepted_by
            )
            locked.status = BoosterReview.Status.ACCEPTED
            locked.decided_by = accepted_by
            locked.decided_at = timezone.now()
            locked.decision_reason = note
            locked.booked_course = new_course
            locked.updated_by = accepted_by
            locked.save()
            audit(
                Action.UPDATE,
                actor=accepted_by,
                obj=locked,
                patient_uuid=locked.patient.uuid,
                location=old.location,
                detail=f"booster accepted ({locked.instrument}): {len(sessions)} session(s) booked",
            )
    except booking.BookingError as exc:
        raise ValidationError(exc.message) from None
    return locked


def booster_decline(*, review: BoosterReview, reason: str, declined_by: Any) -> BoosterReview:
    """Decline with a reason (required, at most 300 characters)."""
    ensure_perm(declined_by, Perm.PRESCRIBE)
    ensure_location(declined_by, review.course.location_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > 300:
        raise ValidationError({"reason": REASON_TOO_LONG})
    with transaction.atomic():
        locked = _decidable(review, declined_by)
        locked.status = BoosterReview.Status.DECLINED
        locked.decided_by = declined_by
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.updated_by = declined_by
        locked.save()
        audit(
            Action.UPDATE,
            actor=declined_by,
            obj=locked,
            patient_uuid=locked.patient.uuid,
            location=locked.course.location,
            detail=f"booster declined ({locked.instrument}): {reason}",
        )
    return locked
