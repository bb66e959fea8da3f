"""Discharge criteria: recovery score, minimum recovery time, escort present.

- Recovery score: modified Aldrete (Aldrete 1995) or PADSS (Chung 1995), 5 items scored 0-2, total 10;
  9 or more means ready to leave.
- Minimum time: 120 min from the first esketamine device (SPRAVATO-PI §5.1/5.2; REMS Patient Monitoring
  Form). After an IV infusion, 30 min after its end is an UNVERIFIED default (clinical.md §9: clinics
  discharge about 30-60 min after the end; BP and HR return to baseline within 1.5 h, Szarmach 2020).
- Escort: outpatients leave only with a responsible adult (KETALAR-PI).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class RecoveryScoreSystem(StrEnum):
    MODIFIED_ALDRETE = "modified_aldrete"
    PADSS = "padss"


# Aldrete 1995 and Chung 1995: 5 items x 0-2 points
RECOVERY_SCORE_ITEMS = 5
RECOVERY_ITEM_MAX = 2


@dataclass(frozen=True)
class DischargeCriteria:
    """Configurable discharge rule; the defaults are cited in the module docstring."""

    score_system: RecoveryScoreSystem = RecoveryScoreSystem.MODIFIED_ALDRETE
    min_score: int = 9  # Aldrete 1995 / PADSS (Chung): 9 or more of 10
    max_score: int = RECOVERY_SCORE_ITEMS * RECOVERY_ITEM_MAX
    min_minutes_after_infusion_end: float = 30.0  # UNVERIFIED placeholder
    min_minutes_after_esketamine: float = 120.0  # SPRAVATO-PI; REMS-PMF: at least 120 min
    require_escort: bool = True  # KETALAR-PI: leave only with a responsible adult


DEFAULT_DISCHARGE_CRITERIA = DischargeCriteria()


@dataclass(frozen=True)
class DischargeFacts:
    """What is known at ``now``: the latest recovery score total (0-10), escort, and treatment times."""

    now: datetime
    recovery_score: int | None
    escort_present: bool
    infusion_ended_at: datetime | None = None
    first_esketamine_device_at: datetime | None = None


@dataclass(frozen=True)
class DischargeDecision:
    """``earliest_at`` is when the time criterion is met (``None`` if no treatment time is known)."""

    allowed: bool
    reasons: tuple[str, ...]
    earliest_at: datetime | None


SCORE_MISSING = "No recovery score recorded."
SCORE_OUT_OF_RANGE = "Recovery score {score} is outside 0-{maximum}; re-score the patient."
SCORE_TOO_LOW = "Recovery score {score} is below {minimum}."
TOO_EARLY = "At least {minutes:g} min must pass after {since}; {remaining} min to go."
NO_TREATMENT_TIME = "No infusion end time or esketamine dose time recorded."
NO_ESCORT = "No responsible adult is present to take the patient home."
RECOVERY_ITEMS_INVALID = "A recovery score needs 5 items, each scored 0, 1 or 2."


def recovery_score_total(items: Sequence[int]) -> int:
    """Total of a modified Aldrete or PADSS score from its 5 item scores (each 0-2); raises ``ValueError``."""
    if len(items) != RECOVERY_SCORE_ITEMS or any(not 0 <= i <= RECOVERY_ITEM_MAX for i in items):
        raise ValueError(RECOVERY_ITEMS_INVALID)
    return sum(items)


def evaluate_discharge(
    facts: DischargeFacts, criteria: DischargeCriteria = DEFAULT_DISCHARGE_CRITERIA
) -> DischargeDecision:
    """Decide whether the patient may leave now; every unmet criterion is listed in ``reasons``."""
    reasons: list[str] = []
    score = facts.recovery_score
    if score is None:
        reasons.append(SCORE_MISSING)
    elif not 0 <= score <= criteria.max_score:
        reasons.append(SCORE_OUT_OF_RANGE.format(score=score, maximum=criteria.max_score))
    elif score < criteria.min_score:
        reasons.append(SCORE_TOO_LOW.format(score=score, minimum=criteria.min_score))

    clocks = []
    if facts.infusion_ended_at is not None:
        clocks.append(
            (facts.infusion_ended_at, criteria.min_minutes_after_infusion_end, "the end of the infusion")
        )
    if facts.first_esketamine_device_at is not None:
        clocks.append(
            (
                facts.first_esketamine_device_at,
                criteria.min_minutes_after_esketamine,
                "the first esketamine device",
            )
        )
    earliest: datetime | None = None
    if not clocks:
        reasons.append(NO_TREATMENT_TIME)
    for started, minutes, since in clocks:
        ready_at = started + timedelta(minutes=minutes)
        earliest = ready_at if earliest is None else max(earliest, ready_at)
        if facts.now < ready_at:
            remaining = math.ceil((ready_at - facts.now).total_seconds() / 60.0)
            reasons.append(TOO_EARLY.format(minutes=minutes, since=since, remaining=remaining))

    if criteria.require_escort and not facts.escort_present:
        reasons.append(NO_ESCORT)
    return DischargeDecision(allowed=not reasons, reasons=tuple(reasons), earliest_at=earliest)
