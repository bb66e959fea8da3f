"""The model library: every model is cited, has a range, and says when it is used outside it."""

from __future__ import annotations

import pytest

from ketaflow.domain.pk import DEFAULT_MODEL_ID, MODELS, Covariates, PKModelError, get_model, list_models


def test_default_model_is_kamp_2020_and_listed_first() -> None:
    assert DEFAULT_MODEL_ID == "kamp2020"
    assert list_models()[0].id == "kamp2020"


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_every_model_has_a_citation_range_and_ke0_label(model_id: str) -> None:
    described = get_model(model_id).describe()
    assert described["citation"]
    assert described["weight_kg_range"][0] < described["weight_kg_range"][1]  # type: ignore[index]
    assert described["age_years_range"][0] < described["age_years_range"][1]  # type: ignore[index]
    assert described["ke0_status"] in {"derived", "borrowed", "published"}


@pytest.mark.parametrize("model_id", ["herd2007", "hornik2018"])
def test_paediatric_models_warn_for_an_adult(model_id: str) -> None:
    warnings = get_model(model_id).range_warnings(Covariates(weight_kg=70.0, age_years=40.0))
    assert any("age 40 years is outside" in w for w in warnings)


def test_adult_inside_kamp_range_only_hears_about_the_derived_ke0() -> None:
    warnings = get_model("kamp2020").range_warnings(Covariates(weight_kg=70.0, age_years=40.0))
    assert warnings == ["kamp2020: effect-site ke0 2.791/min is derived, not published"]


def test_heavy_patient_is_flagged_outside_the_weight_range() -> None:
    warnings = get_model("otto2021").range_warnings(Covariates(weight_kg=140.0, age_years=40.0))
    assert any("weight 140 kg is outside" in w for w in warnings)


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(PKModelError, match="unknown PK model 'propofol'.*kamp2020"):
        get_model("propofol")


def test_non_positive_weight_is_refused() -> None:
    with pytest.raises(PKModelError, match="positive"):
        Covariates(weight_kg=0.0)


def test_otto_variability_is_published_and_racemic_is_assumed() -> None:
    assert get_model("otto2021").variability.status == "published"
    assert get_model("kamp2020").variability.status == "assumed"
