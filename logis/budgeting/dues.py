"""Invoices with one line per fund: the monthly dues of an adopted budget and special-assessment instalments.

``write_lines_batch`` writes a billing ``Batch`` exactly as ``billing.batches._write_batch`` does (drafts
in bulk, the batch links, one ``invoice.created`` audit event per invoice and a ``batch.created`` event)
but each invoice gets its own lines, each with its category (hence its fund). The recurring dues job
calls ``budget_month_plan`` / ``write_budget_month`` for a schedule created from a budget
(docs/decisions/0023).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from logis.billing.models import AmountMode, Batch, BatchInvoice, RecurringSchedule
from logis.budgeting import allocation
from logis.core import audit
from logis.core.audit import Verb
from logis.core.models import AuditEvent
from logis.core.permissions import Actor, user_or_none
from logis.finances.models import Budget, BudgetContribution, CategoryCode, ChargeCategory, Fund, FundKind
from logis.finances.taxes import line_taxes
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.invoicing.services import AUDITED_FIELDS
from logis.properties.models import Property

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Line:
    description: str
    category: ChargeCategory
    amount: Decimal


@dataclass(frozen=True)
class LinesRow:
    unit_id: int
    number: str
    share: Decimal | None
    lines: list[Line]

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def write_lines_batch(
    *,
    actor: Actor,
    property: Property,
    rows: list[LinesRow],
    title: str,
    due_date: dt.date,
    description: str,
    notify_resident: bool,
    amount_mode: str = AmountMode.SPLIT,
) -> Batch:
    """Bulk-write a batch whose invoices carry lines (in the caller's transaction, property row locked)."""
    user = user_or_none(actor)
    taxed = [
        [(line, *line_taxes(line.amount, taxable=line.category.taxable)) for line in row.lines]
        for row in rows
    ]
    amounts = [sum((line.amount + gst + qst for line, gst, qst in lines), ZERO) for lines in taxed]
    total = sum(amounts, ZERO)
    batch = Batch.objects.create(
        property=property,
        title=title,
        amount_mode=amount_mode,
        amount=total,
        total=total,
        due_date=due_date,
        description=description,
        notify_resident=notify_resident,
        unit_count=len(rows),
        created_by=user,
    )
    invoices = [
        Invoice(
            property=property,
            unit_id=row.unit_id,
            title=title,
            amount=amount,
            due_date=due_date,
            description=description,
            notify_resident=notify_resident,
            status=InvoiceStatus.DRAFT,
            created_by=user,
        )
        for row, amount in zip(rows, amounts, strict=True)
    ]
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice_id=invoice.pk,
                position=position,
                description=line.description[:200],
                category=line.category,
                amount=line.amount,
                gst_amount=gst,
                qst_amount=qst,
            )
            for invoice, lines in zip(invoices, taxed, strict=True)
            for position, (line, gst, qst) in enumerate(lines, start=1)
        ],
        batch_size=1000,
    )
    BatchInvoice.objects.bulk_create(
        [BatchInvoice(batch=batch, invoice_id=inv.pk) for inv in invoices], batch_size=1000
    )
    actor_user = user if user is not None and user.is_authenticated else None
    object_type = Invoice._meta.label_lower
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                property=property,
                actor=actor_user,
                verb=Verb.INVOICE_CREATED,
                object_type=object_type,
                object_id=str(inv.pk),
                object_repr=str(inv)[:255],
                after={
                    **audit._jsonable(audit.snapshot(inv, AUDITED_FIELDS)),
                    "batch": batch.pk,
                    "lines": [
                        {
                            "description": line.description,
                            "category": line.category.pk,
                            "amount": str(line.amount),
                        }
                        for line, _gst, _qst in lines
                    ],
                },
            )
            for inv, lines in zip(invoices, taxed, strict=True)
        ],
        batch_size=1000,
    )
    audit.record(
        actor,
        Verb.BATCH_CREATED,
        batch,
        after={
            "title": title,
            "amount_mode": amount_mode,
            "amount": total,
            "total": total,
            "due_date": due_date,
            "units": len(rows),
            "notify_resident": notify_resident,
        },
    )
    return batch


# --- The monthly dues of an adopted budget --------------------------------------------------------


def budget_of(schedule: RecurringSchedule) -> Budget | None:
    """The budget a recurring dues schedule was created from (None for a schedule made by hand)."""
    return Budget.objects.filter(schedule_id=schedule.pk).first()


def contribution_category(fund: Fund) -> ChargeCategory:
    """The category a fund's contributions are billed in: condo fees for the operating fund; otherwise the
    fund's own contributions category (created once, exempt from taxes)."""
    categories = ChargeCategory.objects.filter(
        property_id=fund.property_id, fund=fund, is_active=True, taxable=False
    )
    if fund.kind == FundKind.OPERATING:
        found = categories.filter(code=CategoryCode.CONDO_FEES).first()
        if found is not None:
            return found
    with translation.override(fund.property.language or "fr"):
        name = _("Contributions: %(fund)s") % {"fund": fund.display_name}
    found = ChargeCategory.objects.filter(property_id=fund.property_id, name__iexact=name).first()
    if found is not None:
        return found
    return ChargeCategory.objects.create(property_id=fund.property_id, fund=fund, name=name[:80], position=50)


def fund_line_description(fund: Fund, language: str) -> str:
    """« Cotisation — Fonds de prévoyance » in the property's language."""
    with translation.override(language or "fr"):
        return _("Contribution: %(fund)s") % {"fund": fund.display_name}


def budget_month_rows(budget: Budget, period: dt.date) -> list[LinesRow]:
    """Each unit's invoice of ``period``: one line per fund with a part > 0 $ that month."""
    months = allocation.fiscal_year_months(budget.fiscal_year, budget.first_month)
    if period not in months:
        return []
    index = months.index(period)
    language = budget.property.language or "fr"
    contributions = list(
        BudgetContribution.objects.filter(budget=budget)
        .select_related("unit", "fund__property")
        .order_by("unit__sort_key", "unit_id", "fund__position", "fund_id")
    )
    categories: dict[int, ChargeCategory] = {}
    rows: dict[int, LinesRow] = {}
    for c in contributions:
        part = allocation.monthly_parts(c.yearly)[index]
        row = rows.setdefault(c.unit_id, LinesRow(c.unit_id, c.unit.number, c.share, []))
        if part <= 0:
            continue
        if c.fund_id not in categories:
            categories[c.fund_id] = contribution_category(c.fund)
        row.lines.append(Line(fund_line_description(c.fund, language), categories[c.fund_id], part))
    return [row for row in rows.values() if row.lines]


def write_budget_month(
    *,
    budget: Budget,
    property: Property,
    period: dt.date,
    title: str,
    due_date: dt.date,
    description: str,
    notify_resident: bool,
    actor: Actor,
) -> Batch:
    return write_lines_batch(
        actor=actor,
        property=property,
        rows=budget_month_rows(budget, period),
        title=title,
        due_date=due_date,
        description=description,
        notify_resident=notify_resident,
    )
