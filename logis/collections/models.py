"""Reminder and late-fee policies of a property, and what the collections jobs did under them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_OFFSETS = 5  # at most this many reminders before, and as many after, the due date
MAX_OFFSET_DAYS = 60
MAX_GRACE_DAYS = 90
# Invoices handled per job run (reminders, late fees), all properties together: a backlog (late fees just
# enabled on a property with thousands of overdue invoices) is worked off over several runs, a minute apart,
# instead of one run holding the scheduler for many minutes. What is left stays due in SQL.
MAX_PER_RUN = 500


class ReminderPolicy(models.Model):
    """Emails sent N days before and M days after an invoice's due date (property's local dates)."""

    property = models.OneToOneField(
        "properties.Property", on_delete=models.PROTECT, related_name="reminder_policy"
    )
    enabled = models.BooleanField(_("send automatic reminders"), default=False)
    # Sorted lists of distinct ints in 1..MAX_OFFSET_DAYS, at most MAX_OFFSETS each (checked by the service).
    days_before = models.JSONField(_("days before the due date"), default=list, blank=True)
    days_after = models.JSONField(_("days after the due date"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")

    def __str__(self) -> str:
        return f"{self.property} — reminders"


class ReminderKind(models.TextChoices):
    BEFORE = "before", _("Before the due date")
    AFTER = "after", _("After the due date")
    MANUAL = "manual", _("Sent by hand")


class ReminderSent(models.Model):
    """One reminder of one invoice: queued (``email``) or not sent (``skipped_reason``).

    The partial unique constraint on (invoice, kind, offset_days) for automatic reminders is the
    send-once guard: whatever runs the job, twice or at once, a reminder exists once.
    """

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    offset_days = models.PositiveSmallIntegerField(default=0)
    # The property's local date the reminder was due (automatic) or sent (manual).
    scheduled_for = models.DateField()
    email = models.OneToOneField(
        "notifications.EmailMessage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminder",
    )
    skipped_reason = models.CharField(max_length=255, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A manual reminder's confirmation form: the same form posted twice sends one reminder.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "kind", "offset_days"],
                condition=~Q(kind="manual"),
                name="reminder_sent_once_per_offset",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "kind", "offset_days"])]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")

    def __str__(self) -> str:
        return f"{self.kind} {self.offset_days} — invoice {self.invoice_id}"


class LateFeeMode(models.TextChoices):
    FIXED = "fixed", _("Fixed amount, once per invoice")
    INTEREST = "interest", _("Yearly interest rate, charged monthly")


class LateFeePolicy(models.Model):
    """An optional late fee on invoices overdue beyond a grace period, billed as its own invoice."""

    property = models.OneToOneField(
        "properties.Property", on_delete=models.PROTECT, related_name="late_fee_policy"
    )
    enabled = models.BooleanField(_("apply late fees"), default=False)
    mode = models.CharField(
        _("kind of fee"), max_length=8, choices=LateFeeMode.choices, default=LateFeeMode.FIXED
    )
    fixed_amount = models.DecimalField(
        _("fixed amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    yearly_rate = models.DecimalField(
        _("yearly interest rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"), default=0, validators=[MaxValueValidator(MAX_GRACE_DAYS)]
    )
    title_pattern = models.CharField(_("title of the fee invoice"), max_length=200, blank=True)
    notify_resident = models.BooleanField(_("send an email notification to the resident"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("late fee policy")
        verbose_name_plural = _("late fee policies")

    def __str__(self) -> str:
        return f"{self.property} — late fees"


class LateFee(models.Model):
    """A late fee: the fee invoice billed for ``original`` in one period.

    Period ``n`` is the n-th month after the grace period ends (the end-of-grace date plus n months,
    clamped to the month's last day). A fixed fee has only period 0 and no end (once per invoice);
    an interest fee covers [period_start, period_end). Unique (original, period_index): at most once
    per period, whoever runs the job. Without ``fee_invoice`` (amount 0): the period's interest rounded
    to 0,00 $, so nothing was billed, and the period is done.
    """

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="+")
    original = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="late_fees")
    # None: "nothing to bill" — the interest of this period rounded to 0,00 $; the row is kept so the
    # period is never considered again (amount 0).
    fee_invoice = models.OneToOneField(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="late_fee_of"
    )
    period_index = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    mode = models.CharField(max_length=8, choices=LateFeeMode.choices)
    balance = models.DecimalField(max_digits=12, decimal_places=2)  # the overdue balance it was computed on
    yearly_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["original", "period_index"], name="late_fee_once_per_period"),
            models.CheckConstraint(
                condition=Q(fee_invoice__isnull=False, amount__gt=0) | Q(fee_invoice__isnull=True, amount=0),
                name="late_fee_billed_or_nothing_to_bill",
            ),
        ]
        verbose_name = _("late fee")
        verbose_name_plural = _("late fees")

    def __str__(self) -> str:
        return f"Late fee {self.period_index} of invoice {self.original_id}"
