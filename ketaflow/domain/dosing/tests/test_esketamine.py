"""Esketamine nasal spray: 28 mg devices, 56/84 mg doses (SPRAVATO-PI)."""

import pytest

from ketaflow.domain.dosing import ESKETAMINE_DEFAULT, DoseError, EsketamineSpec, errors, esketamine_plan


@pytest.mark.parametrize(("dose_mg", "devices"), [(56, 2), (84, 3)])
def test_dose_maps_to_28_mg_devices(dose_mg: int, devices: int) -> None:
    plan = esketamine_plan(dose_mg)
    assert plan.devices == devices
    assert plan.minutes_between_devices == 5
    assert plan.minimum_monitoring_minutes == 120
    assert plan.device_mg * plan.devices == dose_mg


@pytest.mark.parametrize("dose_mg", [28, 42, 112, 0])
def test_other_doses_are_refused_by_default(dose_mg: int) -> None:
    with pytest.raises(DoseError) as excinfo:
        esketamine_plan(dose_mg)
    assert (
        errors.ESKETAMINE_DOSE_NOT_ALLOWED.format(dose_mg=dose_mg, allowed="56, 84") in excinfo.value.messages
    )


def test_a_clinic_may_allow_28_mg_for_older_patients() -> None:
    spec = EsketamineSpec(allowed_doses_mg=(28, 56, 84))
    assert esketamine_plan(28, spec).devices == 1


def test_default_spec_is_the_us_label() -> None:
    assert ESKETAMINE_DEFAULT.device_mg == 28
    assert ESKETAMINE_DEFAULT.allowed_doses_mg == (56, 84)
