from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from logis.core.money import AmountParseError, format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1234,50 $", "1234.50"),
        ("1\u00a0234,50\u00a0$", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("0,01", "0.01"),
        ("12", "12.00"),
        ("1.234.567,89", "1234567.89"),
    ],
)
def test_parse_amount_accepts_what_people_type_in_french(text: str, expected: str) -> None:
    with translation.override("fr"):
        assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "12,345", "1.2.3", "1,2,3", "12.345", "1 2 3,4,5", "$", "--5"])
def test_parse_amount_refuses_garbage_and_more_than_two_decimals_in_french(text: str) -> None:
    with translation.override("fr"), pytest.raises(AmountParseError):
        parse_amount(text)


def test_english_comma_groups_thousands() -> None:
    with translation.override("en"):
        assert parse_amount("1,234") == Decimal("1234.00")


def test_format_amount_follows_the_locale() -> None:
    assert format_amount(Decimal("1234.56"), "fr") == "1\u00a0234,56\u00a0$"
    assert format_amount(Decimal("1234.56"), "en") == "$1,234.56"
    assert format_amount(Decimal("0.5"), "en") == "$0.50"


cents = st.integers(min_value=1, max_value=9_999_999_999)


@given(cents, st.sampled_from(["fr", "en"]))
def test_formatted_amount_parses_back_to_the_same_value(value: int, lang: str) -> None:
    amount = Decimal(value) / 100
    with translation.override(lang):
        assert parse_amount(format_amount(amount, lang)) == amount
