"""Protocol rows → the domain packages' frozen specs (dosing, checklist, alert rules, discharge criteria)."""

from __future__ import annotations

from dataclasses import replace

from ketaflow.domain import dosing, monitoring
from ketaflow.domain.monitoring import Vital
from ketaflow.treatment.models import Protocol


def iv_dose_protocol(protocol: Protocol) -> dosing.IvDoseProtocol:
    base = dosing.IV_DEPRESSION_DEFAULT
    return replace(
        base,
        name=protocol.name,
        mg_per_kg=protocol.mg_per_kg or base.mg_per_kg,
        minutes=float(protocol.infusion_minutes),
        min_mg_per_kg=protocol.min_mg_per_kg if protocol.min_mg_per_kg is not None else base.min_mg_per_kg,
        max_mg_per_kg=protocol.max_mg_per_kg if protocol.max_mg_per_kg is not None else base.max_mg_per_kg,
        max_dose_mg=protocol.max_dose_mg if protocol.max_dose_mg is not None else base.max_dose_mg,
        weight_basis=dosing.WeightBasis(protocol.weight_basis),
    )


def iv_rate_protocol(protocol: Protocol) -> dosing.IvRateProtocol:
    base = dosing.IV_PAIN_DEFAULT
    return replace(
        base,
        name=protocol.name,
        mg_per_kg_per_h=protocol.mg_per_kg_per_h or base.mg_per_kg_per_h,
        hours=protocol.infusion_minutes / 60.0,
        min_mg_per_kg_per_h=protocol.min_mg_per_kg_per_h or base.min_mg_per_kg_per_h,
        max_mg_per_kg_per_h=protocol.max_mg_per_kg_per_h or base.max_mg_per_kg_per_h,
        max_dose_mg=protocol.max_dose_mg,
        weight_basis=dosing.WeightBasis(protocol.weight_basis),
    )


def checklist_protocol(protocol: Protocol) -> monitoring.ChecklistProtocol:
    base = {
        Protocol.Kind.IV_DOSE: monitoring.IV_DEPRESSION_CHECKLIST,
        Protocol.Kind.IV_RATE: monitoring.IV_PAIN_CHECKLIST,
        Protocol.Kind.ESKETAMINE: monitoring.ESKETAMINE_CHECKLIST,
    }[Protocol.Kind(protocol.kind)]
    fasting = replace(
        base.fasting,
        solids_hours=protocol.fasting_solids_hours,
        clear_liquids_hours=protocol.fasting_liquids_hours,
    )
    return replace(base, name=protocol.name, fasting=fasting)


def alert_rules(protocol: Protocol) -> tuple[monitoring.ThresholdRule, ...]:
    """Default rules with the protocol's thresholds (a rule set to ``{"enabled": false}`` is dropped)."""
    rules = []
    configured = protocol.alert_thresholds or {}
    for rule in monitoring.DEFAULT_ALERT_RULES:
        config = configured.get(rule.rule_id, {})
        if config.get("enabled", True) is False:
            continue
        thresholds = config.get("thresholds", [])
        if isinstance(thresholds, dict):  # {vital: threshold}, for rules with one condition per vital
            thresholds = [{"threshold": thresholds.get(c.vital.value, c.threshold)} for c in rule.conditions]
        conditions = tuple(
            replace(c, threshold=float(thresholds[i].get("threshold", c.threshold)))
            if i < len(thresholds)
            else c
            for i, c in enumerate(rule.conditions)
        )
        rules.append(replace(rule, conditions=conditions))
    return tuple(rules)


def discharge_criteria(protocol: Protocol) -> monitoring.DischargeCriteria:
    system = (
        monitoring.RecoveryScoreSystem.PADSS
        if protocol.discharge_score_system == "padss"
        else monitoring.RecoveryScoreSystem.MODIFIED_ALDRETE
    )
    return replace(
        monitoring.DEFAULT_DISCHARGE_CRITERIA,
        score_system=system,
        min_score=protocol.discharge_min_score,
        min_minutes_after_infusion_end=float(protocol.min_recovery_minutes),
        min_minutes_after_esketamine=float(max(120, protocol.min_recovery_minutes)),
    )


def recording_schedule(protocol: Protocol) -> monitoring.RecordingSchedule:
    return replace(
        monitoring.DEFAULT_RECORDING_SCHEDULE,
        infusion_interval_min=float(protocol.vitals_interval_min),
        recovery_interval_min=float(protocol.recovery_vitals_interval_min),
    )


VITAL_FIELDS = [v.value for v in Vital]
