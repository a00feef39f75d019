"""One table of typed columns, downloaded three ways (decision 0030): every report and list export of
Logis builds a ``Table`` and ``table_response`` writes it.

- ``csv``: the plain CSV tools and accountants import: ``,`` between cells, amounts ``1234.50``, dates
  ``2026-12-05``, UTF-8 with a BOM;
- ``csv-fr``: the CSV a French-Canadian Excel opens by a double click: ``;`` between cells (the list
  separator of a fr-CA Windows, since the comma is its decimal separator), amounts ``1234,50``, UTF-8 with
  a BOM (without it Excel reads the accents as Windows-1252);
- ``xlsx``: a workbook: amounts are numbers shown with two decimals, dates are dates, a bold header row
  that stays in view, columns wide enough for what they hold.

Text cells are never formulas: in the CSVs a leading ``= + - @`` gets an apostrophe (``safe_cell``); in the
workbook they are written as strings. A number or a date is typed, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

from logis.core.csv_export import BOM, plain_amount, safe_cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
CENT = Decimal("0.01")

Cell = str | Decimal | dt.date | int | None


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"  # a decimal that is not money (a share, 12.3456 %): as many places as it has


class Format(StrEnum):
    CSV = "csv"
    CSV_FR = "csv-fr"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    # Width in characters in the workbook; by default the header's, at least that of the kind's values.
    width: int | None = None

    def xlsx_width(self) -> int:
        if self.width is not None:
            return self.width
        least = {Kind.MONEY: 14, Kind.DATE: 12, Kind.INTEGER: 10, Kind.NUMBER: 10, Kind.TEXT: 16}[self.kind]
        return min(max(len(self.header) + 2, least), MAX_WIDTH)


@dataclass
class Table:
    """``rows`` hold typed values in the order of ``columns`` (``None``: an empty cell); they may be a
    generator read after the view returned, so labels are translated before building the table."""

    title: str
    columns: list[Column]
    rows: Iterable[Sequence[Cell]] = field(default_factory=list)


def requested_format(request: HttpRequest) -> Format:
    """``?format=csv-fr`` or ``?format=xlsx``; anything else (or nothing) is the plain CSV."""
    try:
        return Format(request.GET.get("format", Format.CSV))
    except ValueError:
        return Format.CSV


def _text(column: Column, value: Cell, *, decimal_comma: bool) -> str:
    if value is None or value == "":
        return ""
    if column.kind == Kind.MONEY:
        text = plain_amount(Decimal(value))  # type: ignore[arg-type]
        return text.replace(".", ",") if decimal_comma else text
    if column.kind == Kind.NUMBER:
        text = format(Decimal(value).normalize(), "f")  # type: ignore[arg-type]
        return text.replace(".", ",") if decimal_comma else text
    if column.kind == Kind.DATE:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if column.kind == Kind.INTEGER:
        return str(value)
    return safe_cell(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(table: Table, *, french: bool) -> Iterator[str]:
    """The table as CSV lines, the first with the BOM and the header."""
    writer = csv.writer(_Echo(), delimiter=";" if french else ",", lineterminator="\r\n")
    yield BOM + writer.writerow([safe_cell(c.header) for c in table.columns])
    for row in table.rows:
        yield writer.writerow(
            [_text(c, v, decimal_comma=french) for c, v in zip(table.columns, row, strict=True)]
        )


def write_xlsx(table: Table, out: IO[bytes]) -> None:
    """The table as an XLSX workbook of one sheet, written to ``out`` (a file: the workbook is zipped
    there, never held whole in memory).

    openpyxl's write-only mode writes each row to a temporary file as it is appended. The rows are
    handed to it as plain values (it reuses one cell for those and skips empty ones) except where a cell
    needs a style or a type: amounts (one styled cell per column, reused row after row: openpyxl writes a
    row as soon as it is appended) and text that would be read as a formula. Building a styled cell for
    every value cost about twice the time (decision 0039).
    """
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    # A sheet's name: at most 31 characters, none of : \ / ? * [ ].
    sheet = book.create_sheet(title="".join(ch for ch in table.title if ch not in ":\\/?*[]")[:31] or "Logis")
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.xlsx_width()
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    writers = [_xlsx_writer(sheet, column, WriteOnlyCell) for column in table.columns]
    for row in table.rows:
        sheet.append([None if v is None or v == "" else w(v) for w, v in zip(writers, row, strict=True)])
    book.save(out)


def xlsx_bytes(table: Table) -> bytes:
    """The workbook as bytes (tests and small tables; the views stream it from a temporary file)."""
    out = io.BytesIO()
    write_xlsx(table, out)
    return out.getvalue()


def _xlsx_writer(sheet: object, column: Column, factory: type) -> Callable[[Cell], object]:
    """What one non-empty value of ``column`` becomes in the sheet: a plain value, or a cell."""
    if column.kind == Kind.MONEY:
        money = factory(sheet)
        money.number_format = MONEY_FORMAT

        def amount(value: Cell) -> object:
            money.value = Decimal(value).quantize(CENT)  # type: ignore[arg-type]
            return money

        return amount
    if column.kind == Kind.DATE:
        # openpyxl gives a date its own format, yyyy-mm-dd (DATE_FORMAT).
        return lambda value: value
    if column.kind == Kind.INTEGER:
        return lambda value: int(value)  # type: ignore[arg-type]
    if column.kind == Kind.NUMBER:
        return lambda value: Decimal(value)  # type: ignore[arg-type]

    def text(value: Cell) -> object:
        value = str(value)
        if not value.startswith("="):
            return value
        cell = factory(sheet, value=value)
        cell.data_type = "s"  # « =SUM(...) » typed by someone stays text, never a formula
        return cell

    return text


def table_response(table: Table, *, filename: str, fmt: Format) -> HttpResponse | StreamingHttpResponse:
    """The table as an attachment ``<filename>.csv`` / ``<filename>.xlsx`` in the format asked for."""
    if fmt == Format.XLSX:
        # Zipped into a temporary file (deleted when closed, even if the process stops) and sent from
        # there by chunks: a journal of 200,000 lines never sits in memory as one workbook.
        workbook = tempfile.TemporaryFile()  # noqa: SIM115  # closed by FileResponse once sent
        try:
            write_xlsx(table, workbook)
        except BaseException:
            workbook.close()
            raise
        workbook.seek(0)
        return FileResponse(
            workbook, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
        )
    french = fmt == Format.CSV_FR
    streamed = StreamingHttpResponse(csv_lines(table, french=french), content_type="text/csv; charset=utf-8")
    suffix = "-excel" if french else ""
    streamed["Content-Disposition"] = f'attachment; filename="{filename}{suffix}.csv"'
    return streamed
