"""Invoice lines: checked, taxed and written together with their invoice.

An invoice's ``amount`` is the sum of its lines' totals (amount + GST + QST). Every path that creates
an invoice writes its lines through this module in the same transaction, and ``invoices_out_of_balance``
lists any invoice for which that is not so (a test runs it over all invoices after every creation path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from logis.core.money import MAX_AMOUNT, quantize
from logis.finances.models import CategoryCode, ChargeCategory
from logis.finances.selectors import category_by_code, default_category, ensure_finance_defaults
from logis.finances.taxes import line_taxes
from logis.invoicing.models import Invoice, InvoiceLine
from logis.properties.models import Property

LINE_DESCRIPTION_MAX = 200
MAX_LINES = 50


@dataclass(frozen=True)
class LineInput:
    """One line as typed: ``category_id`` None means the property's default category."""

    description: str
    category_id: int | None
    amount: Decimal | None


@dataclass(frozen=True)
class CleanLine:
    description: str
    category: ChargeCategory
    amount: Decimal
    gst_amount: Decimal
    qst_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.gst_amount + self.qst_amount


def amount_error(amount: Decimal | None) -> str | None:
    """Why a line's (or a one-line invoice's) amount is refused, or None."""
    if amount is None:
        return _("Enter an amount.")
    if amount <= 0:
        return _("The amount must be greater than $0.")
    if amount != quantize(amount):
        return _("The amount may have at most two decimals.")
    if amount > MAX_AMOUNT:
        return _("The amount is too large.")
    return None


def clean_line(category: ChargeCategory, description: str, amount: Decimal) -> CleanLine:
    gst, qst = line_taxes(amount, taxable=category.taxable)
    return CleanLine(description.strip()[:LINE_DESCRIPTION_MAX], category, amount, gst, qst)


def clean_lines(
    property: Property, lines: Sequence[LineInput], *, keep_category_ids: Iterable[int] = ()
) -> tuple[list[CleanLine], dict[str, str]]:
    """Check each line (errors keyed ``lines.<i>.<field>``); categories must be active ones of the
    property, except those in ``keep_category_ids`` (a draft keeps a category deactivated since)."""
    ensure_finance_defaults(property)
    categories = {c.pk: c for c in ChargeCategory.objects.filter(property=property).select_related("fund")}
    keep = set(keep_category_ids)
    default = next((c for c in categories.values() if c.is_default), None)
    errors: dict[str, str] = {}
    clean: list[CleanLine] = []
    if not lines:
        errors["lines"] = _("Add at least one line.")
    elif len(lines) > MAX_LINES:
        errors["lines"] = _("An invoice may have at most %(max)d lines.") % {"max": MAX_LINES}
    for i, line in enumerate(lines[:MAX_LINES]):
        description = (line.description or "").strip()
        if not description:
            errors[f"lines.{i}.description"] = _("Enter a description.")
        elif len(description) > LINE_DESCRIPTION_MAX:
            errors[f"lines.{i}.description"] = _("The description may have at most %(max)d characters.") % {
                "max": LINE_DESCRIPTION_MAX
            }
        category = categories.get(line.category_id) if line.category_id is not None else default
        if category is None or not (category.is_active or category.pk in keep):
            errors[f"lines.{i}.category"] = _("Choose an active category of this property.")
        error = amount_error(line.amount)
        if error:
            errors[f"lines.{i}.amount"] = error
        if category is not None and line.amount is not None and not error and description:
            clean.append(clean_line(category, description, line.amount))
    if not errors and sum((c.total for c in clean), Decimal("0")) > MAX_AMOUNT:
        errors["lines"] = _("The total of the invoice is too large.")
    return clean, errors


def lines_total(lines: Iterable[CleanLine]) -> Decimal:
    return sum((line.total for line in lines), Decimal("0.00"))


def write_lines(invoice: Invoice, lines: Sequence[CleanLine]) -> None:
    """Replace the lines of ``invoice`` (a draft being created or edited) by ``lines``."""
    InvoiceLine.objects.filter(invoice=invoice).delete()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=i,
                description=line.description,
                category=line.category,
                amount=line.amount,
                gst_amount=line.gst_amount,
                qst_amount=line.qst_amount,
            )
            for i, line in enumerate(lines, start=1)
        ]
    )


def single_line_category(property: Property, code: CategoryCode | None = None) -> ChargeCategory:
    """The category of a one-line invoice Logis makes: ``code``'s category, else the default one."""
    return category_by_code(property, code) if code else default_category(property)


def create_single_lines(invoices: Sequence[Invoice], category: ChargeCategory) -> None:
    """One line per invoice, of its whole amount, in ``category`` (bulk paths: batches, recurring dues,
    opening balances). Those categories are exempt (``logis.finances.services`` keeps the default and
    the built-in contribution categories exempt), so the invoice's amount is the line's amount."""
    if category.taxable:  # never, by the rule above; a loud failure rather than a wrong invoice
        raise ValueError("one-line invoices in bulk are written in an exempt category")
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=inv,
                position=1,
                description=inv.title[:LINE_DESCRIPTION_MAX],
                category=category,
                amount=inv.amount,
            )
            for inv in invoices
        ],
        batch_size=1000,
    )


def invoices_out_of_balance() -> list[int]:
    """Ids of the invoices whose amount is not the sum of their lines (none, when the rules hold)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    total = (
        InvoiceLine.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(t=Sum("amount") + Sum("gst_amount") + Sum("qst_amount"))
        .values("t")
    )
    rows = Invoice.objects.annotate(
        lines_total=Coalesce(Subquery(total, output_field=money), Value(Decimal("0")))
    )
    return [
        pk
        for pk, amount, t in rows.values_list("pk", "amount", "lines_total")
        if quantize(Decimal(t)) != amount
    ]


@dataclass(frozen=True)
class LinesSummary:
    """The lines of one invoice as documents show them, with the totals of each column."""

    lines: list[InvoiceLine]
    subtotal: Decimal
    gst: Decimal
    qst: Decimal
    total: Decimal

    @property
    def taxed(self) -> bool:
        return bool(self.gst or self.qst)


def lines_summary(invoice: Invoice) -> LinesSummary:
    """The invoice's lines with their categories and funds (one query) and their totals."""
    lines = list(
        InvoiceLine.objects.filter(invoice=invoice).select_related("category__fund").order_by("position")
    )
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    gst = sum((line.gst_amount for line in lines), Decimal("0.00"))
    qst = sum((line.qst_amount for line in lines), Decimal("0.00"))
    return LinesSummary(lines=lines, subtotal=subtotal, gst=gst, qst=qst, total=subtotal + gst + qst)


def lines_for_documents(invoice: Invoice, language: str) -> list[dict[str, str]]:
    """The lines as an email writes them in ``language`` (amounts formatted); empty for an invoice of
    one untaxed line titled like the invoice, which its title and amount already say."""
    from django.utils import translation

    from logis.core.money import format_amount

    summary = lines_summary(invoice)
    lines = summary.lines
    if len(lines) == 1 and lines[0].description == invoice.title and not summary.taxed:
        return []
    with translation.override(language):
        return [
            {
                "description": line.description,
                "category": line.category.display_name,
                "amount": format_amount(line.amount, language),
                "taxes": format_amount(line.gst_amount + line.qst_amount, language)
                if line.gst_amount or line.qst_amount
                else "",
            }
            for line in lines
        ]
