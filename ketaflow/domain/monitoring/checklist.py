"""Pre-infusion checklist: facts in, pass or the list of failed hard stops out.

Every item is a hard stop: the treatment does not start until it is fixed. Baseline vital signs also
have "caution" limits (e.g. esketamine pre-dose BP above 140/90) that prompt the prescriber without
blocking. Fasting times and baseline limits are protocol data; the UNVERIFIED ones are marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from ketaflow.domain.monitoring.alerts import Comparison, Condition
from ketaflow.domain.monitoring.vitals import Vital, VitalSigns, label, vital_sign_problems


class ChecklistItem(StrEnum):
    IDENTITY = "identity"
    CONSENT = "consent"
    FASTING = "fasting"
    ESCORT = "escort"
    WEIGHT = "weight"
    BASELINE_VITALS = "baseline_vitals"
    PREGNANCY_TEST = "pregnancy_test"
    MEDICATION_REVIEW = "medication_review"
    PRE_TREATMENT_RATING = "pre_treatment_rating"
    IV_ACCESS = "iv_access"


class PregnancyTest(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


@dataclass(frozen=True)
class FastingRule:
    """Minimum hours since the last solid food and the last clear liquid."""

    solids_hours: float
    clear_liquids_hours: float
    source: str
    verified: bool


@dataclass(frozen=True)
class BaselineLimits:
    """Baseline vitals: ``stop_if`` blocks the treatment, ``caution_if`` only prompts the prescriber."""

    required: tuple[Vital, ...]
    stop_if: tuple[Condition, ...]
    caution_if: tuple[Condition, ...] = ()
    max_age_min: float = 60.0  # UNVERIFIED: the baseline must be from this visit, at most 60 min old


@dataclass(frozen=True)
class ChecklistProtocol:
    name: str
    fasting: FastingRule
    baseline: BaselineLimits
    requires_iv_access: bool
    pre_treatment_rating: str  # instrument done before each treatment, e.g. "PHQ-9" or "NRS"


# KETALAR-PI: not recommended without following NPO guidance; the clinic's hours are UNVERIFIED
# placeholders (clinical.md §9 quotes 4-6 h for solids; 2 h for clear liquids is the usual anaesthesia rule)
IV_FASTING_DEFAULT = FastingRule(
    solids_hours=6.0,
    clear_liquids_hours=2.0,
    source="KETALAR-PI asks for NPO guidance to be followed; hours are clinic placeholders (unverified)",
    verified=False,
)
# SPRAVATO-PI (as summarised in secondary sources): no food for 2 h, no liquids for 30 min before dosing
ESKETAMINE_FASTING_DEFAULT = FastingRule(
    solids_hours=2.0,
    clear_liquids_hours=0.5,
    source="SPRAVATO-PI as summarised by secondary sources (droracle.ai; LA County DMH policy)",
    verified=False,
)

_REQUIRED_BASELINE = (Vital.SBP, Vital.DBP, Vital.HR, Vital.SPO2)
_STOP_IF = (
    # Mo 2020 West J Emerg Med: SBP > 180 is "unstable vital signs"; SDN-forum 180/110 threshold
    Condition(Vital.SBP, Comparison.ABOVE, 180.0),
    Condition(Vital.DBP, Comparison.ABOVE, 110.0),
    # SDN-forum (anecdotal): HR > 120 treated; UNVERIFIED as a pre-dose stop
    Condition(Vital.HR, Comparison.ABOVE, 120.0),
    # UNVERIFIED: SpO2 < 92% (Aldrete oxygen item boundary)
    Condition(Vital.SPO2, Comparison.BELOW, 92.0),
    # Mo 2020 West J Emerg Med: RR < 10 or > 30 is "unstable vital signs"
    Condition(Vital.RR, Comparison.BELOW, 10.0),
    Condition(Vital.RR, Comparison.ABOVE, 30.0),
)
IV_BASELINE_LIMITS = BaselineLimits(required=_REQUIRED_BASELINE, stop_if=_STOP_IF)
ESKETAMINE_BASELINE_LIMITS = BaselineLimits(
    required=_REQUIRED_BASELINE,
    stop_if=_STOP_IF,
    # SPRAVATO-PI: pre-dose BP above 140/90 -> weigh the short-term BP rise against the benefit
    caution_if=(Condition(Vital.SBP, Comparison.ABOVE, 140.0), Condition(Vital.DBP, Comparison.ABOVE, 90.0)),
)

IV_DEPRESSION_CHECKLIST = ChecklistProtocol(
    name="IV ketamine for depression",
    fasting=IV_FASTING_DEFAULT,
    baseline=IV_BASELINE_LIMITS,
    requires_iv_access=True,
    pre_treatment_rating="PHQ-9",
)
IV_PAIN_CHECKLIST = ChecklistProtocol(
    name="IV ketamine for chronic pain",
    fasting=IV_FASTING_DEFAULT,
    baseline=IV_BASELINE_LIMITS,
    requires_iv_access=True,
    pre_treatment_rating="NRS",
)
ESKETAMINE_CHECKLIST = ChecklistProtocol(
    name="Esketamine nasal spray",
    fasting=ESKETAMINE_FASTING_DEFAULT,
    baseline=ESKETAMINE_BASELINE_LIMITS,
    requires_iv_access=False,
    pre_treatment_rating="PHQ-9",
)

# A phone number needs at least this many digits (7 = shortest local number in North America)
MIN_PHONE_DIGITS = 7

IDENTITY_NOT_CONFIRMED = "Patient identity has not been confirmed with two identifiers."
CONSENT_MISSING = "No treatment consent is on file."
CONSENT_EXPIRED = "Treatment consent expired on {expired_on}; a new consent is needed."
FASTING_UNKNOWN = "Time of the last food and drink has not been recorded."
FASTING_SOLIDS = "Last solid food {since:g} h ago; this protocol needs {hours:g} h without food."
FASTING_LIQUIDS = "Last drink {since:g} h ago; this protocol needs {hours:g} h without liquids."
ESCORT_NOT_CONFIRMED = "No escort has been confirmed to take the patient home."
ESCORT_NAME_MISSING = "Escort's name is missing."
ESCORT_PHONE_MISSING = "Escort's phone number is missing or incomplete."
WEIGHT_NOT_TODAY = "The patient has not been weighed today."
BASELINE_MISSING = "No baseline vital signs recorded."
BASELINE_INCOMPLETE = "Baseline vital signs are missing: {missing}."
BASELINE_TOO_OLD = "Baseline vital signs are more than {minutes:g} min old; measure them again."
BASELINE_IMPLAUSIBLE = "Baseline vital signs: {problem}"
BASELINE_OUT_OF_LIMITS = "Baseline outside protocol limits: {finding}."
BASELINE_CAUTION = (
    "Caution: {finding}; the prescriber should weigh the blood-pressure rise against the benefit."
)
PREGNANCY_TEST_MISSING = "A pregnancy test is required and has no result today."
PREGNANCY_TEST_POSITIVE = "Pregnancy test is positive; the prescriber must review before any treatment."
MEDICATIONS_NOT_REVIEWED = "Medication changes since the last visit have not been reviewed."
RATING_NOT_DONE = "The pre-treatment {rating} has not been completed."
IV_ACCESS_NOT_CONFIRMED = "IV access has not been confirmed."


@dataclass(frozen=True)
class PreInfusionFacts:
    """What the nurse has recorded at ``now`` (timezone-aware); ``today`` is the clinic's local date."""

    now: datetime
    today: date
    identity_confirmed: bool
    consent_valid_until: date | None
    last_solid_food_at: datetime | None
    last_clear_liquid_at: datetime | None
    escort_confirmed: bool
    escort_name: str
    escort_phone: str
    weight_measured_on: date | None
    baseline_vitals: VitalSigns | None
    pregnancy_test_applicable: bool
    pregnancy_test_result: PregnancyTest | None
    medication_changes_reviewed: bool
    pre_treatment_rating_done: bool
    iv_access_confirmed: bool


@dataclass(frozen=True)
class ChecklistFailure:
    item: ChecklistItem
    message: str


@dataclass(frozen=True)
class ChecklistResult:
    passed: bool
    failures: tuple[ChecklistFailure, ...]
    cautions: tuple[str, ...]


def _hours_since(now: datetime, then: datetime) -> float:
    return (now - then).total_seconds() / 3600.0


def _fasting(facts: PreInfusionFacts, rule: FastingRule) -> list[str]:
    if facts.last_solid_food_at is None or facts.last_clear_liquid_at is None:
        return [FASTING_UNKNOWN]
    problems = []
    solids = _hours_since(facts.now, facts.last_solid_food_at)
    if solids < rule.solids_hours:
        problems.append(FASTING_SOLIDS.format(since=round(solids, 1), hours=rule.solids_hours))
    liquids = _hours_since(facts.now, facts.last_clear_liquid_at)
    if liquids < rule.clear_liquids_hours:
        problems.append(FASTING_LIQUIDS.format(since=round(liquids, 1), hours=rule.clear_liquids_hours))
    return problems


def _escort(facts: PreInfusionFacts) -> list[str]:
    if not facts.escort_confirmed:
        return [ESCORT_NOT_CONFIRMED]
    problems = []
    if not facts.escort_name.strip():
        problems.append(ESCORT_NAME_MISSING)
    if sum(ch.isdigit() for ch in facts.escort_phone) < MIN_PHONE_DIGITS:
        problems.append(ESCORT_PHONE_MISSING)
    return problems


def _baseline(facts: PreInfusionFacts, limits: BaselineLimits) -> tuple[list[str], list[str]]:
    vitals = facts.baseline_vitals
    if vitals is None:
        return [BASELINE_MISSING], []
    implausible = vital_sign_problems(vitals)
    if implausible:
        return [BASELINE_IMPLAUSIBLE.format(problem=p) for p in implausible], []
    missing = [label(v) for v in limits.required if vitals.value(v) is None]
    if missing:
        return [BASELINE_INCOMPLETE.format(missing=", ".join(missing))], []
    if facts.now - vitals.taken_at > timedelta(minutes=limits.max_age_min):
        return [BASELINE_TOO_OLD.format(minutes=limits.max_age_min)], []
    stops = [
        BASELINE_OUT_OF_LIMITS.format(finding=c.describe(vitals)) for c in limits.stop_if if c.met(vitals)
    ]
    cautions = [
        BASELINE_CAUTION.format(finding=c.describe(vitals)) for c in limits.caution_if if c.met(vitals)
    ]
    return stops, cautions


def evaluate_pre_infusion_checklist(facts: PreInfusionFacts, protocol: ChecklistProtocol) -> ChecklistResult:
    """Check every pre-treatment hard stop of ``protocol``; ``passed`` only when none failed."""
    failures: list[ChecklistFailure] = []

    def fail(item: ChecklistItem, messages: list[str]) -> None:
        failures.extend(ChecklistFailure(item, m) for m in messages)

    fail(ChecklistItem.IDENTITY, [] if facts.identity_confirmed else [IDENTITY_NOT_CONFIRMED])
    if facts.consent_valid_until is None:
        fail(ChecklistItem.CONSENT, [CONSENT_MISSING])
    elif facts.consent_valid_until < facts.today:
        fail(ChecklistItem.CONSENT, [CONSENT_EXPIRED.format(expired_on=facts.consent_valid_until)])
    fail(ChecklistItem.FASTING, _fasting(facts, protocol.fasting))
    fail(ChecklistItem.ESCORT, _escort(facts))
    fail(ChecklistItem.WEIGHT, [] if facts.weight_measured_on == facts.today else [WEIGHT_NOT_TODAY])
    stops, cautions = _baseline(facts, protocol.baseline)
    fail(ChecklistItem.BASELINE_VITALS, stops)
    if facts.pregnancy_test_applicable:
        if facts.pregnancy_test_result is None:
            fail(ChecklistItem.PREGNANCY_TEST, [PREGNANCY_TEST_MISSING])
        elif facts.pregnancy_test_result is PregnancyTest.POSITIVE:
            fail(ChecklistItem.PREGNANCY_TEST, [PREGNANCY_TEST_POSITIVE])
    fail(
        ChecklistItem.MEDICATION_REVIEW,
        [] if facts.medication_changes_reviewed else [MEDICATIONS_NOT_REVIEWED],
    )
    rating_message = RATING_NOT_DONE.format(rating=protocol.pre_treatment_rating)
    fail(ChecklistItem.PRE_TREATMENT_RATING, [] if facts.pre_treatment_rating_done else [rating_message])
    if protocol.requires_iv_access and not facts.iv_access_confirmed:
        fail(ChecklistItem.IV_ACCESS, [IV_ACCESS_NOT_CONFIRMED])
    return ChecklistResult(passed=not failures, failures=tuple(failures), cautions=tuple(cautions))
