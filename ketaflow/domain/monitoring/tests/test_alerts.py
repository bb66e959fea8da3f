"""Alert rules from clinical.md §4, evaluated over a time series of readings (table-driven)."""

import pytest

from ketaflow.domain.monitoring import (
    DEFAULT_ALERT_RULES,
    Action,
    Comparison,
    Condition,
    Severity,
    ThresholdRule,
    Vital,
    VitalSigns,
    evaluate_alerts,
)
from ketaflow.domain.monitoring.tests.helpers import NORMAL, reading


def series(*points: tuple[float, dict[str, float]]) -> list[VitalSigns]:
    return [reading(minutes, **{**NORMAL, **values}) for minutes, values in points]


CASES = [
    # (case name, readings, rule ids expected)
    ("all normal", series((0, {}), (10, {}), (20, {})), []),
    ("SBP 185 once only", series((0, {"sbp_mmhg": 185}), (10, {})), []),
    (
        "SBP 185 twice 5 min apart",
        series((0, {"sbp_mmhg": 185}), (5, {"sbp_mmhg": 188})),
        ["bp-high-confirmed"],
    ),
    (
        "DBP 112 twice 6 min apart",
        series((0, {"dbp_mmhg": 112}), (6, {"dbp_mmhg": 114})),
        ["bp-high-confirmed"],
    ),
    (
        "SBP high twice 3 min apart is not yet confirmed",
        series((0, {"sbp_mmhg": 185}), (3, {"sbp_mmhg": 185})),
        [],
    ),
    (
        "a normal reading in between breaks the run",
        series((0, {"sbp_mmhg": 185}), (3, {}), (6, {"sbp_mmhg": 185})),
        [],
    ),
    ("SBP exactly 180 is not above 180", series((0, {"sbp_mmhg": 180}), (5, {"sbp_mmhg": 180})), []),
    ("SBP 205 once", series((0, {"sbp_mmhg": 205})), ["bp-very-high"]),
    ("DBP 125 once", series((0, {"dbp_mmhg": 125})), ["bp-very-high"]),
    (
        "SBP 205 twice 5 min apart raises both rules",
        series((0, {"sbp_mmhg": 205}), (5, {"sbp_mmhg": 205})),
        ["bp-very-high", "bp-high-confirmed"],
    ),
    (
        "HR 125 for 5 min",
        series((0, {"hr_per_min": 125}), (2, {"hr_per_min": 130}), (5, {"hr_per_min": 126})),
        ["hr-high-sustained"],
    ),
    ("HR 125 for 4 min", series((0, {"hr_per_min": 125}), (4, {"hr_per_min": 130}), (6, {})), []),
    ("SpO2 91", series((0, {"spo2_pct": 91})), ["spo2-low"]),
    ("SpO2 92 is not below 92", series((0, {"spo2_pct": 92})), []),
    ("MOAA/S 2", series((0, {"moaas": 2})), ["sedation-deep"]),
    ("MOAA/S 3", series((0, {"moaas": 3})), []),
    ("RR 8", series((0, {"rr_per_min": 8})), ["rr-abnormal"]),
    ("RR 32", series((0, {"rr_per_min": 32})), ["rr-abnormal"]),
]


@pytest.mark.parametrize(("name", "readings", "expected"), CASES, ids=[c[0] for c in CASES])
def test_default_rules(name: str, readings: list[VitalSigns], expected: list[str]) -> None:
    alerts = evaluate_alerts(readings)
    assert sorted(a.rule_id for a in alerts) == sorted(expected)


def test_alert_carries_rule_details_and_triggering_readings() -> None:
    readings = series((0, {"sbp_mmhg": 185}), (5, {"sbp_mmhg": 190}))
    (alert,) = evaluate_alerts(readings)
    assert alert.severity is Severity.WARNING
    assert Action.NOTIFY_PRESCRIBER in alert.actions
    assert alert.suggested_action
    assert alert.triggering_readings == tuple(readings)
    assert alert.raised_at == readings[1].taken_at
    assert "190" in alert.detail


def test_readings_are_sorted_and_readings_without_the_vital_are_skipped() -> None:
    readings = [
        reading(5, sbp_mmhg=190, dbp_mmhg=90),
        reading(2, spo2_pct=97),  # no BP: neither confirms nor breaks the run
        reading(0, sbp_mmhg=185, dbp_mmhg=90),
    ]
    assert [a.rule_id for a in evaluate_alerts(readings)] == ["bp-high-confirmed"]


def test_one_alert_per_episode_and_a_new_one_after_recovery() -> None:
    readings = series((0, {"spo2_pct": 90}), (1, {"spo2_pct": 89}), (2, {}), (3, {"spo2_pct": 90}))
    alerts = evaluate_alerts(readings)
    assert [a.raised_at for a in alerts] == [readings[0].taken_at, readings[3].taken_at]


def test_every_default_rule_cites_a_source() -> None:
    assert len({rule.rule_id for rule in DEFAULT_ALERT_RULES}) == len(DEFAULT_ALERT_RULES)
    for rule in DEFAULT_ALERT_RULES:
        assert rule.source
        assert rule.suggested_action


def test_a_clinic_can_define_its_own_rule() -> None:
    rule = ThresholdRule(
        rule_id="etco2-high",
        conditions=(Condition(Vital.ETCO2, Comparison.ABOVE, 50.0),),
        severity=Severity.WARNING,
        message="EtCO2 above 50 mmHg.",
        suggested_action="Assess breathing.",
        actions=(Action.RECHECK,),
        source="Clinic policy",
    )
    alerts = evaluate_alerts([reading(0, etco2_mmhg=55.0)], rules=(rule,))
    assert [a.rule_id for a in alerts] == ["etco2-high"]
