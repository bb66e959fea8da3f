"""De-identification for a research export: consistent per-patient date shift, pseudonyms, dropped identifiers."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ketaflow.domain.outcomes import date_shift_days, deidentify_row, pseudonym, shift_date

SECRET = b"0123456789abcdef-research-export"


def test_shift_is_stable_for_a_patient_and_bounded() -> None:
    first = date_shift_days(SECRET, "patient-1")
    assert first == date_shift_days(SECRET, "patient-1")
    assert 1 <= abs(first) <= 180
    shifts = {date_shift_days(SECRET, f"patient-{i}") for i in range(200)}
    assert len(shifts) > 50  # patients get different shifts


def test_shift_depends_on_the_secret() -> None:
    other = b"another-secret-of-enough-length!"
    assert [date_shift_days(SECRET, f"p{i}") for i in range(20)] != [
        date_shift_days(other, f"p{i}") for i in range(20)
    ]


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        date_shift_days(b"short", "p1")


def test_intervals_between_a_patients_dates_are_preserved() -> None:
    a = shift_date(date(2026, 3, 2), secret=SECRET, patient_id="p1")
    b = shift_date(date(2026, 5, 1), secret=SECRET, patient_id="p1")
    assert (b - a).days == (date(2026, 5, 1) - date(2026, 3, 2)).days
    t = shift_date(datetime(2026, 3, 2, 9, 30), secret=SECRET, patient_id="p1")
    assert isinstance(t, datetime) and t.time().hour == 9


def test_pseudonym_is_stable_and_not_the_id() -> None:
    assert pseudonym(SECRET, "p1") == pseudonym(SECRET, "p1")
    assert pseudonym(SECRET, "p1") != pseudonym(SECRET, "p2")
    assert "p1" not in pseudonym(SECRET, "p1")


def test_row_loses_direct_identifiers_and_shifts_dates() -> None:
    row = {
        "patient_id": "p1",
        "name": "Pat Example",
        "email": "pat@example.org",
        "phone": "515-555-0100",
        "address": "1 Main St",
        "zip_code": "50266",
        "mrn": "A123",
        "date_of_birth": date(1960, 1, 2),
        "age_years": 91,
        "measured_on": date(2026, 3, 2),
        "phq9": 14,
    }
    out = deidentify_row(row, secret=SECRET, patient_id="p1", date_fields=("measured_on",))
    for gone in ("patient_id", "name", "email", "phone", "address", "zip_code", "mrn", "date_of_birth"):
        assert gone not in out
    assert out["subject"] == pseudonym(SECRET, "p1")
    assert out["measured_on"] == shift_date(date(2026, 3, 2), secret=SECRET, patient_id="p1")
    assert out["age_years"] == "90+"
    assert out["phq9"] == 14
