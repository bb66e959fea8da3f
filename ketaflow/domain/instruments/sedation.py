"""Dissociation and sedation during a session: CADSS-23, CADSS-6, MOAA/S, RASS (clinical.md §5.2)."""

from __future__ import annotations

from .base import Band, Choice, Instrument, Item, ScoreResult, ScoringOptions, band_for, incomplete, scale

LOSS_OF_CONSCIOUSNESS = "loss_of_consciousness"

# CADSS items are rated 0-4 (Bremner 1998; 23-item version used in ketamine trials, total 0-92).
# The anchor wording between the ends is UNVERIFIED (clinical.md §5.2), so only the ends are labelled.
_CADSS_CHOICES = scale(0, 4, {0: "0 - not at all", 4: "4 - extremely"})

CADSS23 = Instrument(
    id="cadss23",
    title="Clinician-Administered Dissociative States Scale, 23 items (CADSS-23)",
    rater="clinician",
    # Item wording is the author's copyright; Ketaflow shows the item number and the rater uses the
    # licensed form.
    items=tuple(
        Item(f"item_{n}", f"CADSS item {n} (see the licensed form)", _CADSS_CHOICES) for n in range(1, 24)
    ),
    total_range=(0, 92),
    bands=(),
    scoring_rule="Sum of 23 items scored 0-4 (0-92). No published severity bands.",
    partial_rule="Not scored when any item is missing.",
    source="Bremner JD et al. J Trauma Stress 1998;11:125-136; 23-item psychometrics (Bremner 2024).",
    licence="Copyright J. Douglas Bremner; obtain the form and permission from the author before use.",
)

# Rodrigues NB et al., J Affect Disord 2021;282:160-164: CADSS-6 = CADSS-23 items 1, 2, 6, 7, 15, 22.
CADSS6_SOURCE_ITEMS = (1, 2, 6, 7, 15, 22)

CADSS6 = Instrument(
    id="cadss6",
    title="Clinician-Administered Dissociative States Scale, 6-item short form (CADSS-6)",
    rater="clinician",
    items=tuple(
        Item(f"item_{n}", f"CADSS-23 item {n} (see the licensed form)", _CADSS_CHOICES)
        for n in CADSS6_SOURCE_ITEMS
    ),
    total_range=(0, 24),
    bands=(),
    scoring_rule="Sum of 6 items (CADSS-23 items 1, 2, 6, 7, 15, 22) scored 0-4 (0-24).",
    partial_rule="Not scored when any item is missing.",
    source="Rodrigues NB et al. J Affect Disord 2021;282:160-164 (short form, not yet validated prospectively).",
    licence="Built from CADSS items: the CADSS copyright (J. Douglas Bremner) applies.",
)

# MOAA/S levels (Chernik 1990 as reproduced in the BMC Anesthesiol table; clinical.md §5.2).
_MOAAS_LEVELS = (
    (5, "alert", "Answers at once when called by name in a normal voice"),
    (4, "lethargic", "Answers slowly when called by name in a normal voice"),
    (3, "responds_to_loud_voice", "Answers only when the name is called loudly and/or again and again"),
    (2, "responds_to_prodding", "Answers only after light prodding or shaking"),
    (1, "responds_to_pain", "Answers only after a painful squeeze of the trapezius"),
    (0, "unresponsive", "No answer even to a painful squeeze of the trapezius"),
)

MOAAS = Instrument(
    id="moaas",
    title="Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
    rater="clinician",
    items=(
        Item(
            "responsiveness",
            "Responsiveness",
            tuple(Choice(value, text) for value, _, text in _MOAAS_LEVELS),
        ),
    ),
    total_range=(0, 5),
    bands=tuple(Band(name, value, value) for value, name, _ in _MOAAS_LEVELS),
    scoring_rule="A single level 0-5; 5 = alert, 0 = no response to pain (loss of consciousness).",
    partial_rule="A single item: unanswered means not scored.",
    source=(
        "Chernik DA et al. J Clin Psychopharmacol 1990;10:244-251. Published tables differ at levels 0-1 "
        "(Thorax vs BMC Anesthesiol); SPRAVATO PI uses 0 as loss of consciousness."
    ),
    licence="Published clinical scale; no licence known.",
)

# RASS levels (Sessler 2002; clinical.md §5.2).
_RASS_LEVELS = (
    (4, "combative", "Combative, violent, a danger to staff"),
    (3, "very_agitated", "Pulls at tubes or lines; aggressive"),
    (2, "agitated", "Frequent purposeless movement"),
    (1, "restless", "Anxious, movements not aggressive"),
    (0, "alert_and_calm", "Alert and calm"),
    (-1, "drowsy", "Not fully alert; wakes to voice with eye contact longer than 10 seconds"),
    (-2, "light_sedation", "Wakes briefly to voice, eye contact shorter than 10 seconds"),
    (-3, "moderate_sedation", "Moves or opens eyes to voice, no eye contact"),
    (-4, "deep_sedation", "No response to voice; moves or opens eyes to physical stimulation"),
    (-5, "unarousable", "No response to voice or physical stimulation"),
)

RASS = Instrument(
    id="rass",
    title="Richmond Agitation-Sedation Scale (RASS)",
    rater="clinician",
    items=(
        Item("level", "Agitation or sedation level", tuple(Choice(v, text) for v, _, text in _RASS_LEVELS)),
    ),
    total_range=(-5, 4),
    bands=tuple(Band(name, value, value) for value, name, _ in _RASS_LEVELS),
    scoring_rule="A single level from -5 (unarousable) to +4 (combative); 0 = alert and calm.",
    partial_rule="A single item: unanswered means not scored.",
    source="Sessler CN et al. Am J Respir Crit Care Med 2002;166:1338-1344.",
    licence="Published clinical scale; no licence known.",
)


def score_cadss(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """CADSS-23 / CADSS-6: plain sum; optional subscales when a clinic configures their item lists."""
    if any(value is None for value in answers):
        return incomplete(instrument, answers)
    total = sum(value for value in answers if value is not None)
    details: dict[str, object] = {}
    if instrument.id == "cadss23" and options.cadss23_subscales:
        details["subscales"] = {
            name: sum(answers[n - 1] or 0 for n in numbers) for name, numbers in options.cadss23_subscales
        }
    return ScoreResult(instrument.id, total, None, [], True, details)


def score_single_level(
    instrument: Instrument, answers: list[int | None], options: ScoringOptions
) -> ScoreResult:
    """MOAA/S and RASS: the chosen level is the total, its name the band."""
    (level,) = answers
    if level is None:
        return incomplete(instrument, answers)
    flags = [LOSS_OF_CONSCIOUSNESS] if instrument.id == "moaas" and level == 0 else []
    return ScoreResult(instrument.id, level, band_for(level, instrument.bands), flags, True, {})
