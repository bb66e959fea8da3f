"""Small builders shared by the monitoring tests."""

from datetime import UTC, datetime, timedelta

from ketaflow.domain.monitoring import VitalSigns

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def reading(minutes: float, **values: float) -> VitalSigns:
    return VitalSigns(taken_at=at(minutes), **values)  # type: ignore[arg-type]


NORMAL = {"sbp_mmhg": 128.0, "dbp_mmhg": 78.0, "hr_per_min": 76.0, "spo2_pct": 98.0, "rr_per_min": 14.0}
