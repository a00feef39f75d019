"""Reading an import file (CSV or XLSX) into rows of text keyed by our column names.

CSV: UTF-8 with or without BOM, else Windows-1252; ``,`` or ``;`` as separator. XLSX: openpyxl in
read-only mode; a cell holding a formula is refused (its value is never computed by us). Headers are
matched in French or English whatever their accents or case; unknown columns are reported and ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000

# Our column names, each with the headers accepted for it (compared after ``normalize_header``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "unit": ("unite", "unit", "numero d unite", "no d unite", "no unite", "unit number", "numero", "number"),
    "share": ("quote part", "quote part %", "quotepart", "share", "share %", "shares", "quote parts"),
    "floor": ("etage", "floor"),
    "unit_type": ("type", "type d unite", "unit type"),
    "role": ("role", "qualite", "proprietaire ou locataire", "owner or tenant", "kind"),
    "first_name": ("prenom", "first name", "firstname", "given name"),
    "last_name": ("nom", "nom de famille", "last name", "lastname", "surname", "family name"),
    "email": ("courriel", "adresse courriel", "email", "e mail", "email address", "courriel adresse"),
    "phone": ("telephone", "tel", "phone", "phone number"),
    "language": ("langue", "language"),
    "primary": ("principal", "resident principal", "primary", "primary resident"),
    "mailing_address": ("adresse postale", "adresse de correspondance", "mailing address", "address"),
    "balance": ("solde d ouverture", "solde", "opening balance", "balance"),
    "balance_date": ("date du solde", "date du solde d ouverture", "balance date", "opening balance date"),
}
_HEADER_TO_COLUMN = {header: column for column, headers in COLUMNS.items() for header in headers}

# Template headers, in the order of the downloadable templates.
TEMPLATE_HEADERS: dict[str, list[str]] = {
    "fr": [
        "Unité",
        "Quote-part (%)",
        "Étage",
        "Type",
        "Rôle",
        "Prénom",
        "Nom",
        "Courriel",
        "Téléphone",
        "Langue",
        "Principal",
        "Adresse postale",
        "Solde d'ouverture",
        "Date du solde",
    ],
    "en": [
        "Unit",
        "Share (%)",
        "Floor",
        "Type",
        "Role",
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Language",
        "Primary",
        "Mailing address",
        "Opening balance",
        "Balance date",
    ],
}
TEMPLATE_EXAMPLES: dict[str, list[list[str]]] = {
    "fr": [
        [
            "101",
            "4,1667",
            "1",
            "Appartement",
            "Propriétaire",
            "Marie",
            "Tremblay",
            "marie@example.com",
            "514 555-0101",
            "fr",
            "oui",
            "",
            "1 234,56",
            "2026-01-01",
        ],
        [
            "101",
            "",
            "",
            "",
            "Propriétaire",
            "Jean",
            "Tremblay",
            "jean@example.com",
            "",
            "fr",
            "non",
            "",
            "",
            "",
        ],
        [
            "102",
            "4,1667",
            "1",
            "Appartement",
            "Locataire",
            "Sam",
            "Lee",
            "sam@example.com",
            "",
            "en",
            "oui",
            "12 rue des Érables, Montréal QC H2X 1A1",
            "-50,00",
            "2026-01-01",
        ],
    ],
    "en": [
        [
            "101",
            "4.1667",
            "1",
            "Apartment",
            "Owner",
            "Marie",
            "Tremblay",
            "marie@example.com",
            "514 555-0101",
            "fr",
            "yes",
            "",
            "1,234.56",
            "2026-01-01",
        ],
        ["101", "", "", "", "Owner", "Jean", "Tremblay", "jean@example.com", "", "fr", "no", "", "", ""],
        [
            "102",
            "4.1667",
            "1",
            "Apartment",
            "Tenant",
            "Sam",
            "Lee",
            "sam@example.com",
            "",
            "en",
            "yes",
            "12 Maple St, Montreal QC H2X 1A1",
            "-50.00",
            "2026-01-01",
        ],
    ],
}


class FileRefused(Exception):
    """The file as a whole cannot be read (too big, not CSV/XLSX, no header...)."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class RawRow:
    line: int
    values: dict[str, str | Decimal | dt.date]
    # Columns whose cell held a formula (refused, never evaluated).
    formulas: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    rows: list[RawRow]
    headers: dict[str, str]  # our column name -> the header as written in the file
    unknown_columns: list[str]
    duplicate_columns: list[str]


def normalize_header(text: str) -> str:
    """« Quote-part (%) » -> "quote part %": no accents, lower case, punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = re.sub(r"[^a-z0-9%]+", " ", bare)
    return bare.strip()


def _map_headers(cells: list[str]) -> tuple[dict[int, str], dict[str, str], list[str], list[str]]:
    by_index: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, cell in enumerate(cells):
        label = (cell or "").strip()
        if not label:
            continue
        key = normalize_header(label)
        column = _HEADER_TO_COLUMN.get(key) or _HEADER_TO_COLUMN.get(key.replace(" %", "").strip())
        if column is None:
            unknown.append(label)
        elif column in headers:
            duplicates.append(label)
        else:
            by_index[index] = column
            headers[column] = label
    if "unit" not in headers:
        raise FileRefused(
            _(
                "The first line must name the columns, with at least « Unité » (or « Unit »). "
                "See the template."
            )
        )
    return by_index, headers, unknown, duplicates


def decode_csv(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252 (what Excel on Windows saves as « CSV »)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRefused(_("The file's characters cannot be read: save it as CSV UTF-8.")) from exc


def _separator(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(data: bytes) -> ParsedFile:
    text = decode_csv(data)
    if "\x00" in text:
        raise FileRefused(_("This is not a CSV or XLSX file."))
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(first))
    by_index: dict[int, str] | None = None
    headers: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    rows: list[RawRow] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if by_index is None:
                by_index, headers, unknown, duplicates = _map_headers(cells)
                continue
            values: dict[str, str | Decimal | dt.date] = {}
            for index, column in by_index.items():
                if index < len(cells):
                    values[column] = cells[index].strip()
            rows.append(RawRow(line=line, values=values))
            if len(rows) > MAX_ROWS:
                raise FileRefused(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
    except csv.Error as exc:
        raise FileRefused(
            _("The CSV file cannot be read (line %(line)d).") % {"line": reader.line_num}
        ) from exc
    if by_index is None:
        raise FileRefused(_("The file is empty."))
    return ParsedFile(rows=rows, headers=headers, unknown_columns=unknown, duplicate_columns=duplicates)


def _cell_value(value: object) -> str | Decimal | dt.date:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same float: 4.1667, not 4.16670000000002.
        return Decimal(repr(value))
    return str(value).strip()


def read_xlsx(data: bytes) -> ParsedFile:
    try:
        return _read_xlsx(data)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(_("This XLSX file cannot be opened: save it again from your spreadsheet.")) from exc


def _read_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileRefused(_("This XLSX file cannot be opened: save it again from your spreadsheet.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRefused(_("The file is empty."))
        by_index: dict[int, str] | None = None
        headers: dict[str, str] = {}
        unknown: list[str] = []
        duplicates: list[str] = []
        rows: list[RawRow] = []
        for line, cells in enumerate(sheet.iter_rows(), start=1):
            if by_index is None:
                texts = [str(c.value) if c.value is not None else "" for c in cells]
                if not any(t.strip() for t in texts):
                    continue
                by_index, headers, unknown, duplicates = _map_headers(texts)
                continue
            values: dict[str, str | Decimal | dt.date] = {}
            formulas: list[str] = []
            for index, column in by_index.items():
                if index >= len(cells):
                    continue
                cell = cells[index]
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(column)
                    values[column] = ""
                    continue
                value = _cell_value(cell.value)
                # A share typed as « 3,5 % » in a percent-formatted cell is stored as 0.035.
                if isinstance(value, Decimal) and "%" in (getattr(cell, "number_format", "") or ""):
                    value = (value * 100).normalize()
                values[column] = value
            if not formulas and not any(str(v).strip() for v in values.values()):
                continue
            rows.append(RawRow(line=line, values=values, formulas=formulas))
            if len(rows) > MAX_ROWS:
                raise FileRefused(_("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS})
    finally:
        workbook.close()
    if by_index is None:
        raise FileRefused(_("The file is empty."))
    return ParsedFile(rows=rows, headers=headers, unknown_columns=unknown, duplicate_columns=duplicates)


def read_file(*, name: str, data: bytes) -> ParsedFile:
    """Parse ``data`` by its content (an XLSX is a zip file), whatever its name says."""
    if len(data) > MAX_BYTES:
        raise FileRefused(
            _("The file is larger than %(max)d MB: split it.") % {"max": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        raise FileRefused(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(_("This XLSX file cannot be opened: save it again from your spreadsheet."))
    return read_csv(data)
