"""Reading a bank statement (OFX/QFX, or CSV by a column mapping) into bank lines.

Nothing here touches the database: ``parse_statement`` turns the uploaded bytes into ``ParsedLine`` rows,
or raises ``StatementError`` with a message for the file field. Each line carries a stable ``line_id``:
the bank's FITID for OFX, a hash of date + amount + text (+ its occurrence in the file) for CSV, so that
the same file, or one that overlaps it, gives the same ids again (docs/decisions/0024-bank-deposits.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# ofxtools logs every element it converts at INFO: noise in the server's log for each upload.
logging.getLogger("ofxtools").setLevel(logging.WARNING)

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 10_000
MAX_TEXT = 255

OFX = "ofx"
CSV = "csv"

# Date formats a mapping may name; the banks' exports use these (see the presets).
DATE_FORMATS: dict[str, str] = {
    "ymd": "%Y-%m-%d",
    "ymd_slash": "%Y/%m/%d",
    "dmy": "%d/%m/%Y",
    "mdy": "%m/%d/%Y",
}
DATE_FORMAT_LABELS: dict[str, Promise] = {
    "ymd": _("YYYY-MM-DD"),
    "ymd_slash": _("YYYY/MM/DD"),
    "dmy": _("DD/MM/YYYY"),
    "mdy": _("MM/DD/YYYY"),
}


class StatementError(Exception):
    """The file cannot be read as a statement; ``message`` says why, for the file field."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ColumnMapping:
    """Where each value is in a bank's CSV export. Columns are numbered from 1; 0 means "none"."""

    date: int
    description: int
    amount: int = 0
    debit: int = 0
    credit: int = 0
    description2: int = 0
    reference: int = 0
    date_format: str = "ymd"
    header_rows: int = 1

    def problems(self) -> dict[str, Promise]:
        """What makes this mapping unusable, by field name."""
        errors: dict[str, Promise] = {}
        if self.date < 1:
            errors["date_column"] = _("Give the number of the date column.")
        if self.description < 1:
            errors["description_column"] = _("Give the number of the description column.")
        if self.amount < 1 and self.credit < 1:
            errors["amount_column"] = _("Give the amount column, or the credit (deposit) column.")
        if self.date_format not in DATE_FORMATS:
            errors["date_format"] = _("Choose the date format.")
        return errors


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    mapping: ColumnMapping
    note: str


# The published export formats of the banks our users hold accounts at. What each assumes is written
# in docs/decisions/0024-bank-deposits.md; a manager whose file differs corrects the columns once and
# Logis remembers them for that bank.
PRESETS: dict[str, Preset] = {
    "desjardins": Preset(
        key="desjardins",
        label="Desjardins (AccèsD)",
        # No header; transit, folio, account, date, n°, description, cheque, withdrawal, deposit, ...
        mapping=ColumnMapping(
            date=4, description=6, reference=7, debit=8, credit=9, date_format="ymd_slash", header_rows=0
        ),
        note="AccèsD « Exporter (CSV) »: no header, Windows-1252, dates YYYY/MM/DD",
    ),
    "bnc": Preset(
        key="bnc",
        label="Banque Nationale",
        # Date;Description;Catégorie;Débit;Crédit;Solde
        mapping=ColumnMapping(date=1, description=2, debit=4, credit=5, date_format="ymd", header_rows=1),
        note="Date;Description;Catégorie;Débit;Crédit;Solde, dates YYYY-MM-DD",
    ),
    "rbc": Preset(
        key="rbc",
        label="RBC Banque Royale / Royal Bank",
        # Account Type,Account Number,Transaction Date,Cheque Number,Description 1,Description 2,CAD$,USD$
        mapping=ColumnMapping(
            date=3, description=5, description2=6, reference=4, amount=7, date_format="mdy", header_rows=1
        ),
        note="Account Type, Account Number, Transaction Date (M/D/YYYY), Cheque Number, Description 1, "
        "Description 2, CAD$ (signed), USD$",
    ),
    "td": Preset(
        key="td",
        label="TD Canada Trust",
        # No header: date, description, withdrawal, deposit, balance
        mapping=ColumnMapping(date=1, description=2, debit=3, credit=4, date_format="mdy", header_rows=0),
        note="No header: date (MM/DD/YYYY), description, withdrawal, deposit, balance",
    ),
}


@dataclass
class ParsedLine:
    line_id: str
    posted_on: dt.date
    amount: Decimal  # positive: money in (a deposit); negative: money out
    description: str
    name: str = ""
    reference: str = ""


@dataclass
class ParsedStatement:
    format: str
    lines: list[ParsedLine] = field(default_factory=list)
    account: str = ""

    @property
    def deposits(self) -> list[ParsedLine]:
        return [line for line in self.lines if line.amount > 0]


def detect_format(name: str, data: bytes) -> str:
    """OFX/QFX by extension or by content (``OFXHEADER`` or ``<OFX>``), else CSV."""
    lower = (name or "").lower()
    if lower.endswith((".ofx", ".qfx")):
        return OFX
    head = data[:2048].lstrip(b"\xef\xbb\xbf \r\n\t").upper()
    if head.startswith(b"OFXHEADER") or (head.startswith(b"<?XML") and b"<OFX" in data[:4096].upper()):
        return OFX
    if b"<OFX>" in head:
        return OFX
    return CSV


def parse_statement(*, name: str, data: bytes, mapping: ColumnMapping | None) -> ParsedStatement:
    """The file's lines; ``mapping`` is needed for a CSV file only."""
    if not data or not data.strip():
        raise StatementError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise StatementError(_("The file is larger than 5 MB: export a shorter period."))
    if detect_format(name, data) == OFX:
        return parse_ofx(data)
    if mapping is None:
        raise StatementError(_("Choose the bank (or give the columns) to read a CSV file."))
    return parse_csv(data, mapping)


# --- OFX / QFX ---------------------------------------------------------------------------------------


def _clean(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()[:MAX_TEXT]


def parse_ofx(data: bytes) -> ParsedStatement:
    """An OFX 1.x (SGML) or 2.x (XML) bank or card statement, as the banks' « Money / Quicken » exports."""
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
        statements = list(ofx.statements)
    except Exception as exc:  # ofxtools raises many kinds (ParseError, ValueError, KeyError...)
        raise StatementError(
            _("This OFX/QFX file cannot be read. Download it again from your bank.")
        ) from exc
    parsed = ParsedStatement(format=OFX)
    seen: Counter[str] = Counter()
    for statement in statements:
        account = getattr(statement, "account", None)
        acctid = str(getattr(account, "acctid", "") or "")
        parsed.account = parsed.account or acctid
        for trn in statement.transactions or []:
            posted = getattr(trn, "dtposted", None)
            amount = getattr(trn, "trnamt", None)
            if posted is None or amount is None:
                continue
            fitid = _clean(getattr(trn, "fitid", ""))
            name = _clean(getattr(trn, "name", ""))
            memo = _clean(getattr(trn, "memo", ""))
            reference = _clean(getattr(trn, "checknum", "") or getattr(trn, "refnum", ""))
            posted_on = posted.date() if isinstance(posted, dt.datetime) else posted
            value = Decimal(amount).quantize(Decimal("0.01"))
            # FITIDs are unique per account: the account keeps two accounts' lines apart.
            line_id = f"ofx:{acctid}:{fitid}" if fitid else _hash_id(posted_on, value, f"{name} {memo}", seen)
            parsed.lines.append(
                ParsedLine(
                    line_id=line_id[:128],
                    posted_on=posted_on,
                    amount=value,
                    description=_clean(name if memo == name else " ".join(p for p in (name, memo) if p)),
                    name=name,
                    reference=reference,
                )
            )
    if len(parsed.lines) > MAX_LINES:
        raise StatementError(_("The file has more than 10 000 lines: export a shorter period."))
    return parsed


# --- CSV ---------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (what AccèsD and Excel in Quebec write)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    counts = {sep: sample.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


_AMOUNT_CLEAN = re.compile(r"[\s\u00a0\u202f$]|CAD", re.IGNORECASE)


def parse_bank_amount(text: str) -> Decimal | None:
    """A bank's amount: ``1234.50``, ``1 234,50``, ``-12.00``, ``(12.00)``, ``12.00-``, ``1,234.50``.
    None when the cell is empty. Raises ValueError when it is not an amount."""
    raw = _AMOUNT_CLEAN.sub("", text or "")
    if not raw:
        return None
    negative = False
    if raw.startswith("(") and raw.endswith(")"):
        negative, raw = True, raw[1:-1]
    if raw.endswith("-"):
        negative, raw = True, raw[:-1]
    if raw.startswith("-"):
        negative, raw = not negative, raw[1:]
    elif raw.startswith("+"):
        raw = raw[1:]
    if not re.fullmatch(r"\d[\d.,]*|[.,]\d+", raw):
        raise ValueError(text)
    match = re.search(r"[.,](\d{1,2})$", raw)
    if match:
        integer = re.sub(r"[.,]", "", raw[: match.start()])
        number = f"{integer or '0'}.{match.group(1)}"
    else:
        number = re.sub(r"[.,]", "", raw)
    try:
        value = Decimal(number).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if value >= Decimal("10000000000"):
        raise ValueError(text)
    return -value if negative else value


def _hash_id(posted_on: dt.date, amount: Decimal, text: str, seen: Counter[str]) -> str:
    """Stable id of a line without one: the same date, amount and text twice in one file are two lines
    (two equal e-Transfers on one day), told apart by their order of appearance."""
    base = f"{posted_on.isoformat()}|{amount}|{_clean(text).casefold()}"
    seen[base] += 1
    digest = hashlib.sha256(f"{base}|{seen[base]}".encode()).hexdigest()[:40]
    return f"csv:{digest}"


def _cell(row: list[str], column: int) -> str:
    if column < 1 or column > len(row):
        return ""
    return row[column - 1].strip()


def parse_csv(data: bytes, mapping: ColumnMapping) -> ParsedStatement:
    problems = mapping.problems()
    if problems:
        raise StatementError(next(iter(problems.values())))
    text = decode(data)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    parsed = ParsedStatement(format=CSV)
    seen: Counter[str] = Counter()
    date_format = DATE_FORMATS[mapping.date_format]
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise StatementError(_("This CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    rows = rows[mapping.header_rows :]
    if len(rows) > MAX_LINES:
        raise StatementError(_("The file has more than 10 000 lines: export a shorter period."))
    for number, row in enumerate(rows, start=mapping.header_rows + 1):
        if not any(cell.strip() for cell in row):
            continue
        date_text = _cell(row, mapping.date)
        try:
            posted_on = dt.datetime.strptime(date_text, date_format).date()
        except ValueError:
            if number == mapping.header_rows + 1 and not parsed.lines and mapping.header_rows == 0:
                continue  # a header the mapping did not expect
            raise StatementError(
                _("Line %(line)d: « %(value)s » is not a date in the format %(format)s. Check the columns.")
                % {"line": number, "value": date_text[:40], "format": DATE_FORMAT_LABELS[mapping.date_format]}
            ) from None
        try:
            if mapping.amount:
                amount = parse_bank_amount(_cell(row, mapping.amount)) or Decimal("0.00")
            else:
                credit = parse_bank_amount(_cell(row, mapping.credit)) or Decimal("0.00")
                debit = parse_bank_amount(_cell(row, mapping.debit)) if mapping.debit else None
                amount = credit - abs(debit or Decimal("0.00"))
        except ValueError:
            raise StatementError(
                _("Line %(line)d: the amount is not a number. Check the columns.") % {"line": number}
            ) from None
        description = " ".join(
            p for p in (_cell(row, mapping.description), _cell(row, mapping.description2)) if p
        )
        parsed.lines.append(
            ParsedLine(
                line_id=_hash_id(posted_on, amount, description, seen),
                posted_on=posted_on,
                amount=amount,
                description=_clean(description),
                reference=_clean(_cell(row, mapping.reference))[:120],
            )
        )
    if not parsed.lines:
        raise StatementError(_("The file has no transactions."))
    return parsed
