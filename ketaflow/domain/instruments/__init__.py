"""Questionnaire and rating-scale library: definitions as data and exact scoring (pure Python).

Public entry points::

    from ketaflow.domain import instruments
    instruments.instrument_ids()                       # ["phq9", "phq2", ...]
    instruments.get_instrument("phq9")                 # Instrument (items, choices, LOINC, licence)
    instruments.score("phq9", [1, 2, 0, 3, 1, 0, 2, 1, 0])   # ScoreResult(total=10, band="moderate")

Never imports Django or any Ketaflow app (import-linter contract in pyproject.toml).
"""

from .base import (
    ANSWER_NOT_INTEGER,
    ANSWER_OUT_OF_RANGE,
    ANSWERS_NOT_A_LIST,
    DEFINITION_MISMATCH,
    SKIPPED_ITEM_ANSWERED,
    UNKNOWN_INSTRUMENT,
    WRONG_ANSWER_COUNT,
    Answers,
    Band,
    Choice,
    Instrument,
    InstrumentError,
    Item,
    ScoreResult,
    ScoringOptions,
)
from .depression import MADRS_BANDS_ALTERNATIVE, madrs_response
from .pain import odi_index
from .recovery import aldrete_definition
from .registry import DEFAULT_OPTIONS, get_instrument, instrument_ids, score

# Bumped whenever a scoring rule or default cut-off changes; persisted with every stored score.
VERSION = "1.0.0"

__all__ = [
    "ANSWERS_NOT_A_LIST",
    "ANSWER_NOT_INTEGER",
    "DEFINITION_MISMATCH",
    "ANSWER_OUT_OF_RANGE",
    "DEFAULT_OPTIONS",
    "MADRS_BANDS_ALTERNATIVE",
    "SKIPPED_ITEM_ANSWERED",
    "UNKNOWN_INSTRUMENT",
    "VERSION",
    "WRONG_ANSWER_COUNT",
    "Answers",
    "Band",
    "Choice",
    "Instrument",
    "InstrumentError",
    "Item",
    "ScoreResult",
    "ScoringOptions",
    "aldrete_definition",
    "get_instrument",
    "instrument_ids",
    "madrs_response",
    "odi_index",
    "score",
]
