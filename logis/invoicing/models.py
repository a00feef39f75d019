from __future__ import annotations

import builtins
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Length, Round
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

# The longest invoice description (forms, API, services and a database constraint).
DESCRIPTION_MAX = 2000


class InvoiceStatus(models.TextChoices):
    """Statuses as people see them. OVERDUE is never stored: it is derived by ``with_status``."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    OVERDUE = "overdue", _("Overdue")
    VOID = "void", _("Void")


STORED_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.VOID)


def overdue_q(today: dt.date) -> Q:
    """The one definition of 'En retard': open, due before today (property's zone), balance > 0."""
    return Q(status=InvoiceStatus.OPEN, due_date__lt=today, amount_paid__lt=F("amount"))


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def with_status(self, today: dt.date) -> InvoiceQuerySet:
        """Annotate ``display_status`` (stored status, or 'overdue') and ``balance_due``.

        ``today`` is the property's local date (``logis.core.dates.today_in(property.timezone)``).
        List, filters, cards, detail, emails and the API all use this one expression.
        """
        return self.annotate(
            display_status=Case(
                When(overdue_q(today), then=Value(InvoiceStatus.OVERDUE.value)),
                default=F("status"),
                output_field=models.CharField(),
            ),
            # Round: SQLite computes the difference as a float (0.0600000000000001); PostgreSQL is exact.
            balance_due=Case(
                When(
                    status__in=[InvoiceStatus.OPEN, InvoiceStatus.PAID],
                    then=Round(F("amount") - F("amount_paid"), 2),
                ),
                default=Value(Decimal("0.00")),
                output_field=models.DecimalField(max_digits=12, decimal_places=2),
            ),
        )

    def with_display_status(self, status: str, today: dt.date) -> InvoiceQuerySet:
        """Filter on the status people see (``overdue`` derived, ``open`` excluding overdue)."""
        if status == InvoiceStatus.OVERDUE:
            return self.filter(overdue_q(today))
        if status == InvoiceStatus.OPEN:
            return self.filter(status=InvoiceStatus.OPEN).exclude(overdue_q(today))
        return self.filter(status=status)

    def visible_to_residents(self) -> InvoiceQuerySet:
        """Residents never see drafts, nor drafts voided before they were ever published (no number)."""
        return self.exclude(status=InvoiceStatus.DRAFT).exclude(
            status=InvoiceStatus.VOID, number__isnull=True
        )


class Invoice(models.Model):
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="invoices")
    unit = models.ForeignKey("properties.Unit", on_delete=models.PROTECT, related_name="invoices")
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # Sum of the payments applied, net of reversals and refunds; kept by the payment services
    # in the same transaction as each payment, so balance = amount - amount_paid is one column away.
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    due_date = models.DateField(_("due date"))
    description = models.TextField(_("description"), blank=True)
    notify_resident = models.BooleanField(_("send an email notification to the resident"), default=False)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=[(s.value, s.label) for s in STORED_STATUSES],
        default=InvoiceStatus.DRAFT,
    )
    void_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # None: created by Logis itself (recurring dues, late fees).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Generated when the creation form is rendered: a second POST of the same form (double click,
    # retried request) finds this invoice instead of creating a duplicate.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "number"], name="invoice_number_unique_in_property"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX),
                name="invoice_description_length",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("amount")),
                name="invoice_paid_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number__isnull=True)
                | (~Q(status="draft") & Q(number__isnull=False))
                | Q(status="void"),
                name="invoice_number_iff_published",
            ),
        ]
        indexes = [
            models.Index(fields=["property", "status", "due_date"]),
            models.Index(fields=["property", "-created_at", "-id"]),
            models.Index(fields=["property", "due_date"]),
            models.Index(fields=["unit", "status"]),
            # The invoices still owed or not yet billed (open, draft): a small share of a property's history,
            # which is mostly paid. The portfolio's balances (and any open/overdue sum) read only these
            # entries, amounts included (index-only scan on PostgreSQL). docs/decisions/0026.
            models.Index(
                fields=["property", "status", "due_date"],
                include=["amount", "amount_paid"],
                condition=Q(status__in=["open", "draft"]),
                name="invoice_unsettled_idx",
            ),
        ]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return f"#{self.number} {self.title}" if self.number else self.title

    @builtins.property
    def balance(self) -> Decimal:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return Decimal("0.00")
        return self.amount - self.amount_paid


class InvoiceLine(models.Model):
    """One line of an invoice: its amount before taxes, and the GST and QST computed on it (rounded per line).

    The invoice's ``amount`` is the sum of its lines' totals; the invoicing services write both together.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=200)
    category = models.ForeignKey(
        "finances.ChargeCategory",
        on_delete=models.PROTECT,
        related_name="invoice_lines",
        verbose_name=_("category"),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    gst_amount = models.DecimalField(_("GST"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    qst_amount = models.DecimalField(_("QST"), max_digits=12, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_line_amount_positive"),
            models.CheckConstraint(
                condition=Q(gst_amount__gte=0) & Q(qst_amount__gte=0), name="invoice_line_taxes_not_negative"
            ),
        ]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.invoice_id}.{self.position} {self.description}"

    @builtins.property
    def total(self) -> Decimal:
        return self.amount + self.gst_amount + self.qst_amount


class InvoiceTotal(models.Model):
    """What the invoices of one property, status and due date add up to: a summary row kept by the
    database itself (triggers on ``invoicing_invoice``, migration 0009; docs/decisions/0033).

    Every insert, update of ``status``/``amount``/``amount_paid``/``due_date`` and delete of an invoice
    moves these rows in the same transaction, whatever path wrote it (services, ``settle``, bulk writes,
    imports, migrations). The pages read them instead of every invoice: « En retard » is the open rows
    due before today, so it stays exact at any moment with no nightly job. ``settled_count``: invoices of
    the row whose ``amount_paid`` reached their amount (an open one is then not overdue).
    Never written by Python: ``logis.invoicing.totals`` reads and checks them.
    """

    # No database foreign key: the row is written inside the invoice's transaction by a trigger, and a
    # deferred key check on the property row at commit would wait behind a publisher's lock on it.
    property = models.ForeignKey(
        "properties.Property", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=8)
    due_date = models.DateField()
    invoice_count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    amount_paid = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    settled_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["property", "status", "due_date"], name="invoice_total_key"),
        ]

    def __str__(self) -> str:
        return f"{self.property_id} {self.status} {self.due_date}: {self.invoice_count}"
