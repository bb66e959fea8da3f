"""Default protocols and PRN formulary: clinic configuration seeded on a fresh install (data migration) and by
the demo. Every figure cites its source; UNVERIFIED placeholders are marked and editable by the manager."""

from __future__ import annotations

from typing import Any

from ketaflow.domain import monitoring

ALERTS_SOURCE = {
    rule.rule_id: {
        "thresholds": [
            {"vital": c.vital.value, "comparison": c.comparison.value, "threshold": c.threshold}
            for c in rule.conditions
        ],
        "suggested_action": rule.suggested_action,
        "source": rule.source,
    }
    for rule in monitoring.DEFAULT_ALERT_RULES
}

PROTOCOLS: list[dict[str, Any]] = [
    {
        "slug": "iv-depression-standard",
        "name": "IV ketamine for depression, 0.5 mg/kg over 40 min",
        "pathway": "iv_ketamine_depression",
        "kind": "iv_dose",
        # Murrough 2013; Andrade 2017: 0.5 mg/kg over 40 min
        "mg_per_kg": 0.5,
        "infusion_minutes": 40,
        # Fava 2018 dose-finding arms 0.1-1.0 mg/kg
        "min_mg_per_kg": 0.1,
        "max_mg_per_kg": 1.0,
        # UNVERIFIED placeholder cap (no source gives one)
        "max_dose_mg": 100.0,
        "weight_basis": "actual",
        "default_concentration_mg_per_ml": 10.0,
        "default_bag_ml": 100.0,
        # Murrough 2013 (Biol Psychiatry): 6 infusions over 12 days; clinics: over 2-3 weeks
        "induction_sessions": 6,
        "induction_max_span_days": 21,
        "min_gap_days": 1,
        "series_text": "Induction 6 infusions within 3 weeks; then boosters as needed (prescriber decides).",
        # clinical.md §4: Emory/Yale every 10 min; clinic default every 15 min (configurable)
        "vitals_interval_min": 15,
        "recovery_vitals_interval_min": 15,
        "scales": ["moaas", "cadss6"],
        # UNVERIFIED placeholder: clinics discharge about 30-60 min after the end
        "min_recovery_minutes": 30,
        # UNVERIFIED placeholders: 6 h solids, 2 h clear liquids
        "fasting_solids_hours": 6.0,
        "fasting_liquids_hours": 2.0,
        "discharge_min_score": 9,
        "discharge_score_system": "aldrete",
        "sources": "Murrough 2013 (Am J Psychiatry; Biol Psychiatry); Andrade 2017 (J Clin Psychiatry); Fava 2018 "
        "(Mol Psychiatry); Sanacora 2017 APA consensus; alert thresholds: clinical.md §4; Aldrete 1995.",
    },
    {
        "slug": "iv-pain-crps-4h",
        "name": "IV ketamine for CRPS, 0.35 mg/kg/h over 4 h",
        "pathway": "iv_ketamine_pain",
        "kind": "iv_rate",
        # ASRA/AAPM/ASA 2018 (Cohen): 0.35 mg/kg/h over 4 h daily x 10 days for CRPS
        "mg_per_kg_per_h": 0.35,
        "infusion_minutes": 240,
        "min_mg_per_kg_per_h": 0.05,
        # ASRA-2018: up to 7 mg/kg/h reported (hard stop); the domain warns above 2
        "max_mg_per_kg_per_h": 7.0,
        "max_dose_mg": None,
        "weight_basis": "actual",
        "default_concentration_mg_per_ml": 10.0,
        "default_bag_ml": 250.0,
        "induction_sessions": 10,
        "induction_max_span_days": 14,
        "min_gap_days": 1,
        "series_text": "Daily on 10 weekdays (ASRA 2018 CRPS protocol); single-day protocols use 1 session.",
        "vitals_interval_min": 15,
        "recovery_vitals_interval_min": 15,
        "scales": ["moaas", "nrs"],
        "min_recovery_minutes": 30,
        "fasting_solids_hours": 6.0,
        "fasting_liquids_hours": 2.0,
        "discharge_min_score": 9,
        "discharge_score_system": "aldrete",
        "sources": "Cohen 2018 ASRA/AAPM/ASA consensus (Reg Anesth Pain Med 43:521); Pennsylvania low-dose "
        "ketamine guidance 2020; clinical.md §4; Aldrete 1995.",
    },
    {
        "slug": "esketamine-trd",
        "name": "Esketamine nasal spray (SPRAVATO) for TRD",
        "pathway": "esketamine_nasal",
        "kind": "esketamine",
        # SPRAVATO-PI: 28 mg devices; 56 or 84 mg
        "esketamine_doses_mg": [56, 84],
        "infusion_minutes": 15,
        # SPRAVATO-PI: induction twice weekly weeks 1-4 (8 sessions)
        "induction_sessions": 8,
        "induction_max_span_days": 28,
        "min_gap_days": 2,
        "series_text": "Twice weekly weeks 1-4; weekly weeks 5-8; then weekly or every 2 weeks (SPRAVATO PI).",
        "vitals_interval_min": 15,
        "recovery_vitals_interval_min": 15,
        "scales": ["moaas", "cadss6"],
        # SPRAVATO-PI §5.1/5.2, REMS PMF: at least 2 h observation
        "min_recovery_minutes": 120,
        # SPRAVATO-PI (secondary summaries): no food 2 h, no liquids 30 min
        "fasting_solids_hours": 2.0,
        "fasting_liquids_hours": 0.5,
        "discharge_min_score": 9,
        "discharge_score_system": "aldrete",
        "sources": "SPRAVATO US Prescribing Information; SPRAVATO REMS (REMS@FDA id 386) and Patient Monitoring "
        "Form 11/2021; clinical.md §3-4.",
    },
]

PRN_FORMULARY = [
    ("Ondansetron", "4 mg", "IV", "nausea or vomiting"),
    ("Clonidine", "0.1 mg", "PO", "hypertension"),
    ("Labetalol", "10 mg", "IV", "hypertension"),
    ("Midazolam", "1 mg", "IV", "emergence reaction or severe anxiety"),
]


def seed_protocols(protocol_model: Any, prn_model: Any) -> None:
    """Create the default protocols and PRN medicines if missing (never overwrites a manager's edits)."""
    for data in PROTOCOLS:
        defaults = {k: v for k, v in data.items() if k != "slug"}
        defaults["alert_thresholds"] = ALERTS_SOURCE
        protocol_model.objects.get_or_create(slug=data["slug"], defaults=defaults)
    for name, dose, route, indication in PRN_FORMULARY:
        prn_model.objects.get_or_create(
            name=name, defaults={"usual_dose": dose, "route": route, "indication": indication}
        )


def ensure_seeded() -> None:
    from ketaflow.treatment.models import PrnMedicine, Protocol

    seed_protocols(Protocol, PrnMedicine)
