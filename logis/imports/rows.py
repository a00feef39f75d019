"""Rows of an import file as a plan: each row read, its values checked, and what it says about a unit
and its residents (``_Planner``); what is refused is said per line, in the reader's language. Pure:
no database (``planning`` compares the plan with the property's data)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from logis.core.errors import ValidationError
from logis.core.language import Language
from logis.core.money import MAX_AMOUNT, AmountParseError, parse_amount
from logis.core.permissions import Action
from logis.imports.parsing import ParsedFile, RawRow
from logis.properties.models import OccupancyKind, Property, Resident, Unit
from logis.properties.rules import clean_resident, clean_unit_number, parse_share

IMPORT_ACTIONS = (Action.MANAGE_UNITS, Action.MANAGE_RESIDENTS, Action.CREATE_INVOICE, Action.PUBLISH_INVOICE)
FLOOR_MAX = 20
TYPE_MAX = 40
ADDRESS_MAX = 255

_YES = {"oui", "o", "yes", "y", "1", "x", "vrai", "true", "principal", "primary"}
_NO = {"non", "n", "no", "0", "faux", "false", ""}
_OWNER = {"proprietaire", "propriétaire", "owner", "coproprietaire", "copropriétaire", "co-owner", "p", "o"}
_TENANT = {"locataire", "tenant", "l", "t", "renter"}
_LANGUAGES = {
    "fr": "fr", "francais": "fr", "français": "fr", "french": "fr", "f": "fr",
    "en": "en", "anglais": "en", "english": "en", "ang": "en", "e": "en", "a": "en",
}  # fmt: skip
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y")


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ResidentPlan:
    line: int
    name: str
    email: str
    phone: str
    language: str | None
    mailing_address: str
    kind: str
    primary: bool | None
    resident: Resident | None = None  # matched existing resident
    key: tuple[str, ...] = ()


@dataclass
class UnitPlan:
    line: int
    number: str
    share: Decimal | None = None
    share_given: bool = False
    floor: str = ""
    unit_type: str = ""
    balance: Decimal | None = None
    balance_date: dt.date | None = None
    balance_line: int = 0
    unit: Unit | None = None
    residents: list[ResidentPlan] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class Change:
    """One line of the preview: what happens to a unit (``action``: created, changed, unchanged)."""

    unit: str
    action: str
    details: list[str]


@dataclass
class ImportPlan:
    errors: list[RowError]
    notices: list[str]
    unknown_columns: list[str]
    units: list[UnitPlan]
    changes: list[Change]
    counts: dict[str, int]
    shares_total: Decimal | None
    rows: int

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        return any(c.action != "unchanged" for c in self.changes)

    @property
    def shares_balanced(self) -> bool:
        return self.shares_total is None or self.shares_total == Decimal("100")


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _norm(value: str) -> str:
    return value.strip().casefold()


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_balance(value: object) -> Decimal:
    if isinstance(value, Decimal):
        if value != value.quantize(Decimal("0.01")):
            raise AmountParseError(str(value))
        return value.quantize(Decimal("0.01"))
    text = _text(value)
    negative = False
    if text.startswith("(") and text.endswith(")"):  # accounting style: (50,00) is a credit
        text, negative = text[1:-1], True
    amount = parse_amount(text)
    return -amount if negative else amount


def _share_value(value: object) -> Decimal | None:
    if isinstance(value, Decimal):
        return parse_share(value)
    return parse_share(_text(value))


def _error_text(exc: ValidationError) -> str:
    return "; ".join(str(m) for messages in exc.errors.values() for m in messages)


class _Planner:
    def __init__(self, property: Property, parsed: ParsedFile, today: dt.date) -> None:
        self.property = property
        self.parsed = parsed
        self.today = today
        self.errors: list[RowError] = []
        self.notices: list[str] = []

    def error(self, line: int, column: str, message: str | Promise) -> None:
        label = self.parsed.headers.get(column, column) if column else ""
        self.errors.append(RowError(line=line, column=label, message=str(message)))

    # --- reading each row ---------------------------------------------------------------------

    def read_rows(self) -> dict[str, UnitPlan]:
        plans: dict[str, UnitPlan] = {}
        for row in self.parsed.rows:
            self.read_row(row, plans)
        return plans

    def read_row(self, row: RawRow, plans: dict[str, UnitPlan]) -> None:
        line, values = row.line, row.values
        for column in row.formulas:
            self.error(line, column, _("This cell holds a formula: type its value instead."))
        if row.formulas:
            return
        raw_number = _text(values.get("unit", ""))
        try:
            number = clean_unit_number(raw_number)
        except ValidationError as exc:
            self.error(line, "unit", _error_text(exc))
            return
        key = number.casefold()
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = UnitPlan(line=line, number=number)
        ok = True
        # Unit values: the first row of a unit that gives one sets it; another row may repeat it.
        if _text(values.get("share", "")):
            try:
                share = _share_value(values["share"])
            except ValidationError as exc:
                self.error(line, "share", _error_text(exc))
                ok = False
            else:
                ok &= self._same(plan, "share", share, line, number)
        for column, limit in (("floor", FLOOR_MAX), ("unit_type", TYPE_MAX)):
            text = _text(values.get(column, ""))
            if text:
                if len(text) > limit:
                    self.error(line, column, _("At most %(max)d characters.") % {"max": limit})
                    ok = False
                else:
                    ok &= self._same(plan, column, text, line, number)
        if _text(values.get("balance", "")):
            try:
                balance = _parse_balance(values["balance"])
                if abs(balance) > MAX_AMOUNT:
                    raise AmountParseError(str(balance))
            except (AmountParseError, ArithmeticError):
                self.error(line, "balance", _("Enter an amount such as 1 234,56 or -50.00 (a credit)."))
                ok = False
            else:
                ok &= self._same(plan, "balance", balance, line, number)
        if _text(values.get("balance_date", "")):
            day = _parse_date(values["balance_date"])
            if day is None:
                self.error(line, "balance_date", _("Enter a date such as 2026-01-31."))
                ok = False
            elif day > self.today:
                self.error(line, "balance_date", _("The balance date cannot be in the future."))
                ok = False
            else:
                ok &= self._same(plan, "balance_date", day, line, number)
        # The resident's cells are checked too, so one preview lists every mistake of the row.
        self.read_resident(line, values, plan, keep=ok)

    def _same(self, plan: UnitPlan, name: str, value: Any, line: int, number: str) -> bool:
        if name in plan.lines:
            if getattr(plan, name) != value:
                self.error(
                    line,
                    name,
                    _("Unit %(unit)s has another value for this column on line %(line)d.")
                    % {"unit": number, "line": plan.lines[name]},
                )
                return False
            return True
        plan.lines[name] = line
        setattr(plan, name, value)
        if name == "share":
            plan.share_given = True
        if name == "balance":
            plan.balance_line = line
        return True

    def read_resident(self, line: int, values: dict[str, Any], plan: UnitPlan, keep: bool = True) -> None:
        first = _text(values.get("first_name", ""))
        last = _text(values.get("last_name", ""))
        email = _text(values.get("email", ""))
        others = [_text(values.get(c, "")) for c in ("role", "phone", "primary", "mailing_address")]
        if not (first or last or email):
            if any(others):
                self.error(line, "last_name", _("Enter the resident's name."))
            return
        name = f"{first} {last}".strip()
        phone = _text(values.get("phone", ""))
        raw_language = _norm(_text(values.get("language", "")))
        language: str | None = None
        ok = True
        if raw_language:
            language = _LANGUAGES.get(raw_language)
            if language is None:
                self.error(line, "language", _("Write fr or en."))
                ok = False
        try:
            cleaned = clean_resident(name, email, phone, language or Language.FR)
        except ValidationError as exc:
            columns = {"name": "last_name", "email": "email", "phone": "phone", "language": "language"}
            for field_name, messages in exc.errors.items():
                self.error(line, columns.get(field_name, field_name), "; ".join(str(m) for m in messages))
            return
        raw_role = _norm(_text(values.get("role", "")))
        if not raw_role or raw_role in _OWNER:
            kind = OccupancyKind.OWNER
        elif raw_role in _TENANT:
            kind = OccupancyKind.TENANT
        else:
            self.error(line, "role", _("Write owner or tenant (propriétaire or locataire)."))
            ok = False
            kind = OccupancyKind.OWNER
        raw_primary = _norm(_text(values.get("primary", "")))
        primary: bool | None = None
        if raw_primary in _YES:
            primary = True
        elif raw_primary in _NO:
            primary = False if raw_primary else None
        else:
            self.error(line, "primary", _("Write yes or no (oui or non)."))
            ok = False
        address = _text(values.get("mailing_address", ""))
        if len(address) > ADDRESS_MAX:
            self.error(line, "mailing_address", _("At most %(max)d characters.") % {"max": ADDRESS_MAX})
            ok = False
        if not ok or not keep:
            return
        resident = ResidentPlan(
            line=line,
            name=cleaned["name"],
            email=cleaned["email"],
            phone=cleaned["phone"],
            language=language,
            mailing_address=address,
            kind=kind,
            primary=primary,
        )
        for other in plan.residents:
            if _norm(other.name) == _norm(resident.name) and other.email == resident.email:
                self.error(
                    line,
                    "last_name",
                    _("%(name)s is already on line %(line)d for unit %(unit)s.")
                    % {"name": resident.name, "line": other.line, "unit": plan.number},
                )
                return
            if primary and other.primary:
                self.error(
                    line,
                    "primary",
                    _("Unit %(unit)s already has its primary resident on line %(line)d.")
                    % {"unit": plan.number, "line": other.line},
                )
                return
        plan.residents.append(resident)
