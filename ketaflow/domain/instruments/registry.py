"""The instrument registry: ids, definitions and one ``score`` entry point."""

from __future__ import annotations

from collections.abc import Callable

from .base import (
    DEFINITION_MISMATCH,
    UNKNOWN_INSTRUMENT,
    Answers,
    Instrument,
    InstrumentError,
    ScoreResult,
    ScoringOptions,
    validate,
)
from .cssrs import CSSRS_SCREENER, score_cssrs
from .depression import (
    GAD7,
    MADRS,
    PHQ2,
    PHQ9,
    QIDS_SR16,
    score_gad7,
    score_madrs,
    score_phq2,
    score_phq9,
    score_qids,
)
from .pain import BPI_SF, NRS, ODI, PEG3, score_bpi, score_nrs, score_odi, score_peg3
from .recovery import ALDRETE, PADSS, score_discharge
from .sedation import CADSS6, CADSS23, MOAAS, RASS, score_cadss, score_single_level

ScoreFunction = Callable[[Instrument, list[int | None], ScoringOptions], ScoreResult]

_REGISTRY: dict[str, tuple[Instrument, ScoreFunction]] = {
    instrument.id: (instrument, scorer)
    for instrument, scorer in (
        (PHQ9, score_phq9),
        (PHQ2, score_phq2),
        (GAD7, score_gad7),
        (MADRS, score_madrs),
        (QIDS_SR16, score_qids),
        (CSSRS_SCREENER, score_cssrs),
        (CADSS23, score_cadss),
        (CADSS6, score_cadss),
        (MOAAS, score_single_level),
        (RASS, score_single_level),
        (NRS, score_nrs),
        (PEG3, score_peg3),
        (BPI_SF, score_bpi),
        (ODI, score_odi),
        (ALDRETE, score_discharge),
        (PADSS, score_discharge),
    )
}

DEFAULT_OPTIONS = ScoringOptions()


def instrument_ids() -> list[str]:
    """Every instrument id the library can score, in a stable order."""
    return list(_REGISTRY)


def get_instrument(instrument_id: str) -> Instrument:
    """The definition (items, choices, codes, rules, licence) of ``instrument_id``.

    Raises :class:`InstrumentError` for an unknown id.
    """
    return _lookup(instrument_id)[0]


def score(
    instrument_id: str,
    answers: Answers,
    *,
    options: ScoringOptions = DEFAULT_OPTIONS,
    definition: Instrument | None = None,
) -> ScoreResult:
    """Validate ``answers`` (one int or None per item, in item order) and score them.

    ``options`` carries the clinic's configurable cut-offs. ``definition`` replaces the stored
    definition with a variant of the same instrument (e.g. ``aldrete_definition("percent")``); its
    items must have the same count. Raises :class:`InstrumentError` for an unknown id or malformed
    answers; missing answers give a result with ``complete=False`` instead.
    """
    instrument, scorer = _lookup(instrument_id)
    if definition is not None:
        if definition.id != instrument.id or definition.item_count() != instrument.item_count():
            raise InstrumentError(
                DEFINITION_MISMATCH.format(
                    definition_id=definition.id, count=definition.item_count(), instrument_id=instrument.id
                )
            )
        instrument = definition
    checked = validate(instrument, answers)
    return scorer(instrument, checked, options)


def _lookup(instrument_id: str) -> tuple[Instrument, ScoreFunction]:
    try:
        return _REGISTRY[instrument_id]
    except (KeyError, TypeError):
        raise InstrumentError(
            UNKNOWN_INSTRUMENT.format(instrument_id=instrument_id, known=", ".join(_REGISTRY))
        ) from None
