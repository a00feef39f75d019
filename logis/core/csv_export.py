"""CSV files people open in a spreadsheet: UTF-8 with a BOM (Excel reads the accents), headers in the
reader's language, amounts as plain decimals, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Text as a spreadsheet shows it, never as a formula: a leading = + - @ gets an apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def plain_amount(value: Decimal | None) -> str:
    """``1234.50``: a dot, two places, no separator, whatever the user's language."""
    return f"{(value or Decimal('0')):.2f}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list[str]]) -> StreamingHttpResponse:
    """Stream ``header`` then ``rows`` as a CSV attachment named ``filename``.

    ``header`` is translated by the caller before: rows may be written after the view has returned.
    """
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield BOM + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
