"""Dates as people read them: French writes the first of the month « 1er »."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from logis.core.dates import long_date


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (dt.date(2026, 12, 1), "fr", "1er décembre 2026"),
        (dt.date(2026, 12, 2), "fr", "2 décembre 2026"),
        (dt.date(2026, 12, 11), "fr", "11 décembre 2026"),
        (dt.date(2026, 12, 21), "fr", "21 décembre 2026"),
        (dt.date(2026, 12, 1), "en", "December 1, 2026"),
    ],
)
def test_long_dates_in_emails_write_the_first_of_the_month_as_french_does(
    day: dt.date, language: str, expected: str
) -> None:
    assert long_date(day, language) == expected


def test_long_date_follows_the_active_language_when_none_is_given() -> None:
    with translation.override("fr"):
        assert long_date(dt.date(2027, 1, 1)) == "1er janvier 2027"
    with translation.override("en"):
        assert long_date(dt.date(2027, 1, 1)) == "January 1, 2027"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "1er mars 2027 · 15 mars 2027"), ("en", "March 1, 2027 · March 15, 2027")],
)
def test_pages_write_the_first_of_the_month_as_1er_in_french(language: str, expected: str) -> None:
    template = Template("{{ a|localdate }} · {{ b|localdate }}")
    with translation.override(language):
        text = template.render(Context({"a": dt.date(2027, 3, 1), "b": dt.date(2027, 3, 15)}))
    assert text == expected
