"""Exact solution of linear compartment models for piecewise-constant infusions and boluses.

The model is dx/dt = K x + b u(t), where x holds amounts (mg) in each compartment (and the effect-site
concentration in mg/L), b routes the input into the central compartment, and u(t) is a sum of constant-rate
infusions (mg/min) and boluses (mg). K is diagonalised once per patient (K = V diag(lambda) V^-1, batched over
patients with ``numpy.linalg.eig``); between two schedule events every concentration is then a constant plus
a sum of exponentials, evaluated in closed form. No step size is involved anywhere: the only errors are
floating-point rounding. Patients whose K is numerically defective (two nearly equal eigenvalues) fall back
to the augmented matrix exponential (scipy.linalg.expm), which is exact as well.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from .models import PKParameters

FloatArray = NDArray[np.float64]

#: mg/L to ng/mL
NG_PER_ML_PER_MG_PER_L = 1000.0
# Above this size of V^-1 (V has unit columns) the eigenvector basis is considered too ill-conditioned.
_ILL_CONDITIONED = 1e6
# A run of evaluation times at least this long on a uniform grid uses the factorised evaluation.
_GRID_MIN_POINTS = 256


class ScheduleError(ValueError):
    """An infusion or bolus schedule that cannot be given (negative rate, end before start, overlap...)."""


@dataclass(frozen=True)
class Infusion:
    """A constant-rate infusion from ``start_min`` to ``end_min`` (minutes) at ``rate_mg_per_min``."""

    start_min: float
    end_min: float
    rate_mg_per_min: float

    @property
    def dose_mg(self) -> float:
        return self.rate_mg_per_min * (self.end_min - self.start_min)


@dataclass(frozen=True)
class Bolus:
    """An instantaneous dose of ``dose_mg`` given at ``time_min``."""

    time_min: float
    dose_mg: float


@dataclass(frozen=True)
class Schedule:
    """Infusions (which may overlap: they add up) and boluses. Times in minutes, doses in mg."""

    infusions: tuple[Infusion, ...] = ()
    boluses: tuple[Bolus, ...] = ()

    def __post_init__(self) -> None:
        for inf in self.infusions:
            values = (inf.start_min, inf.end_min, inf.rate_mg_per_min)
            if not all(math.isfinite(v) for v in values):
                raise ScheduleError("infusion times and rates must be finite numbers")
            if inf.rate_mg_per_min < 0:
                raise ScheduleError(f"infusion rate must not be negative, got {inf.rate_mg_per_min:g} mg/min")
            if inf.end_min <= inf.start_min:
                raise ScheduleError(
                    f"infusion must end after it starts, got {inf.start_min:g}-{inf.end_min:g} min"
                )
        for bolus in self.boluses:
            if not (math.isfinite(bolus.time_min) and math.isfinite(bolus.dose_mg)):
                raise ScheduleError("bolus time and dose must be finite numbers")
            if bolus.dose_mg < 0:
                raise ScheduleError(f"bolus dose must not be negative, got {bolus.dose_mg:g} mg")

    @classmethod
    def constant_infusion(cls, *, dose_mg: float, start_min: float, duration_min: float) -> Schedule:
        """``dose_mg`` spread evenly over ``duration_min`` minutes starting at ``start_min``."""
        if duration_min <= 0:
            raise ScheduleError(f"infusion duration must be positive, got {duration_min:g} min")
        start, duration = float(start_min), float(duration_min)
        return cls(infusions=(Infusion(start, start + duration, float(dose_mg) / duration),))

    @classmethod
    def from_segments(
        cls, segments: Iterable[tuple[float, float, float]], *, allow_overlap: bool = False
    ) -> Schedule:
        """One pump's segments ``(start_min, end_min, rate_mg_per_min)``; overlaps are refused by default."""
        infusions = tuple(Infusion(float(s), float(e), float(r)) for s, e, r in segments)
        schedule = cls(infusions=infusions)
        if not allow_overlap:
            ordered = sorted(infusions, key=lambda inf: inf.start_min)
            for before, after in zip(ordered, ordered[1:], strict=False):
                if after.start_min < before.end_min:
                    raise ScheduleError(
                        f"segments {before.start_min:g}-{before.end_min:g} and "
                        f"{after.start_min:g}-{after.end_min:g} min overlap"
                    )
        return schedule

    @property
    def stop_min(self) -> float:
        """When the last drug is given (minutes); 0 for an empty schedule."""
        ends = [inf.end_min for inf in self.infusions] + [b.time_min for b in self.boluses]
        return max(ends, default=0.0)

    @property
    def total_dose_mg(self) -> float:
        return sum(inf.dose_mg for inf in self.infusions) + sum(b.dose_mg for b in self.boluses)

    def scaled(self, factor: float) -> Schedule:
        """The same timing with every rate and dose multiplied by ``factor``."""
        return Schedule(
            infusions=tuple(
                Infusion(i.start_min, i.end_min, i.rate_mg_per_min * factor) for i in self.infusions
            ),
            boluses=tuple(Bolus(b.time_min, b.dose_mg * factor) for b in self.boluses),
        )

    def events(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Event times (sorted, unique), the total rate (mg/min) after each event, the bolus (mg) at each."""
        points = sorted(
            {i.start_min for i in self.infusions}
            | {i.end_min for i in self.infusions}
            | {b.time_min for b in self.boluses}
        )
        times = np.asarray(points, dtype=np.float64)
        rates = np.zeros_like(times)
        doses = np.zeros_like(times)
        for inf in self.infusions:
            active = (times >= inf.start_min) & (times < inf.end_min)
            rates[active] += inf.rate_mg_per_min
        for bolus in self.boluses:
            doses[np.searchsorted(times, bolus.time_min)] += bolus.dose_mg
        return times, rates, doses


@dataclass
class LinearSystem:
    """dx/dt = K x + b u(t), y = C x, batched over B patients.

    ``rate_matrix`` is (B, n, n) in 1/time, ``input_vector`` is (n,), ``output_matrix`` is (B, o, n) and maps
    state to concentrations in ng/mL; ``outputs`` names the rows of y.
    """

    rate_matrix: FloatArray
    input_vector: FloatArray
    output_matrix: FloatArray
    outputs: tuple[str, ...]

    @property
    def size(self) -> int:
        return int(self.rate_matrix.shape[0])


def build_system(parameters: PKParameters, *, effect: bool = True, metabolite: bool = True) -> LinearSystem:
    """The rate matrix (1/min) of a mammillary model, optionally with metabolite and effect compartments.

    State: central, peripheral 1, [peripheral 2], [metabolite central, metabolite peripheral], [effect site].
    Outputs: "plasma", then "metabolite" and "effect" when included (ng/mL).
    """
    p = parameters
    batch = p.size
    with_metabolite = metabolite and p.has_metabolite
    n_parent = 1 + p.n_peripheral
    n = n_parent + (2 if with_metabolite else 0) + (1 if effect else 0)
    k = np.zeros((batch, n, n))
    v1 = p.v1
    k10, k12, k21 = p.cl / v1, p.q2 / v1, p.q2 / p.v2
    k[:, 0, 0] = -(k10 + k12)
    k[:, 0, 1] = k21
    k[:, 1, 0] = k12
    k[:, 1, 1] = -k21
    if p.n_peripheral == 2:
        k13, k31 = p.q3 / v1, p.q3 / p.v3
        k[:, 0, 0] -= k13
        k[:, 0, 2] = k31
        k[:, 2, 0] = k13
        k[:, 2, 2] = -k31
    outputs = ["plasma"]
    rows = [(0, NG_PER_ML_PER_MG_PER_L / v1)]
    index = n_parent
    if with_metabolite:
        m_v1, m_cl, m_q2, m_v2 = p.get("m_v1"), p.get("m_cl"), p.get("m_q2"), p.get("m_v2")
        m, mp = index, index + 1
        k[:, m, 0] = p.fm * k10  # metabolite formed from parent clearance
        k[:, m, m] = -(m_cl + m_q2) / m_v1
        k[:, m, mp] = m_q2 / m_v2
        k[:, mp, m] = m_q2 / m_v1
        k[:, mp, mp] = -m_q2 / m_v2
        outputs.append("metabolite")
        rows.append((m, NG_PER_ML_PER_MG_PER_L / m_v1))
        index += 2
    if effect:
        # The effect site holds a concentration (mg/L): dCe/dt = ke0 * (A1/V1 - Ce); it has no mass.
        k[:, index, 0] = p.ke0 / v1
        k[:, index, index] = -p.ke0
        outputs.append("effect")
        rows.append((index, np.full(batch, NG_PER_ML_PER_MG_PER_L)))
    output = np.zeros((batch, len(rows), n))
    for row, (column, scale) in enumerate(rows):
        output[:, row, column] = scale
    b = np.zeros(n)
    b[0] = 1.0
    return LinearSystem(rate_matrix=k, input_vector=b, output_matrix=output, outputs=tuple(outputs))


@dataclass
class Modes:
    """Eigen-decomposition of a batch of systems: y(t) = sum_i W[:, :, i] z_i(t), z = V^-1 x.

    ``eigenvalues`` (B, n) in 1/time (all negative), ``input_modes`` = V^-1 b (B, n), ``output_modes`` = C V
    (B, o, n). ``defective`` marks patients whose basis is too ill-conditioned to use.
    """

    system: LinearSystem
    eigenvalues: FloatArray
    input_modes: FloatArray
    output_modes: FloatArray
    defective: NDArray[np.bool_]


def decompose(system: LinearSystem) -> Modes:
    """Diagonalise every patient's rate matrix at once."""
    values, vectors = np.linalg.eig(system.rate_matrix)
    lam = np.real(values)
    vec = np.real(vectors)
    scale = np.maximum(np.abs(lam), 1e-300)
    defective = np.any(np.abs(np.imag(values)) > 1e-9 * scale, axis=1)
    defective |= np.any(np.abs(np.imag(vectors)) > 1e-9, axis=(1, 2))
    if np.any(lam >= 0):
        raise ValueError("every compartment model must eliminate drug: found a non-negative eigenvalue")
    with np.errstate(all="ignore"):
        inverse = np.linalg.inv(vec)
    bad = ~np.all(np.isfinite(inverse), axis=(1, 2))
    inverse[bad] = 0.0
    defective |= bad | (np.max(np.abs(inverse), axis=(1, 2)) > _ILL_CONDITIONED)
    input_modes = inverse @ system.input_vector
    output_modes = system.output_matrix @ vec
    return Modes(system, lam, input_modes, output_modes, defective)


def _as_times(times: ArrayLike) -> FloatArray:
    values = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise ScheduleError("evaluation times must be a flat list of finite numbers of minutes")
    return values


def _uniform_step(times: FloatArray) -> float | None:
    if times.size < _GRID_MIN_POINTS:
        return None
    step = (times[-1] - times[0]) / (times.size - 1)
    if step <= 0:
        return None
    expected = times[0] + step * np.arange(times.size)
    if np.max(np.abs(times - expected)) > 1e-9 * max(step, abs(times[-1])):
        return None
    return float(step)


def mode_state(modes: Modes, schedule: Schedule, time_min: float) -> FloatArray:
    """Modal state z = V^-1 x (B, n) at ``time_min``, including any bolus given at exactly that time."""
    event_times, rates, doses = schedule.events()
    lam, bm = modes.eigenvalues, modes.input_modes
    z = np.zeros_like(lam)
    for j, start in enumerate(event_times):
        if start > time_min:
            break
        z = z + doses[j] * bm
        end = event_times[j + 1] if j + 1 < event_times.size else math.inf
        span = min(end, time_min) - start
        if span > 0:
            z = np.exp(lam * span) * z + rates[j] * bm * (np.expm1(lam * span) / lam)
    return z


def evaluate(
    modes: Modes, schedule: Schedule, times: ArrayLike, *, input_scale: FloatArray | None = None
) -> FloatArray:
    """Concentrations (B, o, m) in ng/mL at ``times`` (m,) for one schedule shared by the whole batch.

    ``input_scale`` (B,) multiplies every dose and rate per patient (e.g. the weight when the schedule is
    written per kg), which keeps a single shared schedule for mg/kg dosing.
    """
    t = _as_times(times)
    lam, bm, w = modes.eigenvalues, modes.input_modes, modes.output_modes
    if input_scale is not None:
        bm = bm * np.asarray(input_scale, dtype=np.float64)[:, None]
    batch, n_out = w.shape[0], w.shape[1]
    is_sorted = bool(np.all(t[1:] >= t[:-1]))
    order = np.arange(t.size) if is_sorted else np.argsort(t, kind="stable")
    sorted_t = t[order]
    # Grid intervals write whole (na x nb) blocks that may run past their end; the next interval overwrites
    # the overrun, and the spare room at the end absorbs the last one.
    spare = 2 * math.isqrt(t.size) + 2
    buffer = np.empty((batch, n_out, t.size + spare))
    event_times, rates, doses = schedule.events()
    first = int(np.searchsorted(sorted_t, event_times[0], side="left")) if event_times.size else t.size
    buffer[:, :, :first] = 0.0
    z = np.zeros_like(lam)
    for j, start in enumerate(event_times):
        end = event_times[j + 1] if j + 1 < event_times.size else math.inf
        z = z + doses[j] * bm
        lo, hi = (int(i) for i in np.searchsorted(sorted_t, [start, end], side="left"))
        if hi > lo:
            _interval_values(lam, bm, w, z, float(rates[j]), sorted_t[lo:hi] - start, buffer, lo)
        if math.isfinite(end):
            span = end - start
            z = np.exp(lam * span) * z + rates[j] * bm * (np.expm1(lam * span) / lam)
    out = buffer[:, :, : t.size]
    if not is_sorted:
        unsorted = np.empty_like(out)
        unsorted[:, :, order] = out
        out = unsorted
    if np.any(modes.defective):
        for patient in np.flatnonzero(modes.defective):
            scale = 1.0 if input_scale is None else float(input_scale[patient])
            out[patient] = reference_solve(
                modes.system.rate_matrix[patient],
                modes.system.input_vector * scale,
                modes.system.output_matrix[patient],
                schedule,
                t,
            )
    return out


def _interval_values(
    lam: FloatArray,
    bm: FloatArray,
    w: FloatArray,
    z: FloatArray,
    rate: float,
    delta: FloatArray,
    buffer: FloatArray,
    lo: int,
) -> None:
    """Write y(start + delta) for delta >= 0 inside one interval of constant ``rate`` into ``buffer[..., lo:]``."""
    count = delta.size
    step = _uniform_step(delta)
    if step is None:
        arg = lam[:, :, None] * delta[None, None, :]
        modal = np.exp(arg) * z[:, :, None]
        if rate != 0.0:
            modal += (rate * bm / lam)[:, :, None] * np.expm1(arg)
        buffer[:, :, lo : lo + count] = np.einsum("bon,bnm->bom", w, modal)
        return
    # Uniform grid: exp(lam*(d0 + (a*nb + c)*h)) = exp(lam*(d0 + a*nb*h)) * exp(lam*c*h), so the whole
    # interval is one batched (na x n) @ (n x nb) product; the constant (steady-state) term rides along as
    # an extra mode with eigenvalue zero.
    nb = math.isqrt(count - 1) + 1
    na = -(-count // nb)
    batch, n_out, n = w.shape
    steady = rate * bm / lam  # (B, n)
    left = np.empty((batch, n_out, na, n + 1))
    coarse = np.exp(lam[:, None, :] * (delta[0] + step * nb * np.arange(na))[None, :, None])  # (B, na, n)
    np.multiply((w * (z + steady)[:, None, :])[:, :, None, :], coarse[:, None, :, :], out=left[..., :n])
    left[..., n] = -np.einsum("bon,bn->bo", w, steady)[:, :, None]
    right = np.empty((batch, 1, n + 1, nb))
    right[:, 0, :n, :] = np.exp(lam[:, :, None] * (step * np.arange(nb))[None, None, :])
    right[:, 0, n, :] = 1.0
    target = buffer[:, :, lo : lo + na * nb].reshape(batch, n_out, na, nb)
    np.matmul(left, right, out=target)


def evaluate_padded(
    modes: Modes,
    starts: FloatArray,
    ends: FloatArray,
    rates: FloatArray,
    bolus_times: FloatArray,
    bolus_doses: FloatArray,
    times: FloatArray,
) -> FloatArray:
    """Concentrations (B, o, m) when every batch member has its own schedule and times.

    ``starts``/``ends``/``rates`` are (B, S) infusion segments (pad with rate 0), ``bolus_times``/``bolus_doses``
    (B, Q) (pad with dose 0), ``times`` (B, m). Plain superposition of closed-form segment responses, so the
    cost grows with S x m; meant for a few observations per session (Bayesian fitting, forecasts).
    """
    lam = modes.eigenvalues[:, :, None, None]  # (B, n, 1, 1)
    t = times[:, None, None, :]  # (B, 1, 1, m)
    after_start = np.maximum(t - starts[:, None, :, None], 0.0)
    after_end = np.maximum(t - ends[:, None, :, None], 0.0)
    response = np.exp(lam * after_end) * np.expm1(lam * (after_start - after_end)) / lam
    modal = np.einsum("bnsm,bs->bnm", response, rates)
    if bolus_times.shape[1]:
        since = t - bolus_times[:, None, :, None]
        kick = np.where(since >= 0, np.exp(lam * np.maximum(since, 0.0)), 0.0)
        modal += np.einsum("bnqm,bq->bnm", kick, bolus_doses)
    modal *= modes.input_modes[:, :, None]
    values = np.einsum("bon,bnm->bom", modes.output_modes, modal)
    for member in np.flatnonzero(modes.defective):
        schedule = Schedule(
            infusions=tuple(
                Infusion(float(s), float(e), float(r))
                for s, e, r in zip(starts[member], ends[member], rates[member], strict=True)
                if r > 0 and e > s
            ),
            boluses=tuple(
                Bolus(float(q), float(d))
                for q, d in zip(bolus_times[member], bolus_doses[member], strict=True)
                if d > 0
            ),
        )
        values[member] = reference_solve(
            modes.system.rate_matrix[member],
            modes.system.input_vector,
            modes.system.output_matrix[member],
            schedule,
            times[member],
        )
    return np.asarray(values)


def reference_solve(
    rate_matrix: FloatArray,
    input_vector: FloatArray,
    output_matrix: FloatArray,
    schedule: Schedule,
    times: Sequence[float] | FloatArray,
) -> FloatArray:
    """One patient, by the augmented matrix exponential expm([[K*dt, b*R*dt], [0, 0]]); (o, m).

    Slow but independent of the eigen-decomposition: used as the fallback and as the test reference.
    """
    t = _as_times(times)
    n = rate_matrix.shape[0]
    event_times, rates, doses = schedule.events()

    def step(x: FloatArray, span: float, rate: float) -> FloatArray:
        augmented = np.zeros((n + 1, n + 1))
        augmented[:n, :n] = rate_matrix * span
        augmented[:n, n] = input_vector * rate * span
        phi = scipy.linalg.expm(augmented)
        return np.asarray(phi[:n, :n] @ x + phi[:n, n])

    out = np.zeros((output_matrix.shape[0], t.size))
    for index, when in enumerate(t):
        x = np.zeros(n)
        for j, start in enumerate(event_times):
            if start > when:
                break
            x = x + doses[j] * input_vector
            end = event_times[j + 1] if j + 1 < event_times.size else math.inf
            x = step(x, min(end, when) - start, rates[j])
        out[:, index] = output_matrix @ x
    return out
