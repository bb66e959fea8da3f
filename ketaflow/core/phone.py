"""US phone numbers as people type them: keep the 10 digits, show them as (515) 555-0123."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")


def us_phone(value: str) -> str | None:
    """The number formatted as (AAA) EEE-NNNN, or None when it is not 10 digits (a leading 1 is allowed)."""
    digits = _NOT_DIGIT.sub("", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
