"""Alert rules as data, evaluated over a time series of readings.

No single authoritative hold/stop table exists for IV ketamine or esketamine (clinical.md §4), so every
threshold here is a default a clinic's medical director confirms or changes; rules whose figure is not
published as a ketamine-specific rule are marked ``verified=False``.

A rule fires when any of its conditions is met. With ``sustained_min`` > 0 it fires only once readings
that meet it span at least that many minutes with no normal reading of the same vitals in between
("twice 5 min apart", "sustained for 5 min"). One alert is raised per episode; after a normal reading a
new episode can raise a new alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ketaflow.domain.monitoring.vitals import DEFAULT_PLAUSIBLE_RANGES, Vital, VitalSigns


class Comparison(StrEnum):
    ABOVE = ">"
    AT_OR_ABOVE = ">="
    BELOW = "<"
    AT_OR_BELOW = "<="

    @property
    def words(self) -> str:
        return {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}[self.value]


@dataclass(frozen=True)
class Condition:
    """``vital`` compared with ``threshold`` (in the vital's unit)."""

    vital: Vital
    comparison: Comparison
    threshold: float

    def met(self, reading: VitalSigns) -> bool | None:
        """True/False, or ``None`` when the reading does not include this vital."""
        value = reading.value(self.vital)
        if value is None:
            return None
        if self.comparison is Comparison.ABOVE:
            return value > self.threshold
        if self.comparison is Comparison.AT_OR_ABOVE:
            return value >= self.threshold
        if self.comparison is Comparison.BELOW:
            return value < self.threshold
        return value <= self.threshold

    def describe(self, reading: VitalSigns) -> str:
        """E.g. "Systolic BP 190 mmHg is above 180 mmHg"."""
        info = DEFAULT_PLAUSIBLE_RANGES[self.vital]
        value = reading.value(self.vital)
        return f"{info.label} {value:g}{info.unit} is {self.comparison.words} {self.threshold:g}{info.unit}"


class Severity(StrEnum):
    CAUTION = "caution"
    WARNING = "warning"
    CRITICAL = "critical"


class Action(StrEnum):
    RECHECK = "recheck"
    SLOW_INFUSION = "slow_infusion"
    PAUSE_INFUSION = "pause_infusion"
    STOP_INFUSION = "stop_infusion"
    NOTIFY_PRESCRIBER = "notify_prescriber"


@dataclass(frozen=True)
class ThresholdRule:
    """An alert rule: any of ``conditions``, held for ``sustained_min`` minutes, raises an alert."""

    rule_id: str
    conditions: tuple[Condition, ...]
    severity: Severity
    message: str
    suggested_action: str
    actions: tuple[Action, ...]
    source: str
    sustained_min: float = 0.0
    verified: bool = False

    def met(self, reading: VitalSigns) -> bool | None:
        """True if any condition is met, False if none is, ``None`` if the reading has none of the vitals."""
        results = [c.met(reading) for c in self.conditions]
        known = [r for r in results if r is not None]
        if not known:
            return None
        return any(known)


@dataclass(frozen=True)
class Alert:
    """An alert raised at ``raised_at`` by ``rule_id``, with the readings of the episode that raised it."""

    rule_id: str
    severity: Severity
    message: str
    suggested_action: str
    actions: tuple[Action, ...]
    triggering_readings: tuple[VitalSigns, ...]
    raised_at: datetime
    detail: str


def _bp(op: Comparison, sbp: float, dbp: float) -> tuple[Condition, ...]:
    return (Condition(Vital.SBP, op, sbp), Condition(Vital.DBP, op, dbp))


DEFAULT_ALERT_RULES: tuple[ThresholdRule, ...] = (
    ThresholdRule(
        rule_id="bp-very-high",
        # SDN-forum (one academic esketamine clinic, anecdotal): >200/120 once -> PRN antihypertensive
        conditions=_bp(Comparison.ABOVE, 200.0, 120.0),
        severity=Severity.CRITICAL,
        message="Blood pressure above 200/120 mmHg.",
        suggested_action="Pause the infusion, recheck BP now and notify the prescriber.",
        actions=(Action.PAUSE_INFUSION, Action.RECHECK, Action.NOTIFY_PRESCRIBER),
        source="Student Doctor Network thread on one academic esketamine clinic's protocol (anecdotal)",
    ),
    ThresholdRule(
        rule_id="bp-high-confirmed",
        # SDN-forum (anecdotal): >180/110 on 2 readings 5 min apart; Murrough 2013 withdrew at 180/115
        conditions=_bp(Comparison.ABOVE, 180.0, 110.0),
        sustained_min=5.0,
        severity=Severity.WARNING,
        message="Blood pressure above 180/110 mmHg on two readings at least 5 minutes apart.",
        suggested_action="Slow or pause the infusion and notify the prescriber (antihypertensive protocol).",
        actions=(Action.SLOW_INFUSION, Action.PAUSE_INFUSION, Action.NOTIFY_PRESCRIBER),
        source="Student Doctor Network thread (anecdotal); Murrough 2013 Biol Psychiatry (withdrawal at 180/115)",
    ),
    ThresholdRule(
        rule_id="hr-high-sustained",
        # SDN-forum (anecdotal): HR sustained >120/min for 5 min -> PRN beta-blocker
        conditions=(Condition(Vital.HR, Comparison.ABOVE, 120.0),),
        sustained_min=5.0,
        severity=Severity.WARNING,
        message="Heart rate above 120/min for at least 5 minutes.",
        suggested_action="Slow the infusion and notify the prescriber.",
        actions=(Action.SLOW_INFUSION, Action.NOTIFY_PRESCRIBER),
        source="Student Doctor Network thread on one academic esketamine clinic's protocol (anecdotal)",
    ),
    ThresholdRule(
        rule_id="spo2-low",
        # Modified Aldrete: SpO2 > 92% on room air scores 2; as a hold threshold UNVERIFIED (clinical.md §4)
        conditions=(Condition(Vital.SPO2, Comparison.BELOW, 92.0),),
        severity=Severity.WARNING,
        message="SpO2 below 92%.",
        suggested_action="Rouse the patient and encourage deep breaths; pause the infusion if it does not "
        "recover and notify the prescriber.",
        actions=(Action.RECHECK, Action.PAUSE_INFUSION, Action.NOTIFY_PRESCRIBER),
        source="Modified Aldrete score (Aldrete 1995) oxygen item; use as a hold threshold is unverified",
    ),
    ThresholdRule(
        rule_id="sedation-deep",
        # MOAA/S (Chernik 1990): 2 = responds only to prodding or shaking; threshold a clinic choice
        conditions=(Condition(Vital.MOAAS, Comparison.AT_OR_BELOW, 2.0),),
        severity=Severity.CRITICAL,
        message="Deep sedation: MOAA/S 2 or less (responds only to touch or pain, or not at all).",
        suggested_action="Stop the infusion, support the airway and notify the prescriber.",
        actions=(Action.STOP_INFUSION, Action.NOTIFY_PRESCRIBER),
        source="MOAA/S scale (Chernik 1990); the cut-off of 2 is a clinic choice, unverified",
    ),
    ThresholdRule(
        rule_id="rr-abnormal",
        # Mo 2020 West J Emerg Med (ED ketamine protocol): RR < 10 or > 30 counts as unstable vital signs
        conditions=(Condition(Vital.RR, Comparison.BELOW, 10.0), Condition(Vital.RR, Comparison.ABOVE, 30.0)),
        severity=Severity.WARNING,
        message="Respiratory rate below 10 or above 30 per minute.",
        suggested_action="Assess breathing, pause the infusion and notify the prescriber.",
        actions=(Action.RECHECK, Action.PAUSE_INFUSION, Action.NOTIFY_PRESCRIBER),
        source="Mo H et al., West J Emerg Med 2020 (emergency-department protocol; use during infusion unverified)",
    ),
)


def _detail(rule: ThresholdRule, readings: Sequence[VitalSigns]) -> str:
    parts = []
    for reading in readings:
        for condition in rule.conditions:
            if condition.met(reading):
                parts.append(f"{condition.describe(reading)} at {reading.taken_at:%H:%M %Z}".rstrip())
    return "; ".join(parts)


def evaluate_alerts(
    readings: Sequence[VitalSigns], rules: Sequence[ThresholdRule] = DEFAULT_ALERT_RULES
) -> tuple[Alert, ...]:
    """All alerts raised by ``rules`` over ``readings`` (any order), sorted by time raised.

    Readings without any vital a rule looks at neither extend nor end that rule's episode. Readings are
    expected to have passed ``validate_vital_signs`` before they were stored.
    """
    ordered = sorted(readings, key=lambda r: r.taken_at)
    alerts: list[Alert] = []
    for rule in rules:
        episode: list[VitalSigns] = []
        fired = False
        sustained = timedelta(minutes=rule.sustained_min)
        for reading in ordered:
            met = rule.met(reading)
            if met is None:
                continue
            if not met:
                episode, fired = [], False
                continue
            episode.append(reading)
            long_enough = len(episode) >= 2 and episode[-1].taken_at - episode[0].taken_at >= sustained
            if not fired and (rule.sustained_min <= 0 or long_enough):
                fired = True
                alerts.append(
                    Alert(
                        rule_id=rule.rule_id,
                        severity=rule.severity,
                        message=rule.message,
                        suggested_action=rule.suggested_action,
                        actions=rule.actions,
                        triggering_readings=tuple(episode),
                        raised_at=reading.taken_at,
                        detail=_detail(rule, episode),
                    )
                )
    return tuple(sorted(alerts, key=lambda a: a.raised_at))
