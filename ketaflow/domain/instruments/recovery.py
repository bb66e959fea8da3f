"""Recovery and discharge scores: modified Aldrete and PADSS (clinical.md §6)."""

from __future__ import annotations

from typing import Literal

from .base import Choice, Instrument, Item, ScoreResult, ScoringOptions, incomplete

READY = "ready for discharge"
NOT_READY = "not ready"

CirculationBasis = Literal["mmHg", "percent"]


def _three(two: str, one: str, zero: str) -> tuple[Choice, ...]:
    return (Choice(2, two), Choice(1, one), Choice(0, zero))


def aldrete_definition(circulation_basis: CirculationBasis = "mmHg") -> Instrument:
    """The modified Aldrete score with the circulation item in mmHg or in % of the baseline BP.

    Sources disagree (WJG 2015 Table 2 uses mmHg, a nursing module uses %; clinical.md §6.1), so the
    basis is a clinic setting. Scoring is identical; only the wording of the circulation item changes.
    """
    if circulation_basis == "mmHg":
        circulation = _three(
            "BP within 20 mmHg of the pre-procedure value",
            "BP 20-50 mmHg away from the pre-procedure value",
            "BP more than 50 mmHg away from the pre-procedure value",
        )
    else:
        circulation = _three(
            "BP within 20% of the pre-procedure value",
            "BP 20-49% away from the pre-procedure value",
            "BP 50% or more away from the pre-procedure value",
        )
    # Items and 2/1/0 points: Aldrete 1995 modification (WJG 2015 Table 2; clinical.md §6.1).
    return Instrument(
        id="aldrete",
        title="Modified Aldrete score",
        rater="clinician",
        items=(
            Item("activity", "Activity", _three("Moves all 4 limbs", "Moves 2 limbs", "Moves no limbs")),
            Item(
                "respiration",
                "Breathing",
                _three("Breathes deeply, coughs freely", "Short of breath or shallow breathing", "Apnoeic"),
            ),
            Item("circulation", f"Circulation (basis: {circulation_basis})", circulation),
            Item(
                "consciousness",
                "Consciousness",
                _three("Fully awake", "Wakes when called", "Does not respond"),
            ),
            Item(
                "oxygen_saturation",
                "Oxygen saturation",
                # Aldrete 1995: SpO2 > 92% on room air scores 2 (clinical.md §6.1, fact 15).
                _three(
                    "SpO2 above 92% on room air",
                    "Needs oxygen to keep SpO2 above 90%",
                    "SpO2 below 90% even with oxygen",
                ),
            ),
        ),
        total_range=(0, 10),
        bands=(),
        scoring_rule="Sum of 5 items scored 0-2 (0-10); 9 or more = may leave (configurable).",
        partial_rule="Not scored when any item is missing.",
        source="Aldrete JA 1995 modification (WJG 2015 Table 2; Wikipedia summary).",
        licence="Published clinical scale; no licence known.",
    )


ALDRETE = aldrete_definition("mmHg")

# Items and 2/1/0 points: Chung 1995 PADSS (clinmedjournals IJODH table 4; clinical.md §6.2).
PADSS = Instrument(
    id="padss",
    title="Post-Anaesthetic Discharge Scoring System (PADSS)",
    rater="clinician",
    items=(
        Item(
            "vital_signs",
            "Vital signs compared with the pre-procedure values",
            _three("Within 20%", "20-40% away", "More than 40% away"),
        ),
        Item(
            "activity_mental_status",
            "Activity and mental status",
            _three("Oriented x3 and steady gait", "Oriented x3 or steady gait", "Neither"),
        ),
        Item(
            "pain_nausea_vomiting",
            "Pain, nausea or vomiting",
            _three("Minimal", "Moderate, needed treatment", "Severe, needs treatment"),
        ),
        # Normally 2 in an infusion clinic (no surgical wound; clinical.md §6.2).
        Item("bleeding", "Bleeding", _three("Minimal", "Moderate", "Severe")),
        Item(
            "intake_output",
            "Intake and output",
            _three("Has drunk and passed urine", "Has drunk or passed urine", "Neither"),
        ),
    ),
    total_range=(0, 10),
    bands=(),
    scoring_rule="Sum of 5 items scored 0-2 (0-10); 9 or more = fit for discharge home (configurable).",
    partial_rule="Not scored when any item is missing.",
    source="Chung F 1995, PADSS table as reproduced by clinmedjournals (IJODH).",
    licence="Published clinical scale; no licence known.",
)


def score_discharge(
    instrument: Instrument, answers: list[int | None], options: ScoringOptions
) -> ScoreResult:
    """Aldrete / PADSS: sum 0-10; band 'ready for discharge' at or above the configured minimum (9)."""
    if any(value is None for value in answers):
        return incomplete(instrument, answers)
    total = sum(value for value in answers if value is not None)
    minimum = options.aldrete_discharge_min if instrument.id == "aldrete" else options.padss_discharge_min
    ready = total >= minimum
    return ScoreResult(
        instrument.id,
        total,
        READY if ready else NOT_READY,
        [],
        True,
        {"discharge_ready": ready, "discharge_min": minimum},
    )
