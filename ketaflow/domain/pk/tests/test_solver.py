"""Properties of the exact solver: steady state, superposition, splitting, time units, expm agreement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.pk import (
    MODELS,
    Bolus,
    Covariates,
    Infusion,
    Schedule,
    ScheduleError,
    get_model,
    simulate,
)
from ketaflow.domain.pk.solver import Modes, build_system, decompose, evaluate, reference_solve

ADULT = Covariates(weight_kg=70.0, age_years=40.0)
TIMES = np.array([0.5, 5.0, 17.0, 40.0, 41.0, 90.0, 240.0, 600.0])


def _modes(model_id: str, weight: float = 70.0) -> Modes:
    return decompose(build_system(get_model(model_id).typical(weight)))


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_steady_state_equals_rate_over_clearance(model_id: str) -> None:
    model = get_model(model_id)
    params = model.typical(70.0)
    rate = 0.6  # mg/min
    result = simulate(model, ADULT, Schedule.from_segments([(0.0, 1e6, rate)]), [5e5])
    expected = rate / float(params.cl[0]) * 1000.0
    assert result.plasma_ng_per_ml[0] == pytest.approx(expected, rel=1e-9)
    assert result.effect_ng_per_ml[0] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_modal_solution_equals_matrix_exponential(model_id: str) -> None:
    schedule = Schedule(
        infusions=(Infusion(0.0, 40.0, 0.875), Infusion(50.0, 55.0, 2.0), Infusion(52.0, 70.0, 0.3)),
        boluses=(Bolus(0.0, 10.0), Bolus(100.0, 5.0)),
    )
    modes = _modes(model_id)
    ours = evaluate(modes, schedule, TIMES)[0]
    system = modes.system
    ref = reference_solve(
        system.rate_matrix[0], system.input_vector, system.output_matrix[0], schedule, TIMES
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_superposition_of_two_schedules() -> None:
    a = Schedule(infusions=(Infusion(0.0, 40.0, 0.875),))
    b = Schedule(infusions=(Infusion(20.0, 30.0, 1.5),), boluses=(Bolus(60.0, 7.0),))
    both = Schedule(infusions=a.infusions + b.infusions, boluses=b.boluses)
    modes = _modes("kamp2020")
    np.testing.assert_allclose(
        evaluate(modes, both, TIMES), evaluate(modes, a, TIMES) + evaluate(modes, b, TIMES), rtol=1e-12
    )


def test_doubling_the_dose_doubles_every_concentration() -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    modes = _modes("domino")
    np.testing.assert_allclose(
        evaluate(modes, schedule.scaled(2.0), TIMES), 2.0 * evaluate(modes, schedule, TIMES), rtol=1e-12
    )


@given(
    pieces=st.integers(min_value=2, max_value=60),
    duration=st.floats(min_value=1.0, max_value=300.0),
    rate=st.floats(min_value=0.01, max_value=5.0),
    model_id=st.sampled_from(sorted(MODELS)),
)
def test_schedule_split_into_equal_segments_equals_unsplit(
    pieces: int, duration: float, rate: float, model_id: str
) -> None:
    edges = np.linspace(0.0, duration, pieces + 1)
    split = Schedule.from_segments([(edges[i], edges[i + 1], rate) for i in range(pieces)])
    whole = Schedule.from_segments([(0.0, duration, rate)])
    times = np.concatenate([edges[1:], [duration * 0.37, duration + 10.0, duration + 200.0]])
    modes = _modes(model_id)
    np.testing.assert_allclose(evaluate(modes, split, times), evaluate(modes, whole, times), rtol=1e-9)


@given(scale=st.floats(min_value=1e-3, max_value=1e3))
def test_results_do_not_depend_on_the_time_unit(scale: float) -> None:
    """Express time in units of ``scale`` minutes: rate constants x scale, times / scale, rates x scale."""
    modes = _modes("kamp2020")
    schedule = Schedule(infusions=(Infusion(0.0, 40.0, 0.875),), boluses=(Bolus(45.0, 3.0),))
    base = evaluate(modes, schedule, TIMES)
    system = modes.system
    system.rate_matrix = system.rate_matrix * scale
    rescaled = Schedule(
        infusions=(Infusion(0.0, 40.0 / scale, 0.875 * scale),), boluses=(Bolus(45.0 / scale, 3.0),)
    )
    np.testing.assert_allclose(evaluate(decompose(system), rescaled, TIMES / scale), base, rtol=1e-9)


def test_uniform_grid_path_equals_pointwise_path() -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    grid = np.arange(0, 240 * 60 + 1) / 60.0
    modes = _modes("kamp2020")
    fast = evaluate(modes, schedule, grid)
    pick = np.array([1, 7, 600, 2399, 2400, 2401, 9000, 14400])
    slow = evaluate(modes, schedule, grid[pick])
    np.testing.assert_allclose(fast[:, :, pick], slow, rtol=1e-11)


def test_times_in_any_order_give_the_same_values() -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    modes = _modes("kamp2020")
    shuffled = TIMES[::-1]
    np.testing.assert_allclose(
        evaluate(modes, schedule, shuffled)[..., ::-1], evaluate(modes, schedule, TIMES)
    )


def test_nothing_before_the_first_dose_and_bolus_counts_at_its_own_time() -> None:
    schedule = Schedule(boluses=(Bolus(10.0, 35.0),))
    result = simulate(get_model("domino"), ADULT, schedule, [0.0, 9.999, 10.0])
    assert result.plasma_ng_per_ml[:2] == (0.0, 0.0)
    assert result.plasma_ng_per_ml[2] == pytest.approx(35.0 / (0.063 * 70.0) * 1000.0, rel=1e-12)


def test_effect_site_equal_to_an_eigenvalue_falls_back_to_expm() -> None:
    model = get_model("kamp2020")
    params = model.typical(70.0)
    lam = np.linalg.eigvals(build_system(params, effect=False).rate_matrix[0])
    params.ke0[:] = -np.sort(lam)[0]  # identical to a disposition eigenvalue: defective matrix
    modes = decompose(build_system(params))
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    ours = evaluate(modes, schedule, TIMES)[0]
    system = modes.system
    ref = reference_solve(
        system.rate_matrix[0], system.input_vector, system.output_matrix[0], schedule, TIMES
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([(0.0, 10.0, -1.0)], "must not be negative"),
        ([(10.0, 5.0, 1.0)], "must end after it starts"),
        ([(0.0, 10.0, 1.0), (5.0, 20.0, 1.0)], "overlap"),
    ],
)
def test_bad_segments_are_refused(segments: list[tuple[float, float, float]], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        Schedule.from_segments(segments)
