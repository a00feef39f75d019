"""Import units, residents and opening balances from a file: preview, apply (one transaction), undo.

The same code computes the preview and the change: ``plan_import`` reads the file and the property's
current data and says, row by row, what would be created, changed or refused. ``apply_import`` plans
again from the stored file inside a transaction that locks the property and its units, and writes the
plan only if no row is refused: a file imports exactly, or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.language import Language
from logis.core.money import MAX_AMOUNT, AmountParseError, parse_amount
from logis.core.permissions import Action, require
from logis.finances.models import CategoryCode
from logis.imports.models import ImportBatch, ImportStatus, OpeningBalance
from logis.imports.parsing import FileRefused, ParsedFile, RawRow, read_file
from logis.invoicing.lines import create_single_lines, single_line_category
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.ledger import posting as ledger
from logis.ledger.models import AccountKind, EntryKind
from logis.payments.credits import credit_balance
from logis.payments.models import CreditKind, Payment, UnitCredit
from logis.properties.models import Occupancy, OccupancyKind, Property, Resident, Unit, natural_key
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


# --- planning against the database ---------------------------------------------------------------


def _unit_changes(plan: UnitPlan, unit: Unit) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    if plan.number != unit.number:
        changes["number"] = (unit.number, plan.number)
    if plan.share_given and plan.share != unit.share:
        changes["share"] = (unit.share, plan.share)
    if plan.floor and plan.floor != unit.floor:
        changes["floor"] = (unit.floor, plan.floor)
    if plan.unit_type and plan.unit_type != unit.unit_type:
        changes["unit_type"] = (unit.unit_type, plan.unit_type)
    return changes


def _resident_changes(rp: ResidentPlan, resident: Resident) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in ("phone", "mailing_address", "language"):
        value = getattr(rp, name)
        if value and value != getattr(resident, name):
            changes[name] = (getattr(resident, name), value)
    return changes


@dataclass
class _Db:
    units: dict[str, Unit]
    by_email: dict[tuple[str, str], Resident]
    by_unit_name: dict[tuple[int, str], Resident]
    occupancies: dict[tuple[int, int], Occupancy]
    primaries: dict[int, Occupancy]
    balances: dict[int, OpeningBalance]


def _load(property: Property, lock: bool) -> _Db:
    units_qs = Unit.objects.filter(property=property)
    if lock:
        units_qs = units_qs.select_for_update()
    units = {u.number.casefold(): u for u in units_qs}
    residents = {r.pk: r for r in Resident.objects.filter(property=property)}
    by_email = {(r.email, _norm(r.name)): r for r in residents.values() if r.email}
    occupancies: dict[tuple[int, int], Occupancy] = {}
    primaries: dict[int, Occupancy] = {}
    by_unit_name: dict[tuple[int, str], Resident] = {}
    for occ in Occupancy.objects.filter(unit__property=property):
        occupancies[(occ.unit_id, occ.resident_id)] = occ
        if occ.is_primary:
            primaries[occ.unit_id] = occ
        resident = residents.get(occ.resident_id)
        if resident is not None:
            by_unit_name.setdefault((occ.unit_id, _norm(resident.name)), resident)
    balances = {
        b.unit_id: b
        for b in OpeningBalance.objects.filter(property=property, voided_at__isnull=True).select_related(
            "invoice"
        )
    }
    return _Db(units, by_email, by_unit_name, occupancies, primaries, balances)


def _balance_refusal(ob: OpeningBalance) -> str | None:
    """Why an opening balance cannot be replaced (paid, or its credit spent), or None."""
    if ob.invoice is not None and (ob.invoice.amount_paid > 0 or ob.invoice.status != InvoiceStatus.OPEN):
        return gettext("The opening balance of unit %(unit)s was paid (or voided) since: it cannot change.")
    if ob.credit_id is not None and credit_balance(unit=ob.unit) < -ob.amount:
        return gettext("The credit of unit %(unit)s was used since: its opening balance cannot change.")
    return None


def plan_import(*, property: Property, name: str, data: bytes, lock: bool = False) -> ImportPlan:
    """What importing this file would do to the property, without writing anything."""
    today = today_in(property.timezone)
    try:
        parsed = read_file(name=name, data=data)
    except FileRefused as exc:
        return ImportPlan([RowError(0, "", str(exc.message))], [], [], [], [], {}, None, 0)
    planner = _Planner(property, parsed, today)
    for label in parsed.duplicate_columns:
        planner.errors.append(RowError(1, label, gettext("This column appears twice.")))
    plans = planner.read_rows()
    db = _load(property, lock)
    changes: list[Change] = []
    counts = dict.fromkeys(
        [
            "units_created",
            "units_updated",
            "units_unchanged",
            "residents_created",
            "residents_updated",
            "links_created",
            "links_updated",
            "balances_created",
            "balances_replaced",
        ],
        0,
    )
    seen_residents: dict[tuple[str, ...], ResidentPlan] = {}
    for plan in plans.values():
        unit = db.units.get(plan.number.casefold())
        plan.unit = unit
        details: list[str] = []
        action = "unchanged"
        if unit is None:
            action = "created"
            counts["units_created"] += 1
            if plan.share is not None:
                details.append(gettext("share %(share)s %%") % {"share": plan.share.normalize()})
        else:
            for field_name, (before, after) in _unit_changes(plan, unit).items():
                action = "changed"
                details.append(f"{field_name}: {_text(before) or '—'} → {_text(after) or '—'}")
        # Residents and their links.
        current_primary = db.primaries.get(unit.pk) if unit else None
        new_primary = next((rp for rp in plan.residents if rp.primary), None)
        if new_primary is None and current_primary is None and plan.residents:
            first = plan.residents[0]
            if first.primary is None:
                first.primary = True
                new_primary = first
                planner.notices.append(
                    gettext("Unit %(unit)s: %(name)s (line %(line)d) becomes its primary resident.")
                    % {"unit": plan.number, "name": first.name, "line": first.line}
                )
        for rp in plan.residents:
            if rp.email:
                rp.key = ("email", rp.email, _norm(rp.name))
                existing = db.by_email.get((rp.email, _norm(rp.name)))
            else:
                rp.key = ("unit", plan.number.casefold(), _norm(rp.name))
                existing = db.by_unit_name.get((unit.pk, _norm(rp.name))) if unit else None
            rp.resident = existing
            first_seen = rp.key not in seen_residents
            seen_residents.setdefault(rp.key, rp)
            if existing is None:
                if first_seen:
                    counts["residents_created"] += 1
                details.append(gettext("new resident %(name)s") % {"name": rp.name})
                action = "changed" if action == "unchanged" else action
            elif first_seen and _resident_changes(rp, existing):
                counts["residents_updated"] += 1
                details.append(gettext("%(name)s updated") % {"name": rp.name})
                action = "changed" if action == "unchanged" else action
            occ = db.occupancies.get((unit.pk, existing.pk)) if unit and existing else None
            if occ is None:
                counts["links_created"] += 1
                if existing is not None:
                    details.append(gettext("%(name)s linked") % {"name": rp.name})
                    action = "changed" if action == "unchanged" else action
            else:
                want_primary = occ.is_primary if rp.primary is None else rp.primary
                if new_primary is not None and new_primary is not rp:
                    want_primary = False
                if occ.kind != rp.kind or occ.is_primary != want_primary:
                    counts["links_updated"] += 1
                    details.append(gettext("%(name)s: role or primary changed") % {"name": rp.name})
                    action = "changed" if action == "unchanged" else action
        # Opening balance.
        if plan.balance is not None or plan.balance_date is not None:
            if plan.balance is None:
                planner.error(plan.lines["balance_date"], "balance", _("Enter the opening balance."))
            elif plan.balance and plan.balance_date is None:
                planner.error(plan.balance_line, "balance_date", _("Enter the date of the opening balance."))
            else:
                current = db.balances.get(unit.pk) if unit else None
                same = current is not None and (current.amount, current.balance_date) == (
                    plan.balance,
                    plan.balance_date,
                )
                if not same and (current is not None or plan.balance):
                    refusal = _balance_refusal(current) if current is not None else None
                    if refusal:
                        planner.error(plan.balance_line, "balance", refusal % {"unit": plan.number})
                    else:
                        if current is not None:
                            counts["balances_replaced"] += 1
                        if plan.balance:
                            counts["balances_created"] += 1
                        action = "changed" if action == "unchanged" else action
                        details.append(gettext("opening balance %(amount)s") % {"amount": plan.balance})
        if unit is not None:
            counts[
                {"unchanged": "units_unchanged", "changed": "units_updated"}.get(action, "units_updated")
            ] += 1
        changes.append(Change(unit=plan.number, action=action, details=details))
    # Shares after the import: the file's units with their new share, the others as they are.
    shares_total: Decimal | None = None
    total = Decimal("0")
    used = False
    for key, unit in db.units.items():
        if key not in plans and unit.share is not None:
            total += unit.share
            used = True
    for plan in plans.values():
        share = plan.share if plan.share_given else (plan.unit.share if plan.unit else None)
        if share is not None:
            total += share
            used = True
    if used:
        shares_total = total.quantize(Decimal("0.0001"))
    planner.errors.sort(key=lambda e: e.line)
    return ImportPlan(
        errors=planner.errors,
        notices=planner.notices,
        unknown_columns=parsed.unknown_columns,
        units=list(plans.values()),
        changes=changes,
        counts=counts,
        shares_total=shares_total,
        rows=len(parsed.rows),
    )


# --- services ------------------------------------------------------------------------------------


def _require_all(actor: User, property: Property) -> None:
    for action in IMPORT_ACTIONS:
        require(actor, action, property)


def preview_import(
    *, actor: User, property: Property, name: str, data: bytes
) -> tuple[ImportBatch, ImportPlan]:
    """Keep the uploaded file and say what importing it would do. Writes nothing else."""
    _require_all(actor, property)
    plan = plan_import(property=property, name=name, data=data)
    batch = ImportBatch.objects.create(
        property=property,
        file_name=(name or "import")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        content=data if plan.rows or not plan.errors else b"",
        created_by=actor,
        counts={**plan.counts, "rows": plan.rows, "refused": len(plan.errors)},
    )
    return batch, plan


def _start_of_day(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(zone))


def _void_balance(ob: OpeningBalance, actor: User, now: dt.datetime, reason: str) -> None:
    ob.voided_at = now
    ob.save(update_fields=["voided_at"])
    today = today_in(ob.property.timezone, now=now)
    if ob.invoice_id is not None:
        invoice = Invoice.objects.get(pk=ob.invoice_id)
        # The opening balance's entry reversed (decision 0029); an unpaid one only (row error otherwise).
        with ledger.invoice_voided(invoice, date=today):
            Invoice.objects.filter(pk=ob.invoice_id).update(
                status=InvoiceStatus.VOID, voided_at=now, voided_by=actor, void_reason=reason, updated_at=now
            )
    if ob.credit_id is not None:
        # Dr unit credit / Cr opening balance equity: the opening credit taken back.
        with ledger.event(
            property_id=ob.property_id,
            date=today,
            kind=EntryKind.OPENING_CREDIT_REMOVED,
            source=("unit_credit", None),
            memo=reason,
        ) as ev:
            entry = UnitCredit.objects.create(
                property_id=ob.property_id,
                unit_id=ob.unit_id,
                kind=CreditKind.OPENING_BALANCE,
                amount=ob.amount,  # the credit entry was -amount (> 0): this takes it back
                reason=reason,
                created_by=actor,
            )
            ev.source_id = entry.pk
            ledger.credit_moved(unit_id=ob.unit_id, amount=ob.amount)
            ev.add(AccountKind.OPENING_EQUITY, ob.amount)


def _create_balances(
    *, property: Property, batch: ImportBatch, actor: User, items: list[tuple[Unit, Decimal, dt.date]]
) -> list[OpeningBalance]:
    """Opening balances: an amount owed is a published invoice « Solde d'ouverture » due on the balance
    date (numbered like the others); a credit is a credit entry of the unit."""
    if not items:
        return []
    with translation.override(property.language):
        title = gettext("Opening balance")
        description = gettext("Balance carried over when the unit started on Logis.")
    debits = [(u, a, d) for u, a, d in items if a > 0]
    invoices: list[Invoice] = []
    if debits:
        prop = Property.objects.select_for_update().get(pk=property.pk)
        number = prop.next_invoice_number
        for unit, amount, day in debits:
            invoices.append(
                Invoice(
                    property=property,
                    unit=unit,
                    number=number,
                    title=title,
                    amount=amount,
                    due_date=day,
                    description=description,
                    status=InvoiceStatus.OPEN,
                    created_by=actor,
                    published_by=actor,
                    published_at=_start_of_day(day, property.timezone),
                )
            )
            number += 1
        Invoice.objects.bulk_create(invoices)
        create_single_lines(invoices, single_line_category(property, CategoryCode.OPENING_BALANCE))
        Property.objects.filter(pk=prop.pk).update(next_invoice_number=number)
        property.next_invoice_number = number
        # Dr receivable / Cr opening balance equity, dated on the balance date (decision 0029).
        for invoice in invoices:
            ledger.post_invoice_published(invoice, date=invoice.due_date)
    by_unit = {inv.unit_id: inv for inv in invoices}
    credits: dict[int, UnitCredit] = {}
    credit_items = [(u, a, d) for u, a, d in items if a < 0]
    if credit_items:
        entries = [
            UnitCredit(
                property=property,
                unit=unit,
                kind=CreditKind.OPENING_BALANCE,
                amount=-amount,
                reason=title,
                created_by=actor,
            )
            for unit, amount, _day in credit_items
        ]
        UnitCredit.objects.bulk_create(entries)
        # The credit was the unit's on the balance date: the statement shows it there.
        for (unit, _amount, day), entry in zip(credit_items, entries, strict=True):
            credits[unit.pk] = entry
            UnitCredit.objects.filter(pk=entry.pk).update(created_at=_start_of_day(day, property.timezone))
            # Dr opening balance equity / Cr unit credit, dated on the balance date (decision 0029).
            with ledger.event(
                property_id=property.pk,
                date=day,
                kind=EntryKind.OPENING_CREDIT,
                source=("unit_credit", entry.pk),
                memo=title,
            ) as ev:
                ledger.credit_moved(unit_id=unit.pk, amount=entry.amount)
                ev.add(AccountKind.OPENING_EQUITY, entry.amount)
    balances = [
        OpeningBalance(
            property=property,
            unit=unit,
            batch=batch,
            amount=amount,
            balance_date=day,
            invoice=by_unit.get(unit.pk) if amount > 0 else None,
            credit=credits.get(unit.pk) if amount < 0 else None,
        )
        for unit, amount, day in items
    ]
    OpeningBalance.objects.bulk_create(balances)
    return balances


def _get_batch(property: Property, batch_id: int, lock: bool = True) -> ImportBatch:
    qs = ImportBatch.objects.filter(property=property, pk=batch_id)
    if lock:
        qs = qs.select_for_update()
    batch = qs.first()
    if batch is None:
        raise NotFound(_("This import does not exist."))
    return batch


def apply_import(*, actor: User, property: Property, batch_id: int) -> tuple[ImportBatch, ImportPlan]:
    """Write what the previewed file says, all of it or nothing: refused rows stop the whole import."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        _require_all(actor, prop)
        batch = _get_batch(prop, batch_id)
        if batch.status == ImportStatus.EXPIRED:
            raise InvalidTransition(_("This preview has expired: upload the file again."))
        if batch.status != ImportStatus.PREVIEWED:
            raise InvalidTransition(_("This file was already imported."))
        plan = plan_import(property=prop, name=batch.file_name, data=bytes(batch.content), lock=True)
        if not plan.ok:
            raise ValidationError({"file": _("The file has refused rows: correct them and upload it again.")})
        now = timezone.now()
        undo: dict[str, Any] = {
            "units_created": [],
            "units_updated": [],
            "residents_created": [],
            "residents_updated": [],
            "links_created": [],
            "links_updated": [],
            "balances_created": [],
            "balances_voided": [],
            "units": [],
        }
        # Units.
        new_units = [
            Unit(
                property=prop,
                number=p.number,
                sort_key=natural_key(p.number),
                share=p.share,
                floor=p.floor,
                unit_type=p.unit_type,
            )
            for p in plan.units
            if p.unit is None
        ]
        Unit.objects.bulk_create(new_units)
        created_iter = iter(new_units)
        changed_units: list[Unit] = []
        for p in plan.units:
            if p.unit is None:
                p.unit = next(created_iter)
                undo["units_created"].append(p.unit.pk)
                continue
            diff = _unit_changes(p, p.unit)
            if diff:
                undo["units_updated"].append({"id": p.unit.pk, **{k: _text(v[0]) for k, v in diff.items()}})
                for key, (_before, after) in diff.items():
                    setattr(p.unit, key, after)
                p.unit.sort_key = natural_key(p.unit.number)
                changed_units.append(p.unit)
        if changed_units:
            Unit.objects.bulk_update(changed_units, ["number", "sort_key", "share", "floor", "unit_type"])
        undo["units"] = [p.unit.pk for p in plan.units if p.unit is not None]
        # Residents (one per key, shared by the units that list them).
        residents: dict[tuple[str, ...], Resident] = {}
        new_residents: list[Resident] = []
        changed_residents: list[Resident] = []
        for p in plan.units:
            for rp in p.residents:
                if rp.key in residents:
                    continue
                if rp.resident is None:
                    resident = Resident(
                        property=prop,
                        name=rp.name,
                        email=rp.email,
                        phone=rp.phone,
                        language=rp.language or prop.language,
                        mailing_address=rp.mailing_address,
                    )
                    new_residents.append(resident)
                else:
                    resident = rp.resident
                    diff = _resident_changes(rp, resident)
                    if diff:
                        undo["residents_updated"].append(
                            {"id": resident.pk, **{k: v[0] for k, v in diff.items()}}
                        )
                        for key, (_before, after) in diff.items():
                            setattr(resident, key, after)
                        changed_residents.append(resident)
                residents[rp.key] = resident
        Resident.objects.bulk_create(new_residents)
        undo["residents_created"] = [r.pk for r in new_residents]
        if changed_residents:
            Resident.objects.bulk_update(changed_residents, ["phone", "mailing_address", "language"])
        # Links: clear replaced primaries first (one primary per unit is a unique index).
        db_links = {
            (o.unit_id, o.resident_id): o
            for o in Occupancy.objects.select_for_update().filter(unit_id__in=undo["units"])
        }
        new_links: list[Occupancy] = []
        unset: list[Occupancy] = []
        set_: list[Occupancy] = []
        for p in plan.units:
            assert p.unit is not None
            new_primary = next((rp for rp in p.residents if rp.primary), None)
            if new_primary is not None:
                for (unit_id, resident_id), occ in db_links.items():
                    if (
                        unit_id == p.unit.pk
                        and occ.is_primary
                        and resident_id != residents[new_primary.key].pk
                    ):
                        unset.append(occ)
            for rp in p.residents:
                resident = residents[rp.key]
                link = db_links.get((p.unit.pk, resident.pk)) if resident.pk else None
                if link is None:
                    new_links.append(
                        Occupancy(unit=p.unit, resident=resident, kind=rp.kind, is_primary=bool(rp.primary))
                    )
                    continue
                occ = link
                want = occ.is_primary if rp.primary is None else rp.primary
                if new_primary is not None and new_primary is not rp:
                    want = False
                if occ.kind != rp.kind or occ.is_primary != want:
                    undo["links_updated"].append(
                        {"id": occ.pk, "kind": occ.kind, "is_primary": occ.is_primary}
                    )
                    occ.kind = rp.kind
                    if want and not occ.is_primary:
                        set_.append(occ)
                    elif not want and occ.is_primary and occ not in unset:
                        unset.append(occ)
                    occ.is_primary = want
                    if occ not in set_ and occ not in unset:
                        Occupancy.objects.filter(pk=occ.pk).update(kind=occ.kind)
        for occ in unset:
            if not any(u["id"] == occ.pk for u in undo["links_updated"]):
                undo["links_updated"].append({"id": occ.pk, "kind": occ.kind, "is_primary": True})
            occ.is_primary = False
            Occupancy.objects.filter(pk=occ.pk).update(is_primary=False, kind=occ.kind)
        for occ in set_:
            Occupancy.objects.filter(pk=occ.pk).update(is_primary=True, kind=occ.kind)
        Occupancy.objects.bulk_create(new_links)
        undo["links_created"] = [o.pk for o in new_links]
        # Opening balances.
        current = {
            b.unit_id: b
            for b in OpeningBalance.objects.select_for_update().filter(
                unit_id__in=undo["units"], voided_at__isnull=True
            )
        }
        reason = gettext("Replaced by the import of %(file)s.") % {"file": batch.file_name}
        to_create: list[tuple[Unit, Decimal, dt.date]] = []
        for p in plan.units:
            assert p.unit is not None
            if p.balance is None:
                continue
            existing = current.get(p.unit.pk)
            if existing is not None and (existing.amount, existing.balance_date) == (
                p.balance,
                p.balance_date,
            ):
                continue
            if existing is not None:
                _void_balance(existing, actor, now, reason)
                undo["balances_voided"].append(existing.pk)
            if p.balance:
                assert p.balance_date is not None
                to_create.append((p.unit, p.balance, p.balance_date))
        created = _create_balances(property=prop, batch=batch, actor=actor, items=to_create)
        undo["balances_created"] = [b.pk for b in created]
        # Credit entries are dated by their balance date, not when written: "since" is by id.
        undo["credit_watermark"] = (
            UnitCredit.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )
        counts = {**plan.counts, "rows": plan.rows, "refused": 0}
        batch.status = ImportStatus.APPLIED
        batch.applied_by = actor
        batch.applied_at = timezone.now()
        batch.counts = counts
        batch.undo = undo
        batch.save(update_fields=["status", "applied_by", "applied_at", "counts", "undo"])
        audit.record(actor, "import.applied", batch, property=prop, after={"file": batch.file_name, **counts})
        return batch, plan


def undo_blocker(*, batch: ImportBatch) -> str | None:
    """Why this import can no longer be undone, or None."""
    if batch.status != ImportStatus.APPLIED or batch.applied_at is None:
        return gettext("Only an import that was applied can be undone.")
    later = ImportBatch.objects.filter(
        property_id=batch.property_id, status=ImportStatus.APPLIED, applied_at__gt=batch.applied_at
    ).exists()
    if later:
        return gettext("A later import must be undone first.")
    units = batch.undo.get("units", [])
    own_invoices = OpeningBalance.objects.filter(batch=batch, invoice__isnull=False).values("invoice_id")
    billed = (
        Invoice.objects.filter(unit_id__in=units, created_at__gt=batch.applied_at)
        .exclude(pk__in=own_invoices)
        .exists()
    )
    paid = Payment.objects.filter(unit_id__in=units, created_at__gt=batch.applied_at).exists()
    credited = UnitCredit.objects.filter(
        unit_id__in=units, id__gt=batch.undo.get("credit_watermark", 0)
    ).exists()
    if billed or paid or credited:
        return gettext(
            "Invoices or payments were recorded on these units since: the import cannot be undone."
        )
    return None


def undo_import(*, actor: User, property: Property, batch_id: int) -> ImportBatch:
    """Put back what an import changed, while nothing was billed or paid on its units since: its
    opening balances are voided (never deleted), the units, residents and links it created removed
    (a unit whose voided opening balance refers to it stays), the values it replaced restored."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        _require_all(actor, prop)
        batch = _get_batch(prop, batch_id)
        list(Unit.objects.select_for_update().filter(pk__in=batch.undo.get("units", [])).values_list("pk"))
        blocker = undo_blocker(batch=batch)
        if blocker:
            raise InvalidTransition(blocker)
        undo = batch.undo
        now = timezone.now()
        reason = gettext("Import of %(file)s undone.") % {"file": batch.file_name}
        for ob in OpeningBalance.objects.select_for_update().filter(pk__in=undo["balances_created"]):
            _void_balance(ob, actor, now, reason)
        # Balances this import replaced come back as new records of the same amount and date.
        restored = [
            (ob.unit, ob.amount, ob.balance_date)
            for ob in OpeningBalance.objects.filter(pk__in=undo["balances_voided"]).select_related("unit")
        ]
        _create_balances(property=prop, batch=batch, actor=actor, items=restored)
        Occupancy.objects.filter(pk__in=undo["links_created"]).delete()
        for item in undo["links_updated"]:
            if not item["is_primary"]:
                Occupancy.objects.filter(pk=item["id"]).update(kind=item["kind"], is_primary=False)
        for item in undo["links_updated"]:
            if item["is_primary"]:
                Occupancy.objects.filter(pk=item["id"]).update(kind=item["kind"], is_primary=True)
        Resident.objects.filter(
            pk__in=undo["residents_created"], user__isnull=True, occupancies__isnull=True
        ).delete()
        for item in undo["residents_updated"]:
            Resident.objects.filter(pk=item.pop("id")).update(**item)
        kept = set(
            OpeningBalance.objects.filter(unit_id__in=undo["units_created"]).values_list("unit_id", flat=True)
        )
        Unit.objects.filter(pk__in=[u for u in undo["units_created"] if u not in kept]).delete()
        for item in undo["units_updated"]:
            unit_id = item.pop("id")
            values: dict[str, Any] = dict(item)
            if "share" in values:
                values["share"] = Decimal(values["share"]) if values["share"] else None
            if "number" in values:
                values["sort_key"] = natural_key(values["number"])
            Unit.objects.filter(pk=unit_id).update(**values)
        batch.status = ImportStatus.UNDONE
        batch.undone_by = actor
        batch.undone_at = now
        batch.save(update_fields=["status", "undone_by", "undone_at"])
        audit.record(
            actor,
            "import.undone",
            batch,
            property=prop,
            after={"file": batch.file_name, **batch.counts, "units_kept": len(kept)},
        )
        return batch


def import_history(*, property: Property, limit: int = 10) -> list[ImportBatch]:
    return list(
        ImportBatch.objects.filter(property=property)
        .exclude(status__in=[ImportStatus.PREVIEWED, ImportStatus.EXPIRED])
        .select_related("applied_by")
        .defer("content")
        .order_by("-applied_at", "-id")[:limit]
    )
