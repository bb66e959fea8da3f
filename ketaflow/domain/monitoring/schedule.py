"""When vital signs are next due, and the three esketamine BP checkpoints.

Defaults: every 10 min during an IV infusion (Yale and Emory services, clinical.md §4) and every 15 min
in recovery (Emory). A reading is also due on arrival (baseline), when the infusion starts and when it
ends. The 2-minute grace before "overdue" is an UNVERIFIED default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketaflow.domain.monitoring.vitals import VitalSigns


class Phase(StrEnum):
    PRE_INFUSION = "pre_infusion"
    INFUSION = "infusion"
    RECOVERY = "recovery"


@dataclass(frozen=True)
class RecordingSchedule:
    """Recording intervals in minutes; configurable per clinic and protocol."""

    # Yale-BP-2024 and Riva-Posse-2018 (Emory): BP every 10 min during the infusion
    infusion_interval_min: float = 10.0
    # Riva-Posse-2018 (Emory): every 15 min after the infusion
    recovery_interval_min: float = 15.0
    # UNVERIFIED: minutes of slack before a reading counts as overdue
    grace_min: float = 2.0


DEFAULT_RECORDING_SCHEDULE = RecordingSchedule()


@dataclass(frozen=True)
class VitalsDue:
    """``due_at`` is ``None`` when nothing is due (baseline taken, infusion not started)."""

    due_at: datetime | None
    overdue: bool
    minutes_overdue: float


def next_vitals_due(
    *,
    phase: Phase,
    phase_started_at: datetime,
    last_reading_at: datetime | None,
    schedule: RecordingSchedule = DEFAULT_RECORDING_SCHEDULE,
) -> datetime | None:
    """When the next set of vitals is due in ``phase`` (which began at ``phase_started_at``).

    A reading is due at the start of each phase if none was taken since; then every interval (min)
    after the last reading. Before the infusion only the baseline is due.
    """
    if last_reading_at is None or last_reading_at < phase_started_at:
        return phase_started_at
    if phase is Phase.PRE_INFUSION:
        return None
    interval = schedule.infusion_interval_min if phase is Phase.INFUSION else schedule.recovery_interval_min
    return last_reading_at + timedelta(minutes=interval)


def vitals_due_status(
    *,
    phase: Phase,
    phase_started_at: datetime,
    last_reading_at: datetime | None,
    now: datetime,
    schedule: RecordingSchedule = DEFAULT_RECORDING_SCHEDULE,
) -> VitalsDue:
    """Next due time and whether it is overdue at ``now`` (more than ``grace_min`` minutes late)."""
    due = next_vitals_due(
        phase=phase, phase_started_at=phase_started_at, last_reading_at=last_reading_at, schedule=schedule
    )
    if due is None:
        return VitalsDue(due_at=None, overdue=False, minutes_overdue=0.0)
    late_min = (now - due).total_seconds() / 60.0
    return VitalsDue(due_at=due, overdue=late_min > schedule.grace_min, minutes_overdue=max(late_min, 0.0))


# SPRAVATO-PI / REMS Patient Monitoring Form: BP before dosing, about 40 min after, and before the end
# of the session. The windows below are UNVERIFIED defaults.
ESKETAMINE_BP_CHECK_MIN = 40.0
ESKETAMINE_BP_WINDOW_MIN = 10.0  # the "40 min" reading may be taken 30-50 min after the first device
ESKETAMINE_PRE_DOSE_WINDOW_MIN = 60.0  # a pre-dose reading is at most 60 min old at the first device
ESKETAMINE_BEFORE_DISCHARGE_FROM_MIN = 90.0  # a "before discharge" reading is taken 90 min or later


@dataclass(frozen=True)
class EsketamineBpCheckpoints:
    pre_dose: VitalSigns | None
    at_40_min: VitalSigns | None
    before_discharge: VitalSigns | None

    @property
    def missing(self) -> tuple[str, ...]:
        names = (
            ("pre-dose", self.pre_dose),
            ("40 min", self.at_40_min),
            ("before discharge", self.before_discharge),
        )
        return tuple(name for name, found in names if found is None)


def esketamine_bp_checkpoints(
    *, first_device_at: datetime, readings: Sequence[VitalSigns]
) -> EsketamineBpCheckpoints:
    """Find the BP readings (SBP and DBP both present) for the three esketamine checkpoints."""
    with_bp = sorted(
        (r for r in readings if r.sbp_mmhg is not None and r.dbp_mmhg is not None), key=lambda r: r.taken_at
    )

    def minutes(r: VitalSigns) -> float:
        return (r.taken_at - first_device_at).total_seconds() / 60.0

    pre = [r for r in with_bp if -ESKETAMINE_PRE_DOSE_WINDOW_MIN <= minutes(r) <= 0]
    forty = [r for r in with_bp if abs(minutes(r) - ESKETAMINE_BP_CHECK_MIN) <= ESKETAMINE_BP_WINDOW_MIN]
    late = [r for r in with_bp if minutes(r) >= ESKETAMINE_BEFORE_DISCHARGE_FROM_MIN]
    return EsketamineBpCheckpoints(
        pre_dose=pre[-1] if pre else None,
        at_40_min=min(forty, key=lambda r: abs(minutes(r) - ESKETAMINE_BP_CHECK_MIN)) if forty else None,
        before_discharge=late[-1] if late else None,
    )
