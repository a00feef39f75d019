"""Value types of the API: how money, dates, ids and text travel in JSON, in and out.

- Money is a JSON **string** with at most two decimals in ("1234.5", "1234.50") and exactly two out
  ("1234.50"). A JSON number is refused, never read: 0.1 + 0.2 as a float is not 0.30.
- Dates are ISO 8601 calendar dates ("2026-12-31") from 2000-01-01 to 10 years after today; due dates and
  payment dates are the property's local dates. Instants (created_at…) are ISO 8601 with their offset (UTC).
- Ids are positive 64-bit integers; text may not hold NUL or unpaired surrogates (no database takes them).

Messages of refusal are built when a request is validated, so they speak the request's language.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from pydantic import BeforeValidator, Field, PlainSerializer, StrictBool, StrictInt, WithJsonSchema

from logis.core.dates import date_range_error
from logis.core.money import quantize

MAX_ID = 2**63 - 1
MONEY_IN_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
MONEY_OUT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
_MONEY_IN = re.compile(MONEY_IN_PATTERN)
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _money_in(value: Any) -> Decimal:
    if isinstance(value, str) and _MONEY_IN.match(value):
        return Decimal(value)
    raise ValueError(_('Send the amount as a JSON string with at most two decimals, for example "1234.50".'))


def _money_out(value: Decimal | int) -> str:
    return f"{quantize(Decimal(value)):.2f}"


def _date_in(value: Any) -> dt.date:
    day: dt.date | None = None
    if isinstance(value, str) and _ISO_DATE.match(value):
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(value)
    if day is None:
        raise ValueError(_("Enter a date as YYYY-MM-DD, for example 2026-12-31."))
    error = date_range_error(day)
    if error:
        raise ValueError(error)
    return day


def _text_in(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Send this value as a JSON string."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("This text contains characters that are not allowed.")) from None
    if "\x00" in value:
        raise ValueError(_("This text contains characters that are not allowed."))
    return value


def _strict_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_("Enter a whole number."))
    return value


def _strict_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(_("Enter true or false."))
    return value


MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_IN_PATTERN,
            "description": "An amount in dollars, as a string with at most two decimals (never a number).",
            "examples": ["1234.50"],
        }
    ),
]
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_money_out, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": MONEY_OUT_PATTERN,
            "description": "An amount in dollars, as a string with two decimals.",
            "examples": ["1234.50"],
        }
    ),
]
DateIn = Annotated[
    dt.date,
    BeforeValidator(_date_in),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": "From 2000-01-01 to 10 years after today (logis.core.dates).",
        }
    ),
]


Text = Annotated[str, BeforeValidator(_text_in)]
# In a JSON body: a JSON integer (not "12", not 12.0, not true).
BodyId = Annotated[StrictInt, BeforeValidator(_strict_int), Field(ge=1, le=MAX_ID)]
BodyBool = Annotated[StrictBool, BeforeValidator(_strict_bool)]
# In a path or query string (text by nature): digits.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
