"""Pain and function: NRS, PEG-3, BPI short form, Oswestry Disability Index (clinical.md §5.3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .base import Band, Instrument, Item, ScoreResult, ScoringOptions, band_for, incomplete, scale

_ZERO_TO_TEN = scale(0, 10, {0: "0 - none", 10: "10 - worst imaginable"})

# ePPOC summary of the BPI guide: 0-4 mild, 5-6 moderate, 7-10 severe. The 1-3 / 4-6 split some use
# is UNVERIFIED (clinical.md §5.3); clinics may pass other bands in ScoringOptions.nrs_bands.
NRS_BANDS = (
    Band("mild", 0, 4),
    Band("moderate", 5, 6),
    Band("severe", 7, 10),
)

NRS = Instrument(
    id="nrs",
    title="Pain numeric rating scale (NRS 0-10)",
    rater="patient",
    items=(Item("pain", "Pain right now, from 0 (none) to 10 (worst you can imagine)", _ZERO_TO_TEN),),
    total_range=(0, 10),
    bands=NRS_BANDS,
    scoring_rule="The rating itself (0-10); bands 0-4 mild, 5-6 moderate, 7-10 severe (configurable).",
    partial_rule="A single item: unanswered means not scored.",
    source="Cleeland BPI user guide cut-points as summarised by ePPOC.",
    licence="Generic numeric scale; no licence.",
    # LOINC 72514-3 pain severity 0-10 (clinical.md §8).
    total_loinc="72514-3",
)

PEG3 = Instrument(
    id="peg3",
    title="PEG: Pain, Enjoyment of life, General activity (PEG-3)",
    rater="patient",
    items=(
        Item("pain_average", "Average pain in the past week", _ZERO_TO_TEN),
        Item("enjoyment", "How much pain got in the way of enjoying life in the past week", _ZERO_TO_TEN),
        Item(
            "general_activity",
            "How much pain got in the way of general activity in the past week",
            _ZERO_TO_TEN,
        ),
    ),
    total_range=(0, 10),
    bands=(),
    scoring_rule="Mean of the 3 items (0-10), rounded to 2 decimals.",
    partial_rule="Not scored when any item is missing.",
    source="Krebs EE et al. J Gen Intern Med 2009;24:733-738 (mean-of-3 is standard practice).",
    licence="Published in the article; free to use (no licence known).",
)

_BPI_SEVERITY = (
    ("worst", "Worst pain in the past 24 hours"),
    ("least", "Least pain in the past 24 hours"),
    ("average", "Pain on average"),
    ("now", "Pain right now"),
)
_BPI_INTERFERENCE = (
    ("general_activity", "Pain got in the way of general activity"),
    ("mood", "Pain got in the way of mood"),
    ("walking", "Pain got in the way of walking"),
    ("normal_work", "Pain got in the way of normal work, inside and outside the home"),
    ("relations", "Pain got in the way of relations with other people"),
    ("sleep", "Pain got in the way of sleep"),
    ("enjoyment", "Pain got in the way of enjoying life"),
)

BPI_SF = Instrument(
    id="bpi_sf",
    title="Brief Pain Inventory, short form (BPI-SF): severity and interference",
    rater="patient",
    items=tuple(Item(f"severity_{i}", text, _ZERO_TO_TEN) for i, text in _BPI_SEVERITY)
    + tuple(Item(f"interference_{i}", text, _ZERO_TO_TEN) for i, text in _BPI_INTERFERENCE),
    total_range=None,
    bands=(),
    scoring_rule=(
        "Two scores, no total: severity = mean of the 4 severity items; interference = mean of the "
        "7 interference items, each 0-10 (rounded to 2 decimals)."
    ),
    partial_rule=(
        "Interference is valid when at least 4 of its 7 items are answered (mean of those answered); "
        "severity needs all 4 items. The other BPI questions (body map, treatments, relief) are not scored."
    ),
    source="Cleeland CS, BPI User Guide (MD Anderson, 2009); scoring summary by ePPOC.",
    licence="Copyright Charles S. Cleeland; use needs permission from MD Anderson and fees may apply.",
)

_ODI_SECTIONS = (
    ("pain_intensity", "Pain intensity"),
    ("personal_care", "Personal care (washing, dressing)"),
    ("lifting", "Lifting"),
    ("walking", "Walking"),
    ("sitting", "Sitting"),
    ("standing", "Standing"),
    ("sleeping", "Sleeping"),
    ("sex_life", "Sex life (if applicable)"),
    ("social_life", "Social life"),
    ("travelling", "Travelling"),
)

# Fairbank & Pynsent 2000 (ODI source): 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80 crippled,
# 81-100 bed-bound or exaggerating. Index values between whole numbers fall in the band whose upper
# limit they do not exceed (20.5 is moderate).
ODI_BANDS = (
    Band("minimal", 0, 20),
    Band("moderate", 21, 40),
    Band("severe", 41, 60),
    Band("crippled", 61, 80),
    Band("bed-bound", 81, 100),
)

ODI = Instrument(
    id="odi",
    title="Oswestry Disability Index (ODI)",
    rater="patient",
    items=tuple(
        Item(item_id, text, scale(0, 5, {0: "0 - least limitation", 5: "5 - most limitation"}))
        for item_id, text in _ODI_SECTIONS
    ),
    total_range=(0, 100),
    bands=ODI_BANDS,
    scoring_rule=(
        "Index % = sum of sections / (5 x sections answered) x 100, rounded half-up to 1 decimal. "
        "Bands 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80 crippled, 81-100 bed-bound."
    ),
    partial_rule=(
        "Prorated by the published rule (denominator uses sections answered) when at most 1 section is "
        "missing (configurable); otherwise not scored. Prorated results have complete=false."
    ),
    source="Fairbank JC, Pynsent PB. Spine 2000;25:2940-2952; scoring as summarised in clinical.md §5.3.",
    licence="Copyright Jeremy Fairbank; licensing for ODI v2.1a is handled by Mapi Research Trust (UNVERIFIED).",
)


def _mean(values: list[int]) -> float:
    return round(sum(values) / len(values), 2)


def score_nrs(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """NRS 0-10: the rating with ePPOC bands (or ``options.nrs_bands``)."""
    (rating,) = answers
    if rating is None:
        return incomplete(instrument, answers)
    return ScoreResult(
        instrument.id, rating, band_for(rating, options.nrs_bands or instrument.bands), [], True, {}
    )


def score_peg3(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """PEG-3: mean of the three 0-10 items, e.g. (6 + 7 + 8) / 3 = 7.0."""
    given = [value for value in answers if value is not None]
    if len(given) != len(answers):
        return incomplete(instrument, answers)
    return ScoreResult(instrument.id, _mean(given), None, [], True, {})


def score_bpi(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """BPI-SF: severity (mean of 4) and interference (mean of answered, valid with >= 4 of 7); no total."""
    severity_answers = answers[:4]
    interference_answers = [value for value in answers[4:] if value is not None]
    severity = (
        _mean([v for v in severity_answers if v is not None])
        if all(v is not None for v in severity_answers)
        else None
    )
    interference_valid = len(interference_answers) >= options.bpi_interference_min_answered
    interference = _mean(interference_answers) if interference_valid else None
    complete = all(value is not None for value in answers)
    details: dict[str, object] = {
        "severity": severity,
        "interference": interference,
        "interference_valid": interference_valid,
        "interference_items_answered": len(interference_answers),
    }
    if severity is not None:
        details["severity_band"] = band_for(severity, options.nrs_bands or NRS_BANDS)
    if not complete:
        details["missing_items"] = [n for n, value in enumerate(answers, start=1) if value is None]
        details["prorated"] = interference is not None and len(interference_answers) < 7
    return ScoreResult(instrument.id, None, None, [], complete, details)


def _odi_band(index: float) -> str:
    for band in ODI_BANDS:
        if index <= band.high:
            return band.name
    return ODI_BANDS[-1].name


def odi_index(raw_sum: int, sections_answered: int) -> float:
    """ODI index in % = raw_sum / (5 x sections_answered) x 100, rounded half-up to 1 decimal.

    16 of 10 sections → 32.0; 16 of 9 sections → 35.6 (16/45 x 100 = 35.56).
    """
    exact = Decimal(raw_sum * 100) / Decimal(5 * sections_answered)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def score_odi(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """ODI: index % with the published denominator rule for missing sections."""
    given = [value for value in answers if value is not None]
    missing = len(answers) - len(given)
    if not given or missing > options.odi_max_missing_sections:
        return incomplete(instrument, answers, max_missing_sections=options.odi_max_missing_sections)
    index = odi_index(sum(given), len(given))
    details: dict[str, object] = {"raw_sum": sum(given), "sections_answered": len(given)}
    if missing:
        details["prorated"] = True
        details["missing_items"] = [n for n, value in enumerate(answers, start=1) if value is None]
    return ScoreResult(instrument.id, index, _odi_band(index), [], missing == 0, details)
