"""Depression and anxiety scales: PHQ-9, PHQ-2, GAD-7, MADRS, QIDS-SR16 (clinical.md §5.1)."""

from __future__ import annotations

from .base import (
    Band,
    Choice,
    Instrument,
    Item,
    ScoreResult,
    ScoringOptions,
    band_for,
    incomplete,
    scale,
)

SUICIDALITY = "suicidality"

# PHQ frequency anchors over the past two weeks (Kroenke 2001, as in clinical.md §5.1).
_FREQUENCY = (
    Choice(0, "Not at all"),
    Choice(1, "On several days"),
    Choice(2, "On more than half of the days"),
    Choice(3, "Nearly every day"),
)

# Kroenke 2001: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe.
PHQ9_BANDS = (
    Band("minimal", 0, 4),
    Band("mild", 5, 9),
    Band("moderate", 10, 14),
    Band("moderately severe", 15, 19),
    Band("severe", 20, 27),
)

_PHQ_ITEMS = (
    ("interest", "Little interest or enjoyment in doing things"),
    ("mood", "Feeling low, depressed or without hope"),
    ("sleep", "Trouble getting to sleep or staying asleep, or sleeping too much"),
    ("energy", "Feeling tired or short of energy"),
    ("appetite", "Poor appetite or eating too much"),
    ("self_view", "Feeling bad about yourself, or that you have let yourself or your family down"),
    ("concentration", "Trouble concentrating, for example on reading or television"),
    ("psychomotor", "Moving or talking so slowly others notice, or being so restless you move about a lot"),
    ("self_harm", "Thinking you would be better off dead, or of hurting yourself in some way"),
)

PHQ9 = Instrument(
    id="phq9",
    title="Patient Health Questionnaire-9 (PHQ-9)",
    rater="patient",
    items=tuple(Item(item_id, text, _FREQUENCY) for item_id, text in _PHQ_ITEMS),
    total_range=(0, 27),
    bands=PHQ9_BANDS,
    scoring_rule="Sum of 9 items scored 0-3 (0-27). Any answer above 0 on item 9 raises 'suicidality'.",
    partial_rule="Not scored when any item is missing (no prorating); item 9 still raises its flag.",
    source="Kroenke K, Spitzer RL, Williams JB. J Gen Intern Med 2001;16:606-613.",
    licence="Developed by Spitzer, Williams, Kroenke et al. with a grant from Pfizer; free to use, no permission needed.",
    # LOINC panel 44249-1 and total 44261-6 (clinical.md §8, MII-PRO / Codes-public).
    panel_loinc="44249-1",
    total_loinc="44261-6",
)

PHQ2 = Instrument(
    id="phq2",
    title="Patient Health Questionnaire-2 (PHQ-2)",
    rater="patient",
    items=tuple(Item(item_id, text, _FREQUENCY) for item_id, text in _PHQ_ITEMS[:2]),
    total_range=(0, 6),
    bands=(),  # built from ScoringOptions.phq2_positive_min
    scoring_rule="Sum of the first 2 PHQ-9 items (0-6); 'positive' at or above the cut-off (default 3).",
    partial_rule="Not scored when either item is missing.",
    source="Kroenke K, Spitzer RL, Williams JB. Med Care 2003;41:1284-1292 (cut-off 3; not in clinical.md).",
    licence="Same terms as the PHQ-9: free to use.",
    # LOINC 55758-7 (clinical.md §8, seen as PHQ-2 sub-score in one app).
    total_loinc="55758-7",
)

# Spitzer 2006: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
GAD7_BANDS = (
    Band("minimal", 0, 4),
    Band("mild", 5, 9),
    Band("moderate", 10, 14),
    Band("severe", 15, 21),
)

# GAD-7 item LOINC codes in item order (clinical.md §8, HL7 PHR IG example).
_GAD7_ITEMS = (
    ("nervous", "Feeling nervous, anxious or on edge", "69725-0"),
    ("uncontrolled_worry", "Being unable to stop or control worrying", "68509-9"),
    ("worry_many_things", "Worrying too much about many different things", "69733-4"),
    ("relaxing", "Finding it hard to relax", "69734-2"),
    ("restless", "Being so restless that sitting still is hard", "69735-9"),
    ("irritable", "Getting annoyed or irritated easily", "69689-8"),
    ("afraid", "Feeling afraid that something terrible might happen", "69736-7"),
)

GAD7 = Instrument(
    id="gad7",
    title="Generalized Anxiety Disorder-7 (GAD-7)",
    rater="patient",
    items=tuple(Item(item_id, text, _FREQUENCY, loinc) for item_id, text, loinc in _GAD7_ITEMS),
    total_range=(0, 21),
    bands=GAD7_BANDS,
    scoring_rule="Sum of 7 items scored 0-3 (0-21); 10 or more suggests probable GAD.",
    partial_rule="Not scored when any item is missing (no prorating).",
    source="Spitzer RL et al. Arch Intern Med 2006;166:1092-1097.",
    licence="Developed with a grant from Pfizer; free to use, no permission needed.",
    # LOINC panel 69737-5 (never 69730-0) and total 70274-6 (clinical.md §8).
    panel_loinc="69737-5",
    total_loinc="70274-6",
)

# Snaith cut-points (MADRS-bands): 0-6 absent, 7-19 mild, 20-34 moderate, 35-60 severe.
MADRS_BANDS = (
    Band("absent", 0, 6),
    Band("mild", 7, 19),
    Band("moderate", 20, 34),
    Band("severe", 35, 60),
)
# Alternative cut-points 12/24/35 quoted with the Snaith set (MADRS-bands); offered as a clinic option.
MADRS_BANDS_ALTERNATIVE = (
    Band("absent", 0, 11),
    Band("mild", 12, 23),
    Band("moderate", 24, 34),
    Band("severe", 35, 60),
)

_MADRS_ITEMS = (
    ("apparent_sadness", "Sadness the rater observes"),
    ("reported_sadness", "Sadness the patient reports"),
    ("inner_tension", "Inner tension"),
    ("reduced_sleep", "Reduced sleep"),
    ("reduced_appetite", "Reduced appetite"),
    ("concentration", "Difficulty concentrating"),
    ("lassitude", "Lassitude (difficulty getting started)"),
    ("inability_to_feel", "Inability to feel"),
    ("pessimistic_thoughts", "Pessimistic thoughts"),
    ("suicidal_thoughts", "Suicidal thoughts"),
)

_MADRS_CHOICES = scale(0, 6, {0: "0 - none", 2: "2", 4: "4", 6: "6 - most severe"})

MADRS = Instrument(
    id="madrs",
    title="Montgomery-Asberg Depression Rating Scale (MADRS)",
    rater="clinician",
    items=tuple(Item(item_id, text, _MADRS_CHOICES) for item_id, text in _MADRS_ITEMS),
    total_range=(0, 60),
    bands=MADRS_BANDS,
    scoring_rule=(
        "Sum of 10 clinician-rated items scored 0-6 (0-60). Remission at or below a configurable "
        "cut-off (default 10)."
    ),
    partial_rule="Not scored when any item is missing.",
    source="Montgomery SA, Asberg M. Br J Psychiatry 1979;134:382-389; bands per Snaith; Hawley 2002.",
    licence=(
        "Published scale; the text of the rating guide is copyrighted. Ketaflow stores item names only; "
        "check licence terms before reproducing the full anchors."
    ),
)

# QIDS-SR16 domains (Rush 2003): items grouped, a domain scores the highest item in it.
QIDS_DOMAINS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("sleep", (1, 2, 3, 4)),
    ("mood", (5,)),
    ("appetite_weight", (6, 7, 8, 9)),
    ("concentration", (10,)),
    ("self_view", (11,)),
    ("suicidal_ideation", (12,)),
    ("interest", (13,)),
    ("energy", (14,)),
    ("psychomotor", (15, 16)),
)

# Rush 2003 (ids-qids.org): 0-5 none, 6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe.
QIDS_BANDS = (
    Band("none", 0, 5),
    Band("mild", 6, 10),
    Band("moderate", 11, 15),
    Band("severe", 16, 20),
    Band("very severe", 21, 27),
)

_QIDS_ITEMS = (
    ("falling_asleep", "Time taken to fall asleep"),
    ("sleep_during_night", "Waking during the night"),
    ("waking_too_early", "Waking too early"),
    ("sleeping_too_much", "Sleeping too much"),
    ("feeling_sad", "Feeling sad"),
    ("appetite_decreased", "Decreased appetite"),
    ("appetite_increased", "Increased appetite"),
    ("weight_decreased", "Weight loss in the past two weeks"),
    ("weight_increased", "Weight gain in the past two weeks"),
    ("concentration", "Concentration and decision making"),
    ("self_view", "How you see yourself"),
    ("death_or_suicide", "Thoughts of death or suicide"),
    ("general_interest", "Interest in people and activities"),
    ("energy", "Energy level"),
    ("slowed_down", "Feeling slowed down"),
    ("restless", "Feeling restless"),
)

_QIDS_CHOICES = scale(0, 3, {0: "0 - no problem", 3: "3 - most severe"})

QIDS_SR16 = Instrument(
    id="qids_sr16",
    title="Quick Inventory of Depressive Symptomatology, Self-Report (QIDS-SR16)",
    rater="patient",
    items=tuple(Item(item_id, text, _QIDS_CHOICES) for item_id, text in _QIDS_ITEMS),
    total_range=(0, 27),
    bands=QIDS_BANDS,
    scoring_rule=(
        "Nine domains: sleep = highest of items 1-4; appetite/weight = highest of items 6-9; "
        "psychomotor = highest of items 15-16; the other six domains are single items. "
        "Total = sum of the 9 domains (0-27). Any answer above 0 on item 12 raises 'suicidality'."
    ),
    partial_rule=(
        "Items 6-9: the form asks for either 6 or 7 and either 8 or 9, so blanks there are expected. "
        "Complete when items 1-5 and 10-16 are answered and at least one of 6/7 and one of 8/9 is; "
        "otherwise not scored."
    ),
    source="Rush AJ et al. Biol Psychiatry 2003;54:573-583 (domain rule and bands via ids-qids.org).",
    licence="Copyright UT Southwestern; free for clinicians and researchers (ids-qids.org).",
    skip_logic="Answer either item 6 or 7, and either item 8 or 9; the unanswered one may be left blank.",
)


def score_simple_sum(
    instrument: Instrument,
    answers: list[int | None],
    options: ScoringOptions,
) -> ScoreResult:
    """Sum of items with the instrument's bands (GAD-7, and the base of PHQ-9 / MADRS)."""
    if any(value is None for value in answers):
        return incomplete(instrument, answers)
    total = sum(value for value in answers if value is not None)
    return ScoreResult(instrument.id, total, band_for(total, instrument.bands), [], True, {})


def score_phq9(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """PHQ-9: sum 0-27 with Kroenke bands; item 9 above 0 raises 'suicidality' even if incomplete."""
    flags = [SUICIDALITY] if (answers[8] or 0) > 0 else []
    if any(value is None for value in answers):
        result = incomplete(instrument, answers)
        return ScoreResult(result.instrument, None, None, flags, False, result.details)
    total = sum(value for value in answers if value is not None)
    return ScoreResult(
        instrument.id,
        total,
        band_for(total, instrument.bands),
        flags,
        True,
        # Kroenke 2001: >= 10 had sensitivity and specificity of 88% for major depression.
        {"probable_major_depression": total >= 10},
    )


def score_phq2(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """PHQ-2: sum 0-6, band 'positive' at or above ``options.phq2_positive_min`` else 'negative'."""
    if any(value is None for value in answers):
        return incomplete(instrument, answers)
    total = sum(value for value in answers if value is not None)
    band = "positive" if total >= options.phq2_positive_min else "negative"
    return ScoreResult(instrument.id, total, band, [], True, {"cut_off": options.phq2_positive_min})


def score_gad7(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """GAD-7: sum 0-21 with Spitzer bands; ``details['probable_gad']`` at 10 or more."""
    result = score_simple_sum(instrument, answers, options)
    if result.total is None:
        return result
    # Spitzer 2006: >= 10 probable GAD (sensitivity 89%, specificity 82%).
    return ScoreResult(
        result.instrument, result.total, result.band, [], True, {"probable_gad": result.total >= 10}
    )


def score_madrs(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """MADRS: sum 0-60, Snaith bands (or the configured set), remission at <= the configured cut-off."""
    if any(value is None for value in answers):
        return incomplete(instrument, answers)
    total = sum(value for value in answers if value is not None)
    bands = options.madrs_bands or instrument.bands
    return ScoreResult(
        instrument.id,
        total,
        band_for(total, bands),
        [],
        True,
        {"remission": total <= options.madrs_remission_max, "remission_max": options.madrs_remission_max},
    )


def madrs_response(baseline: int, current: int) -> bool:
    """True when ``current`` is at least 50% below ``baseline`` (response definition, clinical.md §1.2).

    Baseline 32 → response iff current ≤ 16. Integer arithmetic avoids rounding at the boundary.
    """
    if baseline <= 0:
        return False
    return 2 * (baseline - current) >= baseline


def score_qids(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """QIDS-SR16: nine domain scores (max rule), total 0-27, Rush bands; item 12 > 0 flags suicidality."""
    flags = [SUICIDALITY] if (answers[11] or 0) > 0 else []
    by_number = dict(enumerate(answers, start=1))
    required = [n for n in range(1, 17) if n not in (6, 7, 8, 9)]
    missing = [n for n in required if by_number[n] is None]
    if by_number[6] is None and by_number[7] is None:
        missing.extend([6, 7])
    if by_number[8] is None and by_number[9] is None:
        missing.extend([8, 9])
    if missing:
        return ScoreResult(instrument.id, None, None, flags, False, {"missing_items": sorted(missing)})
    domains: dict[str, int] = {}
    for name, numbers in QIDS_DOMAINS:
        domains[name] = max(by_number[n] or 0 for n in numbers)
    total = sum(domains.values())
    return ScoreResult(
        instrument.id,
        total,
        band_for(total, instrument.bands),
        flags,
        True,
        # STAR*D remission: total <= 5 (clinical.md §5.1).
        {"domains": domains, "remission": total <= 5},
    )
