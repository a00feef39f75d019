"""Money: Decimal with two places, parsed from what people type and written as their locale does.

French (Canada): ``1 234,56 $``; English (Canada): ``$1,234.56``. Never a float.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")
NBSP = "\u00a0"
NNBSP = "\u202f"


class AmountParseError(ValueError):
    """The text is not an amount of money."""


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")


def parse_amount(text: str) -> Decimal:
    """Read an amount typed in French or English: ``1234.5``, ``1 234,50``, ``1234,50 $``, ``$1,234.50``.

    More than two decimals is refused rather than rounded: a typo must not change what is billed.
    """
    raw = (text or "").strip()
    cleaned = _SPACES.sub("", raw.replace("$", "").replace("CAD", ""))
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    if not re.fullmatch(r"[0-9][0-9.,]*|[.,][0-9]+", cleaned or "x"):
        raise AmountParseError(raw)
    last_sep = max(cleaned.rfind(","), cleaned.rfind("."))
    integer, fraction = cleaned, ""
    if last_sep >= 0:
        sep = cleaned[last_sep]
        tail = cleaned[last_sep + 1 :]
        other = "." if sep == "," else ","
        only_one_kind = other not in cleaned
        if only_one_kind and cleaned.count(sep) > 1:
            # 1,234,567 or 1.234.567: all separators group thousands.
            integer = cleaned
        elif only_one_kind and len(tail) == 3 and sep == "," and not _french_active():
            integer = cleaned  # English "1,234" is one thousand two hundred thirty-four.
        else:
            integer, fraction = cleaned[:last_sep], tail
    if integer and not integer.isdigit():
        groups = re.split(r"[.,]", integer)
        if len(set(re.findall(r"[.,]", integer))) > 1 or not (1 <= len(groups[0]) <= 3):
            raise AmountParseError(raw)
        if any(len(g) != 3 for g in groups[1:]):
            raise AmountParseError(raw)
        integer = "".join(groups)
    if not fraction.isdigit() and fraction != "":
        raise AmountParseError(raw)
    if len(fraction) > 2:
        raise AmountParseError(raw)
    value = quantize(Decimal(f"{integer or '0'}.{fraction or '0'}"))
    return -value if negative else value


def _french_active() -> bool:
    return (translation.get_language() or "fr").startswith("fr")


def format_amount(value: Decimal | int | None, language: str | None = None) -> str:
    """``1 234,56 $`` in French, ``$1,234.56`` in English (Canadian conventions)."""
    if value is None:
        return ""
    amount = quantize(Decimal(value))
    lang = (language or translation.get_language() or "fr")[:2]
    sign = "-" if amount < 0 else ""
    integer, _, fraction = f"{abs(amount):.2f}".partition(".")
    groups: list[str] = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    if lang == "fr":
        return f"{sign}{NBSP.join(groups)},{fraction}{NBSP}$"
    return f"{sign}${','.join(groups)}.{fraction}"


def to_cents(value: Decimal) -> int:
    return int(quantize(value) * 100)


def from_cents(cents: int) -> Decimal:
    return quantize(Decimal(cents) / 100)
