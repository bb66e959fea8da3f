"""Pre-infusion checklist: every failed hard stop is listed with its message (table-driven)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ketaflow.domain.monitoring import (
    ESKETAMINE_CHECKLIST,
    IV_DEPRESSION_CHECKLIST,
    ChecklistItem,
    PregnancyTest,
    PreInfusionFacts,
    checklist,
    evaluate_pre_infusion_checklist,
)
from ketaflow.domain.monitoring.tests.helpers import NORMAL, at, reading

TODAY = date(2026, 3, 2)


def ready() -> PreInfusionFacts:
    """A patient who meets every item of the IV checklist at minute 0."""
    return PreInfusionFacts(
        now=at(0),
        today=TODAY,
        identity_confirmed=True,
        consent_valid_until=TODAY + timedelta(days=90),
        last_solid_food_at=at(-8 * 60),
        last_clear_liquid_at=at(-3 * 60),
        escort_confirmed=True,
        escort_name="Sam Rivera",
        escort_phone="+1 515 555 0142",
        weight_measured_on=TODAY,
        baseline_vitals=reading(-10, **NORMAL),
        pregnancy_test_applicable=True,
        pregnancy_test_result=PregnancyTest.NEGATIVE,
        medication_changes_reviewed=True,
        pre_treatment_rating_done=True,
        iv_access_confirmed=True,
    )


def test_a_ready_patient_passes() -> None:
    result = evaluate_pre_infusion_checklist(ready(), IV_DEPRESSION_CHECKLIST)
    assert result.passed
    assert result.failures == ()


CASES = [
    ("identity", {"identity_confirmed": False}, ChecklistItem.IDENTITY, checklist.IDENTITY_NOT_CONFIRMED),
    ("no consent", {"consent_valid_until": None}, ChecklistItem.CONSENT, checklist.CONSENT_MISSING),
    (
        "expired consent",
        {"consent_valid_until": TODAY - timedelta(days=1)},
        ChecklistItem.CONSENT,
        checklist.CONSENT_EXPIRED.format(expired_on=TODAY - timedelta(days=1)),
    ),
    (
        "food 2 h ago",
        {"last_solid_food_at": at(-120)},
        ChecklistItem.FASTING,
        checklist.FASTING_SOLIDS.format(hours=6, since=2),
    ),
    ("food unknown", {"last_solid_food_at": None}, ChecklistItem.FASTING, checklist.FASTING_UNKNOWN),
    (
        "drink 1 h ago",
        {"last_clear_liquid_at": at(-60)},
        ChecklistItem.FASTING,
        checklist.FASTING_LIQUIDS.format(hours=2, since=1),
    ),
    (
        "escort not confirmed",
        {"escort_confirmed": False},
        ChecklistItem.ESCORT,
        checklist.ESCORT_NOT_CONFIRMED,
    ),
    ("escort without phone", {"escort_phone": ""}, ChecklistItem.ESCORT, checklist.ESCORT_PHONE_MISSING),
    (
        "escort phone too short",
        {"escort_phone": "555-12"},
        ChecklistItem.ESCORT,
        checklist.ESCORT_PHONE_MISSING,
    ),
    ("escort without name", {"escort_name": "  "}, ChecklistItem.ESCORT, checklist.ESCORT_NAME_MISSING),
    (
        "yesterday's weight",
        {"weight_measured_on": TODAY - timedelta(days=1)},
        ChecklistItem.WEIGHT,
        checklist.WEIGHT_NOT_TODAY,
    ),
    (
        "no baseline vitals",
        {"baseline_vitals": None},
        ChecklistItem.BASELINE_VITALS,
        checklist.BASELINE_MISSING,
    ),
    (
        "baseline SBP 190",
        {"baseline_vitals": reading(-10, **{**NORMAL, "sbp_mmhg": 190.0})},
        ChecklistItem.BASELINE_VITALS,
        checklist.BASELINE_OUT_OF_LIMITS.format(finding="Systolic BP 190 mmHg is above 180 mmHg"),
    ),
    (
        "baseline SpO2 90",
        {"baseline_vitals": reading(-10, **{**NORMAL, "spo2_pct": 90.0})},
        ChecklistItem.BASELINE_VITALS,
        checklist.BASELINE_OUT_OF_LIMITS.format(finding="SpO2 90% is below 92%"),
    ),
    (
        "baseline without BP",
        {"baseline_vitals": reading(-10, hr_per_min=70.0, spo2_pct=98.0, rr_per_min=14.0)},
        ChecklistItem.BASELINE_VITALS,
        checklist.BASELINE_INCOMPLETE.format(missing="Systolic BP, Diastolic BP"),
    ),
    (
        "baseline measured 2 h ago",
        {"baseline_vitals": reading(-120, **NORMAL)},
        ChecklistItem.BASELINE_VITALS,
        checklist.BASELINE_TOO_OLD.format(minutes=60),
    ),
    (
        "pregnancy test missing",
        {"pregnancy_test_result": None},
        ChecklistItem.PREGNANCY_TEST,
        checklist.PREGNANCY_TEST_MISSING,
    ),
    (
        "pregnancy test positive",
        {"pregnancy_test_result": PregnancyTest.POSITIVE},
        ChecklistItem.PREGNANCY_TEST,
        checklist.PREGNANCY_TEST_POSITIVE,
    ),
    (
        "medications",
        {"medication_changes_reviewed": False},
        ChecklistItem.MEDICATION_REVIEW,
        checklist.MEDICATIONS_NOT_REVIEWED,
    ),
    (
        "rating",
        {"pre_treatment_rating_done": False},
        ChecklistItem.PRE_TREATMENT_RATING,
        checklist.RATING_NOT_DONE.format(rating="PHQ-9"),
    ),
    ("iv access", {"iv_access_confirmed": False}, ChecklistItem.IV_ACCESS, checklist.IV_ACCESS_NOT_CONFIRMED),
]


@pytest.mark.parametrize(("name", "changes", "item", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_failed_hard_stop_is_reported(
    name: str, changes: dict[str, object], item: ChecklistItem, message: str
) -> None:
    result = evaluate_pre_infusion_checklist(replace(ready(), **changes), IV_DEPRESSION_CHECKLIST)  # type: ignore[arg-type]
    assert not result.passed
    assert [(f.item, f.message) for f in result.failures] == [(item, message)]


def test_several_failures_are_all_listed() -> None:
    facts = replace(ready(), identity_confirmed=False, iv_access_confirmed=False, escort_confirmed=False)
    result = evaluate_pre_infusion_checklist(facts, IV_DEPRESSION_CHECKLIST)
    assert [f.item for f in result.failures] == [
        ChecklistItem.IDENTITY,
        ChecklistItem.ESCORT,
        ChecklistItem.IV_ACCESS,
    ]


def test_pregnancy_test_not_needed_where_not_applicable() -> None:
    facts = replace(ready(), pregnancy_test_applicable=False, pregnancy_test_result=None)
    assert evaluate_pre_infusion_checklist(facts, IV_DEPRESSION_CHECKLIST).passed


def test_esketamine_needs_no_iv_line_and_has_its_own_fasting_rule() -> None:
    facts = replace(
        ready(), iv_access_confirmed=False, last_solid_food_at=at(-150), last_clear_liquid_at=at(-40)
    )
    assert evaluate_pre_infusion_checklist(facts, ESKETAMINE_CHECKLIST).passed
    too_soon = replace(facts, last_clear_liquid_at=at(-20))
    failures = evaluate_pre_infusion_checklist(too_soon, ESKETAMINE_CHECKLIST).failures
    assert [f.item for f in failures] == [ChecklistItem.FASTING]


def test_esketamine_pre_dose_bp_above_140_90_is_a_caution_not_a_stop() -> None:
    facts = replace(ready(), baseline_vitals=reading(-10, **{**NORMAL, "sbp_mmhg": 150.0}))
    result = evaluate_pre_infusion_checklist(facts, ESKETAMINE_CHECKLIST)
    assert result.passed
    assert result.cautions == (
        checklist.BASELINE_CAUTION.format(finding="Systolic BP 150 mmHg is above 140 mmHg"),
    )
