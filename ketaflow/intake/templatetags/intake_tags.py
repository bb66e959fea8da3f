from __future__ import annotations

from django import template

register = template.Library()

SHORT_LABELS = {
    "phq9": "PHQ-9",
    "phq2": "PHQ-2",
    "gad7": "GAD-7",
    "cssrs_screener": "C-SSRS",
    "nrs": "Pain NRS",
    "peg3": "PEG",
    "bpi_sf": "BPI-SF",
}


@register.filter
def instrument_label(instrument_id: str) -> str:
    """Short clinical name of an instrument id (PHQ-9, GAD-7, C-SSRS...)."""
    return SHORT_LABELS.get(instrument_id, instrument_id.upper())
