import pytest

from ketaflow.core.phone import us_phone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("515 555 0199", "(515) 555-0199"),
        ("+1 (515) 555-0199", "(515) 555-0199"),
        ("515.555.0199", "(515) 555-0199"),
    ],
)
def test_us_numbers_are_stored_in_one_format(typed: str, stored: str) -> None:
    assert us_phone(typed) == stored


@pytest.mark.parametrize("typed", ["555-12", "2515 555 0199", "", "phone"])
def test_anything_but_ten_digits_is_refused(typed: str) -> None:
    assert us_phone(typed) is None
