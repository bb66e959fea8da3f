"""Candidacy for the three pathways: table-driven over every contraindication and the TRD criterion."""

import json
from dataclasses import replace

import pytest

from ketaflow.domain.screening import (
    SUICIDALITY_REVIEW,
    AntidepressantTrial,
    CandidacyFacts,
    CandidacySettings,
    ContraindicationRule,
    Medication,
    Pathway,
    ScreeningError,
    assess,
    assess_all,
    override_rules,
)

D = Pathway.IV_KETAMINE_DEPRESSION
P = Pathway.IV_KETAMINE_PAIN
E = Pathway.ESKETAMINE_NASAL


def trial(name, adequate=True, failed=True, current=True):
    return AntidepressantTrial(name, adequate=adequate, failed=failed, current_episode=current)


TWO_FAILED = (trial("sertraline"), trial("venlafaxine"))

CLEAN = CandidacyFacts(
    age_years=42,
    pregnant=False,
    breastfeeding=False,
    hypertension=False,
    cardiovascular_disease=False,
    recent_mi_or_stroke=False,
    psychosis_history=False,
    mania_history=False,
    substance_use="none",
    raised_intracranial_pressure=False,
    raised_intraocular_pressure=False,
    liver_disease="none",
    recent_seizures=False,
    aneurysm_avm_or_intracerebral_haemorrhage=False,
    ketamine_hypersensitivity=False,
    depression_diagnosis=True,
    antidepressant_trials=TWO_FAILED,
    pain_condition="crps",
    suicidality_screen_positive=False,
    medications=(),
)

# (case id, pathway, changed facts, expected candidate, expected contraindication (rule, severity) or None,
#  text expected in one of the reasons or None)
CASES = [
    # --- IV ketamine for depression
    ("dep-clean", D, {}, "yes", None, "2 adequate failed antidepressant trials"),
    ("dep-one-trial", D, {"antidepressant_trials": (trial("sertraline"),)}, "no", None, "1 adequate failed"),
    ("dep-no-trials", D, {"antidepressant_trials": ()}, "no", None, "0 adequate failed"),
    ("dep-inadequate-trial", D, {"antidepressant_trials": (trial("a"), trial("b", adequate=False))}, "no", None, "1 adequate failed"),
    ("dep-responded-trial", D, {"antidepressant_trials": (trial("a"), trial("b", failed=False))}, "no", None, "1 adequate failed"),
    ("dep-earlier-episode", D, {"antidepressant_trials": (trial("a"), trial("b", current=False))}, "no", None, "1 adequate failed"),
    ("dep-three-trials", D, {"antidepressant_trials": (*TWO_FAILED, trial("bupropion"))}, "yes", None, "3 adequate failed"),
    ("dep-trials-unrecorded", D, {"antidepressant_trials": None}, "needs review", None, "trials in the current episode not recorded"),
    ("dep-no-diagnosis", D, {"depression_diagnosis": False}, "no", None, "No current major depressive episode"),
    ("dep-under-18", D, {"age_years": 17}, "no", None, "Under 18 years"),
    ("dep-age-unrecorded", D, {"age_years": None}, "needs review", None, "Age not recorded"),
    ("dep-uncontrolled-htn", D, {"hypertension": True, "hypertension_controlled": False}, "needs review", ("uncontrolled_hypertension", "relative"), None),
    ("dep-controlled-htn", D, {"hypertension": True, "hypertension_controlled": True}, "yes", None, None),
    ("dep-htn-control-unrecorded", D, {"hypertension": True}, "needs review", None, "Not recorded: Uncontrolled or severe hypertension"),
    ("dep-cvd", D, {"cardiovascular_disease": True, "cardiovascular_disease_controlled": False}, "needs review", ("poorly_controlled_cardiovascular_disease", "relative"), None),
    ("dep-recent-mi", D, {"recent_mi_or_stroke": True}, "needs review", ("recent_mi_or_stroke", "relative"), None),
    ("dep-psychosis", D, {"psychosis_history": True}, "needs review", ("psychosis_history", "relative"), None),
    ("dep-mania", D, {"mania_history": True}, "needs review", ("mania_history", "relative"), None),
    ("dep-active-substance", D, {"substance_use": "active"}, "needs review", ("active_substance_use", "relative"), None),
    ("dep-substance-remission", D, {"substance_use": "in_remission"}, "yes", None, None),
    ("dep-pregnant", D, {"pregnant": True}, "needs review", ("pregnancy", "relative"), None),
    ("dep-breastfeeding", D, {"breastfeeding": True}, "needs review", ("breastfeeding", "relative"), None),
    ("dep-icp", D, {"raised_intracranial_pressure": True}, "needs review", ("raised_intracranial_pressure", "relative"), None),
    ("dep-iop", D, {"raised_intraocular_pressure": True}, "needs review", ("raised_intraocular_pressure", "relative"), None),
    ("dep-seizures", D, {"recent_seizures": True}, "needs review", ("recent_seizures", "relative"), None),
    ("dep-aneurysm", D, {"aneurysm_avm_or_intracerebral_haemorrhage": True}, "needs review", ("aneurysm_avm_or_intracerebral_haemorrhage", "relative"), None),
    ("dep-hypersensitivity", D, {"ketamine_hypersensitivity": True}, "no", ("ketamine_hypersensitivity", "absolute"), "Absolute contraindication"),
    ("dep-theophylline", D, {"medications": (Medication("Theophylline ER 300 mg"),)}, "needs review", ("theophylline_use", "relative"), None),
    ("dep-liver-not-a-depression-rule", D, {"liver_disease": "severe"}, "yes", None, None),
    ("dep-benzodiazepine-high", D, {"medications": (Medication("clonazepam", daily_dose_mg=1.0),)}, "needs review", None, "20 mg/day diazepam-equivalent"),
    ("dep-benzodiazepine-low", D, {"medications": (Medication("lorazepam", daily_dose_mg=0.5),)}, "yes", None, None),
    ("dep-medications-unrecorded", D, {"medications": None}, "needs review", None, "Current medications not recorded"),
    ("dep-suicidality", D, {"suicidality_screen_positive": True}, "needs review", None, SUICIDALITY_REVIEW),
    ("dep-suicidality-unrecorded", D, {"suicidality_screen_positive": None}, "needs review", None, "Suicidality screen not recorded"),
    ("dep-suicidality-with-absolute", D, {"suicidality_screen_positive": True, "ketamine_hypersensitivity": True}, "needs review", ("ketamine_hypersensitivity", "absolute"), SUICIDALITY_REVIEW),
    ("dep-suicidality-without-trd", D, {"suicidality_screen_positive": True, "antidepressant_trials": ()}, "needs review", None, SUICIDALITY_REVIEW),
    # --- IV ketamine for chronic pain
    ("pain-crps", P, {}, "yes", None, "moderate evidence"),
    ("pain-fibromyalgia", P, {"pain_condition": "fibromyalgia"}, "needs review", None, "weak or no evidence"),
    ("pain-unknown-condition", P, {"pain_condition": "tennis_elbow"}, "needs review", None, "no evidence grade"),
    ("pain-no-condition", P, {"pain_condition": "none"}, "no", None, "No chronic pain condition"),
    ("pain-condition-unrecorded", P, {"pain_condition": None}, "needs review", None, "Pain condition not recorded"),
    ("pain-trials-irrelevant", P, {"antidepressant_trials": None, "depression_diagnosis": None}, "yes", None, None),
    ("pain-cvd", P, {"cardiovascular_disease": True, "cardiovascular_disease_controlled": False}, "needs review", ("poorly_controlled_cardiovascular_disease", "relative"), None),
    ("pain-uncontrolled-htn", P, {"hypertension": True, "hypertension_controlled": False}, "needs review", ("uncontrolled_hypertension", "relative"), None),
    ("pain-recent-stroke", P, {"recent_mi_or_stroke": True}, "needs review", ("recent_mi_or_stroke", "relative"), None),
    ("pain-psychosis", P, {"psychosis_history": True}, "needs review", ("psychosis_history", "relative"), None),
    ("pain-severe-liver", P, {"liver_disease": "severe"}, "needs review", ("severe_liver_disease", "relative"), None),
    ("pain-moderate-liver", P, {"liver_disease": "moderate"}, "needs review", ("moderate_liver_disease", "relative"), None),
    ("pain-mild-liver", P, {"liver_disease": "mild"}, "yes", None, None),
    ("pain-icp", P, {"raised_intracranial_pressure": True}, "needs review", ("raised_intracranial_pressure", "relative"), None),
    ("pain-iop", P, {"raised_intraocular_pressure": True}, "needs review", ("raised_intraocular_pressure", "relative"), None),
    ("pain-substance", P, {"substance_use": "active"}, "needs review", ("active_substance_use", "relative"), None),
    ("pain-pregnant", P, {"pregnant": True}, "needs review", ("pregnancy", "relative"), None),
    ("pain-breastfeeding-not-an-asra-item", P, {"breastfeeding": True}, "yes", None, None),
    ("pain-aneurysm", P, {"aneurysm_avm_or_intracerebral_haemorrhage": True}, "needs review", ("aneurysm_avm_or_intracerebral_haemorrhage", "relative"), None),
    ("pain-hypersensitivity", P, {"ketamine_hypersensitivity": True}, "no", ("ketamine_hypersensitivity", "absolute"), None),
    ("pain-theophylline", P, {"medications": (Medication("aminophylline"),)}, "needs review", ("theophylline_use", "relative"), None),
    ("pain-benzodiazepine-no-blunting-reason", P, {"medications": (Medication("clonazepam", daily_dose_mg=1.0),)}, "yes", None, None),
    ("pain-suicidality", P, {"suicidality_screen_positive": True, "pain_condition": "none"}, "needs review", None, SUICIDALITY_REVIEW),
    # --- Esketamine nasal spray
    ("esk-clean", E, {}, "yes", None, "2 adequate failed"),
    ("esk-aneurysm", E, {"aneurysm_avm_or_intracerebral_haemorrhage": True}, "no", ("aneurysm_avm_or_intracerebral_haemorrhage", "absolute"), "SPRAVATO-PI"),
    ("esk-hypersensitivity", E, {"ketamine_hypersensitivity": True}, "no", ("ketamine_hypersensitivity", "absolute"), None),
    ("esk-uncontrolled-htn", E, {"hypertension": True, "hypertension_controlled": False}, "needs review", ("uncontrolled_hypertension", "relative"), None),
    ("esk-cvd", E, {"cardiovascular_disease": True, "cardiovascular_disease_controlled": False}, "needs review", ("poorly_controlled_cardiovascular_disease", "relative"), None),
    ("esk-recent-mi", E, {"recent_mi_or_stroke": True}, "needs review", ("recent_mi_or_stroke", "relative"), None),
    ("esk-pregnant", E, {"pregnant": True}, "needs review", ("pregnancy", "relative"), None),
    ("esk-breastfeeding", E, {"breastfeeding": True}, "needs review", ("breastfeeding", "relative"), None),
    ("esk-psychosis", E, {"psychosis_history": True}, "needs review", ("psychosis_history", "relative"), None),
    ("esk-mania", E, {"mania_history": True}, "needs review", ("mania_history", "relative"), None),
    ("esk-substance", E, {"substance_use": "active"}, "needs review", ("active_substance_use", "relative"), None),
    ("esk-icp", E, {"raised_intracranial_pressure": True}, "needs review", ("raised_intracranial_pressure", "relative"), None),
    ("esk-iop", E, {"raised_intraocular_pressure": True}, "needs review", ("raised_intraocular_pressure", "relative"), None),
    ("esk-theophylline", E, {"medications": (Medication("theophylline"),)}, "needs review", ("theophylline_use", "relative"), None),
    ("esk-one-trial", E, {"antidepressant_trials": (trial("sertraline"),)}, "no", None, "1 adequate failed"),
    ("esk-one-trial-suicidality", E, {"antidepressant_trials": (trial("sertraline"),), "suicidality_screen_positive": True}, "needs review", None, SUICIDALITY_REVIEW),
    ("esk-under-18", E, {"age_years": 16}, "no", None, "Under 18 years"),
    ("esk-seizures-no-label-rule", E, {"recent_seizures": True}, "yes", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pathway", "changes", "candidate", "contraindication", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_candidacy_table(pathway, changes, candidate, contraindication, reason):
    decision = assess(replace(CLEAN, **changes), pathway)
    assert decision.candidate == candidate, decision.reasons
    hits = [(hit.rule, hit.severity) for hit in decision.contraindications]
    if contraindication is None:
        assert hits == []
    else:
        assert hits == [contraindication]
        assert all(hit.source for hit in decision.contraindications)
    if reason is not None:
        assert any(reason in text for text in decision.reasons), decision.reasons


def test_the_table_covers_every_contraindication_rule_of_every_pathway():
    from ketaflow.domain.screening import DEFAULT_RULES

    covered = {(case[1], hit[0]) for case in CASES if (hit := case[4]) is not None}
    assert {(rule.pathway, rule.rule) for rule in DEFAULT_RULES} <= covered
    assert len(CASES) >= 30


def test_positive_suicidality_screen_is_the_first_reason():
    decision = assess(replace(CLEAN, suicidality_screen_positive=True), D)
    assert decision.reasons[0] == SUICIDALITY_REVIEW


def test_adequate_failed_trials_count_is_reported():
    assert assess(CLEAN, D).adequate_failed_trials == 2
    assert assess(CLEAN, P).adequate_failed_trials is None


def test_trd_threshold_is_configurable():
    decision = assess(CLEAN, D, settings=CandidacySettings(trd_min_adequate_failed_trials=3))
    assert decision.candidate == "no"


def test_minimum_age_is_configurable():
    assert (
        assess(replace(CLEAN, age_years=17), D, settings=CandidacySettings(min_age_years=16)).candidate
        == "yes"
    )


def test_a_clinic_can_make_a_relative_rule_absolute():
    rules = override_rules(severity={("aneurysm_avm_or_intracerebral_haemorrhage", D): "absolute"})
    facts = replace(CLEAN, aneurysm_avm_or_intracerebral_haemorrhage=True)
    assert assess(facts, D, rules=rules).candidate == "no"
    assert assess(facts, D).candidate == "needs review"


def test_a_clinic_can_remove_and_add_rules():
    rules = override_rules(
        remove=[("recent_seizures", D)],
        add=[
            ContraindicationRule(
                "liver", "severe_liver_disease", D, "relative", "clinic policy", "Severe liver disease"
            )
        ],
    )
    assert assess(replace(CLEAN, recent_seizures=True), D, rules=rules).candidate == "yes"
    assert assess(replace(CLEAN, liver_disease="severe"), D, rules=rules).candidate == "needs review"


def test_a_rule_naming_an_unknown_finding_is_refused():
    rules = [ContraindicationRule("x", "no_such_finding", D, "relative", "s", "d")]
    with pytest.raises(ScreeningError, match="rule 'x' refers to unknown finding 'no_such_finding'"):
        assess(CLEAN, D, rules=rules)


def test_unknown_pathway_is_refused():
    with pytest.raises(ScreeningError, match="unknown pathway 'oral'"):
        assess(CLEAN, "oral")


def test_pathway_may_be_given_as_its_string_value():
    assert assess(CLEAN, "esketamine_nasal").pathway is E


def test_nothing_recorded_is_never_a_yes():
    for decision in assess_all(CandidacyFacts()).values():
        assert decision.candidate == "needs review"


def test_decision_is_json_ready():
    decision = assess(replace(CLEAN, medications=(Medication("alprazolam", daily_dose_mg=2.0),)), D)
    data = json.loads(json.dumps(decision.as_dict()))
    assert data["pathway"] == "iv_ketamine_depression"
    assert data["interaction_flags"][0]["drug_class"] == "benzodiazepine"
    assert data["interaction_flags"][0]["diazepam_equivalent_mg_per_day"] == 40.0


def test_assess_all_covers_the_three_pathways():
    assert set(assess_all(CLEAN)) == {D, P, E}
