"""Batches of invoices (one draft per unit, created together) and recurring dues schedules.

Invoices themselves are ``invoicing.Invoice``; a batch only links them (``BatchInvoice``). A schedule's
run for one month is a ``ScheduleRun``, unique per (schedule, period): the guard that makes the
recurring job create each month's invoices once, whatever runs it and however often.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from logis.invoicing.models import DESCRIPTION_MAX


class UnitScope(models.TextChoices):
    ALL = "all", _("All units")
    ONLY = "only", _("Only the checked units")
    EXCEPT = "except", _("All units except the checked ones")


class AmountMode(models.TextChoices):
    SAME = "same", _("Same amount for each unit")
    SPLIT = "split", _("Total split by the units' shares")


class ScheduleAmountMode(models.TextChoices):
    FIXED = "fixed", _("Fixed amount per unit each month")
    BUDGET = "budget", _("Annual budget split by the units' shares")


class Batch(models.Model):
    """Invoices created together for many units: same title, due date, description and notify box."""

    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="batches")
    title = models.CharField(pgettext_lazy("invoice", "Title"), max_length=200)
    amount_mode = models.CharField(_("amount"), max_length=8, choices=AmountMode.choices)
    # The amount of each invoice (SAME) or the total split between the units (SPLIT).
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"))
    description = models.TextField(_("description"), blank=True)
    notify_resident = models.BooleanField(_("send an email notification to the resident"), default=False)
    unit_count = models.PositiveIntegerField(_("units"))
    # None: created by Logis itself (a recurring schedule's run).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Generated when the form is rendered: posting the same form twice returns the first batch.
    creation_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["property", "-created_at", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX),
                name="batch_description_length",
            )
        ]
        verbose_name = _("batch of invoices")
        verbose_name_plural = _("batches of invoices")

    def __str__(self) -> str:
        return self.title


class BatchInvoice(models.Model):
    """One invoice of a batch. An invoice belongs to at most one batch."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="items")
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="batch_item")

    class Meta:
        verbose_name = _("invoice of a batch")
        verbose_name_plural = _("invoices of a batch")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.invoice_id}"


class RecurringSchedule(models.Model):
    """Monthly dues of a property: the worker creates each month's batch ``lead_days`` before it is due."""

    property = models.ForeignKey(
        "properties.Property", on_delete=models.PROTECT, related_name="recurring_schedules"
    )
    title_pattern = models.CharField(_("title"), max_length=200)
    amount_mode = models.CharField(_("amount"), max_length=8, choices=ScheduleAmountMode.choices)
    # Each unit's monthly amount (FIXED) or the annual budget split by shares (BUDGET).
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    start_month = models.DateField(_("first month"))  # always the 1st of a month
    end_month = models.DateField(_("last month"), null=True, blank=True)
    lead_days = models.PositiveSmallIntegerField(
        _("days before the due date"), default=15, validators=[MaxValueValidator(60)]
    )
    unit_scope = models.CharField(_("units"), max_length=8, choices=UnitScope.choices, default=UnitScope.ALL)
    units = models.ManyToManyField("properties.Unit", blank=True, related_name="+")
    auto_publish = models.BooleanField(_("publish automatically"), default=False)
    notify_resident = models.BooleanField(_("send an email notification to the resident"), default=False)
    description = models.TextField(_("description"), blank=True)
    is_paused = models.BooleanField(_("paused"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title_pattern", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=31), name="schedule_day_of_month_1_31"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="schedule_amount_positive"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX),
                name="schedule_description_length",
            ),
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=models.F("start_month")),
                name="schedule_end_after_start",
            ),
        ]
        verbose_name = _("recurring dues")
        verbose_name_plural = _("recurring dues")

    def __str__(self) -> str:
        return self.title_pattern


class RunStatus(models.TextChoices):
    CREATED = "created", pgettext_lazy("schedule run", "Created")  # invoices created: « Créées »
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class ScheduleRun(models.Model):
    """One month of a schedule: created (with its batch), skipped by a manager, or failed (retried)."""

    schedule = models.ForeignKey(RecurringSchedule, on_delete=models.PROTECT, related_name="runs")
    period = models.DateField(_("month"))  # the 1st of the month billed
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices)
    batch = models.OneToOneField(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="schedule_run"
    )
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period", "-id"]
        constraints = [
            # The idempotency guard: one run per schedule and month, whoever runs the job and how often.
            models.UniqueConstraint(fields=["schedule", "period"], name="one_run_per_schedule_period"),
        ]
        verbose_name = _("run of recurring dues")
        verbose_name_plural = _("runs of recurring dues")

    def __str__(self) -> str:
        return f"{self.schedule_id}:{self.period:%Y-%m}"
