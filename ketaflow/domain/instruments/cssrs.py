"""Columbia Suicide Severity Rating Scale, screener version, with its skip logic (clinical.md §5.2)."""

from __future__ import annotations

from .base import (
    SKIPPED_ITEM_ANSWERED,
    YES_NO,
    Instrument,
    InstrumentError,
    Item,
    ScoreResult,
    ScoringOptions,
)

SUICIDALITY = "suicidality"
URGENT_REVIEW = "urgent_review"

# Risk levels in increasing order (Columbia triage guidance, CSSRS source in clinical.md).
RISK_LEVELS = ("none", "low", "moderate", "high")

CSSRS_SCREENER = Instrument(
    id="cssrs_screener",
    title="Columbia Suicide Severity Rating Scale - screener (C-SSRS)",
    rater="clinician",
    items=(
        Item("wish_dead", "Past month: wished to be dead, or to fall asleep and not wake up", YES_NO),
        Item("suicidal_thoughts", "Past month: had actual thoughts of killing oneself", YES_NO),
        Item("method", "Past month: thought about how one might do it", YES_NO),
        Item("intent", "Past month: had such thoughts with some intention of acting on them", YES_NO),
        Item("plan", "Past month: worked out details of how to do it and intended to carry it out", YES_NO),
        Item("behaviour", "Ever: did, began or prepared anything to end one's life", YES_NO),
        Item("behaviour_recent", "If yes to the previous item: was it within the past 3 months?", YES_NO),
    ),
    total_range=None,
    bands=(),
    scoring_rule=(
        "No total. Risk: no 'yes' = none; only items 1-2 = low; item 3, or item 6 more than 3 months "
        "ago = moderate; item 4, item 5, or item 6 within 3 months = high. Any 'yes' raises "
        "'suicidality'; high risk also raises 'urgent_review' (immediate evaluation)."
    ),
    partial_rule=(
        "Items 1, 2 and 6 are always required; 3-5 when item 2 is 'yes'; 7 when item 6 is 'yes'. "
        "If a required item is missing the result is incomplete and has no band, except that a 'high' "
        "risk already shown by the answers given is reported, since no further answer can lower it."
    ),
    source="Posner K et al., Columbia Lighthouse Project; triage guidance as cited in clinical.md (CSSRS).",
    licence=(
        "Copyright The Research Foundation for Mental Hygiene / Columbia University. Free for clinical "
        "use; check the Columbia Lighthouse Project terms for electronic or commercial use and training."
    ),
    skip_logic=(
        "If item 2 is 'no', items 3-5 are skipped (leave empty). If item 6 is 'no', item 7 is skipped. "
        "A skipped item may be empty or 'no'; a 'yes' there is rejected as inconsistent."
    ),
)


def score_cssrs(instrument: Instrument, answers: list[int | None], options: ScoringOptions) -> ScoreResult:
    """C-SSRS screener: risk level none/low/moderate/high as the band; no total."""
    wish, thoughts, method, intent, plan, behaviour, recent = answers
    if thoughts == 0:
        for position in (3, 4, 5):
            if answers[position - 1] == 1:
                raise InstrumentError(
                    SKIPPED_ITEM_ANSWERED.format(
                        instrument_id=instrument.id,
                        position=position,
                        item_id=instrument.items[position - 1].id,
                        reason="item 2 is 'no'",
                    )
                )
        method = intent = plan = None
    if behaviour == 0:
        if recent == 1:
            raise InstrumentError(
                SKIPPED_ITEM_ANSWERED.format(
                    instrument_id=instrument.id,
                    position=7,
                    item_id=instrument.items[6].id,
                    reason="item 6 is 'no'",
                )
            )
        recent = None

    required = [1, 2, 6]
    if thoughts == 1:
        required += [3, 4, 5]
    if behaviour == 1:
        required.append(7)
    missing = [position for position in required if answers[position - 1] is None]

    level = "none"
    if wish == 1 or thoughts == 1:
        level = "low"
    # Behaviour ever is at least moderate: more than 3 months ago is moderate, within 3 months high.
    if method == 1 or behaviour == 1:
        level = "moderate"
    if intent == 1 or plan == 1 or (behaviour == 1 and recent == 1):
        level = "high"

    flags: list[str] = []
    if any(value == 1 for value in (wish, thoughts, method, intent, plan, behaviour)):
        flags.append(SUICIDALITY)
    if level == "high":
        flags.append(URGENT_REVIEW)

    complete = not missing
    band = level if complete or level == "high" else None
    details: dict[str, object] = {"risk_level": band, "risk_at_least": level}
    if missing:
        details["missing_items"] = missing
    return ScoreResult(instrument.id, None, band, flags, complete, details)
