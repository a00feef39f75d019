"""Bank deposits matched to invoices, and deposit batches of cheques.

Settlement is the payments app's: each confirmed deposit and each cheque of a batch is one call of
``logis.payments.services.record_payment`` (its rules, its receipt, its audit). Here: reading the file,
keeping each bank line once per property, and saying which payment each became."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from logis.accounts.models import User
from logis.banking import parsing
from logis.banking.models import BankCsvMapping, BankLine, BankStatement, DepositBatch, DepositItem
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import DomainError, InvalidTransition, NotFound, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action, require
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import remittances
from logis.payments import services as payment_services
from logis.properties.models import PaymentMethod, Property, Unit

# Payments made from bank lines and batches get request tokens derived from these: the same line or row
# confirmed twice (two tabs, a retried request) records one payment.
_LINE_NAMESPACE = uuid.UUID("6c1f1e2a-6a43-4a0e-9e0b-4f1f0b7c2d91")
_BATCH_NAMESPACE = uuid.UUID("0e2f0a55-5a17-4f63-8f36-2b8e3b0f6c44")
MAX_BATCH_ROWS = 50


# --- Column mappings -----------------------------------------------------------------------------------


def mapping_for(property: Property, bank: str) -> parsing.ColumnMapping | None:
    """The mapping remembered for this bank on this property, else the bank's preset, else None."""
    saved = BankCsvMapping.objects.filter(property=property, bank=bank).first()
    if saved is not None:
        return parsing.ColumnMapping(
            date=saved.date_column,
            description=saved.description_column,
            description2=saved.description2_column,
            amount=saved.amount_column,
            debit=saved.debit_column,
            credit=saved.credit_column,
            reference=saved.reference_column,
            date_format=saved.date_format,
            header_rows=saved.header_rows,
        )
    preset = parsing.PRESETS.get(bank)
    return preset.mapping if preset else None


def _remember_mapping(property: Property, bank: str, mapping: parsing.ColumnMapping) -> None:
    BankCsvMapping.objects.update_or_create(
        property=property,
        bank=bank,
        defaults={
            "date_column": mapping.date,
            "description_column": mapping.description,
            "description2_column": mapping.description2,
            "amount_column": mapping.amount,
            "debit_column": mapping.debit,
            "credit_column": mapping.credit,
            "reference_column": mapping.reference,
            "date_format": mapping.date_format,
            "header_rows": mapping.header_rows,
        },
    )


# --- Upload --------------------------------------------------------------------------------------------


def import_statement(
    *,
    property: Property,
    actor: User,
    name: str,
    data: bytes,
    bank: str = "",
    mapping: parsing.ColumnMapping | None = None,
) -> BankStatement:
    """Keep the deposits of a statement that this property has not seen yet (by bank line id); the same
    file, or an overlapping one, adds nothing twice. A CSV needs a bank (its remembered mapping or preset)
    or an explicit mapping, which is then remembered for that bank."""
    require(actor, Action.RECORD_PAYMENT, property)
    bank = (bank or "").strip()[:32]
    if mapping is None and bank:
        mapping = mapping_for(property, bank)
    try:
        parsed = parsing.parse_statement(name=name, data=data, mapping=mapping)
    except parsing.StatementError as exc:
        raise ValidationError({"file": exc.message}) from None
    with transaction.atomic():
        statement = BankStatement.objects.create(
            property=property,
            file_name=(name or "statement")[:255],
            format=parsed.format,
            bank=bank if parsed.format == parsing.CSV else "",
            account=parsed.account[:64],
            lines_read=len(parsed.lines),
            uploaded_by=actor,
        )
        deposits = parsed.deposits
        known = set(
            BankLine.objects.filter(property=property, line_id__in=[d.line_id for d in deposits]).values_list(
                "line_id", flat=True
            )
        )
        new = [d for d in deposits if d.line_id not in known]
        # ignore_conflicts: a concurrent upload of the same file inserted it first; the constraint keeps one.
        BankLine.objects.bulk_create(
            [
                BankLine(
                    property=property,
                    statement=statement,
                    line_id=d.line_id,
                    posted_on=d.posted_on,
                    amount=d.amount,
                    description=d.description,
                    name=d.name,
                    reference=d.reference,
                )
                for d in new
            ],
            ignore_conflicts=True,
        )
        statement.deposits_new = BankLine.objects.filter(statement=statement).count()
        statement.deposits_known = len(deposits) - statement.deposits_new
        statement.save(update_fields=["deposits_new", "deposits_known"])
        if parsed.format == parsing.CSV and bank and mapping is not None:
            _remember_mapping(property, bank, mapping)
        audit.record(
            actor,
            Verb.BANK_STATEMENT_IMPORTED,
            statement,
            after={
                "file": statement.file_name,
                "format": statement.format,
                "bank": statement.bank,
                "lines": statement.lines_read,
                "deposits_new": statement.deposits_new,
                "deposits_known": statement.deposits_known,
            },
        )
        return statement


# --- Confirming matches --------------------------------------------------------------------------------


@dataclass
class ConfirmResult:
    recorded: list[BankLine] = field(default_factory=list)
    already: list[BankLine] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # bank line id -> why it was not recorded


def _line_method(line: BankLine) -> str:
    text = f"{line.name} {line.description}".lower()
    if "interac" in text or "e-transfer" in text or "virement" in text or "etransfer" in text:
        return PaymentMethod.INTERAC
    if "cheque" in text or "chèque" in text or line.reference.isdigit():
        return PaymentMethod.CHEQUE
    return PaymentMethod.OTHER


def confirm_matches(
    *, property: Property, actor: User, pairs: list[tuple[int, int]], statement_id: int | None = None
) -> ConfirmResult:
    """Each (bank line, invoice) becomes one payment of the line's amount on that invoice, dated the
    line's date, with the bank line as its reference. Lines are recorded one by one: a line refused (its
    invoice was paid meanwhile) does not hold back the others. A line already confirmed records nothing."""
    require(actor, Action.RECORD_PAYMENT, property)
    result = ConfirmResult()
    seen: set[int] = set()
    for line_pk, invoice_id in pairs:
        if line_pk in seen:
            continue
        seen.add(line_pk)
        try:
            with transaction.atomic():
                lines = BankLine.objects.select_for_update().filter(property=property, pk=line_pk)
                if statement_id is not None:
                    lines = lines.filter(statement_id=statement_id)
                line = lines.first()
                if line is None:
                    raise NotFound(_("This bank deposit does not exist."))
                if line.payment_id is not None:
                    result.already.append(line)
                    continue
                reference = line.reference or line.line_id.split(":")[-1]
                # Stored text: in the property's language (French first), not the reader's of the day.
                with translation.override(property.language or "fr"):
                    bank_word = _("Bank")
                payment = payment_services.record_payment(
                    property=property,
                    invoice_id=invoice_id,
                    actor=actor,
                    amount=line.amount,
                    paid_on=line.posted_on,
                    method=_line_method(line),
                    reference=(bank_word + f" {line.posted_on.isoformat()} {reference}")[:120],
                    note=line.description[:500],
                    request_token=uuid.uuid5(_LINE_NAMESPACE, f"{property.pk}:{line.line_id}"),
                )
                if BankLine.objects.filter(payment=payment).exclude(pk=line.pk).exists():
                    raise InvalidTransition(_("This payment already belongs to another deposit."))
                line.payment = payment
                line.matched_by = actor
                line.matched_at = timezone.now()
                line.save(update_fields=["payment", "matched_by", "matched_at"])
                audit.record(
                    actor,
                    Verb.BANK_LINE_MATCHED,
                    line,
                    after={
                        "line_id": line.line_id,
                        "amount": line.amount,
                        "posted_on": line.posted_on,
                        "invoice": payment.invoice_id,
                        "payment": payment.pk,
                    },
                )
                result.recorded.append(line)
        except ValidationError as exc:
            result.errors[line_pk] = " ".join(str(m) for msgs in exc.errors.values() for m in msgs)
        except DomainError as exc:
            result.errors[line_pk] = str(exc.message)
    return result


# --- Deposit batches -----------------------------------------------------------------------------------

DEPOSIT_METHODS = (PaymentMethod.CHEQUE, PaymentMethod.CASH)


@dataclass
class ChequeRow:
    """One line of a deposit: a cheque (its number, if written) or cash."""

    unit_id: int | None
    cheque_number: str
    amount: Decimal | None
    method: str = PaymentMethod.CHEQUE


def _invoice_for_cheque(unit: Unit, amount: Decimal, taken: dict[int, Decimal]) -> Invoice | None:
    """The unit's open invoice a cheque pays: the one whose balance equals it, else the oldest due that
    can take it whole (art. 1572 C.c.Q.: the debt due longest is paid first)."""
    invoices = [
        inv
        for inv in Invoice.objects.select_for_update()
        .filter(unit=unit, status=InvoiceStatus.OPEN)
        .order_by("due_date", "number", "id")
        if inv.amount - inv.amount_paid - taken.get(inv.pk, Decimal("0")) >= amount
    ]
    exact = [
        inv for inv in invoices if inv.amount - inv.amount_paid - taken.get(inv.pk, Decimal("0")) == amount
    ]
    chosen = exact or invoices
    return chosen[0] if chosen else None


def record_deposit_batch(
    *,
    property: Property,
    actor: User,
    deposited_on: dt.date | None,
    rows: list[ChequeRow],
    request_token: uuid.UUID,
    note: str = "",
) -> DepositBatch:
    """Cheques received together: one payment (and one receipt) each, all or none. Errors are keyed
    ``rows-<n>-<field>`` so the page shows them beside the row's field."""
    with transaction.atomic():
        require(actor, Action.RECORD_PAYMENT, property)
        Property.objects.select_for_update().filter(pk=property.pk).first()
        existing = DepositBatch.objects.filter(request_token=request_token).first()
        if existing is not None:
            if existing.property_id != property.pk:
                raise InvalidTransition(_("This form was already used. Reload the page."))
            return existing
        errors: dict[str, str] = {}
        date_error = payment_services.payment_date_error(property, deposited_on)
        if date_error:
            errors["deposited_on"] = date_error
        filled = [(i, r) for i, r in enumerate(rows) if r.unit_id or r.cheque_number or r.amount is not None]
        if not filled:
            errors["__all__"] = _("Add at least one cheque.")
        if len(filled) > MAX_BATCH_ROWS:
            errors["__all__"] = _("At most %(max)d cheques per deposit.") % {"max": MAX_BATCH_ROWS}
        units = {
            u.pk: u for u in Unit.objects.filter(property=property, pk__in=[r.unit_id for _i, r in filled])
        }
        plan: list[tuple[int, ChequeRow, Invoice | None]] = []
        taken: dict[int, Decimal] = {}
        for i, row in filled:
            unit = units.get(row.unit_id or 0)
            if unit is None:
                errors[f"rows-{i}-unit"] = _("Choose the unit.")
            if row.amount is None or row.amount <= 0:
                errors[f"rows-{i}-amount"] = _("The amount must be greater than 0 $.")
            if len(row.cheque_number) > 30:
                errors[f"rows-{i}-cheque_number"] = _("At most 30 characters.")
            if row.method not in DEPOSIT_METHODS:
                errors[f"rows-{i}-method"] = _("Choose cheque or cash.")
            elif row.method == PaymentMethod.CASH and row.cheque_number.strip():
                errors[f"rows-{i}-cheque_number"] = _("Cash has no cheque number: leave it empty.")
            if unit is None or row.amount is None or row.amount <= 0:
                continue
            invoice = _invoice_for_cheque(unit, row.amount, taken)
            if invoice is None:
                # No one invoice takes it whole: split it over the unit's open invoices by imputation
                # (art. 1569-1572, decision 0032), when together they owe at least the cheque.
                proposal = remittances.propose(unit=unit, amount=row.amount)
                left = [(s.invoice.pk, s.amount) for s in proposal.shares]
                if proposal.excess == 0 and all(
                    s.invoice.amount - s.invoice.amount_paid - taken.get(pk, Decimal("0")) >= amount
                    for (pk, amount), s in zip(left, proposal.shares, strict=True)
                ):
                    for pk, amount in left:
                        taken[pk] = taken.get(pk, Decimal("0")) + amount
                    plan.append((i, row, None))
                    continue
                errors[f"rows-{i}-amount"] = _(
                    "Unit %(unit)s has no open invoice with a balance of at least %(amount)s."
                ) % {"unit": unit.number, "amount": format_amount(row.amount)}
                continue
            # Two cheques of one unit in the batch: the second must fit what the first leaves.
            taken[invoice.pk] = taken.get(invoice.pk, Decimal("0")) + row.amount
            plan.append((i, row, invoice))
        if errors:
            raise ValidationError(errors)
        assert deposited_on is not None
        number = (DepositBatch.objects.filter(property=property).aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                batch = DepositBatch.objects.create(
                    property=property,
                    number=number,
                    deposited_on=deposited_on,
                    note=note.strip()[:200],
                    request_token=request_token,
                    created_by=actor,
                )
        except IntegrityError:
            raise InvalidTransition(_("This form was already used. Reload the page.")) from None
        with translation.override(property.language or "fr"):
            # Stored text: in the property's language (French first), not the reader's of the day.
            deposit_word = _("Deposit %(number)d") % {"number": number}
            cheque_words = {
                i: _("Cheque %(number)s") % {"number": row.cheque_number.strip()} for i, row, _inv in plan
            }
        for i, row, invoice in plan:
            assert row.amount is not None
            if invoice is None:
                assert row.unit_id is not None
                try:
                    remittance = remittances.record_remittance(
                        property=property,
                        unit_id=row.unit_id,
                        actor=actor,
                        amount=row.amount,
                        paid_on=deposited_on,
                        method=row.method,
                        reference=cheque_words[i] if row.cheque_number.strip() else deposit_word,
                        note=deposit_word,
                        request_token=uuid.uuid5(_BATCH_NAMESPACE, f"{request_token}:{i}"),
                    )
                except ValidationError as exc:
                    messages = " ".join(str(m) for msgs in exc.errors.values() for m in msgs)
                    raise ValidationError({f"rows-{i}-amount": messages}) from None
                first = remittance.payments.order_by("pk").first()
                assert first is not None
                DepositItem.objects.create(
                    batch=batch, cheque_number=row.cheque_number.strip(), payment=first, remittance=remittance
                )
                continue
            try:
                payment = payment_services.record_payment(
                    property=property,
                    invoice_id=invoice.pk,
                    actor=actor,
                    amount=row.amount,
                    paid_on=deposited_on,
                    method=row.method,
                    reference=cheque_words[i] if row.cheque_number.strip() else deposit_word,
                    note=deposit_word,
                    request_token=uuid.uuid5(_BATCH_NAMESPACE, f"{request_token}:{i}"),
                )
            except ValidationError as exc:
                messages = " ".join(str(m) for msgs in exc.errors.values() for m in msgs)
                raise ValidationError({f"rows-{i}-amount": messages}) from None
            DepositItem.objects.create(batch=batch, cheque_number=row.cheque_number.strip(), payment=payment)
        audit.record(
            actor,
            Verb.DEPOSIT_BATCH_RECORDED,
            batch,
            after={
                "number": batch.number,
                "deposited_on": batch.deposited_on,
                "cheques": len(plan),
                "total": sum((r.amount or Decimal("0") for _i, r, _inv in plan), Decimal("0")),
            },
        )
        return batch
