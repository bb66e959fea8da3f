"""Interaction flags with their meaning and source (clinical.md §9)."""

import pytest

from ketaflow.domain.screening import Medication, diazepam_equivalent_mg_per_day, interaction_flags


@pytest.mark.parametrize(
    ("name", "drug_class", "source_word"),
    [
        ("Alprazolam 0.5 mg tablet", "benzodiazepine", "Frontiers"),
        ("Klonopin", "benzodiazepine", "Andrade"),
        ("lamotrigine", "lamotrigine", "Bakker"),
        ("Phenelzine", "maoi", "REMS"),
        ("Emsam patch", "maoi", "REMS"),
        ("Adderall XR", "psychostimulant", "REMS"),
        ("methylphenidate", "psychostimulant", "REMS"),
        ("oxycodone/acetaminophen", "opioid", "KETALAR"),
        ("buprenorphine-naloxone", "opioid", "KETALAR"),
        ("zolpidem", "cns_depressant", "KETALAR"),
        ("gabapentin", "cns_depressant", "KETALAR"),
        ("theophylline", "theophylline", "KETALAR"),
        ("aminophylline", "theophylline", "KETALAR"),
        ("pseudoephedrine", "sympathomimetic", "KETALAR"),
        ("vasopressin", "sympathomimetic", "KETALAR"),
        ("amlodipine", "antihypertensive", "Yip"),
        ("Metoprolol succinate", "antihypertensive", "Yip"),
    ],
)
def test_medication_is_flagged_with_its_class_meaning_and_source(name, drug_class, source_word):
    (flag,) = interaction_flags([Medication(name)])
    assert flag.drug_class == drug_class
    assert flag.medication == name
    assert flag.meaning
    assert source_word in flag.source


def test_unrelated_medication_gives_no_flag():
    assert interaction_flags([Medication("sertraline"), Medication("levothyroxine")]) == []


def test_explicit_class_overrides_the_name_table():
    (flag,) = interaction_flags([Medication("new sedative X", drug_class="cns_depressant")])
    assert flag.drug_class == "cns_depressant"


@pytest.mark.parametrize(
    ("name", "dose", "equivalent", "above"),
    [
        ("diazepam", 10.0, 10.0, True),
        ("diazepam", 8.0, 8.0, False),
        ("lorazepam", 1.0, 10.0, True),
        ("clonazepam", 0.25, 5.0, False),
        ("alprazolam", 0.5, 10.0, True),
        ("midazolam", 5.0, None, None),
        ("lorazepam", None, None, None),
    ],
)
def test_benzodiazepine_dose_is_converted_to_diazepam_equivalent_with_an_8_mg_limit(
    name, dose, equivalent, above
):
    (flag,) = interaction_flags([Medication(name, daily_dose_mg=dose)])
    assert flag.diazepam_equivalent_mg_per_day == equivalent
    assert flag.above_benzodiazepine_limit is above


def test_diazepam_equivalent_given_directly_wins():
    assert (
        diazepam_equivalent_mg_per_day(
            Medication("lorazepam", daily_dose_mg=1.0, diazepam_equivalent_mg_per_day=7.0)
        )
        == 7.0
    )


def test_benzodiazepine_limit_is_configurable():
    (flag,) = interaction_flags(
        [Medication("diazepam", daily_dose_mg=6.0)], benzodiazepine_limit_mg_per_day=5.0
    )
    assert flag.above_benzodiazepine_limit is True


def test_flags_keep_medication_order():
    flags = interaction_flags([Medication("tramadol"), Medication("lamotrigine")])
    assert [flag.drug_class for flag in flags] == ["opioid", "lamotrigine"]
