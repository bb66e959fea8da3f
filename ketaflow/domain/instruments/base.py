"""Shared vocabulary of the questionnaire library: definitions as data, one result type, one error.

An *answer list* is a sequence with one entry per item, in item order. An entry is the chosen
choice's ``value`` (an ``int``) or ``None`` when the item was not answered (or was skipped by the
instrument's skip logic). Validation is strict: wrong length, non-integers and values that are not one
of the item's choices raise :class:`InstrumentError`; missing answers never raise, they give an
incomplete result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Answers = Sequence[int | None]

# Error messages (module constants so tests can assert them exactly).
UNKNOWN_INSTRUMENT = "unknown instrument {instrument_id!r}; known instruments: {known}"
WRONG_ANSWER_COUNT = "{instrument_id} expects {expected} answers, got {got}"
ANSWER_NOT_INTEGER = "{instrument_id} item {position} ({item_id}): answer {value!r} is not a whole number"
ANSWER_OUT_OF_RANGE = "{instrument_id} item {position} ({item_id}): answer {value} is not one of {allowed}"
ANSWERS_NOT_A_LIST = "{instrument_id} answers must be a list with one entry per item, got {kind}"
DEFINITION_MISMATCH = "definition {definition_id!r} with {count} items cannot replace {instrument_id!r}"
SKIPPED_ITEM_ANSWERED = (
    "{instrument_id} item {position} ({item_id}): answered 'yes' although skip logic skips it ({reason})"
)


class InstrumentError(ValueError):
    """Malformed answers or an unknown instrument. ``str(error)`` is one readable line."""


@dataclass(frozen=True)
class Choice:
    """One allowed answer: the stored ``value`` and a short label in Ketaflow's own words."""

    value: int
    label: str


@dataclass(frozen=True)
class Item:
    """One question. ``loinc`` is set only where the clinical reference gives a code."""

    id: str
    text: str
    choices: tuple[Choice, ...]
    loinc: str | None = None

    @property
    def values(self) -> tuple[int, ...]:
        """Allowed answer values, in choice order."""
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Band:
    """A named score range, inclusive at both ends (``low <= total <= high``)."""

    name: str
    low: float
    high: float

    def contains(self, total: float) -> bool:
        """True when ``total`` lies in this band."""
        return self.low <= total <= self.high


@dataclass(frozen=True)
class Instrument:
    """A questionnaire or rating scale as data.

    ``total_range`` is the closed range every computed total falls in (``None`` when the instrument
    has no total, e.g. the C-SSRS screener). ``partial_rule`` says in one sentence whether and how an
    incomplete answer list can be scored.
    """

    id: str
    title: str
    rater: str  # "patient" or "clinician"
    items: tuple[Item, ...]
    total_range: tuple[float, float] | None
    bands: tuple[Band, ...]
    scoring_rule: str
    partial_rule: str
    source: str
    licence: str
    panel_loinc: str | None = None
    total_loinc: str | None = None
    skip_logic: str | None = None

    def item_count(self) -> int:
        """Number of items (and so the length of a valid answer list)."""
        return len(self.items)


@dataclass(frozen=True)
class ScoreResult:
    """The uniform outcome of scoring any instrument.

    ``total`` is ``None`` when the answers cannot be scored (incomplete with no published prorating
    rule) or when the instrument has no total. ``complete`` is True only when every item that had to be
    answered was answered; a prorated total comes with ``complete=False`` and ``details["prorated"]``.
    """

    instrument: str
    total: int | float | None
    band: str | None
    flags: list[str] = field(default_factory=list)
    complete: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The five public fields as a JSON-ready dict (the CLI's ``--json`` shape)."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "flags": list(self.flags),
            "complete": self.complete,
        }

    def as_dict(self) -> dict[str, Any]:
        """All fields, including ``details``, as a JSON-ready dict (for persisting with the inputs)."""
        return {**self.summary(), "details": dict(self.details)}


@dataclass(frozen=True)
class ScoringOptions:
    """Clinic-configurable cut-offs. Defaults follow the sources cited in each module.

    Every field here is a threshold a medical director may change; several defaults are UNVERIFIED in
    the clinical reference (see docs/instruments.md).
    """

    # MADRS remission: clinical.md §5.1 says sources differ (<10 Hawley 2002, <=12 meta-analyses,
    # <=10 common in ketamine trials, UNVERIFIED); product default <=10, configurable.
    madrs_remission_max: int = 10
    # MADRS bands: Snaith cut-points (MADRS-bands); the alternative 12/24/35 set is MADRS_BANDS_ALTERNATIVE.
    madrs_bands: tuple[Band, ...] | None = None
    # PHQ-2 positive screen at >= 3 (Kroenke, Spitzer, Williams, Med Care 2003;41:1284). Not in clinical.md.
    phq2_positive_min: int = 3
    # NRS bands: ePPOC 0-4 mild, 5-6 moderate, 7-10 severe (BPI); the 1-3/4-6 split is UNVERIFIED.
    nrs_bands: tuple[Band, ...] | None = None
    # Modified Aldrete and PADSS: >= 9 of 10 may leave (Aldrete 1995; Chung 1995).
    aldrete_discharge_min: int = 9
    padss_discharge_min: int = 9
    # ODI: the source shows a score with one section missing; how many may be missing is not stated.
    odi_max_missing_sections: int = 1
    # BPI interference: valid when at least 4 of 7 items are answered (BPI user guide via ePPOC).
    bpi_interference_min_answered: int = 4
    # CADSS-23 subscale item lists (depersonalisation, derealisation, amnesia): allocation UNVERIFIED
    # (clinical.md §5.2), so none by default; a clinic may supply ((name, (item numbers...)), ...).
    cadss23_subscales: tuple[tuple[str, tuple[int, ...]], ...] = ()


def validate(instrument: Instrument, answers: Answers) -> list[int | None]:
    """Check length, types and ranges; return the answers as a list. Raises :class:`InstrumentError`."""
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InstrumentError(
            ANSWERS_NOT_A_LIST.format(instrument_id=instrument.id, kind=type(answers).__name__)
        )
    if len(answers) != instrument.item_count():
        raise InstrumentError(
            WRONG_ANSWER_COUNT.format(
                instrument_id=instrument.id, expected=instrument.item_count(), got=len(answers)
            )
        )
    checked: list[int | None] = []
    for position, (item, value) in enumerate(zip(instrument.items, answers, strict=True), start=1):
        if value is None:
            checked.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InstrumentError(
                ANSWER_NOT_INTEGER.format(
                    instrument_id=instrument.id, position=position, item_id=item.id, value=value
                )
            )
        if value not in item.values:
            raise InstrumentError(
                ANSWER_OUT_OF_RANGE.format(
                    instrument_id=instrument.id,
                    position=position,
                    item_id=item.id,
                    value=value,
                    allowed=_describe_values(item.values),
                )
            )
        checked.append(value)
    return checked


def _describe_values(values: tuple[int, ...]) -> str:
    ordered = sorted(values)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{ordered[0]}..{ordered[-1]}"
    return ", ".join(str(v) for v in ordered)


def band_for(total: float, bands: Sequence[Band]) -> str | None:
    """Name of the first band containing ``total``, or None."""
    for band in bands:
        if band.contains(total):
            return band.name
    return None


def scale(low: int, high: int, labels: Mapping[int, str] | None = None) -> tuple[Choice, ...]:
    """Choices for an integer scale ``low..high``; unlabelled points get their number as label."""
    labels = labels or {}
    return tuple(Choice(value, labels.get(value, str(value))) for value in range(low, high + 1))


YES_NO = (Choice(0, "No"), Choice(1, "Yes"))


def incomplete(instrument: Instrument, answers: list[int | None], **details: Any) -> ScoreResult:
    """The standard "cannot be scored" result: no total, no band, the unanswered positions listed."""
    missing = [position for position, value in enumerate(answers, start=1) if value is None]
    return ScoreResult(
        instrument=instrument.id,
        total=None,
        band=None,
        flags=[],
        complete=False,
        details={"missing_items": missing, **details},
    )
