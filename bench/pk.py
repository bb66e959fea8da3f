"""Benchmark: 1,000 virtual patients, plasma ketamine on a 1-second grid, Ketaflow against its peers.

Work: Kamp 2020 three-compartment model, every patient different (weights uniform 50-110 kg, 30% CV
log-normal variability on CL, V1, Q2, V2, Q3, V3), 0.5 mg/kg IV over 40 min, observed to 240 min, plasma
concentration every second (14,401 points per patient).

Peers, all in this process on the same parameters: PyTCI 1.2.0 (generic ``Three`` class, exact integrator,
one ``giveoverseconds``/``wait_time`` call per second), opentiva 1.1.2 (``Pump.add_infusion`` + ``run()``,
which also computes the effect site), scipy ``solve_ivp`` (LSODA, rtol 1e-10). Slow peers are timed on a
subset and extrapolated linearly (said in the table). The error column is the largest relative error over
t > 0 against a matrix-exponential reference (expm of the 1-s transition, stepped over the grid).

Also timed: one recovery forecast for a single patient and one MAP fit over 20 sessions.

Run: ``.venv/bin/python bench/pk.py``. Prints a table; CI does not time anything.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg
from scipy.integrate import solve_ivp

from ketaflow.domain.pk import Covariates, Schedule, get_model, individualise
from ketaflow.domain.pk.bayes import prior_covariance
from ketaflow.domain.pk.recovery import forecast_recovery, simulate_sessions
from ketaflow.domain.pk.simulation import sample_parameters
from ketaflow.domain.pk.solver import build_system, decompose, evaluate

N_PATIENTS = 1000
PYTCI_SUBSET = 20
LSODA_SUBSET = 20
DOSE_MG_PER_KG = 0.5
INFUSION_S = 40 * 60
END_S = 240 * 60
GRID_S = np.arange(END_S + 1, dtype=np.float64)
GRID_MIN = GRID_S / 60.0
NAMES = ("cl", "v1", "q2", "v2", "q3", "v3")


def population(seed: int = 20261125) -> tuple[np.ndarray, Any]:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(50.0, 110.0, N_PATIENTS)
    omega = np.eye(len(NAMES)) * np.log(1.0 + 0.3**2)  # 30% CV log-normal, independent
    params = sample_parameters(get_model("kamp2020"), weights, rng, omega=omega, names=NAMES)
    return weights, params


def micro(params: Any, i: int) -> dict[str, float]:
    """Per-minute micro-constants and V1 (L) of patient i."""
    v1 = float(params.v1[i])
    return {
        "v1": v1,
        "k10": float(params.cl[i]) / v1,
        "k12": float(params.q2[i]) / v1,
        "k21": float(params.q2[i] / params.v2[i]),
        "k13": float(params.q3[i]) / v1,
        "k31": float(params.q3[i] / params.v3[i]),
        "ke0": float(params.ke0[i]),
    }


def reference(weights: np.ndarray, params: Any) -> np.ndarray:
    """expm of the augmented 1-s transition per patient, stepped over the grid (vectorised over patients)."""
    system = build_system(params, effect=False, metabolite=False)
    k = system.rate_matrix / 60.0  # per second
    n = k.shape[1]
    augmented = np.zeros((N_PATIENTS, n + 1, n + 1))
    augmented[:, :n, :n] = k
    augmented[:, 0, n] = 1.0
    phi_all = scipy.linalg.expm(augmented)
    phi, gamma = phi_all[:, :n, :n], phi_all[:, :n, n]
    rate = DOSE_MG_PER_KG * weights / INFUSION_S  # mg/s
    x = np.zeros((N_PATIENTS, n))
    out = np.zeros((N_PATIENTS, GRID_S.size))
    for step in range(1, GRID_S.size):
        x = np.einsum("pij,pj->pi", phi, x)
        if step <= INFUSION_S:
            x += gamma * rate[:, None]
        out[:, step] = x[:, 0]
    return out / params.v1[:, None] * 1000.0


def ketaflow(weights: np.ndarray, params: Any) -> np.ndarray:
    modes = decompose(build_system(params, effect=False, metabolite=False))
    per_kg = Schedule.constant_infusion(dose_mg=DOSE_MG_PER_KG, start_min=0.0, duration_min=INFUSION_S / 60.0)
    return evaluate(modes, per_kg, GRID_MIN, input_scale=weights)[:, 0, :]


def pytci(weights: np.ndarray, params: Any, count: int) -> np.ndarray | None:
    try:
        from PyTCI.models.base import Three
    except ImportError:
        return None
    out = np.zeros((count, GRID_S.size))
    for i in range(count):
        m = micro(params, i)
        patient = Three()
        patient.v1, patient.k10, patient.k12, patient.k21 = m["v1"], m["k10"], m["k12"], m["k21"]
        patient.k13, patient.k31, patient.keo = m["k13"], m["k31"], m["ke0"]
        patient.setup()  # per minute -> per second
        patient.set_integrator("exact")
        rate = DOSE_MG_PER_KG * weights[i] / INFUSION_S
        row = out[i]
        for second in range(1, GRID_S.size):
            if second <= INFUSION_S:
                row[second] = patient.giveoverseconds(rate, 1)
            else:
                patient.wait_time(1)
                row[second] = patient.x1
    return out * 1000.0  # x1 is mg/L


class _OpentivaModel:
    """The attributes opentiva's PkPdModel reads, for one virtual patient (rate constants per minute)."""

    compartments = 3

    def __init__(self, m: dict[str, float]) -> None:
        self.v1, self.k10, self.k12, self.k21 = m["v1"], m["k10"], m["k12"], m["k21"]
        self.k13, self.k31, self.ke0 = m["k13"], m["k31"], m["ke0"]


def opentiva(weights: np.ndarray, params: Any, count: int) -> np.ndarray | None:
    try:
        from opentiva.pump import Pump
    except ImportError:
        return None
    out = np.zeros((count, GRID_S.size))
    for i in range(count):
        pump = Pump(_OpentivaModel(micro(params, i)), drug_concentration=10, end_time=END_S + 1)
        pump.add_infusion(start=0, dose=DOSE_MG_PER_KG * weights[i] / INFUSION_S, duration=INFUSION_S)
        result = pump.run()
        out[i, : result.shape[0]] = result[: GRID_S.size, 1]
    return out * 1000.0


def lsoda(weights: np.ndarray, params: Any, count: int) -> np.ndarray:
    system = build_system(params, effect=False, metabolite=False)
    out = np.zeros((count, GRID_S.size))
    for i in range(count):
        k = system.rate_matrix[i] / 60.0
        rate = DOSE_MG_PER_KG * weights[i] / INFUSION_S
        b = np.zeros(k.shape[0])
        b[0] = rate
        during = solve_ivp(
            lambda t, x, k=k, b=b: k @ x + b,
            (0.0, INFUSION_S),
            np.zeros(k.shape[0]),
            method="LSODA",
            rtol=1e-10,
            atol=1e-14,
            t_eval=GRID_S[: INFUSION_S + 1],
            jac=lambda t, x, k=k: k,
        )
        after = solve_ivp(
            lambda t, x, k=k: k @ x,
            (INFUSION_S, END_S),
            during.y[:, -1],
            method="LSODA",
            rtol=1e-10,
            atol=1e-14,
            t_eval=GRID_S[INFUSION_S:],
            jac=lambda t, x, k=k: k,
        )
        out[i, : INFUSION_S + 1] = during.y[0]
        out[i, INFUSION_S:] = after.y[0]
        out[i] /= params.v1[i]
    return out * 1000.0


def max_rel_error(values: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(values[:, 1:] - ref[:, 1:]) / np.abs(ref[:, 1:])))


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def micro_timings() -> tuple[float, float]:
    """Median wall time (s) of one recovery forecast and of one MAP fit over 20 sessions."""
    model = get_model("kamp2020")
    rng = np.random.default_rng(3)
    true = rng.multivariate_normal(np.zeros(7), prior_covariance(model))
    sessions = simulate_sessions(model, 75.0, true, rng, n_sessions=20)
    fit_s, posterior = timed(lambda: individualise(model, sessions), repeat=15)
    schedule = Schedule.constant_infusion(dose_mg=37.5, start_min=0.0, duration_min=40.0)
    patient = Covariates(weight_kg=75.0, age_years=40.0)
    forecast_s, _ = timed(
        lambda: forecast_recovery(model, patient, schedule, posterior=posterior), repeat=200
    )
    return forecast_s, fit_s


def main() -> int:
    weights, params = population()
    print(
        f"PK benchmark: {N_PATIENTS} patients x {GRID_S.size} one-second points (Kamp 2020, 0.5 mg/kg/40 min)"
    )
    print("numpy", np.__version__, "| python", sys.version.split()[0])
    cold_s, _ = timed(lambda: ketaflow(weights, params))  # first call: page faults on the 115 MB output
    for _ in range(2):
        ketaflow(weights, params)  # let the allocator settle, as in a long-running process
    ours_s, ours = timed(lambda: ketaflow(weights, params), repeat=7)
    ref_s, ref = timed(lambda: reference(weights, params))
    rows: list[tuple[str, str, float, float | None]] = []
    rows.append(("Ketaflow (batched eig, closed form)", f"{N_PATIENTS}", ours_s, max_rel_error(ours, ref)))
    rows.append(("expm reference (1-s transition, stepped)", f"{N_PATIENTS}", ref_s, 0.0))

    t, values = timed(lambda: pytci(weights, params, PYTCI_SUBSET))
    if values is None:
        rows.append(("PyTCI: not installed", "-", float("nan"), None))
    else:
        rows.append(
            (
                f"PyTCI 1.2.0 Three, exact ({PYTCI_SUBSET} timed, x{N_PATIENTS // PYTCI_SUBSET})",
                f"{PYTCI_SUBSET}",
                t * N_PATIENTS / PYTCI_SUBSET,
                max_rel_error(values, ref[:PYTCI_SUBSET]),
            )
        )
    t, values = timed(lambda: opentiva(weights, params, N_PATIENTS))
    if values is None:
        rows.append(
            ("opentiva: not installed (PyPI sdist needs Cython, see docs/pk.md)", "-", float("nan"), None)
        )
    else:
        rows.append(("opentiva 1.1.2 Pump.run (Cp and Ce)", f"{N_PATIENTS}", t, max_rel_error(values, ref)))
    t, values = timed(lambda: lsoda(weights, params, LSODA_SUBSET))
    rows.append(
        (
            f"scipy solve_ivp LSODA rtol 1e-10 ({LSODA_SUBSET} timed, x{N_PATIENTS // LSODA_SUBSET})",
            f"{LSODA_SUBSET}",
            t * N_PATIENTS / LSODA_SUBSET,
            max_rel_error(values, ref[:LSODA_SUBSET]),
        )
    )

    print(
        f"{'implementation':<58} {'run':>5} {'wall s (1000 pts)':>18} {'ours faster':>12} {'max rel err':>12}"
    )
    for name, run, wall, err in rows:
        ratio = wall / ours_s if np.isfinite(wall) else float("nan")
        err_text = "-" if err is None else f"{err:.2e}"
        print(f"{name:<58} {run:>5} {wall:>18.4f} {ratio:>11.0f}x {err_text:>12}")

    print(
        f"Ketaflow wall time is the median of 7 warm calls; the first call in the process took {cold_s:.3f} s"
    )
    forecast_s, fit_s = micro_timings()
    print(f"single-patient recovery forecast (median of 200): {forecast_s * 1e3:.3f} ms (goal < 1 ms)")
    print(f"MAP fit over 20 sessions (median of 15):          {fit_s * 1e3:.2f} ms (goal < 20 ms)")
    pytci_wall = rows[2][2]
    opentiva_wall = rows[3][2]
    print(
        "goals: >=1000x PyTCI {} | >=30x opentiva {} | max rel err <=1e-9 {}".format(
            "met" if pytci_wall / ours_s >= 1000 else "NOT met",
            "met" if np.isfinite(opentiva_wall) and opentiva_wall / ours_s >= 30 else "NOT met",
            "met" if (rows[0][3] or 0.0) <= 1e-9 else "NOT met",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
