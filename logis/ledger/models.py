"""The double-entry ledger of a property (issue 11, docs/decisions/0029-ledger.md).

A chart of accounts per property (``Account``), journal entries (``JournalEntry``) and their lines
(``JournalLine``: an account, a debit or a credit, and the unit and fund they concern). Every money event
writes one balanced entry in its own transaction through ``logis.ledger.posting.post`` — the only writer:
entries and lines are never updated or deleted (a correction is a reversing entry), and a line saved
anywhere else raises. On PostgreSQL a constraint trigger deferred to commit refuses an entry whose debits
and credits differ, and triggers refuse any UPDATE or DELETE of the journal (migration 0001).
"""

from __future__ import annotations

import builtins
import contextvars
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    BANK = "bank", _("Bank")
    STRIPE_CLEARING = "stripe_clearing", _("Stripe clearing")
    RECEIVABLE = "receivable", _("Co-owners' receivable")
    UNIT_CREDIT = "unit_credit", _("Unit credit")
    GST_PAYABLE = "gst_payable", _("GST payable")
    QST_PAYABLE = "qst_payable", _("QST payable")
    OPENING_EQUITY = "opening_equity", _("Opening balance equity")
    REVENUE = "revenue", _("Revenue")


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    REVENUE = "revenue", _("Revenue")


# The codes Logis gives the accounts it opens; the treasurer maps them to their own chart. A revenue
# account's code is 4 followed by its charge category's id (4007, 40123): unique without a counter.
DEFAULT_CODES = {
    AccountKind.BANK: "1010",
    AccountKind.STRIPE_CLEARING: "1020",
    AccountKind.RECEIVABLE: "1100",
    AccountKind.UNIT_CREDIT: "2100",
    AccountKind.GST_PAYABLE: "2200",
    AccountKind.QST_PAYABLE: "2210",
    AccountKind.OPENING_EQUITY: "3900",
}

ACCOUNT_TYPES = {
    AccountKind.BANK: AccountType.ASSET,
    AccountKind.STRIPE_CLEARING: AccountType.ASSET,
    AccountKind.RECEIVABLE: AccountType.ASSET,
    AccountKind.UNIT_CREDIT: AccountType.LIABILITY,
    AccountKind.GST_PAYABLE: AccountType.LIABILITY,
    AccountKind.QST_PAYABLE: AccountType.LIABILITY,
    AccountKind.OPENING_EQUITY: AccountType.EQUITY,
    AccountKind.REVENUE: AccountType.REVENUE,
}


class Account(models.Model):
    """One account of a property's chart. Opened by Logis the first time an entry needs it."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    # A revenue account is the revenue of one charge category (and so of its fund).
    category = models.ForeignKey(
        "finances.ChargeCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20)
    # The name the treasurer's own books give this account (the QuickBooks Online account name, for
    # example): used by the exports; blank means Logis's name. Edited in Rapports > Plan comptable.
    export_name = models.CharField(_("name in exports"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["property", "code"], name="ledger_account_code_unique"),
            models.UniqueConstraint(
                fields=["property", "kind"], condition=~Q(kind="revenue"), name="ledger_account_one_of_kind"
            ),
            models.UniqueConstraint(
                fields=["property", "category"],
                condition=Q(category__isnull=False),
                name="ledger_account_one_per_category",
            ),
            models.CheckConstraint(
                condition=Q(kind="revenue", category__isnull=False)
                | (~Q(kind="revenue") & Q(category__isnull=True)),
                name="ledger_revenue_account_has_category",
            ),
        ]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @builtins.property
    def display_name(self) -> str:
        if self.kind == AccountKind.REVENUE and self.category is not None:
            return str(
                _("Revenue — %(category)s (%(fund)s)")
                % {"category": self.category.display_name, "fund": self.category.fund.display_name}
            )
        return str(AccountKind(self.kind).label)

    @builtins.property
    def export_label(self) -> str:
        """The account's name in the exports: the treasurer's, else Logis's."""
        return self.export_name or self.display_name

    @builtins.property
    def type(self) -> str:
        return ACCOUNT_TYPES[AccountKind(self.kind)]


class EntryKind(models.TextChoices):
    INVOICE_PUBLISHED = "invoice_published", _("Invoice published")
    INVOICE_VOIDED = "invoice_voided", _("Invoice voided")
    PAYMENT = "payment", _("Payment received")
    CREDIT_APPLIED = "credit_applied", _("Credit applied")
    PAYMENT_REVERSED = "payment_reversed", _("Payment reversed")
    PAYMENT_REFUNDED = "payment_refunded", _("Payment refunded")
    CREDIT_REFUNDED = "credit_refunded", _("Credit refunded")
    OPENING_CREDIT = "opening_credit", _("Opening credit")
    OPENING_CREDIT_REMOVED = "opening_credit_removed", _("Opening credit removed")


# Set by ``logis.ledger.posting.post`` while it writes: a journal row saved at any other time raises.
POSTING: contextvars.ContextVar[bool] = contextvars.ContextVar("ledger_posting", default=False)


class LedgerImmutable(RuntimeError):
    """A journal row written outside ``post`` or changed after it was written."""


class _JournalQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise LedgerImmutable("Journal entries and lines are never updated: post a reversing entry.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("Journal entries and lines are never deleted: post a reversing entry.")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        if not POSTING.get():
            raise LedgerImmutable("Journal rows are written by logis.ledger.posting.post only.")
        return super().bulk_create(objs, *args, **kwargs)


class _Immutable(models.Model):
    objects = _JournalQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not POSTING.get() or self.pk is not None:
            raise LedgerImmutable("Journal rows are written once, by logis.ledger.posting.post only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LedgerImmutable("Journal entries and lines are never deleted: post a reversing entry.")


class JournalEntry(_Immutable):
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    # The accounting date: the payment's date, the day an invoice was published or voided (local date).
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # What the entry records: ("invoice", id), ("payment", id), ("unit_credit", id).
    source_type = models.CharField(max_length=20)
    source_id = models.BigIntegerField(null=True, blank=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["property", "-date", "-id"], name="ledger_entry_by_date"),
            models.Index(fields=["source_type", "source_id"], name="ledger_entry_by_source"),
        ]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} ({self.source_type} {self.source_id})"


class JournalLine(_Immutable):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    # Receivable and unit credit carry the unit (a dimension, not an account per unit: decision 0029).
    unit = models.ForeignKey(
        "properties.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(
        "finances.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    debit = models.DecimalField(_("debit"), max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(_("credit"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                name="ledger_line_one_side_positive",
            ),
        ]
        indexes = [models.Index(fields=["account", "unit"], name="ledger_line_by_account_unit")]
        verbose_name = _("journal line")
        verbose_name_plural = _("journal lines")

    def __str__(self) -> str:
        return f"{self.account_id} Dr {self.debit} Cr {self.credit}"
