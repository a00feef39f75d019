"""Bank statements and their deposits, the CSV column mappings remembered per bank, deposit batches.

A bank line becomes at most one payment: the line's id is unique per property (the same file, or an
overlapping one, uploaded twice records nothing twice) and the payment it became is kept on it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BankStatement(models.Model):
    """One uploaded file: what it held, how many of its deposits were new."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=255)
    format = models.CharField(_("format"), max_length=8)  # ofx, csv
    bank = models.CharField(_("bank"), max_length=32, blank=True)
    account = models.CharField(_("account"), max_length=64, blank=True)
    lines_read = models.PositiveIntegerField(default=0)
    deposits_new = models.PositiveIntegerField(default=0)
    deposits_known = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self) -> str:
        return self.file_name


class BankLine(models.Model):
    """A deposit read from a statement. ``payment`` is set once it is confirmed as an invoice's payment."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    # FITID for OFX (with the account), a stable hash of date + amount + text for CSV.
    line_id = models.CharField(max_length=128)
    posted_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    payment = models.OneToOneField(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["posted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "line_id"], name="bank_line_once_per_property"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_is_a_deposit"),
        ]
        indexes = [models.Index(fields=["property", "payment"], name="bank_line_unmatched")]
        verbose_name = _("bank deposit")
        verbose_name_plural = _("bank deposits")

    def __str__(self) -> str:
        return f"{self.posted_on} {self.amount} {self.description}"[:255]


class BankCsvMapping(models.Model):
    """The columns of a bank's CSV export, as last used on this property (corrected or not)."""

    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    bank = models.CharField(_("bank"), max_length=32)
    date_column = models.PositiveSmallIntegerField()
    description_column = models.PositiveSmallIntegerField()
    description2_column = models.PositiveSmallIntegerField(default=0)
    amount_column = models.PositiveSmallIntegerField(default=0)
    debit_column = models.PositiveSmallIntegerField(default=0)
    credit_column = models.PositiveSmallIntegerField(default=0)
    reference_column = models.PositiveSmallIntegerField(default=0)
    date_format = models.CharField(max_length=16)
    header_rows = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["property", "bank"], name="bank_mapping_per_bank")]

    def __str__(self) -> str:
        return self.bank


class DepositBatch(models.Model):
    """Cheques taken to the bank together: one payment (and receipt) each, one deposit slip."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("number"))
    deposited_on = models.DateField(_("deposit date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The form that recorded it: sent twice, it records one batch.
    request_token = models.UUIDField(unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deposited_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["property", "number"], name="deposit_batch_number")]
        verbose_name = _("deposit batch")
        verbose_name_plural = _("deposit batches")

    def __str__(self) -> str:
        return f"#{self.number} {self.deposited_on}"


class DepositItem(models.Model):
    batch = models.ForeignKey(DepositBatch, on_delete=models.PROTECT, related_name="items")
    cheque_number = models.CharField(_("cheque number"), max_length=30, blank=True)
    payment = models.OneToOneField("payments.Payment", on_delete=models.PROTECT, related_name="deposit_item")
    # A cheque split over several invoices of the unit (decision 0032): its remittance; ``payment`` is then
    # the remittance's first share.
    remittance = models.ForeignKey(
        "payments.Remittance", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.cheque_number

    @property
    def amount(self) -> Decimal:
        """The cheque's amount: its remittance's when it was split, else its one payment's."""
        return self.remittance.amount if self.remittance is not None else self.payment.amount
