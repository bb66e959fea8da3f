"""The contraindication rule table (data) and the findings it is evaluated against.

A rule row says: on this pathway, this finding is an absolute or relative contraindication, per this
source. ``DEFAULT_RULES`` follows clinical.md §1-3; a clinic (its medical director) can pass its own
table to :func:`ketaflow.domain.screening.assess`, or adjust this one with :func:`override_rules`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from .facts import CandidacyFacts, Pathway, Severity
from .interactions import THEOPHYLLINE, interaction_flags

DEPRESSION = Pathway.IV_KETAMINE_DEPRESSION
PAIN = Pathway.IV_KETAMINE_PAIN
ESKETAMINE = Pathway.ESKETAMINE_NASAL


@dataclass(frozen=True)
class ContraindicationRule:
    """One row of the rule table. ``finding`` is a key of :data:`FINDINGS`."""

    rule: str
    finding: str
    pathway: Pathway
    severity: Severity
    source: str
    description: str


def _both(condition: bool | None, control: bool | None) -> bool | None:
    """A condition that matters only when it is not controlled: None when undecidable."""
    if condition is False:
        return False
    if condition is None:
        return None
    if control is None:
        return None
    return not control


def _theophylline(facts: CandidacyFacts) -> bool | None:
    if facts.medications is None:
        return None
    return any(flag.drug_class == THEOPHYLLINE for flag in interaction_flags(facts.medications))


def _liver(level: str) -> Callable[[CandidacyFacts], bool | None]:
    def finding(facts: CandidacyFacts) -> bool | None:
        return None if facts.liver_disease is None else facts.liver_disease == level

    return finding


FINDINGS: Mapping[str, Callable[[CandidacyFacts], bool | None]] = {
    "pregnant": lambda f: f.pregnant,
    "breastfeeding": lambda f: f.breastfeeding,
    "uncontrolled_hypertension": lambda f: _both(f.hypertension, f.hypertension_controlled),
    "poorly_controlled_cardiovascular_disease": lambda f: _both(
        f.cardiovascular_disease, f.cardiovascular_disease_controlled
    ),
    "recent_mi_or_stroke": lambda f: f.recent_mi_or_stroke,
    "psychosis_history": lambda f: f.psychosis_history,
    "mania_history": lambda f: f.mania_history,
    "active_substance_use": lambda f: None if f.substance_use is None else f.substance_use == "active",
    "raised_intracranial_pressure": lambda f: f.raised_intracranial_pressure,
    "raised_intraocular_pressure": lambda f: f.raised_intraocular_pressure,
    "severe_liver_disease": _liver("severe"),
    "moderate_liver_disease": _liver("moderate"),
    "recent_seizures": lambda f: f.recent_seizures,
    "aneurysm_avm_or_intracerebral_haemorrhage": lambda f: f.aneurysm_avm_or_intracerebral_haemorrhage,
    "ketamine_hypersensitivity": lambda f: f.ketamine_hypersensitivity,
    "theophylline_use": _theophylline,
}

# Source strings (clinical.md source key).
_APA = "APA-2017 relative contraindications (UNVERIFIED as an APA list)"
_OXFORD = "Oxford Health NHS ketamine service limitations (2018)"
_ASRA = "ASRA-2018 via ASRA-2018-GC (relative, low certainty)"
_SPRAVATO = "SPRAVATO-PI contraindications"
_CLASS = "Ketaflow default: ketamine-class precaution applied to esketamine (configurable)"
_KETALAR = "KETALAR-PI"


def _row(
    rule: str, pathway: Pathway, severity: Severity, source: str, description: str
) -> ContraindicationRule:
    finding = {"pregnancy": "pregnant", "breastfeeding": "breastfeeding"}.get(rule, rule)
    return ContraindicationRule(rule, finding, pathway, severity, source, description)


DEFAULT_RULES: tuple[ContraindicationRule, ...] = (
    # IV racemic ketamine for depression (clinical.md §1.2).
    _row("uncontrolled_hypertension", DEPRESSION, "relative", f"{_APA}; {_OXFORD}", "Uncontrolled or severe hypertension"),
    _row("poorly_controlled_cardiovascular_disease", DEPRESSION, "relative", _APA, "Significant cardiovascular disease"),
    _row("recent_mi_or_stroke", DEPRESSION, "relative", f"{_APA} (significant cardiovascular disease)", "Recent myocardial infarction or stroke"),
    _row("psychosis_history", DEPRESSION, "relative", f"{_APA}; {_OXFORD}", "History of psychosis"),
    _row("mania_history", DEPRESSION, "relative", _OXFORD, "History of mania"),
    _row("active_substance_use", DEPRESSION, "relative", f"{_APA}; {_OXFORD}", "Current or recent substance use disorder"),
    _row("pregnancy", DEPRESSION, "relative", f"{_APA}; {_OXFORD}", "Pregnancy"),
    _row("breastfeeding", DEPRESSION, "relative", _OXFORD, "Breast-feeding"),
    _row("raised_intracranial_pressure", DEPRESSION, "relative", f"{_APA}; {_OXFORD}", "Raised intracranial pressure"),
    _row("raised_intraocular_pressure", DEPRESSION, "relative", _OXFORD, "Glaucoma or raised intraocular pressure"),
    _row("recent_seizures", DEPRESSION, "relative", _OXFORD, "Recent epilepsy or seizures"),
    _row("aneurysm_avm_or_intracerebral_haemorrhage", DEPRESSION, "relative", f"Ketaflow default by analogy with {_SPRAVATO} (configurable)", "Aneurysmal vascular disease, AVM or intracerebral haemorrhage"),
    _row("ketamine_hypersensitivity", DEPRESSION, "absolute", f"{_KETALAR} contraindications (not in clinical.md; verify)", "Known hypersensitivity to ketamine"),
    _row("theophylline_use", DEPRESSION, "relative", f"{_KETALAR} (clinical.md §9: do not co-administer)", "Takes theophylline or aminophylline"),
    # IV ketamine for chronic pain (clinical.md §2.2): every ASRA item is relative per the GC summary.
    _row("poorly_controlled_cardiovascular_disease", PAIN, "relative", f"{_ASRA}, grade B", "Poorly controlled cardiovascular disease"),
    _row("uncontrolled_hypertension", PAIN, "relative", f"{_ASRA}, grade B (poorly controlled cardiovascular disease)", "Uncontrolled hypertension"),
    _row("recent_mi_or_stroke", PAIN, "relative", f"{_ASRA}, grade B (poorly controlled cardiovascular disease)", "Recent myocardial infarction or stroke"),
    _row("psychosis_history", PAIN, "relative", f"{_ASRA}, grade B", "Psychosis (avoid in poorly controlled psychoses)"),
    _row("severe_liver_disease", PAIN, "relative", f"{_ASRA}, grade C", "Severe hepatic dysfunction: avoid"),
    _row("moderate_liver_disease", PAIN, "relative", f"{_ASRA}, grade C", "Moderate hepatic disease: use with care and monitor liver tests"),
    _row("raised_intracranial_pressure", PAIN, "relative", f"{_ASRA}, grade C", "Raised intracranial pressure"),
    _row("raised_intraocular_pressure", PAIN, "relative", f"{_ASRA}, grade C", "Raised intraocular pressure"),
    _row("active_substance_use", PAIN, "relative", f"{_ASRA}, grade C", "Active substance abuse: no serial infusions"),
    _row("pregnancy", PAIN, "relative", f"{_ASRA}, grade B", "Pregnancy"),
    _row("aneurysm_avm_or_intracerebral_haemorrhage", PAIN, "relative", f"Ketaflow default by analogy with {_SPRAVATO} (configurable)", "Aneurysmal vascular disease, AVM or intracerebral haemorrhage"),
    _row("ketamine_hypersensitivity", PAIN, "absolute", f"{_KETALAR} contraindications (not in clinical.md; verify)", "Known hypersensitivity to ketamine"),
    _row("theophylline_use", PAIN, "relative", f"{_KETALAR} (clinical.md §9: do not co-administer)", "Takes theophylline or aminophylline"),
    # Esketamine nasal spray (clinical.md §3.1-3.2).
    _row("aneurysm_avm_or_intracerebral_haemorrhage", ESKETAMINE, "absolute", _SPRAVATO, "Aneurysmal vascular disease, AVM or history of intracerebral haemorrhage"),
    _row("ketamine_hypersensitivity", ESKETAMINE, "absolute", _SPRAVATO, "Hypersensitivity to esketamine, ketamine or an excipient"),
    _row("uncontrolled_hypertension", ESKETAMINE, "relative", "SPRAVATO-PI (pre-dose BP > 140/90: weigh the risk)", "Uncontrolled hypertension"),
    _row("poorly_controlled_cardiovascular_disease", ESKETAMINE, "relative", "SPRAVATO-PI blood-pressure warning", "Poorly controlled cardiovascular disease"),
    _row("recent_mi_or_stroke", ESKETAMINE, "relative", "SPRAVATO-PI blood-pressure warning", "Recent myocardial infarction or stroke"),
    _row("pregnancy", ESKETAMINE, "relative", "SPRAVATO-PI §8.1 (not recommended in pregnancy; not in clinical.md)", "Pregnancy"),
    _row("breastfeeding", ESKETAMINE, "relative", "SPRAVATO-PI §8.2 (not recommended; not in clinical.md)", "Breast-feeding"),
    _row("psychosis_history", ESKETAMINE, "relative", _CLASS, "History of psychosis"),
    _row("mania_history", ESKETAMINE, "relative", _CLASS, "History of mania"),
    _row("active_substance_use", ESKETAMINE, "relative", "SPRAVATO-PI boxed warning (abuse and misuse)", "Current substance use disorder"),
    _row("raised_intracranial_pressure", ESKETAMINE, "relative", _CLASS, "Raised intracranial pressure"),
    _row("raised_intraocular_pressure", ESKETAMINE, "relative", _CLASS, "Glaucoma or raised intraocular pressure"),
    _row("theophylline_use", ESKETAMINE, "relative", f"{_CLASS}; {_KETALAR}", "Takes theophylline or aminophylline"),
)  # fmt: skip


def rules_for(
    pathway: Pathway, rules: Iterable[ContraindicationRule] = DEFAULT_RULES
) -> list[ContraindicationRule]:
    """The rows of ``rules`` that apply to ``pathway``, in table order."""
    return [rule for rule in rules if rule.pathway == pathway]


def override_rules(
    rules: Iterable[ContraindicationRule] = DEFAULT_RULES,
    *,
    severity: Mapping[tuple[str, Pathway], Severity] | None = None,
    remove: Iterable[tuple[str, Pathway]] = (),
    add: Iterable[ContraindicationRule] = (),
) -> tuple[ContraindicationRule, ...]:
    """A copy of ``rules`` with severities changed, rows removed and rows added (keys: (rule, pathway))."""
    severity = severity or {}
    removed = set(remove)
    changed = tuple(
        replace(rule, severity=severity.get((rule.rule, rule.pathway), rule.severity))
        for rule in rules
        if (rule.rule, rule.pathway) not in removed
    )
    return changed + tuple(add)
