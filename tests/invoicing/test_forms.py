"""Amounts as people type them, read through the invoice form (French and English)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from logis.invoicing.forms import InvoiceForm

TODAY = dt.date(2026, 11, 24)
UNITS = [(1, "101")]


def form_amount(text: str, language: str = "fr") -> tuple[Decimal | None, list[str]]:
    with translation.override(language):
        form = InvoiceForm(
            {"unit": "1", "title": "T", "amount": text, "due_date": "2026-11-24"}, units=UNITS, today=TODAY
        )
        form.is_valid()
        return form.cleaned_data.get("amount"), [str(e) for e in form.errors.get("amount", [])]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1234,50 $", "1234.50"),
        ("1\u00a0234,50\u00a0$", "1234.50"),
        ("0,01", "0.01"),
        ("75", "75.00"),
    ],
)
def test_amount_accepts_what_people_type_in_french(typed: str, expected: str) -> None:
    assert form_amount(typed) == (Decimal(expected), [])


@pytest.mark.parametrize("typed", ["0", "0,00", "-5", "abc", "12,345,6", "1.2.3,45", "10,005", "$"])
def test_amount_refuses_zero_negative_garbage_and_three_decimals(typed: str) -> None:
    amount, errors = form_amount(typed)
    assert amount is None and errors


def test_amount_error_is_in_the_users_language() -> None:
    assert form_amount("0", "fr")[1] == ["Le montant doit être supérieur à 0 $."]
    assert form_amount("0", "en")[1] == ["The amount must be greater than $0."]


cents = st.integers(min_value=1, max_value=9_999_999_999)


def french_spellings(value: Decimal) -> list[str]:
    integer, _, fraction = f"{value:.2f}".partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    spaced = " ".join(groups)
    return [
        f"{''.join(groups)},{fraction}",
        f"{spaced},{fraction}",
        f"{spaced},{fraction} $",
        f"{''.join(groups)}.{fraction}",
        f"{''.join(groups)},{fraction}\u00a0$",
    ]


@given(cents=cents)
def test_amount_typed_any_french_way_is_read_exactly(cents: int) -> None:
    value = Decimal(cents) / 100
    for typed in french_spellings(value):
        assert form_amount(typed) == (value.quantize(Decimal("0.01")), []), typed


@given(cents=cents)
def test_amount_typed_the_english_way_is_read_exactly(cents: int) -> None:
    value = (Decimal(cents) / 100).quantize(Decimal("0.01"))
    assert form_amount(f"${value:,.2f}", "en") == (value, [])


@given(text=st.text(max_size=20))
def test_amount_never_crashes_on_any_text(text: str) -> None:
    amount, errors = form_amount(text)
    assert (amount is None) == bool(errors) or text.strip() == ""
    if amount is not None:
        assert amount > 0 and amount == amount.quantize(Decimal("0.01"))
