"""When the next set of vital signs is due, and whether it is overdue."""

import pytest

from ketaflow.domain.monitoring import (
    DEFAULT_RECORDING_SCHEDULE,
    Phase,
    RecordingSchedule,
    esketamine_bp_checkpoints,
    next_vitals_due,
    vitals_due_status,
)
from ketaflow.domain.monitoring.tests.helpers import at, reading


@pytest.mark.parametrize(
    ("phase", "phase_start", "last", "expected_due"),
    [
        (Phase.PRE_INFUSION, 0, None, 0),  # baseline due on arrival
        (Phase.PRE_INFUSION, 0, 3, None),  # baseline done: nothing more until the infusion starts
        (Phase.INFUSION, 10, 3, 10),  # a reading is due when the infusion starts
        (Phase.INFUSION, 10, 10, 20),  # then every 10 min
        (Phase.INFUSION, 10, 27, 37),
        (Phase.RECOVERY, 50, 45, 50),  # one at the end of the infusion
        (Phase.RECOVERY, 50, 50, 65),  # then every 15 min
    ],
)
def test_next_vitals_due(
    phase: Phase, phase_start: float, last: float | None, expected_due: float | None
) -> None:
    due = next_vitals_due(
        phase=phase, phase_started_at=at(phase_start), last_reading_at=None if last is None else at(last)
    )
    assert due == (None if expected_due is None else at(expected_due))


@pytest.mark.parametrize(
    ("now", "overdue"), [(19, False), (20, False), (22, False), (22.5, True), (30, True)]
)
def test_overdue_after_the_grace_period(now: float, overdue: bool) -> None:
    status = vitals_due_status(
        phase=Phase.INFUSION, phase_started_at=at(10), last_reading_at=at(10), now=at(now)
    )
    assert status.due_at == at(20)
    assert status.overdue is overdue


def test_schedule_is_configurable() -> None:
    schedule = RecordingSchedule(infusion_interval_min=5.0, recovery_interval_min=10.0, grace_min=1.0)
    assert next_vitals_due(
        phase=Phase.INFUSION, phase_started_at=at(0), last_reading_at=at(0), schedule=schedule
    ) == at(5)
    assert DEFAULT_RECORDING_SCHEDULE.infusion_interval_min == 10.0


def test_esketamine_bp_checkpoints_pre_dose_40_min_and_before_discharge() -> None:
    readings = [
        reading(-5, sbp_mmhg=130, dbp_mmhg=80),
        reading(41, sbp_mmhg=150, dbp_mmhg=90),
        reading(118, sbp_mmhg=128, dbp_mmhg=80),
    ]
    status = esketamine_bp_checkpoints(first_device_at=at(0), readings=readings)
    assert status.missing == ()
    assert status.pre_dose == readings[0]
    assert status.at_40_min == readings[1]
    assert status.before_discharge == readings[2]


def test_missing_esketamine_bp_checkpoints_are_named() -> None:
    status = esketamine_bp_checkpoints(
        first_device_at=at(0), readings=[reading(20, sbp_mmhg=130, dbp_mmhg=80)]
    )
    assert status.missing == ("pre-dose", "40 min", "before discharge")
