"""Response, remission and relapse definitions per instrument, as data with their sources.

Every threshold here is a default that a clinic's medical director may change (clinical.md, preamble): build a
variant with ``dataclasses.replace``, e.g. ``replace(DEFAULT_RULES["madrs"], remission_at_most=12.0)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """Where a definition comes from. ``verified`` is False for placeholders the literature does not settle."""

    key: str
    citation: str
    url: str = ""
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class RelapseRule:
    """When a patient who improved has lost that improvement.

    A scored measure *counts towards relapse* once the patient has reached ``after_percent`` improvement in the
    course and this measure no longer does, and either at least ``lost_fraction`` of the best improvement is gone
    or the score is at least ``score_at_least``. Relapse is ``consecutive`` counting measures in a row (missed
    measures are skipped, a measure that meets ``after_percent`` again resets the run).
    """

    after_percent: float = 50.0
    lost_fraction: float | None = 0.5
    score_at_least: float | None = None
    consecutive: int = 2


@dataclass(frozen=True)
class BoosterRule:
    """Suggest a booster when the least-squares slope of the last ``window`` scores since response worsens by at
    least ``min_worsening_per_week`` points a week and the line, ``horizon_days`` after the latest score, would
    count towards relapse."""

    window: int = 3
    min_worsening_per_week: float = 1.0
    horizon_days: int = 14


@dataclass(frozen=True)
class ScaleRule:
    """How one instrument's total is read for outcomes. Lower scores are better on every scale here.

    ``response_percent``: improvement from baseline that counts as response; ``partial_percent``: a lesser
    improvement worth naming (pain: IMMPACT moderate); ``remission_at_most``: score at or under which the patient
    is in remission (None: no remission concept); ``min_baseline``: baselines below this cannot show a change;
    ``baseline_window_days``: how long before the course start a score may serve as baseline.
    """

    instrument_id: str
    label: str
    response_percent: float
    remission_at_most: float | None
    relapse: RelapseRule
    booster: BoosterRule
    sources: tuple[Source, ...]
    partial_percent: float | None = None
    min_baseline: float = 1.0
    baseline_window_days: int = 14


KROENKE_2001 = Source(
    "Kroenke-2001",
    "Kroenke K, Spitzer RL, Williams JB. The PHQ-9. J Gen Intern Med 2001;16(9):606-613",
    "https://github.com/awell-health/awell-score",
    note="0–4 minimal band; remission as PHQ-9 < 5 follows that band.",
)
RESPONSE_50 = Source(
    "Response-50",
    "Response as a ≥50% fall from baseline (MADRS in ketamine trials; PHQ-9 in clinic cohorts)",
    "https://ouci.dntb.gov.ua/en/?backlinks_to=10.1097%2Fjcp.0000000000001132",
    note="clinical.md §5.1, response/remission vocabulary.",
)
MURROUGH_2013 = Source(
    "Murrough-BP-2013",
    "Murrough JW et al. Rapid and longer-term antidepressant effects of repeated ketamine infusions in TRD. "
    "Biol Psychiatry 2013;74(4):250-256",
    "https://research.rug.nl/nl/publications/rapid-and-longer-term-antidepressant-effects-of-repeated-ketamine",
    verified=False,
    note="Relapse = loss of response after the series; the exact operational definition is not confirmed, so "
    "half-of-gain-lost, the PHQ-9 ≥ 10 floor and two consecutive measures are Ketaflow defaults.",
)
HAWLEY_2002 = Source(
    "Hawley-2002",
    "Hawley CJ et al. Defining remission by cut off score on the MADRS. J Affect Disord 2002",
    "https://pubmed.ncbi.nlm.nih.gov/12200208/",
    note="Optimal cut-offs < 9 / < 10; ≤ 12 is used in meta-analyses; ≤ 10 is the default here (configurable).",
)
MADRS_BANDS = Source(
    "MADRS-bands",
    "Montgomery SA, Åsberg M. Br J Psychiatry 1979; Snaith cut-points (secondary source)",
    "https://th4.ilovetranslation.com/J7JCavJZW9A=d",
    verified=False,
)
RUSH_2003 = Source(
    "Rush-2003",
    "Rush AJ et al. The 16-item QIDS. Biol Psychiatry 2003;54:573-583",
    "http://ids-qids.org/interpretation.html",
    note="Remission ≤ 5 as used in STAR*D.",
)
SPITZER_2006 = Source(
    "Spitzer-2006",
    "Spitzer RL et al. A brief measure for assessing GAD: the GAD-7. Arch Intern Med 2006;166(10):1092-1097",
    verified=False,
    note="Bands only (0–4 minimal); using < 5 as remission and ≥ 50% as response is a Ketaflow default.",
)
IMMPACT_BPI = Source(
    "BPI",
    "Cleeland CS, Brief Pain Inventory User Guide (MD Anderson, 2009); IMMPACT change thresholds",
    "https://studyres.com/doc/1712721/bpi-user-guide---md-anderson-cancer-center",
    note="≥ 30% reduction = moderate (clinically important), ≥ 50% = substantial improvement.",
)
KREBS_2009 = Source(
    "Krebs-2009",
    "Krebs EE et al. Development and initial validation of the PEG. J Gen Intern Med 2009;24(6):733-8",
    "https://link.springer.com/article/10.1007/s11606-009-0981-1",
)

MADRS_REMISSION_DEFAULT = 10.0  # clinical.md §5.1: default ≤ 10 (Hawley-2002), configurable
MADRS_REMISSION_ALTERNATIVE = 12.0  # clinical.md §5.1: ≤ 12 meta-analysis definition

_DEPRESSION_RELAPSE = RelapseRule(after_percent=50.0, lost_fraction=0.5)  # Murrough-BP-2013 (see note)
_PAIN_RELAPSE = RelapseRule(after_percent=30.0, lost_fraction=0.5)  # loss of an IMMPACT moderate gain (BPI)

DEFAULT_RULES: dict[str, ScaleRule] = {
    "phq9": ScaleRule(
        instrument_id="phq9",
        label="PHQ-9",
        response_percent=50.0,  # RESPONSE_50
        remission_at_most=4.0,  # PHQ-9 < 5 (Kroenke-2001 minimal band)
        relapse=RelapseRule(after_percent=50.0, lost_fraction=0.5, score_at_least=10.0),  # ≥ 10: Kroenke-2001
        booster=BoosterRule(window=3, min_worsening_per_week=1.0, horizon_days=14),
        sources=(RESPONSE_50, KROENKE_2001, MURROUGH_2013),
    ),
    "madrs": ScaleRule(
        instrument_id="madrs",
        label="MADRS",
        response_percent=50.0,  # RESPONSE_50
        remission_at_most=MADRS_REMISSION_DEFAULT,  # HAWLEY_2002
        relapse=_DEPRESSION_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=2.0, horizon_days=14),
        sources=(RESPONSE_50, HAWLEY_2002, MADRS_BANDS, MURROUGH_2013),
    ),
    "qids_sr16": ScaleRule(
        instrument_id="qids_sr16",
        label="QIDS-SR16",
        response_percent=50.0,  # RESPONSE_50
        remission_at_most=5.0,  # RUSH_2003 (STAR*D)
        relapse=_DEPRESSION_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=1.0, horizon_days=14),
        sources=(RESPONSE_50, RUSH_2003, MURROUGH_2013),
    ),
    "gad7": ScaleRule(
        instrument_id="gad7",
        label="GAD-7",
        response_percent=50.0,  # Ketaflow default (SPITZER_2006 note)
        remission_at_most=4.0,  # GAD-7 < 5, minimal band (SPITZER_2006)
        relapse=_DEPRESSION_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=1.0, horizon_days=14),
        sources=(SPITZER_2006,),
    ),
    "nrs": ScaleRule(
        instrument_id="nrs",
        label="NRS pain",
        response_percent=50.0,  # IMMPACT substantial (BPI)
        partial_percent=30.0,  # IMMPACT moderate (BPI)
        remission_at_most=None,
        relapse=_PAIN_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=0.5, horizon_days=14),
        sources=(IMMPACT_BPI,),
    ),
    "peg3": ScaleRule(
        instrument_id="peg3",
        label="PEG-3",
        response_percent=50.0,  # IMMPACT substantial (BPI)
        partial_percent=30.0,  # IMMPACT moderate (BPI)
        remission_at_most=None,
        relapse=_PAIN_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=0.5, horizon_days=14),
        sources=(IMMPACT_BPI, KREBS_2009),
    ),
    "bpi_sf": ScaleRule(
        instrument_id="bpi_sf",
        label="BPI severity",
        response_percent=50.0,  # IMMPACT substantial (BPI)
        partial_percent=30.0,  # IMMPACT moderate (BPI)
        remission_at_most=None,
        relapse=_PAIN_RELAPSE,
        booster=BoosterRule(window=3, min_worsening_per_week=0.5, horizon_days=14),
        sources=(IMMPACT_BPI,),
    ),
}
